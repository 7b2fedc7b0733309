#include "layer/decompressor.hpp"

#include "ocicap/error.hpp"
#include "support/temp_directory.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <random>
#include <string>
#include <vector>

using ocicap::Error;
using ocicap::media_type::Compression;
using ocicap::test::TempDirectory;

namespace {

std::string sample_data() {
  std::mt19937 generator(7);
  std::string data;
  for (int i = 0; i < 200000; ++i) {
    data += static_cast<char>('a' + generator() % 4);
  }
  return data + std::string(100000, '\0') + "end";
}

// Compresses `data` with the gzip or zstd program; `options` go to it.
std::string compress(const std::string& program, const std::string& data,
                     const std::string& options = "") {
  TempDirectory directory;
  std::string input = directory.file("input");
  std::string output = directory.file("output");
  ocicap::test::write_file(input, data);
  std::string command = program + " " + options + " -c " +
                        ocicap::test::shell_quote(input) + " > " +
                        ocicap::test::shell_quote(output);
  REQUIRE(ocicap::test::run_command(command) == 0);
  return ocicap::test::read_file(output);
}

std::string gzip(const std::string& data) {
  return compress("gzip", data, "-n");
}

std::string zstd(const std::string& data) {
  return compress("zstd", data, "-q");
}

// Feeds `input` in chunks: `first` bytes, then `chunk` bytes at a time.
ocicap::InputSource chunked(const std::string& input, std::size_t first,
                            std::size_t chunk) {
  auto offset = std::make_shared<std::size_t>(0);
  return [&input, offset, first, chunk]() -> std::string_view {
    std::size_t size = *offset == 0 ? first : chunk;
    std::size_t n = std::min(size, input.size() - *offset);
    std::string_view view(input.data() + *offset, n);
    *offset += n;
    return view;
  };
}

// Feeds `input` in chunks of `chunk` bytes copied into one buffer that each
// call overwrites, as a blob reader does, so a decompressor that keeps a
// pointer into an earlier chunk reads the wrong bytes.
ocicap::InputSource copied_chunks(const std::string& input,
                                  std::size_t chunk) {
  auto offset = std::make_shared<std::size_t>(0);
  auto buffer = std::make_shared<std::string>(chunk, '\0');
  return [&input, offset, buffer, chunk]() -> std::string_view {
    std::size_t n = std::min(chunk, input.size() - *offset);
    std::fill(buffer->begin(), buffer->end(), '\xff');
    std::copy_n(input.data() + *offset, n, buffer->data());
    *offset += n;
    return std::string_view(buffer->data(), n);
  };
}

std::string decompress(Compression compression, const std::string& input,
                       std::size_t first = 1 << 16, std::size_t chunk = 1 << 16,
                       std::size_t buffer_size = 4096) {
  std::unique_ptr<ocicap::Decompressor> decompressor =
      ocicap::make_decompressor(compression, chunked(input, first, chunk));
  std::string output;
  std::vector<char> buffer(buffer_size);
  while (std::size_t n = decompressor->read(buffer.data(), buffer.size())) {
    output.append(buffer.data(), n);
  }
  return output;
}

std::string error_of(Compression compression, const std::string& input) {
  try {
    decompress(compression, input);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no Error thrown)";
}

std::string with_flipped_byte(std::string data, std::size_t position) {
  data[position] = static_cast<char>(data[position] ^ 0x01);
  return data;
}

} // namespace

