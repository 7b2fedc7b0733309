#include "ocicap/image_reference.hpp"

#include "ocicap/error.hpp"
#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::Error;
using ocicap::ImageReference;
using ocicap::parse_image_reference;
using ocicap::Transport;

namespace {

std::string empty_path_message(const std::string& text) {
  return "invalid image reference \"" + text +
         "\": the path is empty; expected oci:DIR[:REF], "
         "oci-archive:FILE[:REF] or docker-archive:FILE[:NAME:TAG]";
}

} // namespace

TEST_SUITE("ImageReference") {
  TEST_CASE("parses a layout without ref") {
    ImageReference reference = parse_image_reference("oci:/srv/image");
    CHECK(reference.transport == Transport::oci);
    CHECK(reference.path == "/srv/image");
    CHECK_FALSE(reference.ref.has_value());
    CHECK_FALSE(reference.is_archive());
    CHECK_FALSE(reference.is_stream());
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

  TEST_CASE("parses archive transports") {
    ImageReference oci_archive =
        parse_image_reference("oci-archive:/tmp/image.tar:app");
    CHECK(oci_archive.transport == Transport::oci_archive);
    CHECK(oci_archive.path == "/tmp/image.tar");
    CHECK(oci_archive.ref == std::optional<std::string>("app"));
    CHECK(oci_archive.is_archive());

    ImageReference docker_archive =
        parse_image_reference("docker-archive:saved.tar:library/app:1.2");
    CHECK(docker_archive.transport == Transport::docker_archive);
    CHECK(docker_archive.path == "saved.tar");
    CHECK(docker_archive.ref == std::optional<std::string>("library/app:1.2"));
    CHECK(docker_archive.is_archive());
    CHECK(docker_archive.string() ==
          "docker-archive:saved.tar:library/app:1.2");
  }

  TEST_CASE("reads archives from standard input") {
    for (std::string text : {"oci-archive:-", "docker-archive:-"}) {
      CAPTURE(text);
      ImageReference reference = parse_image_reference(text);
      CHECK(reference.is_stream());
      CHECK(reference.string() == text);
    }
  }

  TEST_CASE("rejects standard input for a layout") {
    CHECK_THROWS_WITH_AS(
        parse_image_reference("oci:-"),
        "invalid image reference \"oci:-\": \"-\" (standard input) is for "
        "archives; use oci-archive:- or docker-archive:-",
        Error);
  }

  TEST_CASE("rejects a docker-archive name without tag") {
    CHECK_THROWS_WITH_AS(
        parse_image_reference("docker-archive:saved.tar:app"),
        "invalid image name \"app\" in \"docker-archive:saved.tar:app\": a "
        "docker-archive reference is NAME:TAG, e.g. app:1",
        Error);
  }

  TEST_CASE("detects the kind of a bare path") {
    for (std::string text : {"/srv/image", "image.tar", "image:tag",
                             "OCI:/srv/image", "./docker:x"}) {
      CAPTURE(text);
      ImageReference reference = parse_image_reference(text);
      CHECK(reference.transport == Transport::detect);
      CHECK(reference.path == text);
      CHECK_FALSE(reference.ref.has_value());
      CHECK(reference.string() == text);
    }
  }

  TEST_CASE("transport_name names each transport") {
    CHECK(ocicap::transport_name(Transport::oci) == "oci");
    CHECK(ocicap::transport_name(Transport::oci_archive) == "oci-archive");
    CHECK(ocicap::transport_name(Transport::docker_archive) ==
          "docker-archive");
    CHECK(ocicap::transport_name(Transport::detect).empty());
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
    for (std::string text : {"oci:d", "oci:/a/b:ref", "oci:d:a:b",
                             "oci-archive:f.tar", "docker-archive:f.tar:a:b"}) {
      CAPTURE(text);
      CHECK(parse_image_reference(text).string() == text);
    }
  }

  TEST_CASE("names unsupported transports") {
    for (std::string transport :
         {"docker", "docker-daemon", "containers-storage", "dir"}) {
      std::string text = transport + ":somewhere";
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(parse_image_reference(text),
                           ("transport \"" + transport + ":\" in \"" + text +
                            "\" is not supported: copy the image to an OCI "
                            "layout first, e.g. skopeo copy " +
                            text + " oci:DIR:REF")
                               .c_str(),
                           Error);
    }
  }

  TEST_CASE("rejects an empty path") {
    for (std::string text :
         {"", "oci:", "oci::ref", "oci-archive:", "docker-archive::a:b"}) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(parse_image_reference(text),
                           empty_path_message(text).c_str(), Error);
    }
  }

  TEST_CASE("rejects refs with invalid characters") {
    for (std::string ref : {"", "a b", "a!b", "tag\n", "caf\xc3\xa9"}) {
      std::string text = "oci:dir:" + ref;
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(parse_image_reference(text),
                           ("invalid ref " + ocicap::quote(ref) + " in " +
                            ocicap::quote(text) +
                            ": a ref is letters and digits joined by "
                            "- . _ : @ + or --, in components separated by /")
                               .c_str(),
                           Error);
    }
  }

  TEST_CASE("escapes a newline in an invalid ref") {
    CHECK_THROWS_WITH_AS(parse_image_reference("oci:dir:tag\n"),
                         "invalid ref \"tag\\n\" in \"oci:dir:tag\\n\": a ref is "
                         "letters and digits joined by - . _ : @ + or --, in "
                         "components separated by /",
                         Error);
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

  TEST_CASE("rejects a docker-archive name outside Docker's grammar") {
    for (std::string ref :
         std::vector<std::string>{"App:1", "app:-x", "app:.x", "a..b:1",
                                  "a/B:1", "app:" + std::string(129, 'x')}) {
      std::string text = "docker-archive:saved.tar:" + ref;
      CAPTURE(text);
      CHECK_THROWS_AS(parse_image_reference(text), Error);
    }
  }

  TEST_CASE("accepts docker-archive names of Docker's grammar") {
    for (std::string ref : std::vector<std::string>{
             "app:1", "library/app:latest", "docker.io/library/app:1.2",
             "localhost:5000/a/b:x_Y", "Registry.Example/app:1", "a__b:1",
             "a---b.c_d:_t", "app:" + std::string(128, 'x')}) {
      std::string text = "docker-archive:saved.tar:" + ref;
      CAPTURE(text);
      CHECK(parse_image_reference(text).ref ==
            std::optional<std::string>(ref));
    }
  }
}

TEST_SUITE("CheckNewRef") {
  TEST_CASE("rejects an empty ref for every kind") {
    for (Transport kind : {Transport::oci, Transport::oci_archive,
                           Transport::docker_archive, Transport::detect}) {
      CHECK_THROWS_WITH_AS(
          ocicap::check_new_ref("", kind),
          "invalid ref \"\": it is empty; name the new ref, e.g. v1.1",
          Error);
    }
  }

  TEST_CASE("checks a layout ref with the oci:DIR:REF grammar") {
    for (std::string ref : {"bad tag", "a\nb", "../../etc", "-a", "a="}) {
      CAPTURE(ref);
      for (Transport kind : {Transport::oci, Transport::oci_archive}) {
        CHECK_THROWS_WITH_AS(
            ocicap::check_new_ref(ref, kind),
            ("invalid ref " + ocicap::quote(ref) +
             ": a ref is letters and digits joined by - . _ : @ + or --, "
             "in components separated by /, e.g. v1.1")
                .c_str(),
            Error);
      }
    }
    CHECK_NOTHROW(ocicap::check_new_ref("v1.1", Transport::oci));
    CHECK_NOTHROW(ocicap::check_new_ref("Capped", Transport::oci_archive));
  }

  TEST_CASE("checks a docker-archive ref with NAME:TAG") {
    CHECK_NOTHROW(ocicap::check_new_ref("app:1", Transport::docker_archive));
    CHECK_THROWS_WITH_AS(
        ocicap::check_new_ref("app", Transport::docker_archive),
        doctest::Contains("e.g. app:latest"), Error);
    for (std::string ref : {"Bad Tag", "Bad:Tag", "bad tag"}) {
      CAPTURE(ref);
      std::string message;
      try {
        ocicap::check_new_ref(ref, Transport::docker_archive);
      } catch (const Error& error) {
        message = error.what();
      }
      CHECK(message.starts_with("invalid ref \"" + ref +
                                "\" for a docker archive: "));
      CHECK(message.ends_with(", e.g. app:1"));
    }
  }

  TEST_CASE("takes either grammar before the kind is known") {
    CHECK_NOTHROW(ocicap::check_new_ref("Capped", Transport::detect));
    CHECK_NOTHROW(ocicap::check_new_ref("app:_t", Transport::detect));
    CHECK_THROWS_AS(ocicap::check_new_ref("bad tag", Transport::detect),
                    Error);
    CHECK_THROWS_AS(ocicap::check_new_ref("../../etc", Transport::detect),
                    Error);
  }
}
