// Compressors for the new layer blob. gzip goes through isa-l's
// isal_deflate() at level 1 and zstd through libzstd at its default level
// 3, both single-threaded. isa-l level 1 compresses several times faster
// than zlib at level 6, which libarchive's gzip filter used, at a lower
// ratio.
//
// The output must be reproducible: the same uncompressed stream gives the
// same bytes. The compressor therefore hands the library input in blocks
// of a fixed size whatever the writes it receives, writes a gzip header
// without a time or a name (isa-l's generic header: MTIME 0, OS 255), and
// uses no worker threads.
//
// NOTE: the bytes depend on the library versions, as they did with zlib.
// isa-l also picks its deflate code for the CPU at run time (SSE, AVX2 or
// AVX-512). Its outputs on different CPUs have not been compared here.
#pragma once

#include "ocicap/media_type.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

namespace ocicap {

// Receives compressed output, in order.
using OutputSink = std::function<void(std::string_view)>;

class Compressor {
public:
  virtual ~Compressor() = default;

  // Compresses `data`, which may be held back until later writes or
  // finish(). Throws what the sink throws, or Error.
  virtual void write(std::string_view data) = 0;

  // Compresses what is held back and ends the stream (the gzip trailer,
  // the zstd frame's end). No writes may follow.
  virtual void finish() = 0;
};

// Creates the compressor for `compression`; Compression::none passes the
// data through unchanged.
std::unique_ptr<Compressor> make_compressor(
    media_type::Compression compression, OutputSink sink);

} // namespace ocicap
