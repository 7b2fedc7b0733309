// doctest printers for the containers that tests compare, so a failed
// CHECK shows both values instead of {?}.
#pragma once

#include <doctest/doctest.h>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace doctest {

template <> struct StringMaker<std::vector<std::string>> {
  static String convert(const std::vector<std::string>& items) {
    std::string text = "{";
    for (const std::string& item : items) {
      text += (text.size() > 1 ? ", \"" : "\"") + item + "\"";
    }
    return (text + "}").c_str();
  }
};

template <>
struct StringMaker<std::vector<std::pair<std::string, std::string>>> {
  static String
  convert(const std::vector<std::pair<std::string, std::string>>& items) {
    std::string text = "{";
    for (const auto& [name, value] : items) {
      text += (text.size() > 1 ? ", " : "") + name + "=" +
              std::to_string(value.size()) + " bytes";
    }
    return (text + "}").c_str();
  }
};

template <> struct StringMaker<std::optional<std::string>> {
  static String convert(const std::optional<std::string>& item) {
    return item ? ("\"" + *item + "\"").c_str() : "nullopt";
  }
};

} // namespace doctest
