# Install rules. The library is header-only; each component is its own export set and
# targets file, so find_package loads, and looks for the dependencies of, only the
# components asked for (cmake/onefuzz_telemetry-config.cmake.in):
#   include/onefuzz/...                                the headers of every component built
#   share/onefuzz_telemetry/                           config, version, one targets file per component
#   share/onefuzz_telemetry/modules/onefuzz_version.cmake  (+ its build-time script)
#   share/pkgconfig/onefuzz-telemetry[-<component>].pc
#   share/doc/onefuzz_telemetry/                       LICENSE, README.md, docs/
set(onefuzz_cmake_dir "${CMAKE_INSTALL_DATADIR}/onefuzz_telemetry")

install(TARGETS onefuzz_telemetry
  EXPORT onefuzz_telemetry_targets
  FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(EXPORT onefuzz_telemetry_targets
  NAMESPACE onefuzz::
  DESTINATION "${onefuzz_cmake_dir}")
foreach(component IN LISTS ONEFUZZ_TELEMETRY_COMPONENTS)
  # The definitions (impl/*.ipp, src.hpp) of the components that have them: a file set of
  # their own (CMakeLists.txt), installed next to the headers.
  get_target_property(sets onefuzz_telemetry_${component} INTERFACE_HEADER_SETS)
  set(definitions "")
  if("definitions" IN_LIST sets)
    set(definitions FILE_SET definitions DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
  endif()
  install(TARGETS onefuzz_telemetry_${component}
    EXPORT onefuzz_telemetry_${component}_targets
    FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
    ${definitions})
  install(EXPORT onefuzz_telemetry_${component}_targets
    NAMESPACE onefuzz::
    DESTINATION "${onefuzz_cmake_dir}")
endforeach()

# The config file says which components this install has.
set(ONEFUZZ_TELEMETRY_INSTALLED_COMPONENTS "${ONEFUZZ_TELEMETRY_COMPONENTS}")
configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/onefuzz_telemetry-config.cmake.in"
  "${PROJECT_BINARY_DIR}/onefuzz_telemetry-config.cmake"
  INSTALL_DESTINATION "${onefuzz_cmake_dir}")

write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/onefuzz_telemetry-config-version.cmake"
  COMPATIBILITY SameMajorVersion
  ARCH_INDEPENDENT)

install(FILES
  "${PROJECT_BINARY_DIR}/onefuzz_telemetry-config.cmake"
  "${PROJECT_BINARY_DIR}/onefuzz_telemetry-config-version.cmake"
  DESTINATION "${onefuzz_cmake_dir}")

# onefuzz_version() for consumers: the config file includes it and puts its folder on
# CMAKE_MODULE_PATH, so `include(onefuzz_version)` works after find_package.
install(FILES
  "${PROJECT_SOURCE_DIR}/cmake/onefuzz_version.cmake"
  "${PROJECT_SOURCE_DIR}/cmake/onefuzz_version_header.cmake"
  DESTINATION "${onefuzz_cmake_dir}/modules")

include(onefuzz_pkgconfig)

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" "${PROJECT_SOURCE_DIR}/README.md"
  DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/docs/" DESTINATION "${CMAKE_INSTALL_DOCDIR}/docs")
