#include "ocicap/media_type.hpp"

#include "ocicap/error.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

namespace media_type = ocicap::media_type;
using media_type::Compression;
using media_type::Family;

TEST_SUITE("MediaType") {
  TEST_CASE("is_index accepts OCI index and Docker list") {
    CHECK(media_type::is_index(media_type::oci_index));
    CHECK(media_type::is_index(media_type::docker_manifest_list));
    CHECK_FALSE(media_type::is_index(media_type::oci_manifest));
    CHECK_FALSE(media_type::is_index(""));
  }

  TEST_CASE("is_manifest accepts OCI and Docker schema 2") {
    CHECK(media_type::is_manifest(media_type::oci_manifest));
    CHECK(media_type::is_manifest(media_type::docker_manifest));
    CHECK_FALSE(media_type::is_manifest(media_type::oci_index));
    CHECK_FALSE(media_type::is_manifest(media_type::docker_schema1_manifest));
    CHECK_FALSE(media_type::is_manifest(
        "application/vnd.oci.image.manifest.v1+json; charset=utf-8"));
  }

  TEST_CASE("is_docker_schema1 accepts both schema 1 types") {
    CHECK(media_type::is_docker_schema1(media_type::docker_schema1_manifest));
    CHECK(media_type::is_docker_schema1(
        media_type::docker_schema1_signed_manifest));
    CHECK_FALSE(media_type::is_docker_schema1(media_type::docker_manifest));
  }

  TEST_CASE("classifies readable layer types") {
    struct Case {
      std::string type;
      Family family;
      Compression compression;
    };
    for (const Case& item : std::vector<Case>{
             {"application/vnd.oci.image.layer.v1.tar", Family::oci,
              Compression::none},
             {"application/vnd.oci.image.layer.v1.tar+gzip", Family::oci,
              Compression::gzip},
             {"application/vnd.oci.image.layer.v1.tar+zstd", Family::oci,
              Compression::zstd},
             {"application/vnd.oci.image.layer.nondistributable.v1.tar",
              Family::oci, Compression::none},
             {"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
              Family::oci, Compression::gzip},
             {"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
              Family::oci, Compression::zstd},
             {"application/vnd.docker.image.rootfs.diff.tar", Family::docker,
              Compression::none},
             {"application/vnd.docker.image.rootfs.diff.tar.gzip",
              Family::docker, Compression::gzip},
             {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
              Family::docker, Compression::gzip},
         }) {
      CAPTURE(item.type);
      auto layer = media_type::classify_layer(item.type);
      REQUIRE(layer.has_value());
      CHECK(layer->family == item.family);
      CHECK(layer->compression == item.compression);
    }
  }

  TEST_CASE("classify_layer rejects other types") {
    for (std::string type : {
             "application/vnd.oci.image.layer.v1.tar+gzip+encrypted",
             "application/vnd.oci.image.layer.v1.tar+bzip2",
             "application/vnd.oci.image.config.v1+json",
             "application/vnd.oci.image.layer.v1.tar+GZIP",
             "",
         }) {
      CAPTURE(type);
      CHECK_FALSE(media_type::classify_layer(type).has_value());
    }
  }

  TEST_CASE("layer_type names each family and compression") {
    CHECK(media_type::layer_type(Family::oci, Compression::none) ==
          "application/vnd.oci.image.layer.v1.tar");
    CHECK(media_type::layer_type(Family::oci, Compression::gzip) ==
          "application/vnd.oci.image.layer.v1.tar+gzip");
    CHECK(media_type::layer_type(Family::oci, Compression::zstd) ==
          "application/vnd.oci.image.layer.v1.tar+zstd");
    CHECK(media_type::layer_type(Family::docker, Compression::none) ==
          "application/vnd.docker.image.rootfs.diff.tar");
    CHECK(media_type::layer_type(Family::docker, Compression::gzip) ==
          "application/vnd.docker.image.rootfs.diff.tar.gzip");
  }

  TEST_CASE("layer_type classifies back to its input") {
    for (Family family : {Family::oci, Family::docker}) {
      for (Compression compression :
           {Compression::none, Compression::gzip, Compression::zstd}) {
        if (family == Family::docker && compression == Compression::zstd) {
          continue;
        }
        auto layer = media_type::classify_layer(
            media_type::layer_type(family, compression));
        REQUIRE(layer.has_value());
        CHECK(layer->family == family);
        CHECK(layer->compression == compression);
      }
    }
  }

  TEST_CASE("layer_type rejects zstd for Docker") {
    CHECK_THROWS_WITH_AS(
        media_type::layer_type(Family::docker, Compression::zstd),
        "a Docker schema 2 manifest has no zstd layer media type: use gzip "
        "or none",
        ocicap::Error);
  }

  TEST_CASE("compression_name names each compression") {
    CHECK(media_type::compression_name(Compression::none) == "none");
    CHECK(media_type::compression_name(Compression::gzip) == "gzip");
    CHECK(media_type::compression_name(Compression::zstd) == "zstd");
  }
}
