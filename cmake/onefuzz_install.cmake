# Install rules: headers, an exported target onefuzz::telemetry, a package config and
# an architecture-independent version file (the library is header-only).
set(onefuzz_cmake_dir "${CMAKE_INSTALL_DATADIR}/onefuzz_telemetry")

install(TARGETS onefuzz_telemetry
  EXPORT onefuzz_telemetry_targets
  FILE_SET HEADERS DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(EXPORT onefuzz_telemetry_targets
  NAMESPACE onefuzz::
  DESTINATION "${onefuzz_cmake_dir}")

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
