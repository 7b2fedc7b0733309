#include "ocicap/layer.hpp"

#include "layer_stream.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <atomic>
#include <cerrno>

namespace ocicap {
namespace {

constexpr std::size_t read_buffer_size = 256 << 10;
// A read after a skip often needs no more than the next header, so reads
// by position are smaller than the chunks of a stream.
constexpr std::size_t seek_buffer_size = 64 << 10;

std::atomic<ReadProgress*> installed_progress{nullptr};
std::atomic<bool> diff_id_check{false};

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

void set_read_progress(ReadProgress* progress) {
  installed_progress.store(progress);
}

void set_diff_id_check(bool enabled) { diff_id_check.store(enabled); }

bool diff_id_check_enabled() { return diff_id_check.load(); }

LayerReader::LayerReader(const ImageLayout& layout, const ImageLayer& layer)
    : layer_(layer), label_("layer " + layer.descriptor.digest.string()),
      progress_(installed_progress.load()),
      diff_id_hasher_(layer.diff_id.algorithm()),
      data_buffer_(read_buffer_size) {
  media_type::Compression compression = add_context(
      label_, [&] { return layer_compression(layer.descriptor); });
  // An uncompressed layer's diff ID is usually its digest, the sha256 of
  // the same bytes, which the blob check computes already. Otherwise it is
  // hashed, whatever set_diff_id_check() selected, when the layer is plain
  // and so has no compression checks, or when the layout requires it.
  bool plain = compression == media_type::Compression::none;
  bool diff_id_is_digest = plain && layer.diff_id == layer.descriptor.digest;
  bool check = diff_id_check.load();
  hash_diff_id_ = !diff_id_is_digest &&
                  (plain || layout.is_docker_archive() || check);
  digest_is_diff_id_ = diff_id_is_digest && layout.is_docker_archive();
  if (digest_is_diff_id_ && !check) {
    seek_blob_ = layout.open_blob(layer.descriptor);
    seek_buffer_.resize(seek_buffer_size);
  } else {
    stream_ = std::make_unique<LayerStream>(
        layout.open_blob(layer.descriptor), layer.descriptor, compression);
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
  try {
    if (archive_read_open2(tar_, this, nullptr, &read_uncompressed,
                           seek_blob_ ? &skip_unread : nullptr,
                           nullptr) != ARCHIVE_OK) {
      throw_archive_error(tar_, "cannot open the tar stream of");
    }
  } catch (...) {
    // Opening reads the first chunk, which reports progress.
    if (progress_ != nullptr) {
      progress_->layer_closed(this);
    }
    throw;
  }
  owner.release();
}

LayerReader::~LayerReader() {
  archive_read_free(tar_);
  if (progress_ != nullptr) {
    progress_->layer_closed(this);
  }
}

std::int64_t LayerReader::compressed_bytes_read() const {
  return seek_blob_ ? seek_position_ : stream_->compressed_bytes_read();
}

void LayerReader::check_stop() {
  if (stop_ != nullptr && stop_->load(std::memory_order_relaxed)) {
    stopped_ = true;
    throw Error(label_ + ": the read was stopped");
  }
}

std::string_view LayerReader::read_positioned() {
  check_stop();
  std::int64_t left =
      std::max<std::int64_t>(layer_.descriptor.size - seek_position_, 0);
  std::size_t length = static_cast<std::size_t>(std::min<std::int64_t>(
      left, static_cast<std::int64_t>(seek_buffer_.size())));
  std::size_t n = read_fully_at(seek_blob_->fd.get(), seek_buffer_.data(),
                                length, seek_blob_->offset + seek_position_,
                                seek_blob_->name);
  seek_position_ += static_cast<std::int64_t>(n);
  report_progress();
  return std::string_view(seek_buffer_.data(), n);
}

std::string_view LayerReader::decompress() {
  if (seek_blob_) {
    return read_positioned();
  }
  check_stop();
  std::string_view data =
      add_context(label_, [&] { return stream_->next(); });
  if (hash_diff_id_) {
    diff_id_hasher_.update(data);
  }
  report_progress();
  return data;
}

void LayerReader::report_progress() {
  if (progress_ != nullptr) {
    progress_->layer_progress(this, layer_.descriptor,
                              stream_->compressed_bytes_read());
  }
}

ssize_t LayerReader::read_uncompressed(archive* reader, void* self,
                                       const void** buffer) {
  auto* layer = static_cast<LayerReader*>(self);
  // Exceptions must not cross libarchive's C frames: keep the error and
  // report a failed read instead. The bytes stay valid until the next
  // call, as libarchive requires.
  try {
    std::string_view data = layer->decompress();
    *buffer = data.data();
    return static_cast<ssize_t>(data.size());
  } catch (const Error& error) {
    layer->callback_error_ = error;
    archive_set_error(reader, EIO, "%s", error.what());
    return -1;
  }
}

std::int64_t LayerReader::skip_unread(archive* /*reader*/, void* self,
                                      std::int64_t request) {
  // Only a layer read by seeking registers this callback. A skip past the
  // blob's end stops at the end, where the next read finds no more bytes
  // and libarchive reports the archive as truncated.
  auto* layer = static_cast<LayerReader*>(self);
  std::int64_t left = std::max<std::int64_t>(
      layer->layer_.descriptor.size - layer->seek_position_, 0);
  std::int64_t skipped = std::min(request, left);
  layer->seek_position_ += skipped;
  return skipped;
}

void LayerReader::verify_blob() {
  if (seek_blob_) {
    // No digest to check: see the class comment.
    return;
  }
  try {
    add_context(label_, [&] { stream_->verify_blob(); });
  } catch (const Error&) {
    // The digest of a docker save archive's plain layer is the config's
    // diff ID: a mismatch is the diff ID's, and is named so.
    if (digest_is_diff_id_ && stream_->blob_digest() &&
        *stream_->blob_digest() != layer_.diff_id) {
      throw_wrong_diff_id(*stream_->blob_digest());
    }
    throw;
  }
  report_progress();
}

void LayerReader::throw_wrong_diff_id(const Digest& actual) const {
  throw Error(label_ + ": the uncompressed layer hashes to " +
              actual.string() + ", not to its diff ID " +
              layer_.diff_id.string() +
              " in the config, so the image is damaged; build it or copy "
              "it from its source again");
}

void LayerReader::throw_after_digest_check(const std::string& message) {
  // A stream that does not decode is more often a corrupt or truncated blob
  // than a bug, so the size and digest check runs first: when it fails, its
  // message names the real cause.
  verify_blob();
  throw Error(message);
}

void LayerReader::throw_archive_error(archive* which,
                                      const std::string& action) {
  if (stopped_) {
    // The caller drops a stopped read's outcome, so a digest check would be
    // wasted work.
    throw Error(label_ + ": the read was stopped");
  }
  if (callback_error_) {
    throw_after_digest_check(callback_error_->what());
  }
  const char* message = archive_error_string(which);
  throw_after_digest_check(action + " " + label_ + " (" +
                           layer_.descriptor.media_type + "): " +
                           (message ? message : "unknown libarchive error"));
}

bool LayerReader::next() {
  // libarchive clears the entry that entry_ refers to before it reads the
  // next header, so the name is kept for the message of a failed read.
  const char* name = archive_entry_pathname(entry_.get());
  last_name_.assign(name != nullptr ? name : "");
  archive_entry* entry = nullptr;
  int status = archive_read_next_header(tar_, &entry);
  if (status == ARCHIVE_EOF) {
    return false;
  }
  // ARCHIVE_RETRY is a damaged header, which libarchive would skip to look
  // for the next one, losing an entry: the layer is damaged.
  if (status == ARCHIVE_RETRY || status < ARCHIVE_WARN) {
    // Reaching a header means skipping the previous entry's content, so a
    // truncated or oversized entry fails here: name the last entry read.
    std::string position = last_name_.empty()
                               ? "the first entry of"
                               : "the entry after " + quote(last_name_) +
                                     " in";
    throw_archive_error(tar_, "cannot read " + position);
  }
  entry_ = TarEntry::view(entry);
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
  finished_ = true;
  if (seek_blob_) {
    return;
  }
  // The tar reader stops at the end-of-archive blocks; the rest of the
  // uncompressed stream (padding) still counts towards the diff ID, and
  // the compression's own checks come at its end.
  while (!decompress().empty()) {
  }
  verify_blob();
  if (!hash_diff_id_) {
    return;
  }
  Digest diff_id = diff_id_hasher_.finish();
  if (diff_id != layer_.diff_id) {
    throw_wrong_diff_id(diff_id);
  }
}

void LayerReader::finish_blob_only() { verify_blob(); }

} // namespace ocicap
