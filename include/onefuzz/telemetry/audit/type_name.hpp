// Defines type_name<T>: a type's C++ name without its namespaces, computed at compile time,
// so manifests and error messages can name an event's declaration ("afl_runtime_stats").
#pragma once

#include <cstddef>
#include <string_view>

#if !defined(__GNUC__) && !defined(__clang__)
#error "onefuzz/telemetry/audit: type_name needs __PRETTY_FUNCTION__ (g++ or clang++)"
#endif

namespace onefuzz::telemetry::audit {

namespace detail {

// The compiler's spelling of this function, which contains T's fully qualified name:
//   g++:     "... raw_type_name() [with T = ns::name; std::string_view = ...]"
//   clang++: "... raw_type_name() [T = ns::name]"
template <class T>
constexpr std::string_view raw_type_name() noexcept {
  return __PRETTY_FUNCTION__;
}

// The text after "T = " up to the first ';' or ']' outside template brackets.
constexpr std::string_view qualified_from_pretty(std::string_view text) noexcept {
  constexpr std::string_view marker = "T = ";
  const std::size_t start = text.find(marker);
  if (start == std::string_view::npos) return text;
  text.remove_prefix(start + marker.size());
  int depth = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<' || c == '(' || c == '[') ++depth;
    else if (c == '>' || c == ')') --depth;
    else if (depth == 0 && (c == ';' || c == ']')) return text.substr(0, i);
    else if (c == ']') --depth;
  }
  return text;
}

// name without the namespaces and enclosing classes that qualify it ("a::b<c::d>" -> "b<c::d>").
constexpr std::string_view unqualified(std::string_view name) noexcept {
  int depth = 0;
  std::size_t last = 0;
  for (std::size_t i = 0; i + 1 < name.size(); ++i) {
    const char c = name[i];
    if (c == '<' || c == '(') ++depth;
    else if (c == '>' || c == ')') --depth;
    else if (depth == 0 && c == ':' && name[i + 1] == ':') last = i + 2;
  }
  return name.substr(last);
}

}  // namespace detail

// T's fully qualified C++ name as the compiler spells it (g++ and clang++ agree for
// classes in named namespaces; an anonymous namespace is spelled differently by each).
template <class T>
inline constexpr std::string_view qualified_type_name =
    detail::qualified_from_pretty(detail::raw_type_name<T>());

// T's C++ name without namespaces: the same with g++ and clang++, so generated files do
// not depend on the compiler that built the generator.
template <class T>
inline constexpr std::string_view type_name = detail::unqualified(qualified_type_name<T>);

}  // namespace onefuzz::telemetry::audit
