#include "layer_stream.hpp"

#include "decompressor.hpp"

#include "ocicap/error.hpp"
#include "ocicap/thread.hpp"

#include <algorithm>
#include <cerrno>
#include <unistd.h>

namespace ocicap {

namespace {

constexpr std::size_t no_chunk = LayerStream::buffer_count;

} // namespace

LayerStream::LayerStream(BlobFile blob, const Descriptor& descriptor,
                         media_type::Compression compression)
    : blob_(std::move(blob)), compression_(compression),
      compressed_buffer_(buffer_size),
      counter_(descriptor.digest, descriptor.size),
      hash_buffer_(buffer_size) {
  for (std::size_t index = 0; index < buffer_count; ++index) {
    chunks_[index].data.resize(buffer_size);
    free_.push_back(index);
  }
  worker_ = start_thread([this] { run(); });
}

LayerStream::~LayerStream() { stop_worker(); }

void LayerStream::stop_worker() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  changed_.notify_all();
  if (worker_.joinable()) {
    worker_.join();
  }
}

void LayerStream::run() {
  try {
    produce();
  } catch (...) {
    std::lock_guard lock(mutex_);
    error_ = std::current_exception();
  }
  {
    std::lock_guard lock(mutex_);
    worker_done_ = true;
  }
  changed_.notify_all();
}

void LayerStream::produce() {
  std::unique_ptr<Decompressor> decompressor =
      make_decompressor(compression_, [this] { return read_compressed(); });
  for (;;) {
    std::size_t index = acquire_free_chunk();
    if (index == no_chunk) {
      return;
    }
    // Filling whole chunks keeps the hand-overs between the threads few.
    Chunk& chunk = chunks_[index];
    chunk.size = 0;
    chunk.last = false;
    while (chunk.size < chunk.data.size()) {
      std::size_t n = decompressor->read(chunk.data.data() + chunk.size,
                                         chunk.data.size() - chunk.size);
      if (n == 0) {
        chunk.last = true;
        break;
      }
      chunk.size += n;
    }
    chunk.compressed_end = bytes_read_.load();
    publish(index);
    if (chunk.last) {
      return;
    }
  }
}

std::size_t LayerStream::readable(std::int64_t position,
                                  std::size_t wanted) const {
  if (blob_.length < 0) {
    return wanted;
  }
  std::int64_t left = std::max<std::int64_t>(blob_.length - position, 0);
  return static_cast<std::size_t>(
      std::min<std::int64_t>(left, static_cast<std::int64_t>(wanted)));
}

std::string_view LayerStream::read_compressed() {
  std::int64_t position = bytes_read_.load();
  std::size_t n = read_fully_at(
      blob_.fd.get(), compressed_buffer_.data(),
      readable(position, compressed_buffer_.size()), blob_.offset + position,
      blob_.name);
  bytes_read_.fetch_add(static_cast<std::int64_t>(n));
  return std::string_view(compressed_buffer_.data(), n);
}

std::size_t LayerStream::acquire_free_chunk() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return stop_ || !free_.empty(); });
  if (stop_) {
    return no_chunk;
  }
  std::size_t index = free_.front();
  free_.pop_front();
  return index;
}

void LayerStream::publish(std::size_t index) {
  {
    std::lock_guard lock(mutex_);
    filled_.push_back(index);
  }
  changed_.notify_all();
}

std::string_view LayerStream::next() {
  if (ended_) {
    return {};
  }
  std::unique_lock lock(mutex_);
  if (held_ != no_chunk) {
    free_.push_back(held_);
    held_ = no_chunk;
    changed_.notify_all();
  }
  changed_.wait(lock, [this] { return !filled_.empty() || worker_done_; });
  if (filled_.empty()) {
    // The worker stopped without its last chunk: it failed.
    ended_ = true;
    if (error_) {
      std::rethrow_exception(error_);
    }
    throw Error("internal error: the layer stream ended without its end");
  }
  held_ = filled_.front();
  filled_.pop_front();
  lock.unlock();
  const Chunk& chunk = chunks_[held_];
  ended_ = chunk.last;
  std::string_view data(chunk.data.data(), chunk.size);
  if (compression_ == media_type::Compression::none) {
    // The chunk contains the blob's own bytes, so hashing it saves reading
    // them again.
    counter_.update(data);
    hashed_ += static_cast<std::int64_t>(data.size());
  } else {
    hash_compressed(chunk.compressed_end);
  }
  return data;
}

void LayerStream::hash_compressed(std::int64_t end) {
  while (end < 0 || hashed_ < end) {
    std::size_t wanted = readable(hashed_, hash_buffer_.size());
    if (end >= 0) {
      wanted = std::min<std::size_t>(wanted,
                                     static_cast<std::size_t>(end - hashed_));
    }
    std::size_t n = read_fully_at(blob_.fd.get(), hash_buffer_.data(), wanted,
                                  blob_.offset + hashed_, blob_.name);
    if (n == 0) {
      return;
    }
    counter_.update(std::string_view(hash_buffer_.data(),
                                     static_cast<std::size_t>(n)));
    hashed_ += n;
  }
}

void LayerStream::verify_blob() {
  if (verified_) {
    return;
  }
  verified_ = true;
  ended_ = true;
  stop_worker();
  // Hashing the rest of the blob is much cheaper than inflating it.
  hash_compressed(-1);
  counter_.verify();
}

} // namespace ocicap
