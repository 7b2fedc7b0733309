#include "ocicap/documents.hpp"

#include "ocicap/error.hpp"
#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::Descriptor;
using ocicap::Digest;
using ocicap::Error;
using ocicap::ImageConfig;
using ocicap::ImageIndex;
using ocicap::Manifest;

namespace {

std::string hex64(char digit) { return std::string(64, digit); }
std::string digest_text(char digit) { return "sha256:" + hex64(digit); }

Descriptor make_descriptor(std::string media_type, char digit,
                           std::int64_t size) {
  return Descriptor{.media_type = std::move(media_type),
                    .digest = Digest::parse(digest_text(digit)),
                    .size = size};
}

const std::string manifest_type = "application/vnd.oci.image.manifest.v1+json";
const std::string config_type = "application/vnd.oci.image.config.v1+json";
const std::string gzip_layer_type =
    "application/vnd.oci.image.layer.v1.tar+gzip";

// An index whose fields are in an unusual order, with fields ocicap does
// not model at every level.
std::string sample_index() {
  return R"({"x-first":1,"schemaVersion":2,)"
         R"("mediaType":"application/vnd.oci.image.index.v1+json",)"
         R"("manifests":[{"mediaType":")" +
         manifest_type + R"(","size":100,"digest":")" + digest_text('1') +
         R"(","platform":{"architecture":"amd64","os":"linux",)"
         R"("variant":"v8","os.features":["x"]},)"
         R"("annotations":{"org.opencontainers.image.ref.name":"app",)"
         R"("com.example.note":"keep","com.example.number":5},)"
         R"("x-custom":[1,2]},)"
         R"({"mediaType":")" +
         manifest_type + R"(","digest":")" + digest_text('2') +
         R"(","size":200,"annotations":{)"
         R"("org.opencontainers.image.ref.name":"other"}}],)"
         R"("annotations":{"top":"level"},"x-unknown":{"nested":true}})";
}

std::string sample_manifest() {
  return R"({"schemaVersion":2,"mediaType":")" + manifest_type +
         R"(","artifactType":"application/x-test","config":{"mediaType":")" +
         config_type + R"(","digest":")" + digest_text('c') +
         R"(","size":10,"x-config-extra":"keep"},"layers":[{"mediaType":")" +
         gzip_layer_type + R"(","digest":")" + digest_text('a') +
         R"(","size":20,"annotations":{"a":"b"},)"
         R"("urls":["https://example.com/layer"]}],)"
         R"("annotations":{"m":"n"},"x-unknown":1})";
}

std::string sample_config() {
  return R"({"created":"2023-11-14T22:13:20Z","author":"tester",)"
         R"("architecture":"amd64","os":"linux",)"
         R"("config":{"User":"1000:1000","Env":["A=B"]},)"
         R"("rootfs":{"type":"layers","diff_ids":[")" +
         digest_text('d') +
         R"("]},"history":[{"created":"2023-11-14T22:13:20Z",)"
         R"("created_by":"base"}],"x-unknown":{"k":[1]}})";
}

std::string replace_all(std::string text, const std::string& from,
                        const std::string& to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

} // namespace

