// User-level operations. They return results and throw Error; printing is
// the command line's job.
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

// One image manifest of a layout, read and checked: its manifest and
// config are verified against their digests.
struct SourceImage {
  ImageLayout layout;
  Descriptor manifest_descriptor;
  Manifest manifest;
  ImageConfig config;
  // The platform its index entry declares, if any.
  std::optional<Platform> platform;
};

// Returns the layers of `image`, bottom first, with their diff IDs.
std::vector<ImageLayer> image_layers(const SourceImage& image);

// Reads and checks the image manifest `descriptor` points at.
SourceImage read_source_image(const ImageLayout& layout,
                              const Descriptor& descriptor);

// Returns the position of the index.json entry that `reference` selects;
// throws Error naming the ref and the refs on offer.
std::size_t select_index_entry(const ImageLayout& layout,
                               const ImageReference& reference);

// Opens the single image below index entry `entry` of `layout`. For a
// multi-platform image, `platform` selects one; without it the index must
// hold one runnable platform. `image` names the image in messages.
SourceImage open_source_image(const ImageLayout& layout,
                              const Descriptor& entry,
                              const std::optional<Platform>& platform,
                              const std::string& image);

// What to do with attestation manifests of a multi-platform index once
// the images they describe change.
enum class AttestationPolicy { keep, drop };

// One change to one file.
struct FileChange {
  // The path as the user wrote it.
  std::string path;
  // The new capability set; nullopt removes the attribute.
  std::optional<CapabilitySet> capabilities;
};

struct ChangeRequest {
  ImageReference image;
  std::vector<FileChange> changes;
  std::optional<ImageReference> output;
  std::optional<std::string> tag;
  // The command recorded in the history entry's created_by.
  std::string command_line;
  // Platforms of a multi-platform image to change; empty means all.
  std::vector<Platform> platforms;
  // Compression of the new layer; nullopt follows the image's layers.
  std::optional<media_type::Compression> compression;
  AttestationPolicy attestations = AttestationPolicy::keep;
};

struct ChangedFile {
  std::string path;
  // The new set in getcap's form; empty when the attribute was removed.
  std::string capability_text;
  std::size_t source_layer = 0;
  // The platform of the image changed, for multi-platform images.
  std::string platform;
};

struct ChangeResult {
  std::vector<ChangedFile> files;
  // The new descriptor in index.json: an image manifest, or an image index
  // for a multi-platform image.
  Descriptor descriptor;
  std::string destination;
  // True when the result went to standard output as an archive, so any
  // report must go elsewhere.
  bool streamed = false;
  // Facts the user should know, such as attestations left describing the
  // old image.
  std::vector<std::string> warnings;
};

// Writes one new layer per changed image manifest, then new configs,
// manifests, indexes and index.json. On failure nothing of the new image is
// left behind.
ChangeResult apply_changes(const ChangeRequest& request,
                           ReadObserver* observer = nullptr);

struct GetRequest {
  ImageReference image;
  // Paths as the user wrote them; empty means every file with capabilities.
  std::vector<std::string> paths;
  std::optional<Platform> platform;
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
