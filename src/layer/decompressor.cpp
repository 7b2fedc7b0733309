#include "decompressor.hpp"

#include "ocicap/error.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <isa-l/igzip_lib.h>
#include <string>
#include <zstd.h>

namespace ocicap {
namespace {

constexpr unsigned char gzip_magic[] = {0x1f, 0x8b};
constexpr unsigned char zstd_magic[] = {0x28, 0xb5, 0x2f, 0xfd};

template <std::size_t N>
bool starts_with(std::string_view data, const unsigned char (&magic)[N]) {
  return data.size() >= N && std::memcmp(data.data(), magic, N) == 0;
}

std::string_view detected_compression(std::string_view head) {
  if (starts_with(head, gzip_magic)) {
    return "gzip";
  }
  if (starts_with(head, zstd_magic)) {
    return "zstd";
  }
  return "none";
}

// Pulls input and keeps the unconsumed rest of the last chunk. The source
// may reuse its buffer on every call, so bytes that must outlive a chunk
// (a magic number split over chunks) are copied to `gathered_`.
class InputBuffer {
public:
  explicit InputBuffer(InputSource source) : source_(std::move(source)) {}

  // Returns the unconsumed bytes, fetching more when none are left; empty
  // only at the end of the input.
  std::string_view peek() {
    if (gathered_offset_ < gathered_.size()) {
      return std::string_view(gathered_).substr(gathered_offset_);
    }
    if (pending_.empty() && !ended_) {
      pending_ = source_();
      ended_ = pending_.empty();
    }
    return pending_;
  }

  // Like peek(), but returns at least `count` bytes unless the input ends
  // first.
  std::string_view peek_at_least(std::size_t count) {
    std::string_view head = peek();
    if (head.size() >= count || ended_) {
      return head;
    }
    gathered_.assign(head);
    gathered_offset_ = 0;
    pending_ = {};
    while (gathered_.size() < count && !ended_) {
      std::string_view chunk = source_();
      ended_ = chunk.empty();
      gathered_.append(chunk);
    }
    return gathered_;
  }

  void consume(std::size_t count) {
    if (gathered_offset_ < gathered_.size()) {
      gathered_offset_ += count;
      return;
    }
    pending_.remove_prefix(count);
  }

private:
  InputSource source_;
  std::string_view pending_;
  std::string gathered_;
  std::size_t gathered_offset_ = 0;
  bool ended_ = false;
};

class PassThrough final : public Decompressor {
public:
  explicit PassThrough(InputBuffer input) : input_(std::move(input)) {}

  std::size_t read(char* buffer, std::size_t size) override {
    std::string_view data = input_.peek();
    std::size_t n = std::min(size, data.size());
    if (n == 0) {
      // data.data() may be null here, which memcpy must not get.
      return 0;
    }
    std::memcpy(buffer, data.data(), n);
    input_.consume(n);
    return n;
  }

private:
  InputBuffer input_;
};

// Inflates with isa-l's streaming isal_inflate(). ISAL_GZIP makes it parse
// each member's header and check the trailer: the CRC-32 and the length
// modulo 2^32 of the member's output (isa-l 2.30, check_gzip_checksum()).
// At the end of a member isal_inflate() leaves next_in just past the
// trailer, so a further member starts at the next unconsumed byte.
class GzipDecompressor final : public Decompressor {
public:
  explicit GzipDecompressor(InputBuffer input)
      : input_(std::move(input)), state_(std::make_unique<inflate_state>()) {
    start_member();
  }

  std::size_t read(char* buffer, std::size_t size) override {
    for (;;) {
      std::string_view data = input_.peek();
      if (!member_open_) {
        if (data.empty()) {
          return 0;
        }
        check_next_member(data);
        start_member();
      }
      std::size_t produced = inflate_some(data, buffer, size);
      if (produced > 0) {
        return produced;
      }
      if (member_open_ && data.empty()) {
        throw Error("unexpected end of gzip stream: the blob is truncated");
      }
    }
  }

private:
  void start_member() {
    isal_inflate_init(state_.get());
    state_->crc_flag = ISAL_GZIP;
    member_open_ = true;
  }

  // A further member must start with the gzip magic; anything else after
  // a complete member is trailing garbage, which Go's gzip reader rejects.
  // A chunk of one byte is checked here and its second byte by isa-l.
  static void check_next_member(std::string_view data) {
    bool magic = data.size() < 2 ? data[0] == static_cast<char>(gzip_magic[0])
                                 : starts_with(data, gzip_magic);
    if (!magic) {
      throw Error("invalid data after the end of the gzip stream");
    }
  }

