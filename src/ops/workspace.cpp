#include "workspace.hpp"

#include "ocicap/archive_io.hpp"
#include "ocicap/error.hpp"
#include "ocicap/file.hpp"
#include "ocicap/layer.hpp"
#include "ocicap/mutate.hpp"
#include "ocicap/ops.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace ocicap {
namespace {

constexpr unsigned char gzip_magic[] = {0x1f, 0x8b};

// Files of an archive read in place from this size on stay in the archive:
// the layers, and none of the documents the workspace reads as files.
constexpr std::int64_t in_place_size = 1 << 20;

bool has_gzip_magic(const char* head, std::size_t size) {
  return size == 2 && static_cast<unsigned char>(head[0]) == gzip_magic[0] &&
         static_cast<unsigned char>(head[1]) == gzip_magic[1];
}

std::string make_temporary_directory() {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string pattern = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") +
                        "/ocicap-archive-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) {
    throw_errno("cannot create a temporary directory for " +
                    parent_directory(pattern) +
                    " (set TMPDIR to a writable directory)",
                errno);
  }
  return name.data();
}

bool is_gzip_file(const std::string& path) {
  FileDescriptor fd = open_for_reading(path);
  char head[2] = {};
  return has_gzip_magic(head, read_fully(fd.get(), head, sizeof head, path));
}

// Hashes `size` bytes at `offset` of `fd` with sha256.
Digest digest_of_range(int fd, std::int64_t offset, std::int64_t size,
                       const std::string& name) {
  Hasher hasher;
  std::vector<char> buffer(1 << 20);
  while (size > 0) {
    std::size_t wanted = static_cast<std::size_t>(
        std::min<std::int64_t>(size, static_cast<std::int64_t>(
                                         buffer.size())));
    std::size_t n = read_fully_at(fd, buffer.data(), wanted, offset, name);
    if (n == 0) {
      throw Error("cannot read " + name + ": the archive ends inside it");
    }
    hasher.update(std::string_view(buffer.data(), n));
    offset += static_cast<std::int64_t>(n);
    size -= static_cast<std::int64_t>(n);
  }
  return hasher.finish();
}

// Strips the default registry and namespace docker adds to short names.
std::string short_image_name(std::string name) {
  for (std::string_view prefix : {"docker.io/library/", "docker.io/"}) {
    if (name.starts_with(prefix)) {
      return name.substr(prefix.size());
    }
  }
  return name;
}

std::string list_tags(const std::vector<DockerArchiveImage>& images) {
  std::string tags;
  for (const DockerArchiveImage& image : images) {
    for (const std::string& tag : image.repo_tags) {
      tags += (tags.empty() ? "" : ", ") + tag;
    }
  }
  return tags.empty() ? "none" : tags;
}

// Returns the image manifests below `descriptor` in index order, without
// attestation manifests.
std::vector<Descriptor> image_manifests(const ImageLayout& layout,
                                        const Descriptor& descriptor) {
  if (!media_type::is_index(descriptor.media_type)) {
    return {descriptor};
  }
  ImageIndex index = ImageIndex::parse(layout.read_document(descriptor),
                                       "index " + descriptor.digest.string());
  std::vector<Descriptor> result;
  for (const Descriptor& entry : index.manifests()) {
    if (entry.is_attestation()) {
      continue;
    }
    std::vector<Descriptor> below = image_manifests(layout, entry);
    result.insert(result.end(), below.begin(), below.end());
  }
  return result;
}

Digest config_of(const ImageLayout& layout, const Descriptor& manifest) {
  return Manifest::parse(layout.read_document(manifest), manifest.media_type,
                         "manifest " + manifest.digest.string())
      .config()
      .digest;
}

// Returns the name Docker records in io.containerd.image.name: a short
// name gets docker.io/library/ or docker.io/ in front.
std::string full_image_name(const std::string& name) {
  std::size_t slash = name.find('/');
  if (slash == std::string::npos) {
    return "docker.io/library/" + name;
  }
  std::string first = name.substr(0, slash);
  bool is_registry = first.find('.') != std::string::npos ||
                     first.find(':') != std::string::npos ||
                     first == "localhost";
  return is_registry ? name : "docker.io/" + name;
}

// Returns SOURCE_DATE_EPOCH, checked as for the new layer, or 0 when it
// is unset.
std::int64_t archive_mtime() {
  std::optional<BuildTime> time = build_time_from_environment();
  return time ? time->seconds : 0;
}

} // namespace

