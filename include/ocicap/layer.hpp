// Layer blobs: tar archives, compressed with gzip or zstd or not at all, as
// the OCI image-spec's layer.md describes. Reading and writing both go
// through libarchive; its tar reader understands ustar, GNU and PAX headers
// (SCHILY.xattr.* and LIBARCHIVE.xattr.* records become extended attributes).
//
// The writer emits PAX archives whose extended attributes are
// SCHILY.xattr.NAME records only, the form containerd, Docker and Go's
// archive/tar read. It computes the blob digest (compressed) and the diff ID
// (uncompressed) in the same pass that writes the blob.
#pragma once

#include "ocicap/descriptor.hpp"
#include "ocicap/error.hpp"
#include "ocicap/file.hpp"
#include "ocicap/image_layout.hpp"
#include "ocicap/media_type.hpp"

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <sys/types.h>
#include <vector>

struct archive;
struct archive_entry;

namespace ocicap {

class Compressor;
class LayerStream;

enum class EntryType {
  regular,
  directory,
  symlink,
  hardlink,
  character_device,
  block_device,
  fifo,
  other,
};

std::string_view entry_type_name(EntryType type);

// Returns the version details of the libarchive in use.
std::string libarchive_version();

using Xattr = std::pair<std::string, std::string>;

// One tar entry's header: name, type, ownership, times, extended attributes.
// Owns a libarchive entry, so it can be written to a new layer unchanged
// apart from what the setters change.
class TarEntry {
public:
  TarEntry();
  explicit TarEntry(archive_entry* entry);
  TarEntry(const TarEntry& other);
  TarEntry& operator=(const TarEntry& other);
  TarEntry(TarEntry&& other) noexcept;
  TarEntry& operator=(TarEntry&& other) noexcept;
  ~TarEntry();

  // Refers to `entry` without copying it: the result is valid while
  // `entry` is, and a copy of the result is a copy of the entry. A reader
  // gives each header it reads this way, since most are looked at once.
  static TarEntry view(archive_entry* entry);

  // A directory entry with the given permission bits, owned by root.
  static TarEntry directory(const std::string& path, unsigned mode,
                            std::int64_t mtime);

  // The name as stored in the archive.
  std::string name() const;
  EntryType type() const;
  std::int64_t size() const;
  unsigned mode() const;
  std::int64_t uid() const;
  std::int64_t gid() const;
  // The symlink target, or the hard-link target's name, as stored.
  std::string link_target() const;

  // Extended attributes in archive order, one per name (the last wins).
  std::vector<Xattr> xattrs() const;
  std::optional<std::string> xattr(std::string_view name) const;

  void set_name(const std::string& name);
  // Adds or replaces one extended attribute; `value` may contain NUL bytes.
  void set_xattr(const std::string& name, const std::string& value);
  void remove_xattr(const std::string& name);
  // Turns a hard-link entry into a regular file of `size` bytes.
  void make_regular_file(std::int64_t size);
  // Turns the entry into a hard link to `target`, an earlier entry of the
  // same archive: no content and, as GNU tar writes it, no extended
  // attributes, which belong to the target's inode.
  void make_hard_link(const std::string& target);

  archive_entry* get() const { return entry_; }

private:
  TarEntry(archive_entry* entry, bool owned);
  void replace_xattrs(const std::vector<Xattr>& xattrs);
  archive_entry* entry_;
  // Whether entry_ is freed with this object: false for a view().
  bool owned_ = true;
};

// A layer of an image: the blob's descriptor and the config's diff ID.
struct ImageLayer {
  Descriptor descriptor;
  Digest diff_id;
};

// Receiver of the progress of layer reads, for a display on a terminal.
// LayerReader calls it on the thread that reads the layer, after every
// chunk of about 256 KiB of uncompressed data, so it must be cheap. Several
// layers may be read at once, on different threads.
class ReadProgress {
public:
  virtual ~ReadProgress() = default;
  // Reports that `bytes_read` of the blob's descriptor.size bytes have been
  // read by the read `read`, a token that distinguishes concurrent reads.
  virtual void layer_progress(const void* read, const Descriptor& descriptor,
                              std::int64_t bytes_read) = 0;
  // The read `read` has ended, whether or not it reached the blob's end.
  virtual void layer_closed(const void* read) = 0;
};

// Installs `progress` for the LayerReaders created afterwards; nullptr
// removes it. The command line installs one before it runs a command.
void set_read_progress(ReadProgress* progress);

// Makes the LayerReaders created afterwards check each compressed layer
// against its diff ID, or stops them doing so; off until called. A plain
// tar layer is always checked, at no cost when its diff ID is its digest,
// and so is every compressed layer of a docker save archive (see
// ImageLayout::mark_docker_archive). A plain layer of a docker save archive
// is checked only when this is on: it is read by seeking, not hashed.
//
// The check hashes the uncompressed stream with sha256, which costs a third
// more CPU for typical gzip layers and more for layers that inflate faster.
// It adds no check of what the blob contains, because the digest, always
// checked, already fixes every byte of the blob. It finds a config whose
// diff ID does not describe the layer, an image that containerd rejects
// when it unpacks the layer.
void set_diff_id_check(bool enabled);
bool diff_id_check_enabled();

// Streams the entries of one layer blob. A worker thread reads, hashes and
// decompresses the blob (see LayerStream) while this object hashes the
// uncompressed stream for the diff ID when set_diff_id_check() turned the
// check on, and parses the tar. finish() reads to the end of the stream, so gzip's
// CRC and length trailer and zstd's checksum are checked, then checks the
// blob's size and digest, and the diff ID when asked to.
// finish_blob_only() stops decompressing and checks the blob's size and
// digest only.
//
// A plain layer of a docker save archive whose digest is its diff ID, taken
// from the config unchecked, is read differently when the diff ID check is
// off: by position on the calling thread, skipping the content of entries
// that are not read, and without any hashing. Its headers and the files
// read are then not checked against a digest. docker load and skopeo check
// every layer's diff ID when they load the archive that ocicap writes, and
// --verify-diff-ids makes ocicap check it too.
class LayerReader {
public:
  LayerReader(const ImageLayout& layout, const ImageLayer& layer);
  LayerReader(const LayerReader&) = delete;
  LayerReader& operator=(const LayerReader&) = delete;
  ~LayerReader();

