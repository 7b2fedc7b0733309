#include "ocicap/descriptor.hpp"

#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>

using ocicap::Descriptor;
using ocicap::Digest;

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
