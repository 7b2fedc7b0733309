#include "ocicap/digest.hpp"

#include "ocicap/error.hpp"
#include "support/image_builder.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <string>

using ocicap::Digest;
using ocicap::DigestAlgorithm;
using ocicap::Error;
using ocicap::Hasher;
using ocicap::VerifyingCounter;

namespace {

const std::string sha256_abc =
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string sha256_empty =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string sha512_abc =
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";

} // namespace

TEST_SUITE("Digest") {
  TEST_CASE("parses sha256") {
    Digest digest = Digest::parse("sha256:" + sha256_abc);
    CHECK(digest.algorithm() == DigestAlgorithm::sha256);
    CHECK(digest.algorithm_name() == "sha256");
    CHECK(digest.encoded() == sha256_abc);
    CHECK(digest.string() == "sha256:" + sha256_abc);
  }

  TEST_CASE("parses sha512") {
    Digest digest = Digest::parse("sha512:" + sha512_abc);
    CHECK(digest.algorithm() == DigestAlgorithm::sha512);
    CHECK(digest.algorithm_name() == "sha512");
    CHECK(digest.encoded() == sha512_abc);
    CHECK(digest.string() == "sha512:" + sha512_abc);
  }

  TEST_CASE("compares algorithm and encoded part") {
    CHECK(Digest::parse("sha256:" + sha256_abc) ==
          Digest(DigestAlgorithm::sha256, sha256_abc));
    CHECK(Digest::parse("sha256:" + sha256_abc) !=
          Digest::parse("sha256:" + sha256_empty));
    CHECK(Digest(DigestAlgorithm::sha256, sha256_abc) !=
          Digest(DigestAlgorithm::sha512, sha256_abc));
  }

  TEST_CASE("rejects uppercase hex") {
    std::string text =
        "sha256:"
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD";
    CHECK_THROWS_WITH_AS(Digest::parse(text),
                         ("invalid digest \"" + text +
                          "\": expected 64 lowercase hex digits after the "
                          "colon")
                             .c_str(),
                         Error);
  }

  TEST_CASE("rejects wrong lengths") {
    for (std::string text :
         {"sha256:" + sha256_abc.substr(1), "sha256:" + sha256_abc + "0",
          std::string("sha256:"), "sha512:" + sha256_abc}) {
      CAPTURE(text);
      std::string expected_digits = text.starts_with("sha512") ? "128" : "64";
      CHECK_THROWS_WITH_AS(Digest::parse(text),
                           ("invalid digest \"" + text + "\": expected " +
                            expected_digits +
                            " lowercase hex digits after the colon")
                               .c_str(),
                           Error);
    }
  }

  TEST_CASE("rejects non-hex characters") {
    std::string text = "sha256:" + sha256_abc.substr(1) + "g";
    CHECK_THROWS_AS(Digest::parse(text), Error);
    CHECK_THROWS_AS(Digest::parse("sha256: " + sha256_abc.substr(1)), Error);
  }

  TEST_CASE("rejects unknown algorithms") {
    for (std::string name : {"md5", "sha384", "SHA256", "", "blake3"}) {
      CAPTURE(name);
      std::string text = name + ":" + sha256_abc;
      CHECK_THROWS_WITH_AS(Digest::parse(text),
                           ("unsupported digest algorithm \"" + name +
                            "\" in " + text + ": use sha256 or sha512")
                               .c_str(),
                           Error);
    }
  }

  TEST_CASE("rejects text without a colon") {
    for (std::string text :
         {sha256_abc, std::string(), std::string("sha256")}) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(
          Digest::parse(text),
          ("invalid digest \"" + text + "\": expected ALGORITHM:HEX").c_str(),
          Error);
    }
  }
}