  // Advances to the next entry; false at the end of the archive.
  bool next();
  const TarEntry& entry() const { return entry_; }

  // Streams the current entry's content to `sink` (holes of sparse files
  // as zeros).
  void read_data(const std::function<void(std::string_view)>& sink);

  // Reads the rest of the blob and checks its digest and size, and the
  // diff ID when the check is on.
  void finish();

  // Stops reading entries, hashes the rest of the blob without
  // decompressing it, and checks its digest and size. The diff ID and the
  // compression's own checks of the unread part (gzip trailer, zstd
  // checksum) are not checked: the digest in the manifest already pins
  // every byte of the blob, so what goes unchecked is that the config's
  // diff ID matches the blob and that the compressor framed it correctly.
  void finish_blob_only();

  // Compressed bytes read so far.
  std::int64_t compressed_bytes_read() const;

  // Makes every later read throw Error, without the digest check, once
  // `*stop` is true: a caller reading layers ahead of need drops the ones
  // it turns out not to need. The flag must outlive the reader.
  void set_stop_flag(const std::atomic<bool>* stop) { stop_ = stop; }

private:
  static ssize_t read_uncompressed(archive* archive, void* self,
                                   const void** buffer);
  static std::int64_t skip_unread(archive* archive, void* self,
                                  std::int64_t request);
  std::string_view decompress();
  std::string_view read_positioned();
  void check_stop();
  [[noreturn]] void throw_archive_error(archive* which,
                                        const std::string& action);
  [[noreturn]] void throw_after_digest_check(const std::string& message);
  [[noreturn]] void throw_wrong_diff_id(const Digest& actual) const;
  void verify_blob();

  void report_progress();

  ImageLayer layer_;
  std::string label_;
  ReadProgress* progress_;
  Hasher diff_id_hasher_;
  // Whether the uncompressed stream is hashed to check the diff ID (see the
  // constructor for when).
  bool hash_diff_id_ = false;
  // Whether the blob's digest is the config's diff ID, taken unchecked for
  // a plain layer of a docker save archive.
  bool digest_is_diff_id_ = false;
  std::vector<char> data_buffer_;
  // The blob flows through `stream_`, then through this object, where it
  // is hashed for the diff ID, on its way to libarchive's `tar_`.
  std::unique_ptr<LayerStream> stream_;
  // In place of `stream_` for a layer read by seeking: the blob and the
  // position in it of the next read, and the buffer libarchive reads from.
  std::optional<BlobFile> seek_blob_;
  std::vector<char> seek_buffer_;
  std::int64_t seek_position_ = 0;
  archive* tar_ = nullptr;
  // The current header, a view of libarchive's entry (see TarEntry::view),
  // and the name of the one before it.
  TarEntry entry_;
  std::string last_name_;
  std::optional<Error> callback_error_;
  bool finished_ = false;
  const std::atomic<bool>* stop_ = nullptr;
  bool stopped_ = false;
};

// Digests of a finished layer blob.
struct LayerDigests {
  Digest digest;
  std::int64_t size;
  Digest diff_id;
};

// Writes a new layer blob: a PAX tar stream, hashed for the diff ID,
// compressed, hashed again for the digest, and stored through `blob`.
class LayerWriter {
public:
  LayerWriter(BlobWriter& blob, media_type::Compression compression);
  LayerWriter(const LayerWriter&) = delete;
  LayerWriter& operator=(const LayerWriter&) = delete;
  ~LayerWriter();

  // Writes an entry that has no content (directory, symlink, hard link).
  void write_entry(const TarEntry& entry);

  // Writes a regular file whose content is the whole of `content_fd`, which
  // must contain exactly entry.size() bytes.
  void write_file(const TarEntry& entry, int content_fd);

  // Closes the archive and returns the digests; the blob is not committed.
  LayerDigests finish();

private:
  static ssize_t write_tar_callback(archive* archive, void* self,
                                      const void* buffer, std::size_t size);
  void check(int status, archive* which, const std::string& action);

  BlobWriter& blob_;
  Hasher diff_id_hasher_;
  // Compresses the tar stream into `blob_` (see compressor.hpp).
  std::unique_ptr<Compressor> compressor_;
  archive* tar_ = nullptr;
  std::optional<Error> callback_error_;
};

} // namespace ocicap
