#include "ocicap/ops.hpp"

#include "ocicap/error.hpp"
#include "support/image_builder.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

using ocicap::Descriptor;
using ocicap::Error;
using ocicap::ImageIndex;
using ocicap::ImageLayer;
using ocicap::ImageLayout;
using ocicap::SourceImage;
using ocicap::test::file_entry;
using ocicap::test::ImageOptions;
using ocicap::test::TempDirectory;
using Json = nlohmann::ordered_json;

namespace {

const std::string manifest_type = "application/vnd.oci.image.manifest.v1+json";

ImageLayer small_layer(const ImageLayout& layout, const std::string& name) {
  return ocicap::test::write_layer(layout, {file_entry(name, name)});
}

SourceImage open(const std::string& text) {
  return ocicap::test::open_image(text);
}

std::string error_of(const std::string& text) {
  try {
    open(text);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no Error thrown)";
}

Json descriptor_json(const Descriptor& descriptor) {
  return Json{{"mediaType", descriptor.media_type},
              {"digest", descriptor.digest.string()},
              {"size", descriptor.size}};
}

// Stores `manifest` as the manifest of ref "app", replacing the index.
Descriptor put_manifest(ImageLayout& layout, const Json& manifest) {
  Descriptor descriptor =
      ocicap::test::store_raw_blob(layout, manifest.dump(), manifest_type);
  ImageIndex index = ImageIndex::empty();
  index.set_ref("app", descriptor);
  layout.write_index(index);
  return descriptor;
}

Json config_json(const std::vector<ImageLayer>& layers) {
  Json diff_ids = Json::array();
  for (const ImageLayer& layer : layers) {
    diff_ids.push_back(layer.diff_id.string());
  }
  return Json{{"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
}

Json manifest_json(const Descriptor& config,
                   const std::vector<Descriptor>& layers) {
  Json layer_array = Json::array();
  for (const Descriptor& layer : layers) {
    layer_array.push_back(descriptor_json(layer));
  }
  return Json{{"schemaVersion", 2},
              {"mediaType", manifest_type},
              {"config", descriptor_json(config)},
              {"layers", layer_array}};
}

// Returns the descriptor of the first index.json entry.
Descriptor open_manifest_descriptor(const ImageLayout& layout) {
  return ImageLayout::open(layout.path()).index().manifests().at(0);
}

struct MultiPlatform {
  Descriptor amd64;
  Descriptor arm64;
};

// Writes ref "multi": an index of a linux/amd64 image, a linux/arm64/v8
// image and a BuildKit-style attestation manifest.
MultiPlatform write_multi_platform(ImageLayout& layout) {
  MultiPlatform written{
      ocicap::test::write_manifest(layout, {small_layer(layout, "amd64")}),
      ocicap::test::write_manifest(layout, {small_layer(layout, "arm64")})};
  written.amd64.platform = ocicap::Platform{"linux", "amd64", ""};
  written.arm64.platform = ocicap::Platform{"linux", "arm64", "v8"};
  Descriptor attestation =
      ocicap::test::write_manifest(layout, {small_layer(layout, "sbom")});
  attestation.platform = ocicap::Platform{"unknown", "unknown", ""};
  attestation.annotations["vnd.docker.reference.type"] = "attestation-manifest";
  attestation.annotations["vnd.docker.reference.digest"] =
      written.amd64.digest.string();
  Descriptor index = ocicap::test::write_index_blob(
      layout, {written.amd64, written.arm64, attestation});
  ocicap::test::add_to_index(layout, index, "multi");
  return written;
}

} // namespace

TEST_SUITE("ImageSource") {
  TEST_CASE("opens the only image without a ref") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    std::vector<ImageLayer> layers = {small_layer(layout, "a"),
                                      small_layer(layout, "b")};
    Descriptor manifest = ocicap::test::write_image(layout, layers);
    SourceImage image = open("oci:" + directory.path());
    CHECK(ocicap::select_index_entry(
              layout,
              ocicap::parse_image_reference("oci:" + directory.path())) == 0);
    CHECK(image.manifest_descriptor.digest == manifest.digest);
    CHECK_FALSE(image.platform.has_value());
    CHECK(image.manifest.layers().size() == 2);
    CHECK(image.config.diff_ids().size() == 2);
    CHECK(image.layout.path() == directory.path());
    std::vector<ImageLayer> read = ocicap::image_layers(image);
    REQUIRE(read.size() == 2);
    CHECK(read[0].descriptor.digest == layers[0].descriptor.digest);
    CHECK(read[0].diff_id == layers[0].diff_id);
    CHECK(read[1].descriptor.digest == layers[1].descriptor.digest);
    CHECK(read[1].diff_id == layers[1].diff_id);
  }

  TEST_CASE("selects an image by ref") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ocicap::test::write_image(layout, {small_layer(layout, "a")},
                              ImageOptions{.ref = "first"});
    Descriptor second = ocicap::test::write_image(
        layout, {small_layer(layout, "b")}, ImageOptions{.ref = "second"});
    SourceImage image = open("oci:" + directory.path() + ":second");
    CHECK(ocicap::select_index_entry(
              layout, ocicap::parse_image_reference("oci:" + directory.path() +
                                                    ":second")) == 1);
    CHECK(image.manifest_descriptor.digest == second.digest);
  }

