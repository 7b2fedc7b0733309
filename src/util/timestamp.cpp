#include "ocicap/timestamp.hpp"

#include <cstdio>
#include <ctime>

namespace ocicap {

std::string format_rfc3339(std::int64_t seconds) {
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  std::string copy(text);
  std::tm utc{};
  const char* rest = strptime(copy.c_str(), "%Y-%m-%dT%H:%M:%S", &utc);
  if (rest == nullptr) {
    return std::nullopt;
  }
  if (*rest == '.') {
    ++rest;
    while (*rest >= '0' && *rest <= '9') {
      ++rest;
    }
  }
  std::int64_t offset = 0;
  if (*rest == 'Z' || *rest == 'z') {
    ++rest;
  } else if (*rest == '+' || *rest == '-') {
    int hours = 0;
    int minutes = 0;
    int consumed = 0;
    if (std::sscanf(rest + 1, "%2d:%2d%n", &hours, &minutes, &consumed) != 2 ||
        consumed != 5) {
      return std::nullopt;
    }
    offset = (hours * 60 + minutes) * 60;
    if (*rest == '-') {
      offset = -offset;
    }
    rest += 6;
  } else {
    return std::nullopt;
  }
  if (*rest != '\0') {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(timegm(&utc)) - offset;
}

} // namespace ocicap
