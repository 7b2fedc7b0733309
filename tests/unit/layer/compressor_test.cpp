#include "layer/compressor.hpp"

#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <random>
#include <string>

using ocicap::media_type::Compression;
using ocicap::test::TempDirectory;

namespace {

std::string sample_data() {
  std::mt19937 generator(11);
  std::string data;
  for (int i = 0; i < 700000; ++i) {
    data += static_cast<char>('a' + generator() % 6);
  }
  return data + std::string(300000, '\0') + "end";
}

// Compresses `data`, written in pieces of `piece` bytes.
std::string compress(Compression compression, const std::string& data,
                     std::size_t piece = 1 << 16) {
  std::string output;
  std::unique_ptr<ocicap::Compressor> compressor = ocicap::make_compressor(
      compression, [&](std::string_view bytes) { output.append(bytes); });
  for (std::size_t offset = 0; offset < data.size(); offset += piece) {
    compressor->write(std::string_view(data).substr(offset, piece));
  }
  compressor->finish();
  return output;
}

// Decompresses `input` with the gzip or zstd program.
std::string decompress_with(const std::string& program,
                            const std::string& input) {
  TempDirectory directory;
  std::string compressed = directory.file("compressed");
  std::string output = directory.file("output");
  ocicap::test::write_file(compressed, input);
  std::string command = program + " -dc " +
                        ocicap::test::shell_quote(compressed) + " > " +
                        ocicap::test::shell_quote(output);
  REQUIRE(ocicap::test::run_command(command) == 0);
  return ocicap::test::read_file(output);
}

} // namespace

TEST_SUITE("Compressor") {
  TEST_CASE("gzip output is read by gzip") {
    std::string data = sample_data();
    std::string compressed = compress(Compression::gzip, data);
    CHECK(compressed.size() < data.size() / 2);
    CHECK(decompress_with("gzip", compressed) == data);
  }

  TEST_CASE("zstd output is read by zstd") {
    std::string data = sample_data();
    std::string compressed = compress(Compression::zstd, data);
    CHECK(compressed.size() < data.size() / 2);
    CHECK(decompress_with("zstd -q", compressed) == data);
  }

  TEST_CASE("empty input gives a valid stream") {
    CHECK(decompress_with("gzip", compress(Compression::gzip, "")).empty());
    CHECK(decompress_with("zstd -q", compress(Compression::zstd, "")).empty());
  }

  TEST_CASE("gzip header has no time or name") {
    std::string compressed = compress(Compression::gzip, "content");
    REQUIRE(compressed.size() > 10);
    // ID1 ID2 CM FLG, MTIME (4 bytes), XFL, OS
    CHECK(compressed.substr(0, 10) ==
          std::string("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", 10));
  }

  TEST_CASE("output does not depend on write sizes") {
    std::string data = sample_data();
    for (Compression compression : {Compression::gzip, Compression::zstd}) {
      std::string whole = compress(compression, data, data.size());
      CHECK(compress(compression, data, 1) == whole);
      CHECK(compress(compression, data, 10240) == whole);
      CHECK(compress(compression, data, 300001) == whole);
    }
  }

  TEST_CASE("none passes data through") {
    std::string data = sample_data();
    CHECK(compress(Compression::none, data, 4097) == data);
  }
}