TEST_SUITE("ImageIndex") {
  TEST_CASE("serializes unchanged input unchanged") {
    CHECK(ImageIndex::parse(sample_index(), "index.json").serialize() ==
          sample_index());
  }

  TEST_CASE("lists manifests with platform and annotations") {
    std::vector<Descriptor> manifests =
        ImageIndex::parse(sample_index(), "index.json").manifests();
    REQUIRE(manifests.size() == 2);
    CHECK(manifests[0].media_type == manifest_type);
    CHECK(manifests[0].digest.string() == digest_text('1'));
    CHECK(manifests[0].size == 100);
    CHECK(manifests[0].ref_name() == std::optional<std::string>("app"));
    CHECK(manifests[0].annotations.at("com.example.note") == "keep");
    CHECK_FALSE(manifests[0].annotations.contains("com.example.number"));
    REQUIRE(manifests[0].platform.has_value());
    CHECK(manifests[0].platform->os == "linux");
    CHECK(manifests[0].platform->architecture == "amd64");
    CHECK(manifests[0].platform->variant == "v8");
    CHECK(manifests[1].ref_name() == std::optional<std::string>("other"));
    CHECK_FALSE(manifests[1].platform.has_value());
  }

  TEST_CASE("empty has no manifests") {
    ImageIndex index = ImageIndex::empty();
    CHECK(index.manifests().empty());
    CHECK(index.serialize() ==
          R"({"schemaVersion":2,)"
          R"("mediaType":"application/vnd.oci.image.index.v1+json",)"
          R"("manifests":[]})");
  }

  TEST_CASE("retarget keeps platform, annotations and unknown fields") {
    ImageIndex index = ImageIndex::parse(sample_index(), "index.json");
    index.retarget(0, make_descriptor(manifest_type, '3', 300));
    std::string expected = replace_all(
        replace_all(sample_index(), digest_text('1'), digest_text('3')),
        R"("size":100)", R"("size":300)");
    CHECK(index.serialize() == expected);
  }

  TEST_CASE("retarget changes the media type") {
    ImageIndex index = ImageIndex::parse(sample_index(), "index.json");
    std::string docker_type =
        "application/vnd.docker.distribution.manifest.v2+json";
    index.retarget(1, make_descriptor(docker_type, '4', 400));
    std::vector<Descriptor> manifests = index.manifests();
    CHECK(manifests[1].media_type == docker_type);
    CHECK(manifests[1].digest.string() == digest_text('4'));
    CHECK(manifests[1].ref_name() == std::optional<std::string>("other"));
    CHECK(manifests[0].digest.string() == digest_text('1'));
  }

  TEST_CASE("retarget out of range throws Error") {
    ImageIndex index = ImageIndex::parse(sample_index(), "index.json");
    CHECK_THROWS_AS(index.retarget(2, make_descriptor(manifest_type, '3', 1)),
                    Error);
  }

  TEST_CASE("set_ref updates the named entry") {
    ImageIndex index = ImageIndex::parse(sample_index(), "index.json");
    index.set_ref("other", make_descriptor(manifest_type, '5', 500));
    std::string expected = replace_all(
        replace_all(sample_index(), digest_text('2'), digest_text('5')),
        R"("size":200)", R"("size":500)");
    CHECK(index.serialize() == expected);
  }

  TEST_CASE("set_ref appends a new ref") {
    ImageIndex index = ImageIndex::parse(sample_index(), "index.json");
    Descriptor target = make_descriptor(manifest_type, '6', 600);
    target.annotations["dropped"] = "yes";
    index.set_ref("v2", target);
    std::string entry = R"({"mediaType":")" + manifest_type +
                        R"(","digest":")" + digest_text('6') +
                        R"(","size":600,"annotations":{)"
                        R"("org.opencontainers.image.ref.name":"v2"}})";
    std::string expected = sample_index();
    expected.insert(expected.find(R"(],"annotations":{"top")"), "," + entry);
    CHECK(index.serialize() == expected);
    CHECK(index.manifests().size() == 3);
  }

  TEST_CASE("set_ref skips non-string ref annotations") {
    std::string text = R"({"schemaVersion":2,"manifests":[{"mediaType":")" +
                       manifest_type + R"(","digest":")" + digest_text('1') +
                       R"(","size":1,"annotations":{)"
                       R"("org.opencontainers.image.ref.name":5}}]})";
    ImageIndex index = ImageIndex::parse(text, "index.json");
    CHECK_NOTHROW(index.set_ref("app", make_descriptor(manifest_type, '2', 2)));
    CHECK(index.manifests().size() == 2);
  }

  TEST_CASE("append adds an entry with annotations") {
    ImageIndex index = ImageIndex::empty();
    Descriptor target = make_descriptor(manifest_type, '7', 7);
    target.annotations["b"] = "2";
    target.annotations["a"] = "1";
    index.append(target);
    index.append(make_descriptor(manifest_type, '8', 8));
    std::string expected =
        R"({"schemaVersion":2,)"
        R"("mediaType":"application/vnd.oci.image.index.v1+json",)"
        R"("manifests":[{"mediaType":")" +
        manifest_type + R"(","digest":")" + digest_text('7') +
        R"(","size":7,"annotations":{"a":"1","b":"2"}},{"mediaType":")" +
        manifest_type + R"(","digest":")" + digest_text('8') +
        R"(","size":8}]})";
    CHECK(index.serialize() == expected);
  }

  TEST_CASE("remove drops one entry") {
    ImageIndex index = ImageIndex::parse(sample_index(), "index.json");
    index.remove(0);
    std::vector<Descriptor> manifests = index.manifests();
    REQUIRE(manifests.size() == 1);
    CHECK(manifests[0].ref_name() == std::optional<std::string>("other"));
    CHECK(index.serialize().starts_with(
        R"({"x-first":1,"schemaVersion":2,)"));
    CHECK(index.serialize().ends_with(
        R"("annotations":{"top":"level"},"x-unknown":{"nested":true}})"));
  }

  TEST_CASE("copies are independent") {
    ImageIndex original = ImageIndex::parse(sample_index(), "index.json");
    ImageIndex copy = original;
    copy.retarget(0, make_descriptor(manifest_type, '9', 9));
    CHECK(original.serialize() == sample_index());
    ImageIndex assigned = ImageIndex::empty();
    assigned = original;
    assigned.append(make_descriptor(manifest_type, '9', 9));
    CHECK(original.manifests().size() == 2);
    CHECK(assigned.manifests().size() == 3);
  }

  TEST_CASE("rejects invalid documents naming the source") {
    struct Case {
      std::string text;
      std::string message;
    };
    std::string entry_start = R"({"schemaVersion":2,"manifests":[)";
    for (const Case& item : std::vector<Case>{
             {"{", "invalid JSON in /l/index.json"},
             {"", "invalid JSON in /l/index.json"},
             {"[]", "invalid /l/index.json: expected a JSON object"},
             {R"({"manifests":[]})",
              "invalid /l/index.json: \"schemaVersion\" must be 2"},
             {R"({"schemaVersion":1,"manifests":[]})",
              "invalid /l/index.json: \"schemaVersion\" must be 2"},
             {R"({"schemaVersion":"2","manifests":[]})",
              "invalid /l/index.json: \"schemaVersion\" must be 2"},
             {R"({"schemaVersion":2})",
              "invalid /l/index.json: missing \"manifests\" array"},
             {R"({"schemaVersion":2,"manifests":{}})",
              "invalid /l/index.json: missing \"manifests\" array"},
             {entry_start + "1]}",
              "invalid descriptor in /l/index.json: expected an object"},
             {entry_start + R"({"mediaType":"x","size":1}]})",
              "invalid /l/index.json: missing string field \"digest\""},
             {entry_start + R"({"digest":")" + digest_text('1') +
                  R"(","size":1}]})",
              "invalid /l/index.json: missing string field \"mediaType\""},
             {entry_start +
                  R"({"mediaType":"x","digest":"sha256:XY","size":1}]})",
              "invalid descriptor in /l/index.json: invalid digest "
              "\"sha256:XY\": expected 64 lowercase hex digits after the "
              "colon"},
             {entry_start + R"({"mediaType":"x","digest":")" +
                  digest_text('1') + R"(","size":-1}]})",
              "invalid descriptor " + digest_text('1') +
                  " in /l/index.json: \"size\" must be a non-negative "
                  "integer"},
             {entry_start + R"({"mediaType":"x","digest":")" +
                  digest_text('1') + R"("}]})",
              "invalid descriptor " + digest_text('1') +
                  " in /l/index.json: \"size\" must be a non-negative "
                  "integer"},
             {entry_start + R"({"mediaType":"x","digest":")" +
                  digest_text('1') + R"(","size":"1"}]})",
              "invalid descriptor " + digest_text('1') +
                  " in /l/index.json: \"size\" must be a non-negative "
                  "integer"},
         }) {
      CAPTURE(item.text);
      CHECK_THROWS_WITH_AS(ImageIndex::parse(item.text, "/l/index.json"),
                           item.message.c_str(), Error);
    }
  }

  TEST_CASE("rejects a non-string platform field") {
    std::string text =
        R"({"schemaVersion":2,"manifests":[{"mediaType":")" + manifest_type +
        R"(","digest":")" + digest_text('1') +
        R"(","size":1,"platform":{"os":1,"architecture":"amd64"}}]})";
    CHECK_THROWS_AS(ImageIndex::parse(text, "/l/index.json"), Error);
  }
}

