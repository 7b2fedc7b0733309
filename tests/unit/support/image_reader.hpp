// Reads back what a test wrote or ocicap changed: an image of a layout by
// ref, and the entries and contents of its top layer.
#pragma once

#include "ocicap/layer.hpp"
#include "ocicap/ops.hpp"

#include <string>
#include <vector>

namespace ocicap::test {

// Opens the single image manifest that `ref` names in the layout at
// `path`.
SourceImage open_layout_image(const std::string& path, const std::string& ref);

struct LayerFile {
  TarEntry entry;
  // The entry's canonical name.
  std::string name;
  std::string content;
};

// Returns every entry of the top layer of `path`:`ref`, in archive order.
std::vector<LayerFile> read_top_layer(const std::string& path,
                                      const std::string& ref);

// Returns the canonical names of `files`.
std::vector<std::string> names_of(const std::vector<LayerFile>& files);

} // namespace ocicap::test
