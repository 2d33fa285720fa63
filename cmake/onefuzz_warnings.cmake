# Warnings are errors on the project's own code only: consumers of the installed
# package get no flags from us.
add_library(onefuzz_telemetry_warnings INTERFACE)
target_compile_options(onefuzz_telemetry_warnings INTERFACE
  -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor)
