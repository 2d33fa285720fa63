// Defines vm_sku, a scaleset's Azure VM size: the raw value for the user's instance; the
// same text centrally only when it fits the grammar of Azure VM size names.
#pragma once

#include <onefuzz/telemetry/reviewed.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>

namespace onefuzz::telemetry::catalog {

namespace detail {

// A cursor over an Azure VM size name; each take_* consumes a run and says how long it was.
struct sku_cursor {
  std::string_view rest;

  constexpr bool take(std::string_view literal) noexcept {
    if (!rest.starts_with(literal)) return false;
    rest.remove_prefix(literal.size());
    return true;
  }
  template <class Pred>
  constexpr std::size_t take_while(Pred pred, std::size_t max) noexcept {
    std::size_t n = 0;
    while (n < rest.size() && n < max && pred(rest[n])) ++n;
    rest.remove_prefix(n);
    return n;
  }
};

constexpr bool is_sku_upper(char c) noexcept { return c >= 'A' && c <= 'Z'; }
constexpr bool is_sku_digit(char c) noexcept { return c >= '0' && c <= '9'; }
// Azure's additive feature letters (a AMD, b block storage, d local disk, e, i isolated,
// l low memory, m memory intensive, n network, p ARM, r RDMA, s premium storage, t tiny,
// x), and nothing else, so a word cannot hide in the feature run.
constexpr bool is_sku_feature(char c) noexcept {
  return std::string_view{"abdeilmnprstx"}.find(c) != std::string_view::npos;
}

// One `_`-separated suffix: a version (v5), an accelerator (T4, A100, MI300X, V620), a
// variant number (the 8 of M416s_8_v2), "cc" (confidential child) or "Promo".
constexpr bool take_sku_suffix(sku_cursor& at) noexcept {
  if (at.take("Promo") || at.take("cc")) return true;
  if (at.rest.starts_with('v') && at.rest.size() > 1 && is_sku_digit(at.rest[1])) {
    at.rest.remove_prefix(1);
    return at.take_while(is_sku_digit, 2) > 0;
  }
  if (is_sku_upper(at.rest.empty() ? '\0' : at.rest.front())) {
    at.take_while(is_sku_upper, 2);
    if (at.take_while(is_sku_digit, 4) == 0) return false;
    at.take_while(is_sku_upper, 1);
    return true;
  }
  return at.take_while(is_sku_digit, 3) > 0;
}

inline constexpr std::size_t max_vm_sku_size = 48;

// True for names of the form
//   (Standard|Basic)_ FAMILY SIZE [-CONSTRAINED] FEATURES {_SUFFIX}
// FAMILY 1-4 capitals, SIZE 1-3 digits, CONSTRAINED 1-3 digits, FEATURES up to 8 feature
// letters, at most 4 suffixes, 48 characters in all. Examples: Standard_D2s_v3, Basic_A0,
// Standard_M416-208s_v2, Standard_NC24ads_A100_v4, Standard_ND96isr_MI300X_v5,
// Standard_DC4ads_cc_v5, Standard_D2_v2_Promo, Standard_GS5-8.
constexpr bool is_azure_vm_size(std::string_view text) noexcept {
  if (text.size() > max_vm_sku_size) return false;
  sku_cursor at{text};
  if (!at.take("Standard_") && !at.take("Basic_")) return false;
  if (at.take_while(is_sku_upper, 4) == 0) return false;
  if (at.take_while(is_sku_digit, 3) == 0) return false;
  if (at.take("-") && at.take_while(is_sku_digit, 3) == 0) return false;
  at.take_while(is_sku_feature, 8);
  for (int suffixes = 0; !at.rest.empty(); ++suffixes) {
    if (suffixes == 4 || !at.take("_") || !take_sku_suffix(at)) return false;
  }
  return true;
}

}  // namespace detail

// A scaleset's VM size, a free string the original's Python service meant to send
// centrally (docs/catalog.md, "Reviewed types"). It is not a grammar type like version, which would reject the value
// outright: Azure adds size names every year, and a name this grammar does not know yet
// must still reach the user's own instance unchanged. It is a reviewed type instead: the
// user's instance gets the value as given; the central instance gets it only when it is
// an Azure VM size name by the grammar in detail::is_azure_vm_size, and "other" otherwise,
// so a path, a resource id or any other text typed into the field never leaves. Azure
// matches size names case-insensitively, but only the canonical spelling
// ("Standard_D2s_v3", as the Azure CLI lists it) is passed on centrally.
class vm_sku final : public reviewed<vm_sku> {
 public:
  static constexpr std::string_view projection =
      "the value when it is an Azure VM size name in canonical spelling ((Standard|Basic)_ "
      "family size [-constrained] feature letters {_suffix}, at most 48 characters, e.g. "
      "Standard_D2s_v3), otherwise \"other\"";
  // Exactly the characters the projection can send: capitals and digits (family, size,
  // accelerators), '_' and '-', and of the small letters only those of "Standard",
  // "Basic", the feature letters (abdeilmnprstx), the suffixes v, cc and Promo, and
  // "other": a-e, h-i, l-p, r-t, v, x. From 5 ("other") to 48 (max_vm_sku_size) bytes.
  static constexpr projection_grammar central_grammar{"A-Za-eh-il-pr-tvx0-9_-",
                                                      detail::max_vm_sku_size, 5};

  // The central form of any value that is not a VM size name.
  static constexpr std::string_view other = "other";

  vm_sku() = default;
  explicit vm_sku(std::string value)
      : value_(std::move(value)), known_(detail::is_azure_vm_size(value_)) {}

  // The value as configured, unchanged.
  [[nodiscard]] std::string_view full_value() const noexcept { return value_; }

  // The value when it is an Azure VM size name, otherwise "other".
  [[nodiscard]] std::string_view central_projection() const noexcept {
    return known_ ? std::string_view{value_} : other;
  }

  // True when the central instance gets the value rather than "other".
  [[nodiscard]] bool is_known() const noexcept { return known_; }

  friend bool operator==(const vm_sku& a, const vm_sku& b) noexcept { return a.value_ == b.value_; }

 private:
  std::string value_;
  bool known_ = false;
};

static_assert(reviewed_value<vm_sku>);
static_assert(vm_sku::central_grammar.accepts(vm_sku::other));
static_assert(detail::is_azure_vm_size("Standard_D2s_v3"));
static_assert(!detail::is_azure_vm_size("/subscriptions/x/Standard_D2s_v3"));

}  // namespace onefuzz::telemetry::catalog
