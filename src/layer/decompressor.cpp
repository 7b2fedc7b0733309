#include "decompressor.hpp"

#include "ocicap/error.hpp"

#include <cstring>
#include <string>
#include <zlib.h>
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

class GzipDecompressor final : public Decompressor {
public:
  explicit GzipDecompressor(InputBuffer input) : input_(std::move(input)) {
    // 16 + MAX_WBITS: gzip framing only, with the trailer checked.
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK) {
      throw Error("cannot initialise zlib");
    }
  }
  ~GzipDecompressor() override { inflateEnd(&stream_); }

  std::size_t read(char* buffer, std::size_t size) override {
    while (!ended_) {
      std::string_view data = input_.peek();
      if (data.empty()) {
        if (member_open_) {
          throw Error("unexpected end of gzip stream: the blob is truncated");
        }
        ended_ = true;
        break;
      }
      if (!member_open_) {
        start_member(data);
        continue;
      }
      std::size_t produced = inflate_some(data, buffer, size);
      if (produced > 0) {
        return produced;
      }
    }
    return 0;
  }

private:
  // A further member must start with the gzip magic; anything else after
  // a complete member is trailing garbage, which Go's gzip reader rejects.
  void start_member(std::string_view data) {
    if (data.size() < 2 && data[0] == gzip_magic[0]) {
      member_open_ = true;
      inflateReset(&stream_);
      return;
    }
    if (!starts_with(data, gzip_magic)) {
      throw Error("invalid data after the end of the gzip stream");
    }
    inflateReset(&stream_);
    member_open_ = true;
  }

  std::size_t inflate_some(std::string_view data, char* buffer,
                           std::size_t size) {
    stream_.next_in =
        reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    stream_.avail_in = static_cast<uInt>(data.size());
    stream_.next_out = reinterpret_cast<Bytef*>(buffer);
    stream_.avail_out = static_cast<uInt>(size);
    int status = inflate(&stream_, Z_NO_FLUSH);
    input_.consume(data.size() - stream_.avail_in);
    std::size_t produced = size - stream_.avail_out;
    if (status == Z_STREAM_END) {
      member_open_ = false;
    } else if (status != Z_OK && status != Z_BUF_ERROR) {
      throw Error(std::string("corrupt gzip stream: ") +
                  (stream_.msg ? stream_.msg : "zlib error " +
                                                   std::to_string(status)));
    }
    return produced;
  }

  InputBuffer input_;
  z_stream stream_{};
  bool member_open_ = true;
  bool ended_ = false;
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
