// Decompressors for layer blobs. gzip goes through isa-l's isal_inflate()
// and zstd through libzstd directly, not through libarchive's filters,
// because libarchive 3.6 skips the gzip trailer without checking its CRC-32
// and length. isa-l checks both for every member of a multi-member gzip
// stream, and inflates about twice as fast as zlib 1.2.13 (isal_inflate's
// tuned Huffman decoding). libzstd checks each frame's content checksum
// when the frame has one.
#pragma once

#include "ocicap/media_type.hpp"

#include <cstddef>
#include <functional>
#include <memory>
#include <string_view>

namespace ocicap {

// Supplies compressed input: returns the next bytes, empty at the end.
using InputSource = std::function<std::string_view()>;

class Decompressor {
public:
  virtual ~Decompressor() = default;

  // Fills `buffer` with up to `size` uncompressed bytes; 0 at the end of
  // the stream. Throws Error on corrupt input or a failed check.
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
};

// Creates the decompressor for `compression`, after checking that the
// first bytes of the stream match it; throws Error naming what was found.
std::unique_ptr<Decompressor> make_decompressor(
    media_type::Compression compression, InputSource input);

} // namespace ocicap
