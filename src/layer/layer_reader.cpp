#include "ocicap/layer.hpp"

#include "decompressor.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>

namespace ocicap {
namespace {

constexpr std::size_t read_buffer_size = 256 << 10;

media_type::Compression layer_compression(const Descriptor& descriptor) {
  auto layer_type = media_type::classify_layer(descriptor.media_type);
  if (!layer_type) {
    throw Error("unsupported layer media type \"" + descriptor.media_type +
                "\": ocicap reads tar layers that are uncompressed, gzip or "
                "zstd");
  }
  return layer_type->compression;
}

} // namespace

LayerReader::LayerReader(const ImageLayout& layout, const ImageLayer& layer)
    : layer_(layer), label_("layer " + layer.descriptor.digest.string()),
      blob_path_(layout.blob_path(layer.descriptor.digest)),
      fd_(layout.open_blob(layer.descriptor)),
      counter_(layer.descriptor.digest, layer.descriptor.size),
      diff_id_hasher_(layer.diff_id.algorithm()),
      compressed_buffer_(read_buffer_size),
      uncompressed_buffer_(read_buffer_size), data_buffer_(read_buffer_size) {
  media_type::Compression compression = add_context(
      label_, [&] { return layer_compression(layer.descriptor); });
  try {
    decompressor_ = make_decompressor(compression,
                                      [this] { return read_compressed(); });
  } catch (const Error& error) {
    throw_after_digest_check(with_context(label_, error.what()));
  }
  tar_ = archive_read_new();
  if (tar_ == nullptr) {
    throw Error("cannot allocate a libarchive reader");
  }
  // The destructor does not run when the constructor throws, so the reader
  // is freed here until the constructor has finished.
  std::unique_ptr<archive, int (*)(archive*)> owner(tar_, &archive_read_free);
  archive_read_support_format_tar(tar_);
  archive_read_support_format_empty(tar_);
  if (archive_read_open(tar_, this, nullptr, &read_uncompressed, nullptr) !=
      ARCHIVE_OK) {
    throw_archive_error(tar_, "cannot open the tar stream of");
  }
  owner.release();
}

LayerReader::~LayerReader() { archive_read_free(tar_); }

std::string_view LayerReader::read_compressed() {
  std::size_t n = read_fully(fd_.get(), compressed_buffer_.data(),
                             compressed_buffer_.size(), blob_path_);
  std::string_view data(compressed_buffer_.data(), n);
  counter_.update(data);
  return data;
}

std::size_t LayerReader::decompress(char* buffer, std::size_t size) {
  std::size_t n = add_context(label_, [&] {
    return decompressor_->read(buffer, size);
  });
  diff_id_hasher_.update(std::string_view(buffer, n));
  return n;
}

ssize_t LayerReader::read_uncompressed(archive* reader, void* self,
                                       const void** buffer) {
  auto* layer = static_cast<LayerReader*>(self);
  // Exceptions must not cross libarchive's C frames: keep the error and
  // report a failed read instead.
  try {
    std::size_t n = layer->decompress(layer->uncompressed_buffer_.data(),
                                      layer->uncompressed_buffer_.size());
    *buffer = layer->uncompressed_buffer_.data();
    return static_cast<ssize_t>(n);
  } catch (const Error& error) {
    layer->callback_error_ = error;
    archive_set_error(reader, EIO, "%s", error.what());
    return -1;
  }
}

void LayerReader::throw_after_digest_check(const std::string& message) {
  // A stream that does not decode is more often a corrupt or truncated blob
  // than a bug, so the size and digest check runs first: when it fails, its
  // message names the real cause.
  if (!finished_) {
    finished_ = true;
    while (std::size_t n = read_fully(fd_.get(), compressed_buffer_.data(),
                                      compressed_buffer_.size(), blob_path_)) {
      counter_.update(std::string_view(compressed_buffer_.data(), n));
    }
    add_context(label_, [&] { counter_.verify(); });
  }
  throw Error(message);
}

void LayerReader::throw_archive_error(archive* which,
                                      const std::string& action) {
  if (callback_error_) {
    throw_after_digest_check(callback_error_->what());
  }
  const char* message = archive_error_string(which);
  throw_after_digest_check(action + " " + label_ + " (" +
                           layer_.descriptor.media_type + "): " +
                           (message ? message : "unknown libarchive error"));
}

bool LayerReader::next() {
  archive_entry* entry = nullptr;
  int status = archive_read_next_header(tar_, &entry);
  if (status == ARCHIVE_EOF) {
    return false;
  }
  if (status < ARCHIVE_WARN) {
    throw_archive_error(tar_, "cannot read");
  }
  entry_ = TarEntry(entry);
  return true;
}

void LayerReader::read_data(
    const std::function<void(std::string_view)>& sink) {
  for (;;) {
    la_ssize_t n =
        archive_read_data(tar_, data_buffer_.data(), data_buffer_.size());
    if (n < 0) {
      throw_archive_error(tar_, "cannot read the content of " +
                                    quote(entry_.name()) + " in");
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
  // The tar reader stops at the end-of-archive blocks; the rest of the
  // uncompressed stream (padding) still counts towards the diff ID.
  while (decompress(uncompressed_buffer_.data(),
                    uncompressed_buffer_.size()) > 0) {
  }
  finished_ = true;
  for (;;) {
    std::size_t n = read_fully(fd_.get(), compressed_buffer_.data(),
                               compressed_buffer_.size(), blob_path_);
    if (n == 0) {
      break;
    }
    counter_.update(std::string_view(compressed_buffer_.data(), n));
  }
  add_context(label_, [&] { counter_.verify(); });
  Digest diff_id = diff_id_hasher_.finish();
  if (diff_id != layer_.diff_id) {
    throw Error(label_ + " does not match its diff ID " +
                layer_.diff_id.string() +
                " (the uncompressed content hashes to " + diff_id.string() +
                "): the config and the layer disagree");
  }
}

} // namespace ocicap