  TEST_CASE("opens a Docker schema 2 image") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer = ocicap::test::write_layer(
        layout, {file_entry("a", "a")}, ocicap::media_type::Compression::gzip,
        ocicap::media_type::Family::docker);
    ocicap::test::write_image(
        layout, {layer},
        ImageOptions{.ref = "app",
                     .family = ocicap::media_type::Family::docker});
    SourceImage image = open("oci:" + directory.path() + ":app");
    CHECK(image.manifest.family() == ocicap::media_type::Family::docker);
  }

  TEST_CASE("asks for a ref among several") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ocicap::test::write_image(layout, {small_layer(layout, "a")},
                              ImageOptions{.ref = "app"});
    Descriptor unnamed =
        ocicap::test::write_image(layout, {small_layer(layout, "b")});
    CHECK(error_of("oci:" + directory.path()) ==
          "image layout " + directory.path() +
              " holds 2 images: name one as oci:" + directory.path() +
              ":REF (refs: app, (no ref) " + unnamed.short_digest() + ")");
  }

  TEST_CASE("asks for a ref with the transport given") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ocicap::test::write_image(layout, {small_layer(layout, "a")},
                              ImageOptions{.ref = "one"});
    ocicap::test::write_image(layout, {small_layer(layout, "b")},
                              ImageOptions{.ref = "two"});
    auto hint_of = [&](const std::string& text) -> std::string {
      try {
        ocicap::select_index_entry(layout,
                                   ocicap::parse_image_reference(text));
      } catch (const Error& error) {
        return error.what();
      }
      return "(no Error thrown)";
    };
    CHECK(hint_of("oci-archive:arc/ot.tar") ==
          "archive arc/ot.tar holds 2 images: name one as "
          "oci-archive:arc/ot.tar:REF (refs: one, two)");
    CHECK(hint_of("arc/ot.tar") ==
          "archive arc/ot.tar holds 2 images: name one as "
          "oci-archive:arc/ot.tar:REF (refs: one, two)");
    CHECK(hint_of("-") == "archive - holds 2 images: name one as "
                          "oci-archive:-:REF (refs: one, two)");
    CHECK(hint_of(directory.path()) ==
          "image layout " + directory.path() +
              " holds 2 images: name one as oci:" + directory.path() +
              ":REF (refs: one, two)");
  }

  TEST_CASE("names an empty layout") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    layout.write_index(ImageIndex::empty());
    CHECK(error_of("oci:" + directory.path()) ==
          "image layout " + directory.path() +
              " holds 0 images: name one as oci:" + directory.path() +
              ":REF (refs: none)");
  }

  TEST_CASE("lists refs when the ref is missing") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ocicap::test::write_image(layout, {small_layer(layout, "a")},
                              ImageOptions{.ref = "app"});
    ocicap::test::write_image(layout, {small_layer(layout, "b")},
                              ImageOptions{.ref = "other"});
    CHECK(error_of("oci:" + directory.path() + ":nope") ==
          "ref \"nope\" not found in image layout " + directory.path() +
              " (refs: app, other)");
  }

  TEST_CASE("rejects a duplicate ref") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    Descriptor manifest = ocicap::test::write_image(
        layout, {small_layer(layout, "a")}, ImageOptions{.ref = "app"});
    ImageIndex index = layout.index();
    Descriptor duplicate = manifest;
    duplicate.annotations["org.opencontainers.image.ref.name"] = "app";
    index.append(duplicate);
    layout.write_index(index);
    CHECK(error_of("oci:" + directory.path() + ":app") ==
          "ref \"app\" names more than one entry of " + directory.path() +
              "/index.json: remove the duplicate annotation");
  }

  TEST_CASE("asks for a platform among several") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    write_multi_platform(layout);
    std::string text = "oci:" + directory.path() + ":multi";
    CHECK(error_of(text) ==
          text + " is a multi-platform image: choose one with --platform "
                 "(platforms: linux/amd64, linux/arm64/v8)");
  }

  TEST_CASE("selects a platform") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    MultiPlatform written = write_multi_platform(layout);
    std::string reference = "oci:" + directory.path() + ":multi";
    SourceImage arm = ocicap::test::open_image(
        reference, ocicap::Platform{"linux", "arm64", ""});
    CHECK(arm.manifest_descriptor.digest == written.arm64.digest);
    REQUIRE(arm.platform.has_value());
    CHECK(arm.platform->string() == "linux/arm64/v8");
    SourceImage amd = ocicap::test::open_image(
        reference, ocicap::Platform{"linux", "amd64", ""});
    CHECK(amd.manifest_descriptor.digest == written.amd64.digest);
  }

  TEST_CASE("names a platform the index lacks") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    write_multi_platform(layout);
    std::string text = "oci:" + directory.path() + ":multi";
    std::string message;
    try {
      ocicap::test::open_image(text, ocicap::Platform{"linux", "s390x", ""});
    } catch (const Error& error) {
      message = error.what();
    }
    CHECK(message == text + " is a multi-platform image without a single "
                            "linux/s390x image: choose one with --platform "
                            "(platforms: linux/amd64, linux/arm64/v8)");
  }

  TEST_CASE("accepts --platform matching a single image's config") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ocicap::test::write_image(layout, {small_layer(layout, "a")},
                              ImageOptions{.ref = "app"});
    std::string text = "oci:" + directory.path() + ":app";
    SourceImage image = ocicap::test::open_image(
        text, ocicap::Platform{"linux", "amd64", ""});
    CHECK(image.manifest.layers().size() == 1);
  }

  TEST_CASE("names a single image's platform on a mismatch") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ocicap::test::write_image(layout, {small_layer(layout, "a")},
                              ImageOptions{.ref = "app"});
    std::string text = "oci:" + directory.path() + ":app";
    CHECK_THROWS_WITH_AS(
        ocicap::test::open_image(text, ocicap::Platform{"linux", "arm64", ""}),
        ("--platform linux/arm64 does not match " + text +
         ", a single image for linux/amd64: drop --platform or name "
         "linux/amd64")
            .c_str(),
        Error);
  }

  TEST_CASE("check_single_image_platforms needs a declared platform") {
    ocicap::ImageConfig config = ocicap::ImageConfig::parse(
        R"({"rootfs":{"type":"layers","diff_ids":[]}})", "config");
    CHECK_THROWS_WITH_AS(
        ocicap::check_single_image_platforms(
            config, {ocicap::Platform{"linux", "amd64", ""}}, "img"),
        "--platform linux/amd64: img is a single image whose config "
        "declares no os and architecture; drop --platform",
        Error);
    CHECK_NOTHROW(ocicap::check_single_image_platforms(config, {}, "img"));
  }

  TEST_CASE("check_platforms_matched names each unmatched platform") {
    std::vector<ocicap::Platform> available{{"linux", "amd64", ""},
                                            {"linux", "arm64", "v8"}};
    CHECK_NOTHROW(ocicap::check_platforms_matched(
        {{"linux", "arm64", ""}, {"linux", "amd64", ""}}, available, "img"));
    CHECK_THROWS_WITH_AS(
        ocicap::check_platforms_matched(
            {{"linux", "arm64", ""}, {"linux", "s390x", ""}}, available,
            "img"),
        "no image in img matches --platform linux/s390x (platforms: "
        "linux/amd64, linux/arm64/v8)",
        Error);
    CHECK_THROWS_WITH_AS(ocicap::check_platforms_matched(
                             {{"linux", "amd64", ""}}, {}, "img"),
                         "no image in img matches --platform linux/amd64 "
                         "(platforms: none)",
                         Error);
  }

  TEST_CASE("skips attestations and follows nested indexes") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    Descriptor image =
        ocicap::test::write_manifest(layout, {small_layer(layout, "a")});
    image.platform = ocicap::Platform{"linux", "amd64", ""};
    Descriptor attestation =
        ocicap::test::write_manifest(layout, {small_layer(layout, "b")});
    attestation.platform = ocicap::Platform{"unknown", "unknown", ""};
    Descriptor inner =
        ocicap::test::write_index_blob(layout, {image, attestation});
    Descriptor outer = ocicap::test::write_index_blob(layout, {inner});
    ocicap::test::add_to_index(layout, outer, "nested");
    SourceImage opened = open("oci:" + directory.path() + ":nested");
    CHECK(opened.manifest_descriptor.digest == image.digest);
  }

  TEST_CASE("read_source_image rejects other media types") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    Descriptor manifest =
        ocicap::test::write_manifest(layout, {small_layer(layout, "a")});
    manifest.media_type =
        "application/vnd.docker.distribution.manifest.v1+json";
    CHECK_THROWS_WITH_AS(
        ocicap::read_source_image(layout, manifest),
        ("manifest " + manifest.digest.string() +
         " is a Docker schema 1 manifest, which ocicap does not support: "
         "convert the image first, e.g. with skopeo copy --format oci")
            .c_str(),
        Error);
    manifest.media_type = "application/x-unknown";
    CHECK_THROWS_WITH_AS(ocicap::read_source_image(layout, manifest),
                         ("unsupported manifest media type "
                          "\"application/x-unknown\" for " +
                          manifest.digest.string())
                             .c_str(),
                         Error);
  }

  TEST_CASE("names a missing manifest blob") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    Descriptor manifest = ocicap::test::write_image(
        layout, {small_layer(layout, "a")}, ImageOptions{.ref = "app"});
    std::string path = layout.blob_path(manifest.digest);
    ::unlink(path.c_str());
    CHECK(error_of("oci:" + directory.path() + ":app") ==
          "reading manifest " + manifest.digest.string() + ": blob " +
              manifest.digest.string() + " not found: " + path +
              " is missing from the layout");
  }

  TEST_CASE("names a corrupt config blob") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    std::vector<ImageLayer> layers = {small_layer(layout, "a")};
    ocicap::test::write_image(layout, layers, ImageOptions{.ref = "app"});
    Descriptor config = open("oci:" + directory.path()).manifest.config();
    std::string path = layout.blob_path(config.digest);
    std::string bytes = ocicap::test::read_file(path);
    bytes[bytes.size() / 2] = 'X';
    ocicap::test::write_file(path, bytes);
    std::string message = error_of("oci:" + directory.path());
    CAPTURE(message);
    CHECK(message.starts_with("reading config " + config.digest.string() +
                              ": blob " + config.digest.string() +
                              " does not match its digest"));
  }

  TEST_CASE("rejects a schema 1 manifest") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    Descriptor manifest = put_manifest(
        layout, Json{{"schemaVersion", 1}, {"name", "x"}, {"fsLayers", {}}});
    std::string message = error_of("oci:" + directory.path());
    CHECK(message == "manifest " + manifest.digest.string() +
                         " is a Docker schema 1 manifest, which ocicap does "
                         "not support: convert the image first, e.g. with "
                         "skopeo copy --format oci");
  }

  TEST_CASE("rejects layers without diff IDs") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer = small_layer(layout, "a");
    Descriptor config = ocicap::test::store_raw_blob(
        layout, config_json({}).dump(),
        "application/vnd.oci.image.config.v1+json");
    put_manifest(layout, manifest_json(config, {layer.descriptor}));
    Descriptor manifest = open_manifest_descriptor(layout);
    CHECK(error_of("oci:" + directory.path() + ":app") ==
          "manifest " + manifest.digest.string() +
              " lists 1 layers but its config lists 0 diff IDs");
  }

  TEST_CASE("names a missing layer blob") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer = small_layer(layout, "a");
    ocicap::test::write_image(layout, {layer});
    std::string path = layout.blob_path(layer.descriptor.digest);
    ::unlink(path.c_str());
    CHECK(error_of("oci:" + directory.path()) ==
          "layer " + layer.descriptor.digest.string() + " not found: " + path +
              " is missing from the layout");
  }

  TEST_CASE("names a wrongly sized layer") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer = small_layer(layout, "a");
    ocicap::test::write_image(layout, {layer});
    std::string path = layout.blob_path(layer.descriptor.digest);
    ocicap::test::write_file(path, ocicap::test::read_file(path) + "x");
    CHECK(error_of("oci:" + directory.path()) ==
          "layer " + layer.descriptor.digest.string() + " has " +
              std::to_string(layer.descriptor.size + 1) +
              " bytes but its descriptor declares " +
              std::to_string(layer.descriptor.size) + ": the blob is damaged");
  }

  TEST_CASE("allows a missing non-distributable layer") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer = small_layer(layout, "a");
    layer.descriptor.media_type =
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
    ::unlink(layout.blob_path(layer.descriptor.digest).c_str());
    Descriptor config = ocicap::test::store_raw_blob(
        layout, config_json({layer}).dump(),
        "application/vnd.oci.image.config.v1+json");
    put_manifest(layout, manifest_json(config, {layer.descriptor}));
    CHECK_NOTHROW(open("oci:" + directory.path()));
  }

  TEST_CASE("names a missing layout") {
    TempDirectory directory;
    std::string path = directory.file("missing");
    CHECK(error_of("oci:" + path) ==
          "image layout " + path + " not found: no such directory");
  }
}