TEST_SUITE("Manifest") {
  TEST_CASE("reads config and layers") {
    Manifest manifest =
        Manifest::parse(sample_manifest(), manifest_type, "manifest m");
    CHECK(manifest.media_type() == manifest_type);
    CHECK(manifest.family() == ocicap::media_type::Family::oci);
    Descriptor config = manifest.config();
    CHECK(config.media_type == config_type);
    CHECK(config.digest.string() == digest_text('c'));
    CHECK(config.size == 10);
    std::vector<Descriptor> layers = manifest.layers();
    REQUIRE(layers.size() == 1);
    CHECK(layers[0].media_type == gzip_layer_type);
    CHECK(layers[0].digest.string() == digest_text('a'));
    CHECK(layers[0].size == 20);
    CHECK(layers[0].annotations.at("a") == "b");
  }

  TEST_CASE("create writes a schema 2 manifest") {
    Descriptor config = make_descriptor(config_type, 'c', 10);
    Descriptor layer = make_descriptor(gzip_layer_type, 'a', 20);
    layer.annotations["a"] = "b";
    Manifest manifest = Manifest::create(manifest_type, config, {layer});
    CHECK(manifest.media_type() == manifest_type);
    CHECK(manifest.family() == ocicap::media_type::Family::oci);
    CHECK(manifest.serialize() ==
          R"({"schemaVersion":2,"mediaType":")" + manifest_type +
              R"(","config":{"mediaType":")" + config_type +
              R"(","digest":")" + digest_text('c') +
              R"(","size":10},"layers":[{"mediaType":")" + gzip_layer_type +
              R"(","digest":")" + digest_text('a') +
              R"(","size":20,"annotations":{"a":"b"}}]})");
    Manifest parsed =
        Manifest::parse(manifest.serialize(), manifest_type, "created");
    CHECK(parsed.layers().size() == 1);
  }

  TEST_CASE("create makes a Docker manifest") {
    std::string docker_type =
        "application/vnd.docker.distribution.manifest.v2+json";
    Manifest manifest = Manifest::create(
        docker_type, make_descriptor(config_type, 'c', 1), {});
    CHECK(manifest.family() == ocicap::media_type::Family::docker);
    CHECK(manifest.layers().empty());
  }

  TEST_CASE("serializes unchanged input unchanged") {
    CHECK(Manifest::parse(sample_manifest(), manifest_type, "m").serialize() ==
          sample_manifest());
  }

  TEST_CASE("reads the platform from os, architecture and variant") {
    ImageConfig arm = ImageConfig::parse(
        R"({"os":"linux","architecture":"arm64","variant":"v8",)"
        R"("rootfs":{"type":"layers","diff_ids":[]}})",
        "c");
    REQUIRE(arm.platform().has_value());
    CHECK(arm.platform()->string() == "linux/arm64/v8");
    ImageConfig amd = ImageConfig::parse(
        R"({"os":"linux","architecture":"amd64","variant":null,)"
        R"("rootfs":{"type":"layers","diff_ids":[]}})",
        "c");
    REQUIRE(amd.platform().has_value());
    CHECK(amd.platform()->string() == "linux/amd64");
  }

  TEST_CASE("returns no platform without os or architecture") {
    for (std::string text : {
             std::string(R"({"rootfs":{"type":"layers","diff_ids":[]}})"),
             std::string(R"({"os":"linux",)"
                         R"("rootfs":{"type":"layers","diff_ids":[]}})"),
             std::string(R"({"architecture":"amd64","os":5,)"
                         R"("rootfs":{"type":"layers","diff_ids":[]}})"),
         }) {
      CAPTURE(text);
      CHECK_FALSE(ImageConfig::parse(text, "c").platform().has_value());
    }
  }

  TEST_CASE("keeps unknown fields through changes") {
    Manifest manifest = Manifest::parse(sample_manifest(), manifest_type, "m");
    manifest.set_config(make_descriptor(config_type, 'e', 11));
    Descriptor layer = make_descriptor(gzip_layer_type, 'f', 21);
    manifest.append_layer(layer);
    std::string expected = replace_all(
        replace_all(sample_manifest(), digest_text('c'), digest_text('e')),
        R"("size":10)", R"("size":11)");
    expected.insert(expected.find(R"(],"annotations":{"m")"),
                    R"(,{"mediaType":")" + gzip_layer_type + R"(","digest":")" +
                        digest_text('f') + R"(","size":21})");
    CHECK(manifest.serialize() == expected);
    CHECK(manifest.layers().size() == 2);
    CHECK(manifest.config().digest.string() == digest_text('e'));
  }

  TEST_CASE("copies are independent") {
    Manifest original = Manifest::parse(sample_manifest(), manifest_type, "m");
    Manifest copy = original;
    copy.append_layer(make_descriptor(gzip_layer_type, 'f', 21));
    CHECK(original.layers().size() == 1);
    CHECK(copy.layers().size() == 2);
  }

  TEST_CASE("falls back to the descriptor's type") {
    std::string text = R"({"schemaVersion":2,"config":{"mediaType":"x",)"
                       R"("digest":")" +
                       digest_text('c') + R"(","size":1},"layers":[]})";
    std::string docker_type =
        "application/vnd.docker.distribution.manifest.v2+json";
    Manifest manifest = Manifest::parse(text, docker_type, "m");
    CHECK(manifest.media_type() == docker_type);
    CHECK(manifest.family() == ocicap::media_type::Family::docker);
    CHECK(manifest.layers().empty());
  }

  TEST_CASE("rejects Docker schema 1") {
    std::string message =
        "manifest m is a Docker schema 1 manifest, which ocicap does not "
        "support: convert the image first, e.g. with skopeo copy --format oci";
    std::string schema1_type =
        "application/vnd.docker.distribution.manifest.v1+json";
    std::string signed_type =
        "application/vnd.docker.distribution.manifest.v1+prettyjws";
    for (std::string text : {
             std::string(R"({"schemaVersion":1,"name":"x","tag":"y",)"
                         R"("fsLayers":[],"history":[]})"),
             R"({"schemaVersion":1,"mediaType":")" + signed_type + "\"}",
             R"({"schemaVersion":2,"mediaType":")" + schema1_type + "\"}",
         }) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(Manifest::parse(text, manifest_type, "manifest m"),
                           message.c_str(), Error);
    }
    CHECK_THROWS_WITH_AS(
        Manifest::parse(R"({"name":"x"})",
                        "application/vnd.docker.distribution.manifest.v1+json",
                        "manifest m"),
        message.c_str(), Error);
  }

  TEST_CASE("rejects other media types") {
    std::string index_type = "application/vnd.oci.image.index.v1+json";
    CHECK_THROWS_WITH_AS(
        Manifest::parse(R"({"schemaVersion":2,"manifests":[]})", index_type,
                        "manifest m"),
        ("unsupported manifest media type \"" + index_type +
         "\" in manifest m: expected " + manifest_type +
         " or application/vnd.docker.distribution.manifest.v2+json")
            .c_str(),
        Error);
    CHECK_THROWS_WITH_AS(
        Manifest::parse(R"({"schemaVersion":2})", "", "manifest m"),
        ("unsupported manifest media type \"\" in manifest m: expected " +
         manifest_type +
         " or application/vnd.docker.distribution.manifest.v2+json")
            .c_str(),
        Error);
  }

  TEST_CASE("rejects invalid manifests naming the source") {
    struct Case {
      std::string text;
      std::string message;
    };
    std::string config = R"("config":{"mediaType":"x","digest":")" +
                         digest_text('c') + R"(","size":1})";
    std::vector<Case> cases = {
        {"not json", "invalid JSON in manifest m"},
        {R"({"config":{},"layers":[]})",
         "invalid manifest m: \"schemaVersion\" must be 2"},
        {R"({"schemaVersion":3,"config":{},"layers":[]})",
         "invalid manifest m: \"schemaVersion\" must be 2"},
        {R"({"schemaVersion":2,"layers":[]})",
         "invalid manifest m: a manifest needs a \"config\" and a "
         "\"layers\" array"},
        {"{\"schemaVersion\":2," + config + "}",
         "invalid manifest m: a manifest needs a \"config\" and a "
         "\"layers\" array"},
        {"{\"schemaVersion\":2," + config + R"(,"layers":{}})",
         "invalid manifest m: a manifest needs a \"config\" and a "
         "\"layers\" array"},
        {R"({"schemaVersion":2,"config":[],"layers":[]})",
         "invalid descriptor in manifest m: expected an object"},
        {"{\"schemaVersion\":2," + config +
             R"(,"layers":[{"mediaType":"x","digest":"md5:00","size":1}]})",
         "invalid descriptor in manifest m: unsupported digest "
         "algorithm \"md5\" in md5:00: use sha256 or sha512"},
    };
    for (const Case& item : cases) {
      CAPTURE(item.text);
      CHECK_THROWS_WITH_AS(
          Manifest::parse(item.text, manifest_type, "manifest m"),
          item.message.c_str(), Error);
    }
  }

  TEST_CASE("rejects mistyped fields with Error") {
    std::string config = R"("config":{"mediaType":"x","digest":")" +
                         digest_text('c') + R"(","size":1},"layers":[])";
    for (std::string text : {
             "{\"schemaVersion\":\"2\",\"mediaType\":\"" + manifest_type +
                 "\"," + config + "}",
             "{\"schemaVersion\":2,\"mediaType\":5," + config + "}",
         }) {
      CAPTURE(text);
      CHECK_THROWS_AS(Manifest::parse(text, manifest_type, "manifest m"),
                      Error);
    }
  }
}