Workspace::Workspace(const ImageReference& reference,
                     ArchiveLayerDigests layer_digests)
    : reference_(reference), transport_(reference.transport),
      layer_digests_(layer_digests) {
  if (transport_ == Transport::detect && !reference.is_stream() &&
      is_directory(reference.path)) {
    if (!ImageLayout::is_layout(reference.path)) {
      throw Error(reference.path + " is a directory but not an OCI image "
                                   "layout: it has no oci-layout file");
    }
    transport_ = Transport::oci;
  }
  if (transport_ == Transport::oci) {
    layout_path_ = reference.path;
    return;
  }
  if (!reference.is_stream() && !path_exists(reference.path)) {
    throw Error("image " + reference.string() +
                " not found: no such file or directory");
  }
  if (!reference.is_stream() && is_directory(reference.path)) {
    throw Error(reference.path + " is a directory, not an image archive" +
                (ImageLayout::is_layout(reference.path)
                     ? ": it is an OCI image layout, so name it oci:" +
                           reference.path
                     : std::string(": name an archive file, or an image "
                                   "layout as oci:DIR")));
  }
  temporary_directory_ = make_temporary_directory();
  temporary_cleanup_.emplace(temporary_directory_, true);
  try {
    unpack(reference);
  } catch (...) {
    std::error_code error;
    std::filesystem::remove_all(temporary_directory_, error);
    throw;
  }
}

Workspace::~Workspace() {
  if (!temporary_directory_.empty()) {
    std::error_code error;
    std::filesystem::remove_all(temporary_directory_, error);
  }
}

void Workspace::unpack(const ImageReference& reference) {
  archive_directory_ = temporary_directory_ + "/archive";
  make_directories(archive_directory_);
  std::string label = reference.is_stream() ? "standard input"
                                            : reference.path;
  ExtractedArchive extracted;
  FileDescriptor input;
  if (reference.is_stream()) {
    int fd = ::fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      throw_errno("cannot read standard input", errno);
    }
    input = FileDescriptor(fd);
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
      throw Error("standard input is a directory, not an image archive: "
                  "redirect an archive file, or name a layout as oci:DIR");
    }
  } else {
    input = open_for_reading(reference.path);
  }
  extracted = extract_archive(input.get(), archive_directory_, label,
                              in_place_size);
  links_ = extracted.links;
  compression_ = extracted.compression;
  if (extracted.in_place) {
    archive_file_ = std::make_shared<const FileDescriptor>(std::move(input));
    archive_label_ = label;
    members_ = std::move(extracted.members);
    unextracted_ = std::move(extracted.unextracted);
  }
  bool has_docker = archive_has("manifest.json");
  bool has_oci = path_exists(archive_directory_ + "/oci-layout") &&
                 path_exists(archive_directory_ + "/index.json");
  if (transport_ == Transport::detect) {
    if (!has_docker && !has_oci) {
      std::string names;
      for (const std::string& name : extracted.sample_names) {
        names += (names.empty() ? "" : ", ") + quote(name);
      }
      throw Error("cannot tell what kind of image archive " + label +
                  " is: it has neither manifest.json (docker save) nor "
                  "oci-layout and index.json (an OCI archive); it contains " +
                  (names.empty() ? std::string("no entries") : names));
    }
    transport_ = has_docker ? Transport::docker_archive
                            : Transport::oci_archive;
  }
  if (transport_ == Transport::oci_archive) {
    if (!has_oci) {
      throw Error(label + " is not an OCI archive: it lacks oci-layout or "
                          "index.json" +
                  (has_docker ? "; it is a docker save archive, so name it "
                                "docker-archive:" + reference.path
                              : std::string("")));
    }
    layout_path_ = archive_directory_;
    add_layout_blob_ranges();
    if (has_docker) {
      // A Docker 25 archive named as an OCI archive: its manifest.json,
      // which docker load reads, must follow the change too. One that
      // does not parse was of no use to docker load before either.
      try {
        docker_manifest_ = DockerArchiveManifest::parse(
            read_archive_document("manifest.json"), "manifest.json");
      } catch (const Error&) {
      }
    }
    record_extracted_identities();
    return;
  }
  if (!has_docker) {
    throw Error(label + " is not a docker save archive: it lacks "
                        "manifest.json" +
                (has_oci ? "; it is an OCI archive, so name it oci-archive:" +
                               reference.path
                         : std::string("")));
  }
  open_docker_archive();
  record_extracted_identities();
}

