// The uncompressed stream of one layer blob, produced on a worker thread.
// The worker reads the blob and decompresses it into a ring of buffers;
// the consumer takes the buffers in order and hashes the compressed bytes
// the worker has read so far, reading them again with pread() from the
// page cache. Decompression, the most expensive step, then runs on one
// core while the consumer hashes the blob for its digest, hashes the
// uncompressed bytes and parses the tar on another, which balances the
// two threads on a 2-core machine. Memory per stream: buffer_count *
// buffer_size bytes plus the decompressor's state (about 85 KiB for gzip,
// 130 KiB for zstd).
#pragma once

#include "ocicap/descriptor.hpp"
#include "ocicap/digest.hpp"
#include "ocicap/file.hpp"
#include "ocicap/image_layout.hpp"
#include "ocicap/media_type.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace ocicap {

class LayerStream {
public:
  static constexpr std::size_t buffer_count = 4;
  static constexpr std::size_t buffer_size = 256 << 10;

  // Starts the worker on the open blob `blob`.
  LayerStream(BlobFile blob, const Descriptor& descriptor,
              media_type::Compression compression);
  LayerStream(const LayerStream&) = delete;
  LayerStream& operator=(const LayerStream&) = delete;
  // Stops the worker without checking anything.
  ~LayerStream();

  // Returns the next uncompressed bytes, valid until the next call; empty
  // at the end of the stream. Rethrows what the worker threw: a corrupt
  // stream, a failed read, more bytes than the descriptor's size.
  std::string_view next();

  // Stops decompressing, reads and hashes the rest of the blob, and checks
  // the blob's size and digest; throws Error when either differs. Called
  // after the end of the stream, after an error, or to stop early.
  void verify_blob();

  // The blob's digest as verify_blob() computed it, once it has run over a
  // blob of the right size.
  const std::optional<Digest>& blob_digest() const { return counter_.actual(); }

  // Returns the compressed bytes read so far, by the worker or by
  // verify_blob(). Call it from the consuming thread.
  std::int64_t compressed_bytes_read() const {
    return std::max(bytes_read_.load(), hashed_);
  }

private:
  struct Chunk {
    std::vector<char> data;
    std::size_t size = 0;
    bool last = false;
    // Compressed bytes the worker had read when it published the chunk.
    std::int64_t compressed_end = 0;
  };

  void run();
  void produce();
  std::string_view read_compressed();
  // Returns the index of a free chunk, or nullopt-like npos when stopping.
  std::size_t acquire_free_chunk();
  void publish(std::size_t index);
  void stop_worker();
  // Hashes the blob from `hashed_` up to `end`, or to its end for -1.
  void hash_compressed(std::int64_t end);

  // Returns how many of `wanted` bytes at `position` of the blob may be
  // read: all of them for a whole file, which ends where the blob ends,
  // and no more than the range holds for a range of a larger file.
  std::size_t readable(std::int64_t position, std::size_t wanted) const;

  // Read by position: by the worker from bytes_read_, by the consumer from
  // hashed_.
  BlobFile blob_;
  media_type::Compression compression_;
  // The worker's read buffer, and the consumer's counter of the bytes it
  // hashed (`hashed_`) with its buffer.
  std::vector<char> compressed_buffer_;
  std::atomic<std::int64_t> bytes_read_{0};
  VerifyingCounter counter_;
  std::int64_t hashed_ = 0;
  std::vector<char> hash_buffer_;
  std::array<Chunk, buffer_count> chunks_;

  // Guarded by mutex_: chunk indexes by state, the worker's outcome and
  // the stop request.
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::size_t> free_;
  std::deque<std::size_t> filled_;
  std::exception_ptr error_;
  bool worker_done_ = false;
  bool stop_ = false;

  // The chunk the consumer holds, returned to `free_` on the next call.
  std::size_t held_ = buffer_count;
  bool ended_ = false;
  bool verified_ = false;
  std::thread worker_;
};

} // namespace ocicap
