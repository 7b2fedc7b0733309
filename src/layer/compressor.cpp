#include "compressor.hpp"

#include "ocicap/error.hpp"

#include <algorithm>
#include <cstdint>
#include <isa-l/igzip_lib.h>
#include <string>
#include <vector>
#include <zstd.h>

namespace ocicap {
namespace {

constexpr std::size_t block_size = 256 << 10;

// Collects writes into blocks of block_size bytes, so the library gets the
// same sequence of inputs for the same stream however it was written.
class BlockCompressor : public Compressor {
public:
  explicit BlockCompressor(OutputSink sink)
      : sink_(std::move(sink)), output_(block_size) {
    input_.reserve(block_size);
  }

  void write(std::string_view data) override {
    while (!data.empty()) {
      std::size_t n = std::min(data.size(), block_size - input_.size());
      input_.insert(input_.end(), data.begin(), data.begin() + n);
      data.remove_prefix(n);
      if (input_.size() == block_size) {
        compress_block(input_, false);
        input_.clear();
      }
    }
  }

  void finish() override {
    compress_block(input_, true);
    input_.clear();
  }

protected:
  // Compresses `block`, the last one when `last`, and emits the output.
  virtual void compress_block(const std::vector<char>& block, bool last) = 0;

  void emit(std::size_t size) {
    if (size > 0) {
      sink_(std::string_view(output_.data(), size));
    }
  }

  OutputSink sink_;
  std::vector<char> input_;
  std::vector<char> output_;
};

// isa-l's streaming deflate. ISAL_DEF_LVL1_DEFAULT (276 KiB in isa-l 2.30)
// is the working memory isa-l suggests for level 1.
class GzipCompressor final : public BlockCompressor {
public:
  explicit GzipCompressor(OutputSink sink)
      : BlockCompressor(std::move(sink)),
        stream_(std::make_unique<isal_zstream>()),
        level_buffer_(ISAL_DEF_LVL1_DEFAULT) {
    isal_deflate_init(stream_.get());
    stream_->level = 1;
    stream_->level_buf = level_buffer_.data();
    stream_->level_buf_size = static_cast<std::uint32_t>(level_buffer_.size());
    stream_->gzip_flag = IGZIP_GZIP;
  }

private:
  void compress_block(const std::vector<char>& block, bool last) override {
    stream_->next_in =
        reinterpret_cast<std::uint8_t*>(const_cast<char*>(block.data()));
    stream_->avail_in = static_cast<std::uint32_t>(block.size());
    stream_->end_of_stream = last ? 1 : 0;
    // isal_deflate() returns when the input is consumed or the output
    // buffer is full. The last block is done once the trailer is written.
    for (;;) {
      stream_->next_out = reinterpret_cast<std::uint8_t*>(output_.data());
      stream_->avail_out = static_cast<std::uint32_t>(output_.size());
      int status = isal_deflate(stream_.get());
      if (status != COMP_OK) {
        throw Error("isa-l deflate failed with error " +
                    std::to_string(status));
      }
      emit(output_.size() - stream_->avail_out);
      bool done = last ? stream_->internal_state.state == ZSTATE_END
                       : stream_->avail_in == 0;
      if (done && stream_->avail_out > 0) {
        return;
      }
    }
  }

  // About 80 KiB of state, so it lives on the heap like level_buffer_.
  std::unique_ptr<isal_zstream> stream_;
  std::vector<std::uint8_t> level_buffer_;
};

// One zstd frame with a content checksum, which readers check.
class ZstdCompressor final : public BlockCompressor {
public:
  explicit ZstdCompressor(OutputSink sink)
      : BlockCompressor(std::move(sink)), context_(ZSTD_createCCtx()) {
    if (context_ == nullptr) {
      throw Error("cannot initialise libzstd");
    }
    check(ZSTD_CCtx_setParameter(context_, ZSTD_c_compressionLevel,
                                 ZSTD_CLEVEL_DEFAULT));
    check(ZSTD_CCtx_setParameter(context_, ZSTD_c_checksumFlag, 1));
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(context_); }

private:
  static std::size_t check(std::size_t result) {
    if (ZSTD_isError(result)) {
      throw Error(std::string("zstd compression failed: ") +
                  ZSTD_getErrorName(result));
    }
    return result;
  }

  void compress_block(const std::vector<char>& block, bool last) override {
    ZSTD_inBuffer input{block.data(), block.size(), 0};
    ZSTD_EndDirective mode = last ? ZSTD_e_end : ZSTD_e_continue;
    // With ZSTD_e_end the call returns 0 once the frame is complete.
    for (;;) {
      ZSTD_outBuffer output{output_.data(), output_.size(), 0};
      std::size_t remaining =
          check(ZSTD_compressStream2(context_, &output, &input, mode));
      emit(output.pos);
      bool done = last ? remaining == 0 : input.pos == input.size;
      if (done) {
        return;
      }
    }
  }

  ZSTD_CCtx* context_;
};

class PassThrough final : public Compressor {
public:
  explicit PassThrough(OutputSink sink) : sink_(std::move(sink)) {}

  void write(std::string_view data) override { sink_(data); }
  void finish() override {}

private:
  OutputSink sink_;
};

} // namespace

std::unique_ptr<Compressor> make_compressor(
    media_type::Compression compression, OutputSink sink) {
  switch (compression) {
  case media_type::Compression::gzip:
    return std::make_unique<GzipCompressor>(std::move(sink));
  case media_type::Compression::zstd:
    return std::make_unique<ZstdCompressor>(std::move(sink));
  case media_type::Compression::none:
    break;
  }
  return std::make_unique<PassThrough>(std::move(sink));
}

} // namespace ocicap
