// Must not compile: a class deriving from catalog::tool_name to change its central form.
// tool_name is final, as every reviewed type must be, so the language rejects the class.
#include <onefuzz/telemetry/catalog/tool_name.hpp>

#include <string>
#include <string_view>

class full_path_tool : public onefuzz::telemetry::catalog::tool_name {
 public:
  using tool_name::tool_name;
  std::string_view central_projection() const noexcept { return full_value(); }
};

int main() {
  const full_path_tool tool{std::string{"/home/alice/tools/generator"}};
  return tool.central_projection().empty() ? 1 : 0;
}
