// An image reference turned into an OCI image layout that the change and
// get code work on. A layout directory is used as it is. An archive is
// unpacked into a temporary directory, which is removed afterwards: an OCI
// archive or a Docker 25+ archive already holds a layout, and a classic
// `docker save` archive is given one whose blobs are hard links to its
// files. pack() writes the layout back as an archive of the input's kind.
//
// A plain tar archive in a regular file, standard input included, is read
// in place: its files of 1 MiB or more, the layers, stay in it and the
// layout reads them as blob ranges. pack() then copies every member it did
// not change from the input, headers included, and adds the new files.
#pragma once

#include "ocicap/archive_io.hpp"
#include "ocicap/docker_archive_manifest.hpp"
#include "ocicap/image_layout.hpp"
#include "ocicap/image_reference.hpp"
#include "ocicap/interrupt.hpp"

#include "pack_output.hpp"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ocicap {

// The source of the digests of a classic docker-archive's uncompressed
// layers, since its manifest.json names layer files, not digests.
enum class ArchiveLayerDigests {
  // Hash each layer file while the workspace is set up.
  hashed,
  // Take the config's diff ID, which is the sha256 of the same bytes,
  // unchecked: LayerReader checks it only under --verify-diff-ids (see
  // ImageLayout::mark_docker_archive). A run that copies blobs into
  // another layout, which names blobs by digest, must not use this.
  from_diff_ids,
};

class Workspace {
public:
  // Opens or unpacks `reference`; throws Error naming what was seen when
  // the kind cannot be detected or the content is invalid.
  explicit Workspace(
      const ImageReference& reference,
      ArchiveLayerDigests layer_digests = ArchiveLayerDigests::hashed);
  Workspace(const Workspace&) = delete;
  Workspace& operator=(const Workspace&) = delete;
  ~Workspace();

  // The kind of the input, after detection.
  Transport transport() const { return transport_; }
  const std::string& layout_path() const { return layout_path_; }

  // Opens the layout, with the blobs left in the archive.
  ImageLayout open_layout() const;

  // Returns the index.json position of the image the reference names.
  std::size_t select(const ImageLayout& layout) const;

  // Writes the layout as an archive of the input's kind to `target` ("-"
  // for standard output), replacing a file atomically. For docker-archive
  // the manifest.json entry of the image at `position`, which was
  // `old_top`, is pointed at its new config and layers; `tag` replaces its
  // RepoTags.
  void pack(const std::string& target, std::size_t position,
            const Descriptor& old_top, const std::optional<std::string>& tag);

  // Opens the file pack() writes to `target` before the run reads the
  // layers. For an archive read in place, the archive's members start
  // being copied to it at once (see PackOutput).
  void prepare_pack(const std::string& target);

private:
  void unpack(const ImageReference& reference);
  void open_docker_archive();
  void take_diff_ids_as_digests(const DockerArchiveImage& image);
  void build_classic_layout();
  std::size_t select_docker_image(const ImageLayout& layout) const;
  void update_docker_manifest(std::size_t position, const Descriptor& old_top,
                              const std::optional<std::string>& tag);
  void update_docker_index(std::size_t position, const Descriptor& old_top,
                           const std::optional<std::string>& tag);
  std::string archive_path_for(const Digest& digest, bool is_layer);
  // Returns the digest a `blobs/sha256/HEX` path names, or else the file's
  // sha256 from extracted_file_digest().
  Digest archive_file_digest(const std::string& path) const;
  // Returns the digest of an extracted file from file_digests_, hashing
  // the file on the first call when it has none there: a layer of a
  // classic archive is large and needed several times.
  Digest extracted_file_digest(const std::string& path) const;
  void write_packed(PackOutput& output) const;
  // Writes the archive read in place: its unchanged members, then the
  // files the workspace added or replaced.
  void write_in_place_packed(PackOutput& output,
                             const std::vector<std::string>& paths) const;
  // Whether the archive has a file at `path`, extracted or left in place.
  bool archive_has(const std::string& path) const;
  std::int64_t archive_file_size(const std::string& path) const;
  bool archive_file_is_gzip(const std::string& path) const;
  std::string read_archive_document(const std::string& path) const;
  // Returns the member of the archive at `path` left in place, or null.
  const ArchiveMember* unextracted(const std::string& path) const;
  // Names a member left in place in messages.
  std::string member_name(const std::string& path) const;
  void add_blob_range(const std::string& path, const Digest& digest);
  void add_layout_blob_ranges();
  void record_extracted_identities();

  ImageReference reference_;
  Transport transport_;
  ArchiveLayerDigests layer_digests_;
  std::string temporary_directory_;
  std::optional<InterruptCleanup> temporary_cleanup_;
  // Where the archive's files were extracted.
  std::string archive_directory_;
  std::string layout_path_;
  bool classic_docker_ = false;
  std::optional<DockerArchiveManifest> docker_manifest_;
  std::vector<ArchiveLink> links_;
  media_type::Compression compression_ = media_type::Compression::none;
  // The digests of files of archive_directory_ by path: hashed, or taken
  // from a diff ID. They are layers and configs, which the workspace never
  // rewrites, so a digest stays valid.
  mutable std::map<std::string, Digest> file_digests_;
  // For docker-archive: the archive path of each blob the archive names.
  std::map<std::string, std::string> blob_paths_;

  // For an archive read in place: the archive file, its members in order,
  // the files left in it, and the blob ranges the layout reads. The
  // identity of each extracted file shows pack() whether it was replaced.
  std::shared_ptr<const FileDescriptor> archive_file_;
  std::string archive_label_;
  std::vector<std::pair<std::string, ArchiveMember>> members_;
  std::map<std::string, ArchiveMember> unextracted_;
  std::shared_ptr<BlobRanges> blob_ranges_ = std::make_shared<BlobRanges>();
  std::map<std::string, FileIdentity> extracted_identities_;
  std::unique_ptr<PackOutput> pack_output_;
};

} // namespace ocicap
