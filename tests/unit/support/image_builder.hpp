// Builds small OCI image layouts for tests: layers written by the
// library's LayerWriter or by GNU tar, and the config, manifest and index
// that tie them together. validate_layout() checks a layout without
// ocicap's reader: documents with nlohmann-json, blob digests with
// sha256sum and diff IDs with gzip, zstd and sha256sum.
#pragma once

#include "ocicap/image_layout.hpp"
#include "ocicap/layer.hpp"
#include "ocicap/media_type.hpp"
#include "ocicap/ops.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ocicap::test {

// The modification time of every entry and of the test configs.
inline constexpr std::int64_t test_mtime = 1700000000;
inline constexpr const char* test_created = "2023-11-14T22:13:20Z";

// One tar entry to write. Only the fields that the type uses matter.
struct EntrySpec {
  std::string name;
  EntryType type = EntryType::regular;
  std::string content;
  unsigned mode = 0644;
  std::int64_t uid = 0;
  std::int64_t gid = 0;
  std::string uname;
  std::string gname;
  std::int64_t mtime = test_mtime;
  // Symlink target or hard-link target.
  std::string link_target;
  std::vector<Xattr> xattrs;
};

EntrySpec file_entry(std::string name, std::string content,
                     std::vector<Xattr> xattrs = {});
EntrySpec directory_entry(std::string name);
EntrySpec symlink_entry(std::string name, std::string target);
EntrySpec hardlink_entry(std::string name, std::string target);
// An empty regular file, the form whiteouts and opaque markers take.
EntrySpec marker_entry(std::string name);

TarEntry make_tar_entry(const EntrySpec& spec);

// Writes `entries` as a layer blob of `layout` with LayerWriter.
ImageLayer
write_layer(const ImageLayout& layout, const std::vector<EntrySpec>& entries,
            media_type::Compression compression = media_type::Compression::gzip,
            media_type::Family family = media_type::Family::oci);

// Archives the contents of `directory` with GNU tar (PAX format, with
// extended attributes) and stores the result as a layer blob of `layout`.
ImageLayer write_gnu_tar_layer(
    const ImageLayout& layout, const std::string& directory,
    media_type::Compression compression = media_type::Compression::gzip);

// Returns a POSIX tar archive holding one regular file, `name`, whose PAX
// extended header contains `records` (keyword, value) in the given order,
// duplicates included. The bytes are assembled here so that record order
// and repeated keywords are exactly as given.
std::string pax_tar_with_records(
    const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& records,
    const std::string& content);

// Stores a blob of the given bytes, bypassing ocicap's writer.
Descriptor store_raw_blob(const ImageLayout& layout, const std::string& data,
                          std::string media_type);

struct ImageOptions {
  std::optional<std::string> ref;
  media_type::Family family = media_type::Family::oci;
  std::string created = test_created;
  std::string user;
};

// Writes a config and manifest for `layers` and returns the manifest's
// descriptor, without adding it to index.json.
Descriptor write_manifest(const ImageLayout& layout,
                          const std::vector<ImageLayer>& layers,
                          const ImageOptions& options = {});

// Writes a config and manifest for `layers`, adds the manifest to the
// index (under options.ref when given) and returns its descriptor.
Descriptor write_image(ImageLayout& layout,
                       const std::vector<ImageLayer>& layers,
                       const ImageOptions& options = {});

// Stores an image index that lists `entries` with their platforms and
// annotations, and returns its descriptor.
Descriptor write_index_blob(const ImageLayout& layout,
                            const std::vector<Descriptor>& entries);

// Appends `descriptor` to index.json with its platform and annotations,
// named `ref` when given.
void add_to_index(ImageLayout& layout, const Descriptor& descriptor,
                  const std::optional<std::string>& ref = {});

// Opens the image an oci: reference names, as get does for a layout
// directory: the index.json entry the ref selects, then `platform` below it.
SourceImage open_image(const std::string& reference,
                       const std::optional<Platform>& platform = {});

// Decompresses the blob at `blob_path` with the gzip or zstd program (or
// copies it) into `output_path`.
void decompress_blob(const std::string& blob_path,
                     media_type::Compression compression,
                     const std::string& output_path);

// Returns the sha256 digest of a file as sha256sum prints it.
std::string sha256sum_of(const std::string& path);

// Returns every problem found in the layout at `path`: documents that do
// not parse, blobs that are missing or do not match their descriptors,
// diff IDs that differ from the decompressed layers, and stray files.
std::vector<std::string> validate_layout(const std::string& path);

// Joins problems one per line, for a failure message.
std::string join_lines(const std::vector<std::string>& lines);

} // namespace ocicap::test