  std::size_t inflate_some(std::string_view data, char* buffer,
                           std::size_t size) {
    state_->next_in =
        reinterpret_cast<std::uint8_t*>(const_cast<char*>(data.data()));
    state_->avail_in = static_cast<std::uint32_t>(data.size());
    state_->next_out = reinterpret_cast<std::uint8_t*>(buffer);
    state_->avail_out = static_cast<std::uint32_t>(
        std::min<std::size_t>(size, UINT32_MAX));
    int status = isal_inflate(state_.get());
    // After an error isa-l 2.30 may leave avail_in wrapped below zero, so
    // the counts are read only after a successful call.
    if (status < 0) {
      throw Error("corrupt gzip stream: " + inflate_error_text(status));
    }
    if (state_->avail_in > data.size()) {
      throw Error("internal error: isal_inflate returned more input than "
                  "it was given");
    }
    std::size_t consumed = data.size() - state_->avail_in;
    input_.consume(consumed);
    std::size_t produced = size - state_->avail_out;
    if (state_->block_state == ISAL_BLOCK_FINISH) {
      member_open_ = false;
    } else if (consumed == 0 && produced == 0 && !data.empty()) {
      throw Error("internal error: isal_inflate made no progress");
    }
    return produced;
  }

  static std::string inflate_error_text(int status) {
    switch (status) {
    case ISAL_INVALID_BLOCK:
      return "invalid deflate block";
    case ISAL_INVALID_SYMBOL:
      return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK:
      return "invalid back-reference distance";
    case ISAL_INVALID_WRAPPER:
      return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD:
      return "unsupported compression method in the gzip header";
    case ISAL_INCORRECT_CHECKSUM:
      return "the CRC-32 or length in the trailer does not match the data";
    default:
      return "isa-l error " + std::to_string(status);
    }
  }

  InputBuffer input_;
  // About 85 KiB (history and input buffers), so it lives on the heap.
  std::unique_ptr<inflate_state> state_;
  bool member_open_ = false;
};

class ZstdDecompressor final : public Decompressor {
public:
  explicit ZstdDecompressor(InputBuffer input)
      : input_(std::move(input)), stream_(ZSTD_createDStream()) {
    if (stream_ == nullptr) {
      throw Error("cannot initialise libzstd");
    }
  }
  ~ZstdDecompressor() override { ZSTD_freeDStream(stream_); }

  std::size_t read(char* buffer, std::size_t size) override {
    ZSTD_outBuffer output{buffer, size, 0};
    while (output.pos == 0) {
      std::string_view data = input_.peek();
      if (data.empty()) {
        if (frame_open_) {
          throw Error("unexpected end of zstd stream: the blob is truncated");
        }
        return 0;
      }
      ZSTD_inBuffer input{data.data(), data.size(), 0};
      std::size_t hint = ZSTD_decompressStream(stream_, &output, &input);
      input_.consume(input.pos);
      if (ZSTD_isError(hint)) {
        throw Error(std::string("corrupt zstd stream: ") +
                    ZSTD_getErrorName(hint));
      }
      frame_open_ = hint != 0;
    }
    return output.pos;
  }

private:
  InputBuffer input_;
  ZSTD_DStream* stream_;
  bool frame_open_ = true;
};

} // namespace

std::unique_ptr<Decompressor> make_decompressor(
    media_type::Compression compression, InputSource source) {
  InputBuffer input(std::move(source));
  std::string_view head = input.peek_at_least(sizeof zstd_magic);
  std::string_view found = detected_compression(head);
  std::string_view expected = media_type::compression_name(compression);
  if (!head.empty() && found != expected) {
    throw Error("the media type says " +
                (compression == media_type::Compression::none
                     ? std::string("uncompressed")
                     : std::string(expected) + "-compressed") +
                " but the content is " +
                (found == "none" ? std::string("not ") + std::string(expected) +
                                       "-compressed"
                                 : std::string(found) + "-compressed") +
                ": fix the layer's media type");
  }
  switch (compression) {
  case media_type::Compression::gzip:
    return std::make_unique<GzipDecompressor>(std::move(input));
  case media_type::Compression::zstd:
    return std::make_unique<ZstdDecompressor>(std::move(input));
  case media_type::Compression::none:
    break;
  }
  return std::make_unique<PassThrough>(std::move(input));
}

} // namespace ocicap
