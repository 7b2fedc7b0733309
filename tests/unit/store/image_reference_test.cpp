#include "ocicap/image_reference.hpp"

#include "ocicap/error.hpp"
#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::Error;
using ocicap::ImageReference;
using ocicap::parse_image_reference;

TEST_SUITE("ImageReference") {
  TEST_CASE("parses a layout without ref") {
    ImageReference reference = parse_image_reference("oci:/srv/image");
    CHECK(reference.transport == ocicap::Transport::oci);
    CHECK(reference.path == "/srv/image");
    CHECK_FALSE(reference.ref.has_value());
    CHECK(reference.string() == "oci:/srv/image");
  }

  TEST_CASE("parses a layout with ref") {
    ImageReference reference = parse_image_reference("oci:image:v1.0");
    CHECK(reference.path == "image");
    CHECK(reference.ref == std::optional<std::string>("v1.0"));
    CHECK(reference.string() == "oci:image:v1.0");
  }

  TEST_CASE("keeps later colons in the ref") {
    ImageReference reference =
        parse_image_reference("oci:./dir:registry.example:5000/app:tag");
    CHECK(reference.path == "./dir");
    CHECK(reference.ref ==
          std::optional<std::string>("registry.example:5000/app:tag"));
  }

  TEST_CASE("accepts ref characters of the annotation grammar") {
    for (std::string ref :
         {"latest", "v1.0", "a_b", "a-b", "a:b", "a@b", "a+b", "a/b", "A9",
          "a--b", "docker.io/library/alpine:3.19"}) {
      CAPTURE(ref);
      CHECK(parse_image_reference("oci:d:" + ref).ref ==
            std::optional<std::string>(ref));
    }
  }

  TEST_CASE("round trips through string") {
    for (std::string text : {"oci:d", "oci:/a/b:ref", "oci:d:a:b"}) {
      CAPTURE(text);
      CHECK(parse_image_reference(text).string() == text);
    }
  }

  TEST_CASE("names unsupported transports") {
    for (std::string transport :
         {"oci-archive", "docker-archive", "docker", "docker-daemon",
          "containers-storage", "dir"}) {
      std::string text = transport + ":somewhere";
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(
          parse_image_reference(text),
          ("transport \"" + transport + ":\" in \"" + text +
           "\" is not supported yet: copy the image to an OCI layout first, "
           "e.g. skopeo copy " +
           text + " oci:DIR:REF")
              .c_str(),
          Error);
    }
  }

  TEST_CASE("rejects text without the oci transport") {
    for (std::string text :
         {"/srv/image", "", "OCI:/srv/image", "oc:x", "image:tag"}) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(
          parse_image_reference(text),
          ("invalid image reference \"" + text + "\": expected oci:DIR[:REF]")
              .c_str(),
          Error);
    }
  }

  TEST_CASE("rejects an empty directory") {
    for (std::string text : {"oci:", "oci::ref"}) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(parse_image_reference(text),
                           ("invalid image reference \"" + text +
                            "\": the layout directory is empty")
                               .c_str(),
                           Error);
    }
  }

  TEST_CASE("rejects refs with invalid characters") {
    for (std::string ref : {"", "a b", "a!b", "tag\n", "caf\xc3\xa9"}) {
      std::string text = "oci:dir:" + ref;
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(parse_image_reference(text),
                           ("invalid ref \"" + ref + "\" in \"" + text +
                            "\": a ref uses letters, digits and - . _ : @ / "
                            "+ =")
                               .c_str(),
                           Error);
    }
  }

  // The image-spec (annotations.md, org.opencontainers.image.ref.name)
  // requires a valid ref to match
  //   ref       ::= component ("/" component)*
  //   component ::= alphanum (separator alphanum)*
  //   separator ::= [-._:@+] | "--"
  // so a ref cannot start or end with a separator, repeat one other than
  // "--", or contain "=".
  TEST_CASE("rejects refs outside the annotation grammar") {
    for (std::string ref :
         {"-a", "a-", "/a", "a/", "a//b", "a..b", "a=b", ".", "a/-b"}) {
      CAPTURE(ref);
      CHECK_THROWS_AS(parse_image_reference("oci:dir:" + ref), Error);
    }
  }
}