void Workspace::open_docker_archive() {
  docker_manifest_ = DockerArchiveManifest::parse(
      read_archive_document("manifest.json"), "manifest.json");
  for (const DockerArchiveImage& image : docker_manifest_->images()) {
    std::vector<std::string> paths = image.layers;
    paths.push_back(image.config);
    for (const std::string& path : paths) {
      if (!archive_has(path)) {
        throw Error("manifest.json names " + quote(path) +
                    ", which the archive does not contain");
      }
    }
    if (layer_digests_ == ArchiveLayerDigests::from_diff_ids) {
      take_diff_ids_as_digests(image);
    }
    for (const std::string& path : paths) {
      blob_paths_[archive_file_digest(path).string()] = path;
    }
  }
  classic_docker_ = !ImageLayout::is_layout(archive_directory_);
  if (classic_docker_) {
    build_classic_layout();
  } else {
    layout_path_ = archive_directory_;
    add_layout_blob_ranges();
  }
}

// Gives the layout of an OCI or Docker 25 archive the blobs left in it.
void Workspace::add_layout_blob_ranges() {
  for (const auto& [path, member] : unextracted_) {
    constexpr std::string_view prefix = "blobs/";
    std::size_t slash = path.find('/', prefix.size());
    if (!path.starts_with(prefix) || slash == std::string::npos) {
      continue;
    }
    try {
      add_blob_range(path,
                     Digest::parse(path.substr(prefix.size(),
                                               slash - prefix.size()) +
                                   ":" + path.substr(slash + 1)));
    } catch (const Error&) {
      // Not a blob name: the layout does not read this file.
    }
  }
}

void Workspace::add_blob_range(const std::string& path, const Digest& digest) {
  const ArchiveMember* member = unextracted(path);
  (*blob_ranges_)[digest.string()] =
      BlobRange{.file = archive_file_,
                .offset = member->data_offset,
                .size = member->size,
                .name = member_name(path)};
}

void Workspace::record_extracted_identities() {
  if (!archive_file_) {
    return;
  }
  for (const auto& [path, member] : members_) {
    if (member.directory || unextracted_.contains(path)) {
      continue;
    }
    if (std::optional<FileIdentity> identity =
            file_identity(archive_directory_ + "/" + path)) {
      extracted_identities_[path] = *identity;
    }
  }
}

const ArchiveMember* Workspace::unextracted(const std::string& path) const {
  auto found = unextracted_.find(path);
  return found == unextracted_.end() ? nullptr : &found->second;
}

std::string Workspace::member_name(const std::string& path) const {
  return quote(path) + " in archive " + archive_label_;
}

bool Workspace::archive_has(const std::string& path) const {
  return unextracted(path) != nullptr ||
         path_exists(archive_directory_ + "/" + path);
}

std::int64_t Workspace::archive_file_size(const std::string& path) const {
  if (const ArchiveMember* member = unextracted(path)) {
    return member->size;
  }
  return file_size(archive_directory_ + "/" + path);
}

bool Workspace::archive_file_is_gzip(const std::string& path) const {
  if (const ArchiveMember* member = unextracted(path)) {
    char head[2] = {};
    std::size_t wanted = member->size < 2 ? 0 : 2;
    return has_gzip_magic(
        head, read_fully_at(archive_file_->get(), head, wanted,
                            member->data_offset, member_name(path)));
  }
  return is_gzip_file(archive_directory_ + "/" + path);
}

std::string Workspace::read_archive_document(const std::string& path) const {
  const ArchiveMember* member = unextracted(path);
  if (member == nullptr) {
    return read_small_file(archive_directory_ + "/" + path,
                           max_document_size);
  }
  if (member->size > static_cast<std::int64_t>(max_document_size)) {
    throw Error(member_name(path) + " has " + std::to_string(member->size) +
                " bytes, more than the " + std::to_string(max_document_size) +
                " allowed for a JSON document");
  }
  std::string data(static_cast<std::size_t>(member->size), '\0');
  data.resize(read_fully_at(archive_file_->get(), data.data(), data.size(),
                            member->data_offset, member_name(path)));
  return data;
}

