#include "ocicap/mutate.hpp"

#include "ocicap/error.hpp"
#include "ocicap/timestamp.hpp"

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string>

namespace ocicap {

std::optional<BuildTime> build_time_from_environment() {
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
  if (epoch != nullptr && *epoch != '\0') {
    std::string_view text(epoch);
    std::int64_t seconds = 0;
    auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size() ||
        !is_writable_time(seconds)) {
      throw Error("invalid SOURCE_DATE_EPOCH " + quote(text) +
                  ": expected a whole number of seconds since 1970-01-01 "
                  "from 0 to " + std::to_string(max_rfc3339_seconds) +
                  " (9999-12-31T23:59:59Z)");
    }
    return BuildTime{seconds, format_rfc3339(seconds), true};
  }
  return std::nullopt;
}

BuildTime choose_build_time(const ImageConfig& config) {
  if (std::optional<BuildTime> time = build_time_from_environment()) {
    return *time;
  }
  // A `created` outside the writable range (such as Go's zero time,
  // 0001-01-01) would give new directories a negative mtime or the history
  // an unreadable time, so it counts as missing, like one that does not
  // parse.
  std::string created = config.created();
  std::optional<std::int64_t> seconds = parse_rfc3339(created);
  if (seconds && is_writable_time(*seconds)) {
    return BuildTime{*seconds, created, false};
  }
  return BuildTime{0, format_rfc3339(0), false};
}

ImageConfig append_to_config(const ImageConfig& config,
                             const LayerAddition& addition,
                             const BuildTime& time) {
  ImageConfig result = config;
  result.append_diff_id(addition.diff_id);
  result.append_history(addition.history);
  if (time.from_environment) {
    result.set_created(time.rfc3339);
  }
  return result;
}

Manifest append_to_manifest(const Manifest& manifest, const Descriptor& config,
                            const Descriptor& layer) {
  Manifest result = manifest;
  result.set_config(config);
  result.append_layer(layer);
  return result;
}

} // namespace ocicap
