// A layout in a temporary directory whose layers a test adds bottom first,
// for the tests of the merged view.
#pragma once

#include "support/image_builder.hpp"
#include "support/temp_directory.hpp"

#include <string>
#include <vector>

namespace ocicap::test {

struct LayerStack {
  TempDirectory directory;
  ImageLayout layout = ImageLayout::create(directory.path());
  std::vector<ImageLayer> layers;

  // Writes `entries` as a new top layer.
  const ImageLayer& add(const std::vector<EntrySpec>& entries) {
    layers.push_back(write_layer(layout, entries));
    return layers.back();
  }

  // Returns how messages name layer `layer`: "layer sha256:...".
  std::string label(std::size_t layer) const {
    return "layer " + layers.at(layer).descriptor.digest.string();
  }
};

} // namespace ocicap::test
