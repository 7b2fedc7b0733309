// Small helpers shared by the readers of the merged view.
#pragma once

#include "ocicap/descriptor.hpp"

#include <chrono>
#include <string>

namespace ocicap {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Returns how messages name a layer: "layer sha256:...".
inline std::string layer_label(const Descriptor& descriptor) {
  return "layer " + descriptor.digest.string();
}

} // namespace ocicap
