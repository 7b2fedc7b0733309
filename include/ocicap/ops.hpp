// User-level operations. They return results and throw Error; printing is
// the command line's job.
#pragma once

#include "ocicap/capability_set.hpp"
#include "ocicap/documents.hpp"
#include "ocicap/image_layout.hpp"
#include "ocicap/image_reference.hpp"
#include "ocicap/merged_view.hpp"

#include <cstdint>
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

// Checks --platform on an image that is not an index: each of `requested`
// must match the platform that `config` declares. Throws Error naming the
// first mismatch and the config's platform. `image` names the image.
void check_single_image_platforms(const ImageConfig& config,
                                  const std::vector<Platform>& requested,
                                  const std::string& image);

// Returns whether --platform selects the image manifest that index entry
// `descriptor` names: any image when `requested` is empty, else one whose
// declared platform matches a value of `requested`.
bool is_platform_selected(const Descriptor& descriptor,
                          const std::vector<Platform>& requested);

// Checks that each of `requested` matches one of `available`, the
// platforms of an index's images. Throws Error naming the first that
// matches none and listing `available`.
void check_platforms_matched(const std::vector<Platform>& requested,
                             const std::vector<Platform>& available,
                             const std::string& image);

// Opens the single image below index entry `entry` of `layout`. For a
// multi-platform image, `platform` selects one; without it the index must
// hold one runnable platform. For a single image, `platform` must match
// its config. `image` names the image in messages.
SourceImage open_source_image(const ImageLayout& layout,
                              const Descriptor& entry,
                              const std::optional<Platform>& platform,
                              const std::string& image);

// What to do with attestation manifests of a multi-platform index once
// the images they describe change.
enum class AttestationPolicy { keep, drop };

// One change to one file, or to every file a pattern matches.
struct FileChange {
  // The path as the user wrote it. A path with a shell wildcard (*, ? or
  // [) is a pattern that fnmatch(3) matches against the merged view;
  // a backslash makes the next character literal.
  std::string path;
  // The new capability set; nullopt removes the attribute.
  std::optional<CapabilitySet> capabilities;
  // The source location of the change, e.g. "caps.txt:3" for a line of a
  // capability list, which starts each error about it. Empty for a path
  // given on the command line.
  std::string origin;
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
  // Resolve symbolic links in each path inside the image's root, the last
  // component included, instead of rejecting them.
  bool follow_symlinks = false;
};

// The user an image's config runs its process as.
struct ImageUser {
  // config.User as written; empty means the runtime's default, root.
  std::string text;
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  bool is_root = false;
  // Set when a name's numeric ID is unknown: why, e.g. "user app is not
  // in the image's /etc/passwd".
  std::string unresolved;
  // Set when reading /etc/passwd or /etc/group failed, such as on a
  // damaged layer: the error.
  std::string read_error;
};

struct ChangedFile {
  std::string path;
  // The new set in getcap's form; empty when the attribute was removed.
  std::string capability_text;
  std::size_t source_layer = 0;
  // The platform of the image changed, for multi-platform images.
  std::string platform;
  // The new set; nullopt when the attribute was removed.
  std::optional<CapabilitySet> capabilities;
  // The path or pattern the user wrote that selected this file.
  std::string requested;
  // The symbolic links followed from the requested path to this file (see
  // ResolvedPath::chain); empty when none was.
  std::vector<std::string> link_chain;
  // The file's other names, written as hard links to `path`.
  std::vector<std::string> hard_links;
  // The digest of the layer at `source_layer`, e.g. "sha256:...".
  std::string source_layer_digest;
  // Bytes of file content copied into the new layer.
  std::int64_t size = 0;
  // The user of the image changed, resolved when the file got
  // capabilities, for advice on running it.
  ImageUser image_user;
};

struct ChangeResult {
  std::vector<ChangedFile> files;
  // The new descriptor in index.json: an image manifest, or an image index
  // for a multi-platform image.
  Descriptor descriptor;
  std::string destination;
  // True when the result went, or with a dry run would go, to standard
  // output as an archive, so any report must go elsewhere.
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

// Resolves `request` as apply_changes() would and returns the files it
// would change, without writing anything. The result's descriptor is the
// unchanged image.
ChangeResult plan_changes(const ChangeRequest& request,
                          ReadObserver* observer = nullptr);

struct GetRequest {
  ImageReference image;
  // Paths as the user wrote them; empty means every file with capabilities.
  std::vector<std::string> paths;
  std::optional<Platform> platform;
  // Resolve symbolic links in each path inside the image's root.
  bool follow_symlinks = false;
};

struct FileCapabilities {
  // The absolute path in the image ("/usr/bin/x"), however it was requested.
  std::string path;
  std::string capability_text;
  CapabilitySet capabilities;
  // The symbolic links followed to reach `path` (see ResolvedPath::chain);
  // empty when none was.
  std::vector<std::string> link_chain;
};

struct GetResult {
  std::vector<FileCapabilities> files;
  // One message per requested path that could not be read.
  std::vector<std::string> errors;
  // Facts about the capabilities found, such as revision 3 root IDs.
  std::vector<std::string> warnings;
};

GetResult get_capabilities(const GetRequest& request,
                           ReadObserver* observer = nullptr);

// Like get_capabilities(), on `source`, an image already open; the
// request's image and platform only name it in messages.
GetResult read_capabilities(const SourceImage& source,
                            const GetRequest& request,
                            ReadObserver* observer = nullptr);

} // namespace ocicap