TEST_SUITE("ImageConfig") {
  TEST_CASE("reads diff IDs, created and user") {
    ImageConfig config = ImageConfig::parse(sample_config(), "config c");
    std::vector<Digest> diff_ids = config.diff_ids();
    REQUIRE(diff_ids.size() == 1);
    CHECK(diff_ids[0].string() == digest_text('d'));
    CHECK(config.created() == "2023-11-14T22:13:20Z");
    CHECK(config.user() == "1000:1000");
  }

  TEST_CASE("serializes unchanged input unchanged") {
    CHECK(ImageConfig::parse(sample_config(), "c").serialize() ==
          sample_config());
  }

  TEST_CASE("returns empty created and user when absent") {
    for (std::string text : {
             std::string(R"({"rootfs":{"type":"layers","diff_ids":[]}})"),
             std::string(R"({"created":5,"config":{"User":1},)"
                         R"("rootfs":{"type":"layers","diff_ids":[]}})"),
             std::string(R"({"config":null,)"
                         R"("rootfs":{"type":"layers","diff_ids":[]}})"),
             std::string(R"({"config":{},)"
                         R"("rootfs":{"type":"layers","diff_ids":[]}})"),
         }) {
      CAPTURE(text);
      ImageConfig config = ImageConfig::parse(text, "c");
      CHECK(config.created().empty());
      CHECK(config.user().empty());
      CHECK(config.diff_ids().empty());
    }
  }

  TEST_CASE("keeps unknown fields through changes") {
    ImageConfig config = ImageConfig::parse(sample_config(), "c");
    config.append_diff_id(Digest::parse(digest_text('e')));
    config.append_history({.created = "2024-01-01T00:00:00Z",
                           .created_by = "ocicap set",
                           .comment = "ocicap 0.1.0"});
    config.set_created("2024-01-01T00:00:00Z");
    std::string expected = replace_all(
        sample_config(), R"("created":"2023-11-14T22:13:20Z","author")",
        R"("created":"2024-01-01T00:00:00Z","author")");
    expected =
        replace_all(expected, digest_text('d') + "\"]",
                    digest_text('d') + "\",\"" + digest_text('e') + "\"]");
    expected =
        replace_all(expected, R"("created_by":"base"}])",
                    R"("created_by":"base"},{"created":"2024-01-01T00:00:00Z",)"
                    R"("created_by":"ocicap set","comment":"ocicap 0.1.0"}])");
    CHECK(config.serialize() == expected);
    CHECK(config.diff_ids().size() == 2);
    CHECK(config.created() == "2024-01-01T00:00:00Z");
  }

  TEST_CASE("append_history creates the history array") {
    ImageConfig config = ImageConfig::parse(
        R"({"rootfs":{"type":"layers","diff_ids":[]}})", "c");
    config.append_history({.created = "t", .created_by = "b"});
    CHECK(config.serialize() ==
          R"({"rootfs":{"type":"layers","diff_ids":[]},)"
          R"("history":[{"created":"t","created_by":"b"}]})");
  }

  TEST_CASE("set_created adds the field when absent") {
    ImageConfig config = ImageConfig::parse(
        R"({"rootfs":{"type":"layers","diff_ids":[]}})", "c");
    config.set_created("2024-01-01T00:00:00Z");
    CHECK(config.created() == "2024-01-01T00:00:00Z");
  }

  TEST_CASE("replaces invalid UTF-8 on output") {
    ImageConfig config = ImageConfig::parse(
        R"({"rootfs":{"type":"layers","diff_ids":[]}})", "c");
    config.append_history({.created = "t", .created_by = "bad \xff byte"});
    CHECK(config.serialize().find("bad \xef\xbf\xbd byte") !=
          std::string::npos);
  }

  TEST_CASE("copies are independent") {
    ImageConfig original = ImageConfig::parse(sample_config(), "c");
    ImageConfig copy = original;
    copy.append_diff_id(Digest::parse(digest_text('e')));
    CHECK(original.diff_ids().size() == 1);
    CHECK(copy.diff_ids().size() == 2);
  }

  TEST_CASE("rejects invalid configs naming the source") {
    struct Case {
      std::string text;
      std::string message;
    };
    std::string rootfs_message =
        "invalid config c: \"rootfs\" must have type \"layers\" and a "
        "\"diff_ids\" array";
    for (const Case& item : std::vector<Case>{
             {"", "invalid JSON in config c"},
             {"1", "invalid config c: expected a JSON object"},
             {"{}", rootfs_message},
             {R"({"rootfs":[]})", rootfs_message},
             {R"({"rootfs":{"type":"tar","diff_ids":[]}})", rootfs_message},
             {R"({"rootfs":{"type":"layers"}})", rootfs_message},
             {R"({"rootfs":{"type":"layers","diff_ids":{}}})", rootfs_message},
             {R"({"rootfs":{"type":"layers","diff_ids":[1]}})",
              "invalid config c: diff IDs must be strings"},
             {R"({"rootfs":{"type":"layers","diff_ids":["sha256:abc"]}})",
              "invalid diff ID in config c: invalid digest \"sha256:abc\": "
              "expected 64 lowercase hex digits after the colon"},
             {R"({"rootfs":{"type":"layers","diff_ids":[]},"history":{}})",
              "invalid config c: \"history\" must be an array"},
         }) {
      CAPTURE(item.text);
      CHECK_THROWS_WITH_AS(ImageConfig::parse(item.text, "config c"),
                           item.message.c_str(), Error);
    }
  }

  TEST_CASE("rejects a non-string rootfs type") {
    CHECK_THROWS_AS(ImageConfig::parse(R"({"rootfs":{"type":1,"diff_ids":[]}})",
                                       "config c"),
                    Error);
  }
}

