// User-level operations, one function each. They return results and throw
// Error; printing is the command line's job.
#pragma once

#include "ocicap/capability_set.hpp"
#include "ocicap/documents.hpp"
#include "ocicap/image_layout.hpp"
#include "ocicap/image_reference.hpp"
#include "ocicap/merged_view.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ocicap {

// One image of a layout, read and checked: the index entry, its manifest
// and config, all verified against their digests.
struct SourceImage {
  ImageLayout layout;
  std::size_t index_position = 0;
  Descriptor manifest_descriptor;
  Manifest manifest;
  ImageConfig config;
};

// Returns the layers of `image`, bottom first, with their diff IDs.
std::vector<ImageLayer> image_layers(const SourceImage& image);

// Opens the image `reference` names; throws Error naming the ref, the refs
// on offer, or the document that is missing or invalid.
SourceImage open_source_image(const ImageReference& reference);

struct SetRequest {
  ImageReference image;
  std::string capability_text;
  CapabilitySet capabilities;
  // Paths as the user wrote them.
  std::vector<std::string> paths;
  std::optional<ImageReference> output;
  std::optional<std::string> tag;
  // The command recorded in the history entry's created_by.
  std::string command_line;
};

struct ChangedFile {
  std::string path;
  std::string capability_text;
  std::size_t source_layer = 0;
};

struct SetResult {
  std::vector<ChangedFile> files;
  Descriptor manifest;
  Descriptor layer;
  std::string destination;
};

// Writes one new layer carrying every path with the capability set, then
// the new config, manifest and index. On failure nothing of the new image is
// left behind.
SetResult set_capabilities(const SetRequest& request,
                           ReadObserver* observer = nullptr);

struct GetRequest {
  ImageReference image;
  // Paths as the user wrote them; empty means every file with capabilities.
  std::vector<std::string> paths;
};

struct FileCapabilities {
  // The absolute path in the image ("/usr/bin/x"), however it was requested.
  std::string path;
  std::string capability_text;
  CapabilitySet capabilities;
};

struct GetResult {
  std::vector<FileCapabilities> files;
  // One message per requested path that could not be read.
  std::vector<std::string> errors;
};

GetResult get_capabilities(const GetRequest& request,
                           ReadObserver* observer = nullptr);

} // namespace ocicap
