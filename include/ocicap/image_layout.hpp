// OCI image layouts (image-spec image-layout.md): an `oci-layout` file with
// {"imageLayoutVersion": "1.0.0"}, an index.json and content-addressed
// blobs under blobs/ALGORITHM/ENCODED.
//
// Every blob read is checked against its descriptor's size and digest while
// it streams. Every write goes to a temporary file that is renamed into
// place, and index.json is replaced last, so a reader sees the old image or
// the new one, never a mix. Blobs are never modified or deleted.
#pragma once

#include "ocicap/descriptor.hpp"
#include "ocicap/documents.hpp"
#include "ocicap/file.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ocicap {

// Maximum size of index.json, a manifest or a config. Real ones are a few
// KiB; the cap keeps a hostile document from exhausting memory.
inline constexpr std::size_t max_document_size = 32 << 20;

class BlobWriter;

// A blob stored as a byte range of another file: a member of an image
// archive read in place instead of being extracted.
struct BlobRange {
  std::shared_ptr<const FileDescriptor> file;
  std::int64_t offset = 0;
  std::int64_t size = 0;
  // Names the range in messages, e.g. "blobs/sha256/HEX in archive X".
  std::string name;
};

// Blob ranges by digest string.
using BlobRanges = std::map<std::string, BlobRange>;

// An open blob: a whole file, or a range of one.
struct BlobFile {
  FileDescriptor fd;
  std::int64_t offset = 0;
  // The bytes of the blob from `offset`, or -1 for the rest of the file.
  std::int64_t length = -1;
  // Names the blob in messages: its path, or the range's name.
  std::string name;
};

class ImageLayout {
public:
  // Opens an existing layout; throws Error naming what is missing or invalid.
  static ImageLayout open(const std::string& path);

  // Creates the oci-layout file and blobs directory in `path` (made if
  // missing) and returns the layout with an empty index. index.json itself
  // is written by write_index().
  static ImageLayout create(const std::string& path);

  // Returns whether `path` contains an `oci-layout` file.
  static bool is_layout(const std::string& path);

  const std::string& path() const { return path_; }
  const ImageIndex& index() const { return index_; }

  // Marks the layout as made from a classic docker save archive, whose
  // manifest.json names layer files, not digests, so only the config's
  // diff IDs tie the layers to the config. Readers then check the diff ID
  // of every compressed layer, which they inflate whole anyway, whatever
  // set_diff_id_check() selected. A plain layer whose digest is its diff
  // ID is read by seeking past the content the reader does not need, and
  // is not hashed unless set_diff_id_check() turns the check on (see
  // LayerReader).
  void mark_docker_archive() { docker_archive_ = true; }
  bool is_docker_archive() const { return docker_archive_; }

  // Makes this object write blobs and index.json without fsync: for the
  // layout of a workspace, which is removed when the run ends.
  void skip_syncs() { sync_ = false; }

  // Makes the blobs of `ranges` part of the layout, read from their files
  // in place of blobs/ALGORITHM/ENCODED. Copies of this object share them.
  void set_blob_ranges(std::shared_ptr<const BlobRanges> ranges);

  std::string blob_path(const Digest& digest) const;
  bool has_blob(const Digest& digest) const;
  // Returns the size of the stored blob, or nullopt when it is missing.
  std::optional<std::int64_t> blob_size(const Digest& digest) const;

  // Reads a JSON blob whole, verified, up to max_document_size bytes.
  std::string read_document(const Descriptor& descriptor) const;

  // Opens a blob for streaming; throws Error naming the digest if missing.
  BlobFile open_blob(const Descriptor& descriptor) const;

  // Starts writing a blob of unknown digest.
  std::unique_ptr<BlobWriter> write_blob() const;

  // Writes `data` as a blob and returns its descriptor.
  Descriptor put_blob(std::string_view data, std::string media_type) const;

  // Makes `descriptor`'s blob from `source` available here, by hard link or
  // copy. Nothing happens when the blob is already present.
  void import_blob(const ImageLayout& source, const Descriptor& descriptor);

  // Adds the file at `path`, whose digest is `digest`, as a blob, by hard
  // link or copy.
  void import_file(const std::string& path, const Digest& digest);

  // Replaces index.json atomically.
  void write_index(const ImageIndex& index);

  // Checks that new files can be created in the layout, so a run fails
  // before its work instead of after.
  void check_writable() const;

  // Removes the blobs this object added, for a run that failed before
  // write_index(). Blobs that were present before are never removed.
  void remove_new_blobs();

private:
  const BlobRange* find_range(const Digest& digest) const;

  std::string path_;
  ImageIndex index_ = ImageIndex::empty();
  std::shared_ptr<const BlobRanges> ranges_;
  bool docker_archive_ = false;
  bool sync_ = true;
  std::shared_ptr<std::vector<std::string>> new_blobs_ =
      std::make_shared<std::vector<std::string>>();
};

// A blob being written: hashed and counted as it is written, renamed to its
// digest by commit(). Dropped without commit, it leaves nothing behind.
class BlobWriter {
public:
  // The blob is written to a temporary file in `temporary_directory`, on
  // the filesystem of `blobs_directory`, and renamed into it by commit().
  // Without `sync`, commit() does not sync (see AtomicFile::skip_sync).
  BlobWriter(std::string blobs_directory, const std::string& temporary_directory,
             std::shared_ptr<std::vector<std::string>> new_blobs,
             bool sync = true);

  void write(std::string_view data);
  std::int64_t size() const { return size_; }

  // Finishes hashing and returns the digest; no writes may follow.
  const Digest& digest();

  // Renames the blob to blobs/sha256/ENCODED and returns its digest.
  Digest commit();

private:
  std::string directory_;
  std::shared_ptr<std::vector<std::string>> new_blobs_;
  AtomicFile file_;
  Hasher hasher_;
  std::optional<Digest> digest_;
  std::int64_t size_ = 0;
};

} // namespace ocicap
