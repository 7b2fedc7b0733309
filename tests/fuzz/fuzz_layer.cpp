// libFuzzer target for layer blobs: the input is stored as a layer of a
// scratch image layout and read the way `get -r` and `set` read layers.
// Compiled once per compression; OCICAP_FUZZ_COMPRESSION names it.
//
// The target runs, on every input:
//   1. scan_xattr over the layer, as `get -r` does, decoding each
//      security.capability value it finds;
//   2. PathResolver on the first entry names of the layer, with content,
//      as `set` does, which resolves hard links and whiteouts;
//   3. for each regular file found, a new layer written by LayerWriter
//      with the entry's header and content, read back and compared.
// The diff ID is computed from the input beforehand, so the reader's final
// check passes and the code after it runs too.
#include "layer/decompressor.hpp"
#include "ocicap/error.hpp"
#include "ocicap/image_layout.hpp"
#include "ocicap/image_path.hpp"
#include "ocicap/layer.hpp"
#include "ocicap/merged_view.hpp"
#include "ocicap/vfs_cap_data.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ocicap;

constexpr media_type::Compression compression =
    media_type::Compression::OCICAP_FUZZ_COMPRESSION;

// Names looked up in the merged view per input: enough to reach hard-link
// chains and ancestors without making each run slow.
constexpr std::size_t max_resolved_paths = 8;

// A layout under /dev/shm (or $TMPDIR), made once per process. Spool files
// go to the same directory.
const ImageLayout& scratch_layout() {
  static const ImageLayout layout = [] {
    std::string base = is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string pattern = base + "/ocicap-fuzz-XXXXXX";
    std::vector<char> name(pattern.begin(), pattern.end());
    name.push_back('\0');
    if (::mkdtemp(name.data()) == nullptr) {
      std::abort();
    }
    ::setenv("TMPDIR", name.data(), 1);
    // The diff ID check hashes the uncompressed stream, a path worth
    // fuzzing too.
    set_diff_id_check(true);
    return ImageLayout::create(name.data());
  }();
  return layout;
}

// Returns the diff ID of `blob`, or its digest when it does not decompress
// (the reader then fails before the diff ID check).
Digest uncompressed_digest(std::string_view blob) {
  Hasher hasher;
  try {
    bool consumed = false;
    auto decompressor = make_decompressor(compression, [&] {
      std::string_view chunk = consumed ? std::string_view() : blob;
      consumed = true;
      return chunk;
    });
    std::vector<char> buffer(64 << 10);
    while (std::size_t n = decompressor->read(buffer.data(), buffer.size())) {
      hasher.update(std::string_view(buffer.data(), n));
    }
  } catch (const Error&) {
    return digest_of(blob);
  }
  return hasher.finish();
}

ImageLayer store_layer(const ImageLayout& layout, std::string_view blob) {
  Descriptor descriptor{
      .media_type = media_type::layer_type(media_type::Family::oci,
                                           compression),
      .digest = digest_of(blob),
      .size = static_cast<std::int64_t>(blob.size())};
  write_file_atomically(layout.blob_path(descriptor.digest), blob);
  return ImageLayer{descriptor, uncompressed_digest(blob)};
}

void scan_capabilities(const ImageLayout& layout, const ImageLayer& layer) {
  for (const XattrMatch& match :
       scan_xattr(layout, {layer}, std::string(capability_xattr_name))) {
    try {
      (void)format_capability_text(decode_vfs_cap_data(match.value));
    } catch (const Error&) {
    }
  }
}

std::vector<std::string> first_entry_names(const ImageLayout& layout,
                                           const ImageLayer& layer) {
  std::vector<std::string> names;
  LayerReader reader(layout, layer);
  while (names.size() < max_resolved_paths && reader.next()) {
    std::string name = normalize_image_path(reader.entry().name());
    if (!name.empty()) {
      names.push_back(name);
    }
  }
  return names;
}

std::int64_t content_size(int fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    std::abort();
  }
  return st.st_size;
}

// Writes `state`'s file with a capability into a new layer, as
// change_image does, then reads the layer back and checks the result.
void rewrite_file(ImageLayout& layout, const std::string& path,
                  const PathState& state) {
  const std::string capability =
      encode_vfs_cap_data({.permitted = 1u << 14, .effective = true});
  TarEntry entry = state.entry;
  entry.set_name(path);
  entry.make_regular_file(content_size(state.content->get()));
  entry.set_xattr(std::string(capability_xattr_name), capability);

  std::unique_ptr<BlobWriter> blob = layout.write_blob();
  LayerWriter writer(*blob, compression);
  writer.write_file(entry, state.content->get());
  LayerDigests digests = writer.finish();
  Descriptor descriptor{
      .media_type = media_type::layer_type(media_type::Family::oci,
                                           compression),
      .digest = blob->commit(),
      .size = digests.size};

  LayerReader reader(layout, {descriptor, digests.diff_id});
  if (!reader.next() || normalize_image_path(reader.entry().name()) != path ||
      reader.entry().xattr(capability_xattr_name) != capability ||
      reader.entry().size() != entry.size() || reader.next()) {
    std::abort();
  }
  reader.finish();
}

void resolve_and_rewrite(ImageLayout& layout, const ImageLayer& layer) {
  std::vector<std::string> paths = first_entry_names(layout, layer);
  PathResolver resolver(layout, {layer}, paths, paths);
  resolver.run();
  for (const std::string& path : paths) {
    const PathState& state = resolver.state(path);
    if (state.status == PathState::Status::found &&
        state.entry.type() == EntryType::regular && state.content) {
      rewrite_file(layout, path, state);
    }
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view blob(reinterpret_cast<const char*>(data), size);
  ImageLayout layout = scratch_layout();
  ImageLayer layer = store_layer(layout, blob);
  try {
    scan_capabilities(layout, layer);
  } catch (const Error&) {
  }
  try {
    resolve_and_rewrite(layout, layer);
  } catch (const Error&) {
  }
  layout.remove_new_blobs();
  ::unlink(layout.blob_path(layer.descriptor.digest).c_str());
  return 0;
}
