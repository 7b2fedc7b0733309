#include "ocicap/descriptor.hpp"

#include "ocicap/error.hpp"
#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>

using ocicap::Descriptor;
using ocicap::Digest;
using ocicap::Platform;

namespace {

Descriptor make_descriptor() {
  return Descriptor{
      .media_type = "application/vnd.oci.image.manifest.v1+json",
      .digest = Digest::parse("sha256:"
                              "0123456789abcdef0123456789abcdef"
                              "0123456789abcdef0123456789abcdef"),
      .size = 7,
  };
}

} // namespace

TEST_SUITE("Descriptor") {
  TEST_CASE("ref_name reads the ref annotation") {
    Descriptor descriptor = make_descriptor();
    descriptor.annotations["org.opencontainers.image.ref.name"] = "v1.0";
    descriptor.annotations["other"] = "x";
    CHECK(descriptor.ref_name() == std::optional<std::string>("v1.0"));
  }

  TEST_CASE("ref_name is empty without the annotation") {
    Descriptor descriptor = make_descriptor();
    CHECK_FALSE(descriptor.ref_name().has_value());
    descriptor.annotations["io.containerd.image.name"] = "x";
    CHECK_FALSE(descriptor.ref_name().has_value());
  }

  TEST_CASE("ref_name keeps an empty ref") {
    Descriptor descriptor = make_descriptor();
    descriptor.annotations["org.opencontainers.image.ref.name"] = "";
    CHECK(descriptor.ref_name() == std::optional<std::string>(""));
  }

  TEST_CASE("short_digest keeps twelve hex digits") {
    CHECK(make_descriptor().short_digest() == "sha256:0123456789ab");
  }

  TEST_CASE("short_digest works for sha512") {
    Descriptor descriptor = make_descriptor();
    descriptor.digest =
        ocicap::digest_of("abc", ocicap::DigestAlgorithm::sha512);
    CHECK(descriptor.short_digest() == "sha512:ddaf35a19361");
  }
}

TEST_SUITE("Platform") {
  TEST_CASE("string joins os, architecture and variant") {
    CHECK(Platform{"linux", "amd64", ""}.string() == "linux/amd64");
    CHECK(Platform{"linux", "arm64", "v8"}.string() == "linux/arm64/v8");
  }

  TEST_CASE("matches ignores a missing selector variant") {
    Platform arm64{"linux", "arm64", "v8"};
    CHECK(arm64.matches(Platform{"linux", "arm64", ""}));
    CHECK(arm64.matches(Platform{"linux", "arm64", "v8"}));
    CHECK_FALSE(arm64.matches(Platform{"linux", "arm64", "v9"}));
    CHECK_FALSE(arm64.matches(Platform{"linux", "amd64", ""}));
    CHECK_FALSE(arm64.matches(Platform{"windows", "arm64", ""}));
    CHECK_FALSE(
        Platform{"linux", "arm", ""}.matches(Platform{"linux", "arm", "v7"}));
  }

  TEST_CASE("parse_platform reads two or three parts") {
    Platform two = ocicap::parse_platform("linux/amd64");
    CHECK(two.os == "linux");
    CHECK(two.architecture == "amd64");
    CHECK(two.variant.empty());
    Platform three = ocicap::parse_platform("linux/arm/v7");
    CHECK(three.variant == "v7");
  }

  TEST_CASE("parse_platform rejects other forms") {
    for (std::string text : {"", "linux", "linux/", "/amd64", "linux//v7",
                             "linux/arm/v7/x", "linux/arm/"}) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(ocicap::parse_platform(text),
                           ("invalid platform \"" + text +
                            "\": expected OS/ARCH or OS/ARCH/VARIANT, e.g. "
                            "linux/arm64")
                               .c_str(),
                           ocicap::Error);
    }
  }

  TEST_CASE("parse_platform rejects spaces and control bytes") {
    CHECK_THROWS_WITH_AS(ocicap::parse_platform("linux/amd 64"),
                         "invalid platform \"linux/amd 64\": expected OS/ARCH "
                         "or OS/ARCH/VARIANT, e.g. linux/arm64",
                         ocicap::Error);
    CHECK_THROWS_WITH_AS(ocicap::parse_platform("linux/\x1b[31mamd"),
                         "invalid platform \"linux/\\x1b[31mamd\": expected "
                         "OS/ARCH or OS/ARCH/VARIANT, e.g. linux/arm64",
                         ocicap::Error);
  }

  TEST_CASE("is_attestation recognises BuildKit attestations") {
    Descriptor image = make_descriptor();
    image.platform = Platform{"linux", "amd64", ""};
    CHECK_FALSE(image.is_attestation());
    CHECK_FALSE(make_descriptor().is_attestation());

    Descriptor unknown = make_descriptor();
    unknown.platform = Platform{"unknown", "unknown", ""};
    CHECK(unknown.is_attestation());

    Descriptor annotated = make_descriptor();
    annotated.annotations["vnd.docker.reference.type"] = "attestation-manifest";
    CHECK(annotated.is_attestation());
    annotated.annotations["vnd.docker.reference.type"] = "other";
    CHECK_FALSE(annotated.is_attestation());
  }
}
