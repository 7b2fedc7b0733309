#include "ocicap/docker_archive_manifest.hpp"

#include "ocicap/error.hpp"
#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::DockerArchiveImage;
using ocicap::DockerArchiveManifest;
using ocicap::Error;

namespace {

// A docker save manifest.json (Config, RepoTags, Layers) with a
// LayerSources map and an unknown field, which must survive an update.
const std::string sample_manifest =
    R"([{"Config":"abc.json","RepoTags":["app:1","app:latest"],)"
    R"("Layers":["l1/layer.tar","l2/layer.tar"],)"
    R"("LayerSources":{"sha256:00":{"size":1}},"x-keep":true},)"
    R"({"Config":"def.json","RepoTags":null,"Layers":[]}])";

} // namespace

TEST_SUITE("DockerArchiveManifest") {
  TEST_CASE("lists images with tags and layers") {
    std::vector<DockerArchiveImage> images =
        DockerArchiveManifest::parse(sample_manifest, "manifest.json").images();
    REQUIRE(images.size() == 2);
    CHECK(images[0].config == "abc.json");
    CHECK(images[0].repo_tags ==
          std::vector<std::string>{"app:1", "app:latest"});
    CHECK(images[0].layers ==
          std::vector<std::string>{"l1/layer.tar", "l2/layer.tar"});
    CHECK(images[1].config == "def.json");
    CHECK(images[1].repo_tags.empty());
    CHECK(images[1].layers.empty());
  }

  TEST_CASE("serializes unchanged input unchanged") {
    CHECK(DockerArchiveManifest::parse(sample_manifest, "manifest.json")
              .serialize() == sample_manifest);
  }

  TEST_CASE("update keeps other fields") {
    DockerArchiveManifest manifest =
        DockerArchiveManifest::parse(sample_manifest, "manifest.json");
    manifest.update(
        0, {.config = "new.json",
            .repo_tags = {"app:capped"},
            .layers = {"l1/layer.tar", "l2/layer.tar", "blobs/sha256/ff"}});
    CHECK(manifest.serialize() ==
          R"([{"Config":"new.json","RepoTags":["app:capped"],)"
          R"("Layers":["l1/layer.tar","l2/layer.tar","blobs/sha256/ff"],)"
          R"("LayerSources":{"sha256:00":{"size":1}},"x-keep":true},)"
          R"({"Config":"def.json","RepoTags":null,"Layers":[]}])");
  }

  TEST_CASE("update adds missing fields") {
    DockerArchiveManifest manifest =
        DockerArchiveManifest::parse(R"([{"Config":"a.json"}])", "m");
    manifest.update(0, {.config = "b.json", .repo_tags = {}, .layers = {}});
    CHECK(manifest.serialize() ==
          R"([{"Config":"b.json","RepoTags":[],"Layers":[]}])");
  }

  TEST_CASE("rejects invalid manifests naming the source") {
    struct Case {
      std::string text;
      std::string message;
    };
    std::vector<Case> cases = {
        {"", "invalid m.json: expected a JSON array of images"},
        {"{}", "invalid m.json: expected a JSON array of images"},
        {"[1]", "invalid m.json: each image must be an object"},
        {"[{}]", "invalid m.json: missing string field \"Config\""},
        {R"([{"Config":5}])",
         "invalid m.json: missing string field \"Config\""},
        {R"([{"Config":"a","Layers":"l"}])",
         "invalid m.json: \"Layers\" must be an array of strings"},
        {R"([{"Config":"a","RepoTags":[1]}])",
         "invalid m.json: \"RepoTags\" must be an array of strings"},
    };
    for (const Case& item : cases) {
      CAPTURE(item.text);
      CHECK_THROWS_WITH_AS(DockerArchiveManifest::parse(item.text, "m.json"),
                           item.message.c_str(), Error);
    }
  }
}
