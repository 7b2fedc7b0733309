#include "ocicap/mutate.hpp"

#include "ocicap/error.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <string>

using ocicap::BuildTime;
using ocicap::Descriptor;
using ocicap::Digest;
using ocicap::Error;
using ocicap::ImageConfig;
using ocicap::LayerAddition;
using ocicap::Manifest;
using ocicap::test::ScopedEnvironment;

namespace {

std::string digest_text(char digit) {
  return "sha256:" + std::string(64, digit);
}

ImageConfig make_config(const std::string& created_field) {
  return ImageConfig::parse(
      "{" + created_field + R"("rootfs":{"type":"layers","diff_ids":[")" +
          digest_text('d') +
          R"("]},"history":[{"created_by":"base"}],"x-keep":true})",
      "config");
}

const std::string manifest_type = "application/vnd.oci.image.manifest.v1+json";
const std::string layer_type = "application/vnd.oci.image.layer.v1.tar+gzip";

Manifest make_manifest() {
  return Manifest::parse(
      R"({"schemaVersion":2,"mediaType":")" + manifest_type +
          R"(","config":{)"
          R"("mediaType":"application/vnd.oci.image.config.v1+json",)"
          R"("digest":")" +
          digest_text('c') + R"(","size":1},"layers":[{"mediaType":")" +
          layer_type + R"(","digest":")" + digest_text('a') +
          R"(","size":2}],"annotations":{"keep":"me"}})",
      manifest_type, "manifest");
}

LayerAddition make_addition() {
  return LayerAddition{
      .layer = {.media_type = layer_type,
                .digest = Digest::parse(digest_text('b')),
                .size = 3},
      .diff_id = Digest::parse(digest_text('e')),
      .history = {.created = "2023-11-14T22:13:20Z",
                  .created_by = "ocicap set cap_ipc_lock+eip /x",
                  .comment = "ocicap 0.1.0"},
  };
}

} // namespace

TEST_SUITE("BuildTime") {
  TEST_CASE("takes SOURCE_DATE_EPOCH first") {
    ScopedEnvironment epoch("SOURCE_DATE_EPOCH", "1700000000");
    BuildTime time = ocicap::choose_build_time(
        make_config(R"("created":"2001-01-01T00:00:00Z",)"));
    CHECK(time.seconds == 1700000000);
    CHECK(time.rfc3339 == "2023-11-14T22:13:20Z");
    CHECK(time.from_environment);
  }

  TEST_CASE("accepts a zero SOURCE_DATE_EPOCH") {
    ScopedEnvironment epoch("SOURCE_DATE_EPOCH", "0");
    BuildTime time = ocicap::choose_build_time(make_config(""));
    CHECK(time.seconds == 0);
    CHECK(time.rfc3339 == "1970-01-01T00:00:00Z");
    CHECK(time.from_environment);
  }

  TEST_CASE("falls back to the config's created") {
    ScopedEnvironment epoch("SOURCE_DATE_EPOCH", std::nullopt);
    BuildTime time = ocicap::choose_build_time(
        make_config(R"("created":"2023-11-14T23:13:20.5+01:00",)"));
    CHECK(time.seconds == 1700000000);
    CHECK(time.rfc3339 == "2023-11-14T23:13:20.5+01:00");
    CHECK_FALSE(time.from_environment);
  }

  TEST_CASE("treats an empty SOURCE_DATE_EPOCH as unset") {
    ScopedEnvironment epoch("SOURCE_DATE_EPOCH", "");
    BuildTime time = ocicap::choose_build_time(
        make_config(R"("created":"2023-11-14T22:13:20Z",)"));
    CHECK(time.seconds == 1700000000);
    CHECK_FALSE(time.from_environment);
  }

  TEST_CASE("falls back to the epoch") {
    ScopedEnvironment epoch("SOURCE_DATE_EPOCH", std::nullopt);
    for (std::string created :
         {std::string(""), std::string(R"("created":"yesterday",)"),
          std::string(R"("created":5,)")}) {
      CAPTURE(created);
      BuildTime time = ocicap::choose_build_time(make_config(created));
      CHECK(time.seconds == 0);
      CHECK(time.rfc3339 == "1970-01-01T00:00:00Z");
      CHECK_FALSE(time.from_environment);
    }
  }

  TEST_CASE("rejects an invalid SOURCE_DATE_EPOCH") {
    for (std::string value :
         {"abc", "-1", "12x", " 1", "1.5", "1e9", "99999999999999999999",
          "253402300800", "9223372036854775807"}) {
      CAPTURE(value);
      ScopedEnvironment epoch("SOURCE_DATE_EPOCH", value);
      CHECK_THROWS_WITH_AS(
          ocicap::choose_build_time(make_config("")),
          ("invalid SOURCE_DATE_EPOCH \"" + value +
           "\": expected a whole number of seconds since 1970-01-01 from 0 "
           "to 253402300799 (9999-12-31T23:59:59Z)")
              .c_str(),
          Error);
    }
  }

  TEST_CASE("build_time_from_environment reads SOURCE_DATE_EPOCH only") {
    {
      ScopedEnvironment epoch("SOURCE_DATE_EPOCH", std::nullopt);
      CHECK_FALSE(ocicap::build_time_from_environment().has_value());
    }
    {
      ScopedEnvironment epoch("SOURCE_DATE_EPOCH", "1700000000");
      std::optional<BuildTime> time = ocicap::build_time_from_environment();
      REQUIRE(time.has_value());
      CHECK(time->seconds == 1700000000);
    }
    {
      ScopedEnvironment epoch("SOURCE_DATE_EPOCH", "253402300800");
      CHECK_THROWS_AS(ocicap::build_time_from_environment(), Error);
    }
  }

  TEST_CASE("accepts the last second of year 9999") {
    ScopedEnvironment epoch("SOURCE_DATE_EPOCH", "253402300799");
    BuildTime time = ocicap::choose_build_time(make_config(""));
    CHECK(time.seconds == 253402300799);
    CHECK(time.rfc3339 == "9999-12-31T23:59:59Z");
  }

  TEST_CASE("ignores a created outside 1970 to 9999") {
    ScopedEnvironment epoch("SOURCE_DATE_EPOCH", std::nullopt);
    for (std::string created :
         {std::string(R"("created":"0001-01-01T00:00:00Z",)"),
          std::string(R"("created":"1969-12-31T23:59:59Z",)"),
          std::string(R"("created":"9999-12-31T23:59:59-00:01",)")}) {
      CAPTURE(created);
      BuildTime time = ocicap::choose_build_time(make_config(created));
      CHECK(time.seconds == 0);
      CHECK(time.rfc3339 == "1970-01-01T00:00:00Z");
    }
  }
}

