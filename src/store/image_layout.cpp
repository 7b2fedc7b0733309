#include "ocicap/image_layout.hpp"

#include "ocicap/error.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace ocicap {
namespace {

constexpr std::string_view layout_file_content =
    "{\"imageLayoutVersion\":\"1.0.0\"}";

void check_layout_file(const std::string& path) {
  std::string layout_file = path + "/oci-layout";
  if (!path_exists(layout_file)) {
    throw Error(path + " is not an OCI image layout: " + layout_file +
                " is missing");
  }
  std::string content = read_small_file(layout_file, 4096);
  // The version is matched textually so that this module needs no JSON
  // parser; whitespace variants are accepted.
  std::string compact;
  for (char c : content) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') {
      compact += c;
    }
  }
  if (compact != layout_file_content) {
    throw Error("unsupported " + layout_file + ": expected " +
                std::string(layout_file_content) + ", found " +
                quote(content, 80));
  }
}

} // namespace

bool ImageLayout::is_layout(const std::string& path) {
  return path_exists(path + "/oci-layout");
}

ImageLayout ImageLayout::open(const std::string& path) {
  if (!is_directory(path)) {
    throw Error("image layout " + path + " not found: no such directory");
  }
  check_layout_file(path);
  std::string index_path = path + "/index.json";
  if (!path_exists(index_path)) {
    throw Error(path + " is not an OCI image layout: " + index_path +
                " is missing");
  }
  ImageLayout layout;
  layout.path_ = path;
  layout.index_ = ImageIndex::parse(
      read_small_file(index_path, max_document_size), index_path);
  return layout;
}

ImageLayout ImageLayout::create(const std::string& path) {
  make_directories(path + "/blobs/sha256");
  write_file_atomically(path + "/oci-layout", layout_file_content);
  ImageLayout layout;
  layout.path_ = path;
  return layout;
}

std::string ImageLayout::blob_path(const Digest& digest) const {
  return path_ + "/blobs/" + std::string(digest.algorithm_name()) + "/" +
         digest.encoded();
}

void ImageLayout::set_blob_ranges(std::shared_ptr<const BlobRanges> ranges) {
  ranges_ = std::move(ranges);
}

const BlobRange* ImageLayout::find_range(const Digest& digest) const {
  if (!ranges_) {
    return nullptr;
  }
  auto found = ranges_->find(digest.string());
  return found == ranges_->end() ? nullptr : &found->second;
}

bool ImageLayout::has_blob(const Digest& digest) const {
  return find_range(digest) != nullptr || path_exists(blob_path(digest));
}

std::optional<std::int64_t> ImageLayout::blob_size(const Digest& digest) const {
  if (const BlobRange* range = find_range(digest)) {
    return range->size;
  }
  std::string path = blob_path(digest);
  if (!path_exists(path)) {
    return std::nullopt;
  }
  return file_size(path);
}

std::string ImageLayout::read_document(const Descriptor& descriptor) const {
  if (descriptor.size > static_cast<std::int64_t>(max_document_size)) {
    throw Error("blob " + descriptor.digest.string() + " declares " +
                std::to_string(descriptor.size) +
                " bytes, more than the " + std::to_string(max_document_size) +
                " allowed for a JSON document");
  }
  BlobFile blob = open_blob(descriptor);
  // One byte more than declared shows a blob longer than its descriptor.
  std::size_t wanted = static_cast<std::size_t>(descriptor.size) + 1;
  if (blob.length >= 0) {
    wanted = std::min(wanted, static_cast<std::size_t>(blob.length));
  }
  std::string data(wanted, '\0');
  data.resize(read_fully_at(blob.fd.get(), data.data(), data.size(),
                            blob.offset, blob.name));
  VerifyingCounter counter(descriptor.digest, descriptor.size);
  counter.update(data);
  counter.verify();
  return data;
}

BlobFile ImageLayout::open_blob(const Descriptor& descriptor) const {
  if (const BlobRange* range = find_range(descriptor.digest)) {
    int fd = ::fcntl(range->file->get(), F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      throw_errno("cannot open " + range->name, errno);
    }
    return BlobFile{.fd = FileDescriptor(fd),
                    .offset = range->offset,
                    .length = range->size,
                    .name = range->name};
  }
  std::string path = blob_path(descriptor.digest);
  if (!path_exists(path)) {
    throw Error("blob " + descriptor.digest.string() + " not found: " + path +
                " is missing from the layout");
  }
  return BlobFile{.fd = open_for_reading(path), .name = path};
}

