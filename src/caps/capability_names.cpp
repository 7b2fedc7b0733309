#include "ocicap/capability_names.hpp"

#include <algorithm>
#include <cctype>
#include <memory>
#include <sys/capability.h>

namespace ocicap {
namespace {

constexpr int max_capability_bits = 64;
constexpr std::string_view libcap_prefix = "cap_";
// Characters that end the name list of a setcap clause and start its
// operators and flags (cap_from_text(3)).
constexpr std::string_view operator_characters = "=+-";

std::string to_lower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return lower;
}

std::string to_upper(std::string_view text) {
  std::string upper(text);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return std::toupper(c); });
  return upper;
}

bool is_decimal(std::string_view text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isdigit(c); });
}

std::optional<int> lookup_libcap_name(const std::string& name) {
  cap_value_t value = 0;
  if (cap_from_name(name.c_str(), &value) != 0 || value < 0 ||
      value >= max_capability_bits) {
    return std::nullopt;
  }
  return value;
}

// Returns one name of a clause's name list in libcap's form.
std::string normalize_name(std::string_view name) {
  std::string lower = to_lower(name);
  if (lower.empty() || lower == "all" || is_decimal(lower) ||
      lower.starts_with(libcap_prefix)) {
    return lower;
  }
  std::string prefixed = std::string(libcap_prefix) + lower;
  return lookup_libcap_name(prefixed) ? prefixed : std::string(name);
}

std::string normalize_clause(std::string_view clause) {
  std::size_t names_end = clause.find_first_of(operator_characters);
  std::string_view names = clause.substr(0, names_end);
  std::string result;
  while (true) {
    std::size_t comma = names.find(',');
    result += normalize_name(names.substr(0, comma));
    if (comma == std::string_view::npos) {
      break;
    }
    result += ',';
    names.remove_prefix(comma + 1);
  }
  // The flags stay as written: setcap (libcap 2.66) rejects "=EIP".
  if (names_end != std::string_view::npos) {
    result += clause.substr(names_end);
  }
  return result;
}

} // namespace

std::optional<int> find_capability(std::string_view name) {
  std::string lower = to_lower(name);
  if (lower.empty() || is_decimal(lower)) {
    return std::nullopt;
  }
  if (!lower.starts_with(libcap_prefix)) {
    lower = std::string(libcap_prefix) + lower;
  }
  return lookup_libcap_name(lower);
}

std::string capability_name(int number) {
  std::unique_ptr<char, int (*)(void*)> name(
      cap_to_name(static_cast<cap_value_t>(number)), &cap_free);
  return name ? std::string(name.get()) : std::to_string(number);
}

std::string runtime_capability_name(int number) {
  std::string name = capability_name(number);
  if (name.starts_with(libcap_prefix)) {
    name.erase(0, libcap_prefix.size());
  }
  return to_upper(name);
}

std::vector<int> capability_numbers(std::uint64_t mask) {
  std::vector<int> numbers;
  for (int number = 0; number < max_capability_bits; ++number) {
    if ((mask >> number) & 1) {
      numbers.push_back(number);
    }
  }
  return numbers;
}

std::uint64_t capability_mask(const std::vector<int>& numbers) {
  std::uint64_t mask = 0;
  for (int number : numbers) {
    mask |= std::uint64_t{1} << number;
  }
  return mask;
}

std::string normalize_capability_names(std::string_view text) {
  std::string result;
  std::size_t position = 0;
  while (position < text.size()) {
    std::size_t start = text.find_first_not_of(" \t", position);
    if (start == std::string_view::npos) {
      break;
    }
    std::size_t end = text.find_first_of(" \t", start);
    if (!result.empty()) {
      result += ' ';
    }
    result += normalize_clause(text.substr(start, end - start));
    position = end == std::string_view::npos ? text.size() : end;
  }
  return result;
}

} // namespace ocicap