TEST_SUITE("AppendLayer") {
  TEST_CASE("append_to_config adds diff ID and history") {
    ImageConfig base = make_config(R"("created":"2001-01-01T00:00:00Z",)");
    BuildTime time{1700000000, "2023-11-14T22:13:20Z", false};
    ImageConfig result = ocicap::append_to_config(base, make_addition(), time);
    CHECK(result.serialize() ==
          R"({"created":"2001-01-01T00:00:00Z","rootfs":{"type":"layers",)"
          R"("diff_ids":[")" +
              digest_text('d') + R"(",")" + digest_text('e') +
              R"("]},"history":[{"created_by":"base"},)"
              R"({"created":"2023-11-14T22:13:20Z",)"
              R"("created_by":"ocicap set cap_ipc_lock+eip /x",)"
              R"("comment":"ocicap 0.1.0"}],"x-keep":true})");
  }

  TEST_CASE("append_to_config sets created from the environment") {
    ImageConfig base = make_config(R"("created":"2001-01-01T00:00:00Z",)");
    BuildTime time{1700000000, "2023-11-14T22:13:20Z", true};
    ImageConfig result = ocicap::append_to_config(base, make_addition(), time);
    CHECK(result.created() == "2023-11-14T22:13:20Z");
  }

  TEST_CASE("append_to_config leaves the base unchanged") {
    ImageConfig base = make_config("");
    std::string before = base.serialize();
    ocicap::append_to_config(base, make_addition(),
                             BuildTime{0, "1970-01-01T00:00:00Z", true});
    CHECK(base.serialize() == before);
  }

  TEST_CASE("append_to_manifest sets config and adds the layer") {
    Manifest base = make_manifest();
    std::string before = base.serialize();
    Descriptor config{.media_type = "application/vnd.oci.image.config.v1+json",
                      .digest = Digest::parse(digest_text('f')),
                      .size = 9};
    Manifest result =
        ocicap::append_to_manifest(base, config, make_addition().layer);
    CHECK(base.serialize() == before);
    CHECK(result.config().digest == config.digest);
    CHECK(result.config().size == 9);
    REQUIRE(result.layers().size() == 2);
    CHECK(result.layers()[0].digest.string() == digest_text('a'));
    CHECK(result.layers()[1].digest.string() == digest_text('b'));
    CHECK(result.layers()[1].media_type == layer_type);
    CHECK(result.serialize().ends_with(R"(],"annotations":{"keep":"me"}})"));
    CHECK(result.media_type() == manifest_type);
  }
}