std::unique_ptr<BlobWriter> ImageLayout::write_blob() const {
  // Temporary files stay out of blobs/, where umoci gc (0.4.7) takes every
  // name for a digest and fails on any other.
  return std::make_unique<BlobWriter>(path_ + "/blobs/sha256", path_,
                                      new_blobs_, sync_);
}

Descriptor ImageLayout::put_blob(std::string_view data,
                                 std::string media_type) const {
  std::unique_ptr<BlobWriter> writer = write_blob();
  writer->write(data);
  std::int64_t size = writer->size();
  return Descriptor{.media_type = std::move(media_type),
                    .digest = writer->commit(),
                    .size = size};
}

void ImageLayout::import_blob(const ImageLayout& source,
                              const Descriptor& descriptor) {
  if (has_blob(descriptor.digest)) {
    return;
  }
  std::string target = blob_path(descriptor.digest);
  make_directories(parent_directory(target));
  new_blobs_->push_back(target);
  if (const BlobRange* range = source.find_range(descriptor.digest)) {
    AtomicFile file(target, path_);
    if (!sync_) {
      file.skip_sync();
    }
    copy_file_bytes(range->file->get(), range->offset, range->size,
                    file.fd(), range->name, target);
    file.commit();
    return;
  }
  link_or_copy_file(source.blob_path(descriptor.digest), target, path_);
}

void ImageLayout::import_file(const std::string& path, const Digest& digest) {
  if (has_blob(digest)) {
    return;
  }
  std::string target = blob_path(digest);
  make_directories(parent_directory(target));
  new_blobs_->push_back(target);
  link_or_copy_file(path, target, path_);
}

void ImageLayout::write_index(const ImageIndex& index) {
  AtomicFile file(path_ + "/index.json");
  if (!sync_) {
    file.skip_sync();
  }
  file.write(index.serialize());
  try {
    file.commit();
  } catch (const Error& error) {
    if (!file.committed()) {
      throw;
    }
    // The new index.json is in place and refers to the new blobs, so they
    // must stay; only the directory sync after the rename failed.
    index_ = index;
    new_blobs_->clear();
    throw Error(std::string(error.what()) +
                " (index.json was replaced, but the change may be lost if "
                "the system crashes before the directory is written)");
  }
  index_ = index;
  new_blobs_->clear();
}

void ImageLayout::remove_new_blobs() {
  for (const std::string& path : *new_blobs_) {
    ::unlink(path.c_str());
  }
  new_blobs_->clear();
}

void ImageLayout::check_writable() const {
  for (std::string directory : {path_, path_ + "/blobs/sha256"}) {
    if (is_directory(directory) && ::access(directory.c_str(), W_OK) != 0) {
      throw_errno("cannot write to image layout " + path_ + " (" + directory +
                      "); write the result elsewhere with --output",
                  errno);
    }
  }
}

BlobWriter::BlobWriter(std::string blobs_directory,
                       const std::string& temporary_directory,
                       std::shared_ptr<std::vector<std::string>> new_blobs,
                       bool sync)
    : directory_(std::move(blobs_directory)), new_blobs_(std::move(new_blobs)),
      file_((make_directories(directory_), directory_ + "/new-blob"),
            temporary_directory) {
  if (!sync) {
    file_.skip_sync();
  }
}

void BlobWriter::write(std::string_view data) {
  if (digest_) {
    throw Error("internal error: blob written after its digest was taken");
  }
  hasher_.update(data);
  size_ += static_cast<std::int64_t>(data.size());
  file_.write(data);
}

const Digest& BlobWriter::digest() {
  if (!digest_) {
    digest_ = hasher_.finish();
  }
  return *digest_;
}

Digest BlobWriter::commit() {
  Digest digest = this->digest();
  std::string target = directory_ + "/" + digest.encoded();
  // The blob is listed before the rename, so that a failure after the
  // rename (the directory sync) still removes it.
  if (!path_exists(target)) {
    new_blobs_->push_back(target);
  }
  file_.commit_as(target);
  return digest;
}

} // namespace ocicap
