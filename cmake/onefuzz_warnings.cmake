# Warnings for the project's own code only: consumers of the installed package get no
# flags from us. Making them errors is for the developers and CI (the presets in
# CMakePresets.json turn it on); off by default, so that someone who builds or packages
# the project with a compiler or flags we have not tried still gets a build.
option(ONEFUZZ_TELEMETRY_WARNINGS_AS_ERRORS
  "Make warnings errors in the project's own tests, examples, tools and benchmarks" OFF)

add_library(onefuzz_telemetry_warnings INTERFACE)
target_compile_options(onefuzz_telemetry_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor)
if(ONEFUZZ_TELEMETRY_WARNINGS_AS_ERRORS)
  target_compile_options(onefuzz_telemetry_warnings INTERFACE -Werror)
endif()
