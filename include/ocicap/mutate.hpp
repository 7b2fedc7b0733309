// New images from a base plus additions. Nothing here touches storage: the
// caller writes the returned documents as blobs.
#pragma once

#include "ocicap/documents.hpp"
#include "ocicap/layer.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace ocicap {

// The time an operation stamps on what it writes, from SOURCE_DATE_EPOCH
// when set, else from the base config's `created` when that lies from 1970
// to 9999, else the Unix epoch.
// Never the clock, so that the same input gives the same digests.
struct BuildTime {
  std::int64_t seconds = 0;
  std::string rfc3339;
  // True when the time came from SOURCE_DATE_EPOCH.
  bool from_environment = false;
};

// Reads SOURCE_DATE_EPOCH; throws Error when it is set but not a number of
// seconds from 0 to max_rfc3339_seconds.
BuildTime choose_build_time(const ImageConfig& config);

// Returns the time SOURCE_DATE_EPOCH sets, or nullopt when it is unset or
// empty. Throws Error for a value choose_build_time() rejects.
std::optional<BuildTime> build_time_from_environment();

struct LayerAddition {
  Descriptor layer;
  Digest diff_id;
  HistoryEntry history;
};

// Returns `config` with the diff ID and history entry appended; `created`
// is set to the build time when that came from SOURCE_DATE_EPOCH.
ImageConfig append_to_config(const ImageConfig& config,
                             const LayerAddition& addition,
                             const BuildTime& time);

// Returns `manifest` pointing at `config` with the layer appended.
Manifest append_to_manifest(const Manifest& manifest, const Descriptor& config,
                            const Descriptor& layer);

} // namespace ocicap
