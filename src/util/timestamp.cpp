#include "ocicap/timestamp.hpp"

#include <cstdio>
#include <ctime>
#include <regex>

namespace ocicap {

bool is_writable_time(std::int64_t seconds) {
  return seconds >= 0 && seconds <= max_rfc3339_seconds;
}

std::string format_rfc3339(std::int64_t seconds) {
  std::time_t time = static_cast<std::time_t>(seconds);
  std::tm utc{};
  gmtime_r(&time, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer;
}

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
  static const std::regex pattern(
      R"((\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?)"
      R"((Z|z|([+-])(\d{2}):(\d{2})))");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_match(text.begin(), text.end(), match, pattern)) {
    return std::nullopt;
  }
  auto number = [&](int group) { return std::stoi(match[group].str()); };
  std::tm utc{};
  utc.tm_year = number(1) - 1900;
  utc.tm_mon = number(2) - 1;
  utc.tm_mday = number(3);
  utc.tm_hour = number(4);
  utc.tm_min = number(5);
  utc.tm_sec = number(6);
  std::tm fields = utc;
  std::int64_t seconds = static_cast<std::int64_t>(timegm(&utc));
  // timegm normalises out-of-range fields (February 31st becomes March
  // 3rd); a date that changed was not a valid one.
  if (utc.tm_mday != fields.tm_mday || utc.tm_mon != fields.tm_mon ||
      utc.tm_hour != fields.tm_hour || utc.tm_min != fields.tm_min ||
      utc.tm_sec != fields.tm_sec) {
    return std::nullopt;
  }
  if (match[9].matched) {
    int hours = number(10);
    int minutes = number(11);
    if (hours > 23 || minutes > 59) {
      return std::nullopt;
    }
    std::int64_t offset = (hours * 60 + minutes) * 60;
    seconds -= match[9].str() == "-" ? -offset : offset;
  }
  return seconds;
}

} // namespace ocicap