TEST_SUITE("Hasher") {
  TEST_CASE("hashes abc with sha256") {
    Hasher hasher;
    hasher.update("abc");
    CHECK(hasher.finish().string() == "sha256:" + sha256_abc);
  }

  TEST_CASE("hashes the empty string") {
    CHECK(Hasher().finish().string() == "sha256:" + sha256_empty);
  }

  TEST_CASE("hashes abc with sha512") {
    Hasher hasher(DigestAlgorithm::sha512);
    hasher.update("abc");
    CHECK(hasher.finish().string() == "sha512:" + sha512_abc);
  }

  TEST_CASE("hashes one million a") {
    Hasher hasher;
    std::string block(1000, 'a');
    for (int i = 0; i < 1000; ++i) {
      hasher.update(block);
    }
    CHECK(hasher.finish().encoded() ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  }

  TEST_CASE("split updates equal one update") {
    std::string data("binary\0data with NUL bytes", 27);
    Hasher split;
    split.update(data.substr(0, 7));
    split.update("");
    split.update(data.substr(7));
    CHECK(split.finish() == ocicap::digest_of(data));
  }

  TEST_CASE("survives a move") {
    Hasher first;
    first.update("a");
    Hasher second(std::move(first));
    second.update("bc");
    Hasher third;
    third = std::move(second);
    CHECK(third.finish().encoded() == sha256_abc);
  }

  TEST_CASE("digest_of defaults to sha256") {
    CHECK(ocicap::digest_of("abc").string() == "sha256:" + sha256_abc);
    CHECK(ocicap::digest_of("abc", DigestAlgorithm::sha512).encoded() ==
          sha512_abc);
  }

  TEST_CASE("digest_of_file matches sha256sum") {
    ocicap::test::TempDirectory directory;
    std::string path = directory.file("blob");
    std::string data;
    for (int i = 0; i < (5 << 19); ++i) {
      data += static_cast<char>(i * 7 % 251);
    }
    ocicap::test::write_file(path, data);
    CHECK(ocicap::digest_of_file(path).encoded() ==
          ocicap::test::sha256sum_of(path));
    ocicap::test::write_file(path, "");
    CHECK(ocicap::digest_of_file(path).encoded() == sha256_empty);
  }

  TEST_CASE("digest_of_file names a missing file") {
    ocicap::test::TempDirectory directory;
    std::string path = directory.file("missing");
    CHECK_THROWS_WITH_AS(
        ocicap::digest_of_file(path),
        ("cannot open " + path + ": No such file or directory").c_str(), Error);
  }

  TEST_CASE("openssl_version names OpenSSL") {
    CHECK(ocicap::openssl_version().find("OpenSSL") != std::string::npos);
  }
}

TEST_SUITE("VerifyingCounter") {
  TEST_CASE("accepts matching size and digest") {
    VerifyingCounter counter(Digest::parse("sha256:" + sha256_abc), 3);
    counter.update("a");
    counter.update("bc");
    CHECK(counter.count() == 3);
    CHECK(counter.expected_size() == 3);
    CHECK_NOTHROW(counter.verify());
  }

  TEST_CASE("accepts an empty blob") {
    VerifyingCounter counter(Digest::parse("sha256:" + sha256_empty), 0);
    CHECK_NOTHROW(counter.verify());
  }

  TEST_CASE("rejects bytes beyond the declared size") {
    VerifyingCounter counter(Digest::parse("sha256:" + sha256_abc), 3);
    counter.update("ab");
    CHECK_THROWS_WITH_AS(counter.update("cd"),
                         ("blob sha256:" + sha256_abc +
                          " is larger than the 3 bytes its descriptor "
                          "declares")
                             .c_str(),
                         Error);
  }

  TEST_CASE("rejects a short blob") {
    VerifyingCounter counter(Digest::parse("sha256:" + sha256_abc), 3);
    counter.update("ab");
    CHECK_THROWS_WITH_AS(counter.verify(),
                         ("blob sha256:" + sha256_abc +
                          " has 2 bytes but its descriptor declares 3")
                             .c_str(),
                         Error);
  }

  TEST_CASE("rejects a digest mismatch") {
    VerifyingCounter counter(Digest::parse("sha256:" + sha256_abc), 3);
    counter.update("abd");
    std::string actual = ocicap::digest_of("abd").string();
    CHECK_THROWS_WITH_AS(counter.verify(),
                         ("blob sha256:" + sha256_abc +
                          " does not match its digest (content hashes to " +
                          actual + "): the blob is corrupt")
                             .c_str(),
                         Error);
  }

  TEST_CASE("verifies with sha512") {
    VerifyingCounter counter(Digest::parse("sha512:" + sha512_abc), 3);
    counter.update("abc");
    CHECK_NOTHROW(counter.verify());
  }
}