TEST_SUITE("Decompressor") {
  TEST_CASE("decompresses gzip, zstd and plain input") {
    std::string data = sample_data();
    CHECK(decompress(Compression::gzip, gzip(data)) == data);
    CHECK(decompress(Compression::zstd, zstd(data)) == data);
    CHECK(decompress(Compression::none, data) == data);
  }

  TEST_CASE("reads small chunks after the magic") {
    std::string data = sample_data().substr(0, 20000);
    CHECK(decompress(Compression::gzip, gzip(data), 4, 1, 7) == data);
    CHECK(decompress(Compression::zstd, zstd(data), 4, 1, 7) == data);
    CHECK(decompress(Compression::none, data, 4, 1, 7) == data);
  }

  TEST_CASE("accepts a split magic number") {
    std::string data = "short first chunk";
    CHECK(decompress(Compression::gzip, gzip(data), 1, 1) == data);
    CHECK(decompress(Compression::zstd, zstd(data), 1, 1) == data);
  }

  TEST_CASE("reads every gzip member") {
    std::string first = gzip("first member\n");
    std::string second = gzip("second member\n");
    CHECK(decompress(Compression::gzip, first + second) ==
          "first member\nsecond member\n");
    CHECK(decompress(Compression::gzip, first + second, first.size() + 1, 1) ==
          "first member\nsecond member\n");
  }

  TEST_CASE("reads gzip members across reused chunk buffers") {
    // isal_inflate() hands back the whole bytes left in its bit buffer at
    // the end of each call; none may come from an earlier chunk.
    std::string expected;
    std::string input;
    for (int member = 0; member < 3; ++member) {
      std::string data = sample_data().substr(member * 1000, 5000 + member);
      expected += data;
      input += gzip(data);
    }
    for (std::size_t chunk = 1; chunk <= 64; ++chunk) {
      CAPTURE(chunk);
      std::unique_ptr<ocicap::Decompressor> decompressor =
          ocicap::make_decompressor(Compression::gzip,
                                    copied_chunks(input, chunk));
      std::string output;
      std::vector<char> buffer(4096);
      while (std::size_t n = decompressor->read(buffer.data(), buffer.size())) {
        output.append(buffer.data(), n);
      }
      CHECK(output == expected);
    }
  }

  TEST_CASE("reads every zstd frame") {
    CHECK(decompress(Compression::zstd, zstd("one ") + zstd("two")) ==
          "one two");
  }

  TEST_CASE("decompresses empty streams") {
    CHECK(decompress(Compression::gzip, gzip("")).empty());
    CHECK(decompress(Compression::zstd, zstd("")).empty());
    CHECK(decompress(Compression::none, "").empty());
  }

  TEST_CASE("rejects a wrong gzip CRC") {
    std::string compressed = gzip(sample_data());
    std::string message =
        error_of(Compression::gzip,
                 with_flipped_byte(compressed, compressed.size() - 6));
    CHECK(message == "corrupt gzip stream: the CRC-32 or length in the "
                     "trailer does not match the data");
  }

  TEST_CASE("rejects a wrong gzip length") {
    std::string compressed = gzip(sample_data());
    std::string message =
        error_of(Compression::gzip,
                 with_flipped_byte(compressed, compressed.size() - 2));
    CHECK(message == "corrupt gzip stream: the CRC-32 or length in the "
                     "trailer does not match the data");
  }

  TEST_CASE("rejects a back-reference before the start of the output") {
    // Found by fuzz_layer_gzip: isa-l reports ISAL_INVALID_LOOKBACK and
    // leaves avail_in wrapped below zero.
    // testdata/fuzz-regressions/fuzz_layer_gzip/isal-invalid-lookback
    const std::string blob(
        "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\x03\x63\x60\x38\x05\xa3"
        "\x60\x14\x8c\x54\x00\x00\x2e\xaf\xb5\xef\x00\x04\x00\x00",
        29);
    CHECK(error_of(Compression::gzip, blob) ==
          "corrupt gzip stream: invalid back-reference distance");
  }

  TEST_CASE("rejects corrupt gzip data") {
    std::string compressed = gzip(sample_data());
    std::string message =
        error_of(Compression::gzip,
                 with_flipped_byte(compressed, compressed.size() / 2));
    CAPTURE(message);
    CHECK(message.starts_with("corrupt gzip stream: "));
  }

  TEST_CASE("rejects truncated streams") {
    std::string data = sample_data();
    std::string gzipped = gzip(data);
    std::string zstded = zstd(data);
    CHECK(error_of(Compression::gzip, gzipped.substr(0, gzipped.size() - 1)) ==
          "unexpected end of gzip stream: the blob is truncated");
    CHECK(error_of(Compression::gzip, gzipped.substr(0, 10)) ==
          "unexpected end of gzip stream: the blob is truncated");
    CHECK(error_of(Compression::zstd, zstded.substr(0, zstded.size() - 1)) ==
          "unexpected end of zstd stream: the blob is truncated");
    CHECK(error_of(Compression::zstd, zstded.substr(0, zstded.size() / 2)) ==
          "unexpected end of zstd stream: the blob is truncated");
  }

  TEST_CASE("rejects empty input for gzip and zstd") {
    CHECK(error_of(Compression::gzip, "") ==
          "unexpected end of gzip stream: the blob is truncated");
    CHECK(error_of(Compression::zstd, "") ==
          "unexpected end of zstd stream: the blob is truncated");
  }

  TEST_CASE("rejects data after the gzip stream") {
    CHECK(error_of(Compression::gzip, gzip("data") + "junk") ==
          "invalid data after the end of the gzip stream");
    CHECK(error_of(Compression::gzip, gzip("data") + std::string(512, '\0')) ==
          "invalid data after the end of the gzip stream");
  }

  TEST_CASE("rejects a zstd checksum mismatch") {
    std::string compressed = compress("zstd", sample_data(), "-q --check");
    std::string message =
        error_of(Compression::zstd,
                 with_flipped_byte(compressed, compressed.size() - 1));
    CAPTURE(message);
    CHECK(message.starts_with("corrupt zstd stream: "));
  }

  TEST_CASE("rejects content compressed unlike the media type") {
    struct Case {
      Compression expected;
      std::string input;
      std::string message;
    };
    std::string tar = std::string("usr/bin/tool") + std::string(500, '\0');
    for (const Case& item : std::vector<Case>{
             {Compression::gzip, zstd("x"),
              "the media type says gzip-compressed but the content is "
              "zstd-compressed: fix the layer's media type"},
             {Compression::gzip, tar,
              "the media type says gzip-compressed but the content is not "
              "gzip-compressed: fix the layer's media type"},
             {Compression::zstd, gzip("x"),
              "the media type says zstd-compressed but the content is "
              "gzip-compressed: fix the layer's media type"},
             {Compression::zstd, tar,
              "the media type says zstd-compressed but the content is not "
              "zstd-compressed: fix the layer's media type"},
             {Compression::none, gzip("x"),
              "the media type says uncompressed but the content is "
              "gzip-compressed: fix the layer's media type"},
             {Compression::none, zstd("x"),
              "the media type says uncompressed but the content is "
              "zstd-compressed: fix the layer's media type"},
         }) {
      CAPTURE(item.message);
      CHECK_THROWS_WITH_AS(ocicap::make_decompressor(
                               item.expected, chunked(item.input, 4096, 4096)),
                           item.message.c_str(), Error);
    }
  }
}