ImageLayout Workspace::open_layout() const {
  ImageLayout layout = ImageLayout::open(layout_path_);
  if (transport_ != Transport::oci) {
    // The layout is in the temporary directory.
    layout.skip_syncs();
  }
  if (!blob_ranges_->empty()) {
    layout.set_blob_ranges(blob_ranges_);
  }
  if (classic_docker_) {
    layout.mark_docker_archive();
  }
  return layout;
}

// The config's diff IDs name the uncompressed layers in manifest.json
// order. A gzip layer, a sha512 diff ID or a config that cannot be parsed
// leaves the layers to be hashed.
void Workspace::take_diff_ids_as_digests(const DockerArchiveImage& image) {
  std::vector<Digest> diff_ids;
  try {
    diff_ids =
        ImageConfig::parse(read_archive_document(image.config), image.config)
            .diff_ids();
  } catch (const Error&) {
    return;
  }
  if (diff_ids.size() != image.layers.size()) {
    return;
  }
  for (std::size_t i = 0; i < diff_ids.size(); ++i) {
    const std::string& path = image.layers[i];
    if (diff_ids[i].algorithm() != DigestAlgorithm::sha256 ||
        file_digests_.contains(path) || archive_file_is_gzip(path)) {
      continue;
    }
    file_digests_.emplace(path, diff_ids[i]);
  }
}

Digest Workspace::archive_file_digest(const std::string& path) const {
  constexpr std::string_view prefix = "blobs/sha256/";
  if (path.starts_with(prefix)) {
    try {
      return Digest::parse("sha256:" + path.substr(prefix.size()));
    } catch (const Error&) {
    }
  }
  return extracted_file_digest(path);
}

Digest Workspace::extracted_file_digest(const std::string& path) const {
  auto found = file_digests_.find(path);
  if (found != file_digests_.end()) {
    return found->second;
  }
  const ArchiveMember* member = unextracted(path);
  Digest digest =
      member != nullptr
          ? digest_of_range(archive_file_->get(), member->data_offset,
                            member->size, member_name(path))
          : digest_of_file(archive_directory_ + "/" + path);
  return file_digests_.emplace(path, digest).first->second;
}

// Gives a classic archive an OCI image layout with Docker media types: one
// index entry per manifest.json image, in the same order.
void Workspace::build_classic_layout() {
  layout_path_ = temporary_directory_ + "/layout";
  ImageLayout layout = ImageLayout::create(layout_path_);
  layout.skip_syncs();
  ImageIndex index = ImageIndex::empty();
  auto add_blob = [&](const std::string& path, std::string type) {
    Descriptor descriptor{.media_type = std::move(type),
                          .digest = extracted_file_digest(path),
                          .size = archive_file_size(path)};
    if (unextracted(path) != nullptr) {
      add_blob_range(path, descriptor.digest);
    } else {
      layout.import_file(archive_directory_ + "/" + path, descriptor.digest);
    }
    return descriptor;
  };
  for (const DockerArchiveImage& image : docker_manifest_->images()) {
    Descriptor config =
        add_blob(image.config, std::string(media_type::docker_config));
    std::vector<Descriptor> layers;
    for (const std::string& path : image.layers) {
      bool gzip = archive_file_is_gzip(path);
      layers.push_back(add_blob(
          path, media_type::layer_type(media_type::Family::docker,
                                       gzip ? media_type::Compression::gzip
                                            : media_type::Compression::none)));
    }
    Manifest manifest =
        Manifest::create(media_type::docker_manifest, config, layers);
    index.append(layout.put_blob(manifest.serialize(),
                                 std::string(media_type::docker_manifest)));
  }
  layout.write_index(index);
}

std::size_t Workspace::select(const ImageLayout& layout) const {
  if (transport_ == Transport::docker_archive) {
    return select_docker_image(layout);
  }
  return select_index_entry(layout, reference_);
}

