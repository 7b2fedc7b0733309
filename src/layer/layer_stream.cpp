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

LayerStream::LayerStream(FileDescriptor fd, std::string path,
                         const Descriptor& descriptor,
                         media_type::Compression compression)
    : fd_(std::move(fd)), path_(std::move(path)), compression_(compression),
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

std::string_view LayerStream::read_compressed() {
  std::size_t n = read_fully(fd_.get(), compressed_buffer_.data(),
                             compressed_buffer_.size(), path_);
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
  hash_compressed(chunk.compressed_end);
  return std::string_view(chunk.data.data(), chunk.size);
}

void LayerStream::hash_compressed(std::int64_t end) {
  while (end < 0 || hashed_ < end) {
    std::size_t wanted = hash_buffer_.size();
    if (end >= 0) {
      wanted = std::min<std::size_t>(wanted,
                                     static_cast<std::size_t>(end - hashed_));
    }
    ssize_t n;
    do {
      n = ::pread(fd_.get(), hash_buffer_.data(), wanted, hashed_);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      throw_errno("cannot read " + path_, errno);
    }
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
