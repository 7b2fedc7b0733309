#include "ocicap/layer.hpp"

#include "compressor.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <memory>
#include <unistd.h>
#include <vector>

namespace ocicap {
namespace {

constexpr std::size_t copy_buffer_size = 256 << 10;

archive* new_writer() {
  archive* writer = archive_write_new();
  if (writer == nullptr) {
    throw Error("cannot allocate a libarchive writer");
  }
  return writer;
}

} // namespace

LayerWriter::LayerWriter(BlobWriter& blob,
                         media_type::Compression compression)
    : blob_(blob),
      compressor_(make_compressor(
          compression, [this](std::string_view data) { blob_.write(data); })) {
  tar_ = new_writer();
  check(archive_write_set_format_pax(tar_), tar_, "select the PAX format");
  check(archive_write_set_format_option(tar_, "pax", "xattrheader", "SCHILY"),
        tar_, "select SCHILY.xattr records");
  archive_write_set_bytes_in_last_block(tar_, 1);
  check(archive_write_open2(tar_, this, nullptr, &write_tar_callback, nullptr,
                            nullptr),
        tar_, "open the tar writer");
}

LayerWriter::~LayerWriter() { archive_write_free(tar_); }

void LayerWriter::check(int status, archive* which,
                        const std::string& action) {
  if (status >= ARCHIVE_WARN) {
    return;
  }
  if (callback_error_) {
    throw *callback_error_;
  }
  const char* message = archive_error_string(which);
  throw Error("cannot " + action + " while writing the new layer: " +
              (message ? message : "unknown libarchive error"));
}

ssize_t LayerWriter::write_tar_callback(archive* writer, void* self,
                                          const void* buffer,
                                          std::size_t size) {
  auto* layer = static_cast<LayerWriter*>(self);
  std::string_view data(static_cast<const char*>(buffer), size);
  // Exceptions must not cross libarchive's C frames.
  try {
    layer->diff_id_hasher_.update(data);
    layer->compressor_->write(data);
    return static_cast<ssize_t>(size);
  } catch (const Error& error) {
    layer->callback_error_ = error;
    archive_set_error(writer, EIO, "%s", error.what());
    return -1;
  }
}

void LayerWriter::write_entry(const TarEntry& entry) {
  // libarchive writes attributes in the order it lists them, newest first
  // (see TarEntry::xattrs), and archive_entry_clone() reverses that list:
  // the clone's header carries them in archive order.
  archive_entry* header = entry.get();
  std::unique_ptr<archive_entry, void (*)(archive_entry*)> reordered(
      nullptr, &archive_entry_free);
  if (archive_entry_xattr_count(header) > 1) {
    reordered.reset(archive_entry_clone(header));
    if (reordered == nullptr) {
      throw Error("cannot allocate a copy of the header of " + entry.name());
    }
    header = reordered.get();
  }
  check(archive_write_header(tar_, header), tar_,
        "write the header of " + entry.name());
}

void LayerWriter::write_file(const TarEntry& entry, int content_fd) {
  write_entry(entry);
  std::vector<char> buffer(copy_buffer_size);
  std::int64_t remaining = entry.size();
  if (::lseek(content_fd, 0, SEEK_SET) != 0) {
    throw_errno("cannot rewind the content of " + entry.name(), errno);
  }
  while (remaining > 0) {
    std::size_t n = read_fully(content_fd, buffer.data(), buffer.size(),
                               "the content of " + entry.name());
    if (n == 0) {
      throw Error("the content of " + entry.name() + " ended " +
                  std::to_string(remaining) + " bytes early");
    }
    if (static_cast<std::int64_t>(n) > remaining) {
      n = static_cast<std::size_t>(remaining);
    }
    if (archive_write_data(tar_, buffer.data(), n) < 0) {
      check(ARCHIVE_FATAL, tar_, "write the content of " + entry.name());
    }
    remaining -= static_cast<std::int64_t>(n);
  }
  check(archive_write_finish_entry(tar_), tar_,
        "finish the entry " + entry.name());
}

LayerDigests LayerWriter::finish() {
  check(archive_write_close(tar_), tar_, "close the tar stream");
  compressor_->finish();
  Digest diff_id = diff_id_hasher_.finish();
  std::int64_t size = blob_.size();
  return LayerDigests{.digest = blob_.digest(), .size = size,
                      .diff_id = diff_id};
}

} // namespace ocicap
