#include "ocicap/layer.hpp"

#include <archive.h>
#include <archive_entry.h>

namespace ocicap {
namespace {

constexpr std::size_t read_buffer_size = 256 << 10;

void enable_decompressor(archive* reader, const Descriptor& descriptor) {
  auto layer_type = media_type::classify_layer(descriptor.media_type);
  if (!layer_type) {
    throw Error("unsupported layer media type \"" + descriptor.media_type +
                "\" for layer " + descriptor.digest.string() +
                ": ocicap reads tar layers that are uncompressed, gzip or "
                "zstd");
  }
  // Only the decompressor the media type names is enabled, so a blob whose
  // bytes are compressed differently fails to open instead of being read.
  switch (layer_type->compression) {
  case media_type::Compression::gzip:
    archive_read_support_filter_gzip(reader);
    break;
  case media_type::Compression::zstd:
    archive_read_support_filter_zstd(reader);
    break;
  case media_type::Compression::none:
    break;
  }
  archive_read_support_format_tar(reader);
  archive_read_support_format_empty(reader);
}

} // namespace

LayerReader::LayerReader(const ImageLayout& layout,
                         const Descriptor& descriptor)
    : descriptor_(descriptor), blob_path_(layout.blob_path(descriptor.digest)),
      fd_(layout.open_blob(descriptor)),
      counter_(descriptor.digest, descriptor.size),
      buffer_(read_buffer_size), data_buffer_(read_buffer_size),
      archive_(archive_read_new()) {
  if (archive_ == nullptr) {
    throw Error("cannot allocate a libarchive reader");
  }
  enable_decompressor(archive_, descriptor);
  int status = archive_read_open(archive_, this, nullptr, &read_callback,
                                 nullptr);
  if (status != ARCHIVE_OK) {
    throw_archive_error("cannot open");
  }
}

LayerReader::~LayerReader() { archive_read_free(archive_); }

ssize_t LayerReader::read_callback(archive* reader, void* self,
                                     const void** buffer) {
  auto* layer = static_cast<LayerReader*>(self);
  // Exceptions must not cross libarchive's C frames: keep the error and
  // report a failed read instead.
  try {
    std::size_t n = read_fully(layer->fd_.get(), layer->buffer_.data(),
                               layer->buffer_.size(), layer->blob_path_);
    layer->counter_.update(std::string_view(layer->buffer_.data(), n));
    *buffer = layer->buffer_.data();
    return static_cast<ssize_t>(n);
  } catch (const Error& error) {
    layer->callback_error_ = error;
    archive_set_error(reader, EIO, "%s", error.what());
    return -1;
  }
}

void LayerReader::throw_archive_error(const std::string& action) {
  if (callback_error_) {
    throw *callback_error_;
  }
  // A stream that does not decode is more often a corrupt or truncated blob
  // than a bug, so the size and digest check runs first: when it fails, its
  // message names the real cause.
  finish();
  const char* message = archive_error_string(archive_);
  throw Error(action + " layer " + descriptor_.digest.string() + " (" +
              descriptor_.media_type + "): " +
              (message ? message : "unknown libarchive error"));
}

bool LayerReader::next() {
  archive_entry* entry = nullptr;
  int status = archive_read_next_header(archive_, &entry);
  if (status == ARCHIVE_EOF) {
    return false;
  }
  if (status < ARCHIVE_WARN) {
    throw_archive_error("cannot read");
  }
  entry_ = TarEntry(entry);
  return true;
}

void LayerReader::read_data(
    const std::function<void(std::string_view)>& sink) {
  for (;;) {
    la_ssize_t n = archive_read_data(archive_, data_buffer_.data(),
                                     data_buffer_.size());
    if (n < 0) {
      throw_archive_error("cannot read the content of " + entry_.name() +
                          " in");
    }
    if (n == 0) {
      return;
    }
    sink(std::string_view(data_buffer_.data(), static_cast<std::size_t>(n)));
  }
}

void LayerReader::finish() {
  if (finished_) {
    return;
  }
  finished_ = true;
  for (;;) {
    std::size_t n = read_fully(fd_.get(), buffer_.data(), buffer_.size(),
                               blob_path_);
    if (n == 0) {
      break;
    }
    counter_.update(std::string_view(buffer_.data(), n));
  }
  counter_.verify();
}

} // namespace ocicap
