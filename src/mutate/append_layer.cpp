#include "ocicap/mutate.hpp"

#include "ocicap/error.hpp"
#include "ocicap/timestamp.hpp"

#include <charconv>
#include <cstdlib>

namespace ocicap {

BuildTime choose_build_time(const ImageConfig& config) {
  const char* epoch = std::getenv("SOURCE_DATE_EPOCH");
  if (epoch != nullptr && *epoch != '\0') {
    std::string_view text(epoch);
    std::int64_t seconds = 0;
    auto [end, error] =
        std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (error != std::errc() || end != text.data() + text.size() ||
        seconds < 0) {
      throw Error("invalid SOURCE_DATE_EPOCH \"" + std::string(text) +
                  "\": expected a non-negative number of seconds since "
                  "1970-01-01");
    }
    return BuildTime{seconds, format_rfc3339(seconds), true};
  }
  std::string created = config.created();
  if (auto seconds = parse_rfc3339(created)) {
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