std::size_t Workspace::select_docker_image(const ImageLayout& layout) const {
  std::vector<DockerArchiveImage> images = docker_manifest_->images();
  std::optional<std::size_t> chosen;
  if (images.empty()) {
    throw Error("archive " + reference_.string() + " contains no image: "
                "its manifest.json lists none");
  }
  if (!reference_.ref) {
    if (images.size() != 1) {
      throw Error("archive " + reference_.path + " holds " +
                  std::to_string(images.size()) +
                  " images: name one as docker-archive:" + reference_.path +
                  ":NAME:TAG (tags: " + list_tags(images) + ")");
    }
    chosen = 0;
  }
  for (std::size_t i = 0; i < images.size() && !chosen; ++i) {
    for (const std::string& tag : images[i].repo_tags) {
      if (short_image_name(tag) == short_image_name(*reference_.ref)) {
        chosen = i;
      }
    }
  }
  if (!chosen) {
    throw Error("image " + *reference_.ref + " not found in archive " +
                reference_.path + " (tags: " + list_tags(images) + ")");
  }
  Digest config = archive_file_digest(images[*chosen].config);
  std::vector<Descriptor> entries = layout.index().manifests();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    // With Docker's containerd image store the entry is an image index,
    // and the config belongs to one of its platforms.
    for (const Descriptor& manifest : image_manifests(layout, entries[i])) {
      if (config_of(layout, manifest) == config) {
        return i;
      }
    }
  }
  throw Error("archive " + reference_.path + ": index.json has no image "
              "manifest with config " + config.string() +
              ", which manifest.json names");
}

std::string Workspace::archive_path_for(const Digest& digest, bool is_layer) {
  auto found = blob_paths_.find(digest.string());
  if (found != blob_paths_.end()) {
    return found->second;
  }
  std::string path = "blobs/sha256/" + digest.encoded();
  if (classic_docker_) {
    // The names docker save used before version 25.
    path = is_layer ? digest.encoded() + "/layer.tar"
                    : digest.encoded() + ".json";
    std::string target = archive_directory_ + "/" + path;
    make_directories(parent_directory(target));
    link_or_copy_file(layout_path_ + "/blobs/sha256/" + digest.encoded(),
                      target);
  }
  blob_paths_[digest.string()] = path;
  return path;
}

void Workspace::update_docker_manifest(std::size_t position,
                                       const Descriptor& old_top,
                                       const std::optional<std::string>& tag) {
  ImageLayout layout = open_layout();
  Descriptor new_top = layout.index().manifests()[position];
  // Old and new image manifests pair up by position: a rewrite retargets
  // index entries in place and drops only attestations.
  std::vector<Descriptor> old_manifests = image_manifests(layout, old_top);
  std::vector<Descriptor> new_manifests = image_manifests(layout, new_top);
  std::vector<DockerArchiveImage> images = docker_manifest_->images();
  for (std::size_t m = 0; m < old_manifests.size() && m < new_manifests.size();
       ++m) {
    Digest old_config = config_of(layout, old_manifests[m]);
    Manifest manifest =
        Manifest::parse(layout.read_document(new_manifests[m]),
                        new_manifests[m].media_type, "manifest");
    DockerArchiveImage updated{
        .config = archive_path_for(manifest.config().digest, false)};
    for (const Descriptor& layer : manifest.layers()) {
      updated.layers.push_back(archive_path_for(layer.digest, true));
    }
    for (std::size_t i = 0; i < images.size(); ++i) {
      if (archive_file_digest(images[i].config) == old_config) {
        updated.repo_tags = tag ? std::vector<std::string>{*tag}
                                : images[i].repo_tags;
        docker_manifest_->update(i, updated);
      }
    }
  }
  // The legacy `repositories` file still names the old top layer; docker
  // load and skopeo read manifest.json instead.
  write_file_atomically(archive_directory_ + "/manifest.json",
                        docker_manifest_->serialize());
}

// Keeps Docker 25's index.json in step with manifest.json: every entry that
// named the old image (one per tag) names the new one, and with --tag the
// chosen entry alone remains, annotated with the new name.
void Workspace::update_docker_index(std::size_t position,
                                    const Descriptor& old_top,
                                    const std::optional<std::string>& tag) {
  ImageLayout layout = open_layout();
  ImageIndex index = layout.index();
  std::vector<Descriptor> entries = index.manifests();
  const Descriptor& new_top = entries[position];
  for (std::size_t i = entries.size(); i-- > 0;) {
    if (i == position || entries[i].digest != old_top.digest) {
      continue;
    }
    if (tag) {
      index.remove(i);
    } else {
      index.retarget(i, new_top);
    }
  }
  if (tag) {
    std::size_t chosen = position;
    for (std::size_t i = 0; i < position; ++i) {
      chosen -= entries[i].digest == old_top.digest ? 1 : 0;
    }
    index.set_annotation(chosen, "io.containerd.image.name",
                         full_image_name(*tag));
    index.set_annotation(chosen, std::string(ref_name_annotation),
                         tag->substr(tag->rfind(':') + 1));
  }
  layout.write_index(index);
}