TEST_SUITE("JSON nesting") {
  // A config with a field nested `depth` arrays deep.
  std::string nested_config(std::size_t depth) {
    return R"({"rootfs":{"type":"layers","diff_ids":[]},"deep":)" +
           std::string(depth, '[') + std::string(depth, ']') + "}";
  }

  TEST_CASE("rejects a document nested too deep") {
    // Found by fuzz_image_config: copying or serializing this recursed once
    // per level and overflowed the stack.
    std::string text = nested_config(1'000'000);
    CHECK_THROWS_WITH_AS(ImageConfig::parse(text, "config c"),
                         "invalid config c: arrays and objects nest deeper "
                         "than 1000 levels",
                         Error);
  }

  TEST_CASE("keeps a document at the nesting limit") {
    // The top-level object is one level, so the field may nest 999 deep.
    ImageConfig config = ImageConfig::parse(nested_config(999), "config c");
    ImageConfig copy = config;
    CHECK(copy.serialize() == nested_config(999));
    CHECK_THROWS_AS(ImageConfig::parse(nested_config(1000), "config c"),
                    Error);
  }

  TEST_CASE("ignores brackets inside strings") {
    std::string text = R"({"rootfs":{"type":"layers","diff_ids":[]},"s":")" +
                       std::string(5000, '[') + R"(\"{"})";
    CHECK_NOTHROW(ImageConfig::parse(text, "config c"));
  }
}