void Workspace::write_packed(PackOutput& output) const {
  std::vector<std::string> paths;
  for (const auto& item :
       std::filesystem::recursive_directory_iterator(archive_directory_)) {
    if (!item.is_regular_file()) {
      continue;
    }
    std::string path =
        std::filesystem::relative(item.path(), archive_directory_).string();
    if (item.path().filename().string().starts_with(".ocicap-tmp-")) {
      continue;
    }
    paths.push_back(path);
  }
  std::sort(paths.begin(), paths.end());
  if (archive_file_) {
    write_in_place_packed(output, paths);
    return;
  }
  write_archive(output.fd(), archive_directory_, paths, links_, compression_,
                archive_mtime(), output.name());
}

void Workspace::write_in_place_packed(
    PackOutput& output, const std::vector<std::string>& paths) const {
  std::set<std::string> link_names;
  for (const ArchiveLink& link : links_) {
    link_names.insert(link.name);
  }
  // A file the workspace added or replaced is written anew. Every other
  // file of the directory is an unchanged member, or a link member made a
  // hard link on disk, and is copied from the archive.
  std::vector<std::string> written;
  std::set<std::string> replaced;
  for (const std::string& path : paths) {
    auto recorded = extracted_identities_.find(path);
    bool unchanged = recorded != extracted_identities_.end() &&
                     file_identity(archive_directory_ + "/" + path) ==
                         recorded->second;
    if (unchanged || link_names.contains(path)) {
      continue;
    }
    written.push_back(path);
    replaced.insert(path);
  }
  // The members before the first replaced one may have been copied ahead.
  std::size_t first_replaced = 0;
  while (first_replaced < members_.size() &&
         !replaced.contains(members_[first_replaced].first)) {
    ++first_replaced;
  }
  std::size_t copied = output.keep_copied(first_replaced);
  std::set<std::string> directories;
  for (std::size_t i = 0; i < members_.size(); ++i) {
    const auto& [path, member] = members_[i];
    if (member.directory) {
      directories.insert(path);
    }
    if (i < copied || replaced.contains(path)) {
      continue;
    }
    output.copy(archive_file_->get(), member.header_offset,
                member.end_offset - member.header_offset, member_name(path));
  }
  // The tar writer adds the end-of-archive blocks after the new files.
  write_archive(output.fd(), archive_directory_, written, {},
                media_type::Compression::none, archive_mtime(), output.name(),
                directories);
}

void Workspace::prepare_pack(const std::string& target) {
  pack_output_ = std::make_unique<PackOutput>(target);
  if (!archive_file_) {
    return;
  }
  std::vector<ByteSpan> spans;
  for (const auto& [path, member] : members_) {
    spans.push_back(ByteSpan{.offset = member.header_offset,
                             .length = member.end_offset -
                                       member.header_offset});
  }
  // Plain layers of a classic archive are read by seeking, which takes
  // less time than the copy: see LayerReader and CoreReservation.
  bool seeking_reads = classic_docker_ && !diff_id_check_enabled();
  if (seeking_reads) {
    for (const DockerArchiveImage& image : docker_manifest_->images()) {
      for (const std::string& layer : image.layers) {
        seeking_reads = seeking_reads && !archive_file_is_gzip(layer);
      }
    }
  }
  pack_output_->copy_ahead(archive_file_, std::move(spans),
                           "archive " + archive_label_, seeking_reads);
}

void Workspace::pack(const std::string& target, std::size_t position,
                     const Descriptor& old_top,
                     const std::optional<std::string>& tag) {
  if (transport_ == Transport::oci) {
    throw Error("internal error: an image layout is not packed");
  }
  if (transport_ == Transport::docker_archive) {
    update_docker_manifest(position, old_top, tag);
    if (!classic_docker_) {
      update_docker_index(position, old_top, tag);
    }
  } else if (docker_manifest_) {
    // An OCI archive's --tag names an index.json ref, not RepoTags.
    update_docker_manifest(position, old_top, std::nullopt);
  }
  if (!pack_output_) {
    pack_output_ = std::make_unique<PackOutput>(target);
  }
  write_packed(*pack_output_);
  pack_output_->commit();
}

} // namespace ocicap
