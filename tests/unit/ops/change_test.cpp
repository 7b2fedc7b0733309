#include "ocicap/ops.hpp"

#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"
#include "ocicap/timestamp.hpp"
#include "ocicap/vfs_cap_data.hpp"
#include "support/image_builder.hpp"
#include "support/printers.hpp"
#include "support/temp_directory.hpp"

#include <archive_entry.h>
#include <doctest/doctest.h>
#include <filesystem>
#include <set>
#include <string>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

using ocicap::CapabilitySet;
using ocicap::ChangeRequest;
using ocicap::ChangeResult;
using ocicap::Descriptor;
using ocicap::EntryType;
using ocicap::Error;
using ocicap::FileChange;
using ocicap::ImageLayer;
using ocicap::ImageLayout;
using ocicap::LayerReader;
using ocicap::SourceImage;
using ocicap::TarEntry;
using ocicap::media_type::Compression;
using ocicap::media_type::Family;
using ocicap::test::directory_entry;
using ocicap::test::EntrySpec;
using ocicap::test::file_entry;
using ocicap::test::hardlink_entry;
using ocicap::test::ImageOptions;
using ocicap::test::marker_entry;
using ocicap::test::ScopedEnvironment;
using ocicap::test::symlink_entry;
using ocicap::test::TempDirectory;

namespace {

const std::string tool_content = "#!/bin/sh\necho tool\n";
const std::string cap_name = "security.capability";

struct BaseOptions {
  Compression top_compression = Compression::gzip;
  Family family = Family::oci;
  // Docker has no zstd layer type, so Docker images use gzip throughout.
  Compression bottom_compression = Compression::zstd;
};

// Writes the test image as ref "app" of a layout at `path`:
//   layer 0: /usr/bin/tool, a symlink and a hard link to it, /usr/lib/x,
//            /lib -> usr/lib, /opt/x without an /opt entry, /gone
//   layer 1: /usr/local/bin/top with another xattr, a whiteout of /gone
void write_base_image(const std::string& path, BaseOptions options = {}) {
  ImageLayout layout = ImageLayout::create(path);
  EntrySpec tool = file_entry("usr/bin/tool", tool_content);
  tool.mode = 0755;
  EntrySpec top = file_entry("usr/local/bin/top", "top", {{"user.keep", "1"}});
  top.mode = 0750;
  top.uid = 1000;
  top.gid = 1000;
  Compression bottom_compression = options.family == Family::docker
                                       ? Compression::gzip
                                       : options.bottom_compression;
  ImageLayer bottom = ocicap::test::write_layer(
      layout,
      {directory_entry("usr"), directory_entry("usr/bin"), tool,
       symlink_entry("usr/bin/link", "tool"),
       hardlink_entry("usr/bin/hard", "usr/bin/tool"),
       directory_entry("usr/lib"), file_entry("usr/lib/x", "x"),
       symlink_entry("lib", "usr/lib"), file_entry("opt/x", "x"),
       file_entry("gone", "")},
      bottom_compression, options.family);
  ImageLayer upper = ocicap::test::write_layer(
      layout,
      {directory_entry("usr"), directory_entry("usr/local"),
       directory_entry("usr/local/bin"), top, marker_entry(".wh.gone")},
      options.top_compression, options.family);
  ocicap::test::write_image(
      layout, {bottom, upper},
      ImageOptions{.ref = "app", .family = options.family});
}

// Returns a request that sets `text` on every path.
ChangeRequest make_request(const std::string& image, const std::string& text,
                           const std::vector<std::string>& paths) {
  ChangeRequest request;
  request.image = ocicap::parse_image_reference(image);
  for (const std::string& path : paths) {
    request.changes.push_back({path, ocicap::parse_capability_text(text)});
  }
  request.command_line = "ocicap set " + text;
  return request;
}

// Returns a request that removes the capabilities of every path.
ChangeRequest removal_request(const std::string& image,
                              const std::vector<std::string>& paths) {
  ChangeRequest request;
  request.image = ocicap::parse_image_reference(image);
  for (const std::string& path : paths) {
    request.changes.push_back({path, std::nullopt});
  }
  request.command_line = "ocicap rm";
  return request;
}

struct ReadEntry {
  TarEntry entry;
  std::string content;
};

std::vector<ReadEntry> read_layer(const ImageLayout& layout,
                                  const ImageLayer& layer) {
  LayerReader reader(layout, layer);
  std::vector<ReadEntry> entries;
  while (reader.next()) {
    ReadEntry item{reader.entry(), ""};
    reader.read_data([&item](std::string_view data) { item.content += data; });
    entries.push_back(std::move(item));
  }
  reader.finish();
  return entries;
}

std::vector<ReadEntry> top_layer_entries(const SourceImage& image) {
  std::vector<ImageLayer> layers = ocicap::image_layers(image);
  REQUIRE_FALSE(layers.empty());
  return read_layer(image.layout, layers.back());
}

std::vector<std::string> names_of(const std::vector<ReadEntry>& entries) {
  std::vector<std::string> names;
  for (const ReadEntry& item : entries) {
    names.push_back(ocicap::normalize_image_path(item.entry.name()));
  }
  return names;
}

SourceImage open(const std::string& text) {
  return ocicap::test::open_image(text);
}

std::set<std::string> list_tree(const std::string& path) {
  std::set<std::string> names;
  for (const auto& item : std::filesystem::recursive_directory_iterator(path)) {
    names.insert(item.path().string());
  }
  return names;
}

std::string error_of(const ChangeRequest& request) {
  try {
    ocicap::apply_changes(request);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no Error thrown)";
}

void check_valid(const std::string& path) {
  std::vector<std::string> problems = ocicap::test::validate_layout(path);
  CHECK_MESSAGE(problems.empty(), ocicap::test::join_lines(problems));
}

struct MultiPlatform {
  Descriptor amd64;
  Descriptor arm64;
  Descriptor attestation;
  Descriptor index;
};

// Writes ref "multi" of a layout at `path`: an index of linux/amd64 and
// linux/arm64/v8 images, each with /usr/bin/tool, and a BuildKit-style
// attestation manifest for the amd64 image.
MultiPlatform write_multi_platform_image(const std::string& path) {
  ImageLayout layout = ImageLayout::create(path);
  auto image_with_tool = [&layout](const std::string& content) {
    ImageLayer layer = ocicap::test::write_layer(
        layout, {directory_entry("usr"), directory_entry("usr/bin"),
                 file_entry("usr/bin/tool", content)});
    return ocicap::test::write_manifest(layout, {layer});
  };
  MultiPlatform written{
      image_with_tool("amd64 tool"), image_with_tool("arm64 tool"),
      image_with_tool("in-toto statement"), image_with_tool("placeholder")};
  written.amd64.platform = ocicap::Platform{"linux", "amd64", ""};
  written.arm64.platform = ocicap::Platform{"linux", "arm64", "v8"};
  written.attestation.platform = ocicap::Platform{"unknown", "unknown", ""};
  written.attestation.annotations["vnd.docker.reference.type"] =
      "attestation-manifest";
  written.attestation.annotations["vnd.docker.reference.digest"] =
      written.amd64.digest.string();
  written.index = ocicap::test::write_index_blob(
      layout, {written.amd64, written.arm64, written.attestation});
  ocicap::test::add_to_index(layout, written.index, "multi");
  return written;
}

// Returns the entries of the image index that ref `ref` points at.
std::vector<Descriptor> index_entries(const std::string& layout_path,
                                      const std::string& ref) {
  ImageLayout layout = ImageLayout::open(layout_path);
  std::size_t position = ocicap::select_index_entry(
      layout, ocicap::parse_image_reference("oci:" + layout_path + ":" + ref));
  Descriptor top = layout.index().manifests().at(position);
  return ocicap::ImageIndex::parse(layout.read_document(top), "index")
      .manifests();
}

} // namespace

TEST_SUITE("ApplyChanges") {
  TEST_CASE("sets a lower-layer file in place") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    SourceImage before = open("oci:" + image + ":app");

    ChangeResult result = ocicap::apply_changes(make_request(
        "oci:" + image + ":app", "cap_ipc_lock+eip", {"/usr/bin/tool"}));

    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].path == "/usr/bin/tool");
    CHECK(result.files[0].capability_text == "cap_ipc_lock=eip");
    CHECK(result.files[0].source_layer == 0);
    CHECK(result.destination == "oci:" + image + ":app");
    check_valid(image);

    SourceImage after = open("oci:" + image + ":app");
    CHECK(after.manifest_descriptor.digest == result.descriptor.digest);
    CHECK(after.layout.index().manifests().size() == 1);
    std::vector<Descriptor> layers = after.manifest.layers();
    REQUIRE(layers.size() == 3);
    CHECK(layers[0].digest == before.manifest.layers()[0].digest);
    CHECK(after.config.diff_ids().size() == 3);

    // /usr/bin/hard is another name of the file, so it follows as a link.
    std::vector<ReadEntry> entries = top_layer_entries(after);
    CHECK(names_of(entries) == std::vector<std::string>{"usr", "usr/bin",
                                                        "usr/bin/tool",
                                                        "usr/bin/hard"});
    CHECK(entries.back().entry.type() == EntryType::hardlink);
    const ReadEntry& tool = entries.at(2);
    CHECK(tool.entry.type() == EntryType::regular);
    CHECK(tool.entry.mode() == 0755);
    CHECK(tool.content == tool_content);
    CHECK(tool.entry.xattr(cap_name) ==
          std::optional<std::string>(ocicap::encode_vfs_cap_data(
              ocicap::parse_capability_text("cap_ipc_lock+eip"))));
  }

  TEST_CASE("records the run in the config history") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ScopedEnvironment epoch("SOURCE_DATE_EPOCH", std::nullopt);
    ocicap::apply_changes(make_request("oci:" + image + ":app",
                                       "cap_net_raw+ep", {"/usr/bin/tool"}));
    std::string config = open("oci:" + image + ":app").config.serialize();
    CAPTURE(config);
    CHECK(config.find(R"({"created":"2023-11-14T22:13:20Z",)"
                      R"("created_by":"ocicap set cap_net_raw+ep",)"
                      R"("comment":"ocicap )" OCICAP_VERSION
                      "\"}]") != std::string::npos);
    CHECK(config.starts_with(R"({"created":"2023-11-14T22:13:20Z")"));
  }

  TEST_CASE("stamps SOURCE_DATE_EPOCH on config and new directories") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ScopedEnvironment epoch("SOURCE_DATE_EPOCH", "1800000000");
    ocicap::apply_changes(
        make_request("oci:" + image + ":app", "cap_chown+p", {"/opt/x"}));
    SourceImage after = open("oci:" + image + ":app");
    CHECK(after.config.created() == ocicap::format_rfc3339(1800000000));
    std::vector<ReadEntry> entries = top_layer_entries(after);
    CHECK(names_of(entries) == std::vector<std::string>{"opt", "opt/x"});
    CHECK(entries[0].entry.type() == EntryType::directory);
    CHECK(entries[0].entry.mode() == 0755);
    CHECK(archive_entry_mtime(entries[0].entry.get()) == 1800000000);
  }

  TEST_CASE("keeps other xattrs, mode and owner") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ChangeResult result = ocicap::apply_changes(make_request(
        "oci:" + image + ":app", "cap_setuid+i", {"usr/local/bin/top"}));
    CHECK(result.files.at(0).source_layer == 1);
    std::vector<ReadEntry> entries =
        top_layer_entries(open("oci:" + image + ":app"));
    const ReadEntry& top = entries.back();
    CHECK(ocicap::normalize_image_path(top.entry.name()) ==
          "usr/local/bin/top");
    CHECK(top.entry.mode() == 0750);
    CHECK(top.entry.uid() == 1000);
    CHECK(top.entry.gid() == 1000);
    CHECK(top.entry.xattr("user.keep") == std::optional<std::string>("1"));
    CHECK(top.entry.xattr(cap_name).has_value());
    CHECK(top.content == "top");
  }

  TEST_CASE("sets several paths once each, sorted") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ChangeResult result = ocicap::apply_changes(
        make_request("oci:" + image + ":app", "cap_chown+ep",
                     {"usr/local/bin/top", "/usr/bin/tool", "./usr/bin/tool",
                      "/usr/bin/../bin/tool"}));
    REQUIRE(result.files.size() == 2);
    CHECK(result.files[0].path == "/usr/bin/tool");
    CHECK(result.files[1].path == "/usr/local/bin/top");
    CHECK(names_of(top_layer_entries(open("oci:" + image + ":app"))) ==
          std::vector<std::string>{"usr", "usr/bin", "usr/local",
                                   "usr/local/bin", "usr/bin/tool",
                                   "usr/bin/hard", "usr/local/bin/top"});
    check_valid(image);
  }

  TEST_CASE("copies the file of a hard link and links its other name") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ocicap::apply_changes(make_request("oci:" + image + ":app", "cap_chown+ep",
                                       {"/usr/bin/hard"}));
    std::vector<ReadEntry> entries =
        top_layer_entries(open("oci:" + image + ":app"));
    REQUIRE(entries.size() >= 2);
    const ReadEntry& hard = entries[entries.size() - 2];
    CHECK(ocicap::normalize_image_path(hard.entry.name()) == "usr/bin/hard");
    CHECK(hard.entry.type() == EntryType::regular);
    CHECK(hard.entry.mode() == 0755);
    CHECK(hard.content == tool_content);
    const ReadEntry& tool = entries.back();
    CHECK(ocicap::normalize_image_path(tool.entry.name()) == "usr/bin/tool");
    CHECK(tool.entry.type() == EntryType::hardlink);
    CHECK(tool.entry.link_target() == "usr/bin/hard");
  }

  TEST_CASE("writes revision 3 with a root ID") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.changes[0].capabilities->root_id = 1000;
    ocicap::apply_changes(request);
    std::vector<ReadEntry> entries =
        top_layer_entries(open("oci:" + image + ":app"));
    REQUIRE(entries.size() >= 2);
    std::optional<std::string> value =
        entries[entries.size() - 2].entry.xattr(cap_name);
    REQUIRE(value.has_value());
    CHECK(value->size() == 24);
    CHECK(ocicap::decode_vfs_cap_data(*value).root_id ==
          std::optional<std::uint32_t>(1000));
  }

  TEST_CASE("writes a new layout for --output") {
    TempDirectory directory;
    std::string image = directory.file("image");
    std::string output = directory.file("out");
    write_base_image(image);
    std::string index_before = ocicap::test::read_file(image + "/index.json");
    std::set<std::string> tree_before = list_tree(image);

    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.output = ocicap::parse_image_reference("oci:" + output + ":copy");
    ChangeResult result = ocicap::apply_changes(request);

    CHECK(result.destination == "oci:" + output + ":copy");
    CHECK(ocicap::test::read_file(image + "/index.json") == index_before);
    CHECK(list_tree(image) == tree_before);
    check_valid(output);
    SourceImage copy = open("oci:" + output + ":copy");
    CHECK(copy.manifest_descriptor.digest == result.descriptor.digest);
    CHECK(copy.layout.index().manifests().size() == 1);
    std::vector<ReadEntry> copied = top_layer_entries(copy);
    REQUIRE(copied.size() >= 2);
    CHECK(copied[copied.size() - 2].entry.xattr(cap_name).has_value());
    for (const auto& item :
         std::filesystem::directory_iterator(directory.path())) {
      CHECK_FALSE(item.path().filename().string().starts_with(".ocicap-tmp"));
    }
  }

  TEST_CASE("keeps the source ref on output") {
    TempDirectory directory;
    std::string image = directory.file("image");
    std::string output = directory.file("out");
    write_base_image(image);
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.output = ocicap::parse_image_reference("oci:" + output);
    ChangeResult result = ocicap::apply_changes(request);
    CHECK(result.destination == "oci:" + output + ":app");
    CHECK_NOTHROW(open("oci:" + output + ":app"));
  }

  TEST_CASE("writes into an empty --output directory") {
    TempDirectory directory;
    std::string image = directory.file("image");
    std::string output = directory.file("out");
    write_base_image(image);
    ocicap::make_directories(output);
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.output = ocicap::parse_image_reference("oci:" + output + ":copy");
    ocicap::apply_changes(request);
    check_valid(output);
  }

  TEST_CASE("adds a ref to an existing output") {
    TempDirectory directory;
    std::string image = directory.file("image");
    std::string output = directory.file("out");
    write_base_image(image);
    write_base_image(output);
    Descriptor existing = open("oci:" + output + ":app").manifest_descriptor;
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.output = ocicap::parse_image_reference("oci:" + output + ":capped");
    ChangeResult result = ocicap::apply_changes(request);
    check_valid(output);
    CHECK(open("oci:" + output + ":app").manifest_descriptor.digest ==
          existing.digest);
    CHECK(open("oci:" + output + ":capped").manifest_descriptor.digest ==
          result.descriptor.digest);
  }

  TEST_CASE("rejects a non-empty output directory") {
    TempDirectory directory;
    std::string image = directory.file("image");
    std::string output = directory.file("out");
    write_base_image(image);
    ocicap::make_directories(output);
    ocicap::test::write_file(output + "/file", "x");
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.output = ocicap::parse_image_reference("oci:" + output);
    CHECK(error_of(request) ==
          "--output " + output +
              " exists and is not an empty directory or an OCI image "
              "layout: choose a new or empty directory");
    CHECK(list_tree(output) == std::set<std::string>{output + "/file"});
  }

  TEST_CASE("tags in place keeping the old ref") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    Descriptor original = open("oci:" + image + ":app").manifest_descriptor;
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.tag = "capped";
    ChangeResult result = ocicap::apply_changes(request);
    CHECK(result.destination == "oci:" + image + ":capped");
    check_valid(image);
    CHECK(open("oci:" + image + ":app").manifest_descriptor.digest ==
          original.digest);
    CHECK(open("oci:" + image + ":capped").manifest_descriptor.digest ==
          result.descriptor.digest);
  }

  TEST_CASE("rejects bad targets without changes") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    std::string index_before = ocicap::test::read_file(image + "/index.json");
    std::set<std::string> tree_before = list_tree(image);
    std::string name = "oci:" + image + ":app";
    struct Case {
      std::string path;
      std::string message;
    };
    for (const Case& item : std::vector<Case>{
             {"/usr/bin/missing", "/usr/bin/missing not found in " + name +
                                      ": no layer contains it"},
             {"/gone", "/gone not found in " + name +
                           ": deleted by a whiteout in layer " +
                           open(name).manifest.layers()[1].digest.string()},
             {"/usr/bin/link",
              "/usr/bin/link is a symbolic link to \"tool\" in " + name +
                  "; name the target file, or add --follow (-L) to resolve "
                  "links inside the image"},
             {"/usr/bin", "/usr/bin is a directory in " + name +
                              ": capabilities apply to regular files only"},
             {"/lib/x",
              "/lib/x not found in " + name +
                  ": its parent /lib is a symbolic link to \"usr/lib\"; name "
                  "the target file, or add --follow (-L) to resolve links "
                  "inside the image"},
             {"/", "path \"/\" is the root directory: capabilities apply to "
                   "regular files only"},
             {"/..", "path \"/..\" is the root directory: capabilities apply "
                     "to regular files only"},
             {"/usr/bin/tool/",
              "path \"/usr/bin/tool/\" ends with \"/\", which names a "
              "directory: capabilities apply to regular files only, so name "
              "the file as /usr/bin/tool"},
             {"/usr/bin/tool/.",
              "path \"/usr/bin/tool/.\" ends with \"/.\", which names a "
              "directory: capabilities apply to regular files only, so name "
              "the file as /usr/bin/tool"},
         }) {
      CAPTURE(item.path);
      CHECK(error_of(make_request(name, "cap_chown+ep",
                                  {"/usr/bin/tool", item.path})) ==
            item.message);
      CHECK(ocicap::test::read_file(image + "/index.json") == index_before);
      CHECK(list_tree(image) == tree_before);
    }
  }

  TEST_CASE("leaves no --output behind on failure") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/missing"});
    request.output =
        ocicap::parse_image_reference("oci:" + directory.file("out"));
    CHECK_THROWS_AS(ocicap::apply_changes(request), Error);
    for (const auto& item :
         std::filesystem::directory_iterator(directory.path())) {
      CHECK(item.path().filename() == "image");
    }
  }

  TEST_CASE("follows the compression of the top layer") {
    struct Case {
      BaseOptions options;
      std::string layer_type;
    };
    for (const Case& item : std::vector<Case>{
             {{Compression::gzip, Family::oci},
              "application/vnd.oci.image.layer.v1.tar+gzip"},
             {{Compression::zstd, Family::oci},
              "application/vnd.oci.image.layer.v1.tar+zstd"},
             {{Compression::none, Family::oci},
              "application/vnd.oci.image.layer.v1.tar"},
             {{Compression::gzip, Family::docker},
              "application/vnd.docker.image.rootfs.diff.tar.gzip"},
             {{Compression::none, Family::docker},
              "application/vnd.docker.image.rootfs.diff.tar"},
         }) {
      CAPTURE(item.layer_type);
      TempDirectory directory;
      std::string image = directory.file("image");
      write_base_image(image, item.options);
      ocicap::apply_changes(make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"}));
      CHECK(open("oci:" + image + ":app").manifest.layers().back().media_type ==
            item.layer_type);
      check_valid(image);
    }
  }

  TEST_CASE("gives reproducible digests") {
    for (std::optional<std::string> epoch :
         {std::optional<std::string>(), std::optional<std::string>("1")}) {
      CAPTURE(epoch.value_or("unset"));
      ScopedEnvironment environment("SOURCE_DATE_EPOCH", epoch);
      TempDirectory directory;
      std::vector<Descriptor> manifests;
      for (std::string name : {"first", "second"}) {
        std::string image = directory.file(name);
        write_base_image(image);
        manifests.push_back(
            ocicap::apply_changes(
                make_request("oci:" + image + ":app", "cap_ipc_lock+eip",
                             {"/usr/bin/tool", "/usr/local/bin/top"}))
                .descriptor);
      }
      CHECK(manifests[0].digest == manifests[1].digest);
    }
  }

  TEST_CASE("reports each layer read to the observer") {
    struct Counter : ocicap::ReadObserver {
      std::vector<std::size_t> layers;
      void layer_read(std::size_t layer, std::size_t, const Descriptor&,
                      std::int64_t, double) override {
        layers.push_back(layer);
      }
    } counter;
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ocicap::apply_changes(make_request("oci:" + image + ":app", "cap_chown+ep",
                                       {"/usr/lib/x"}),
                          &counter);
    CHECK(counter.layers == std::vector<std::size_t>{1, 0});

    // A file with other names costs one more read from the top down to
    // its layer, to find which of the names are still visible.
    counter.layers.clear();
    ocicap::apply_changes(make_request("oci:" + image + ":app", "cap_chown+ep",
                                       {"/usr/bin/tool"}),
                          &counter);
    CHECK(counter.layers == std::vector<std::size_t>{2, 1, 0, 2, 1, 0});
  }

  TEST_CASE("umoci unpacks the capability onto the file") {
    if (::geteuid() != 0 || !ocicap::test::has_program("umoci")) {
      MESSAGE("skipped: needs root and umoci");
      return;
    }
    TempDirectory directory;
    std::string image = directory.file("image");
    // umoci 0.4.7 cannot read zstd layers.
    write_base_image(image, {.bottom_compression = Compression::gzip});
    ocicap::apply_changes(make_request("oci:" + image + ":app",
                                       "cap_ipc_lock+eip", {"/usr/bin/tool"}));
    std::string bundle = directory.file("bundle");
    std::string log = directory.file("umoci.log");
    int status = ocicap::test::run_command(
        "umoci unpack --image " + ocicap::test::shell_quote(image + ":app") +
        " " + ocicap::test::shell_quote(bundle) + " >" +
        ocicap::test::shell_quote(log) + " 2>&1");
    REQUIRE_MESSAGE(status == 0, ocicap::test::read_file(log));
    std::string tool = bundle + "/rootfs/usr/bin/tool";
    char value[64];
    ssize_t size =
        ::getxattr(tool.c_str(), cap_name.c_str(), value, sizeof value);
    REQUIRE(size > 0);
    CHECK(ocicap::test::to_hex(std::string(value, size)) ==
          "0100000200400000004000000000000000000000");
    CHECK(ocicap::test::read_file(tool) == tool_content);
  }
  TEST_CASE("removes capabilities and keeps other xattrs") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    std::string name = "oci:" + image + ":app";
    ocicap::apply_changes(
        make_request(name, "cap_chown+ep", {"/usr/local/bin/top"}));
    ChangeResult result =
        ocicap::apply_changes(removal_request(name, {"/usr/local/bin/top"}));
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].path == "/usr/local/bin/top");
    CHECK(result.files[0].capability_text.empty());
    CHECK(result.files[0].source_layer == 2);
    CHECK(result.warnings.empty());
    check_valid(image);
    SourceImage after = open(name);
    CHECK(after.manifest.layers().size() == 4);
    std::vector<ReadEntry> entries = top_layer_entries(after);
    const ReadEntry& top = entries.back();
    CHECK_FALSE(top.entry.xattr(cap_name).has_value());
    CHECK(top.entry.xattr("user.keep") == std::optional<std::string>("1"));
    CHECK(top.content == "top");
  }

  TEST_CASE("leaves a file without capabilities unchanged") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    std::string name = "oci:" + image + ":app";
    std::string index_before = ocicap::test::read_file(image + "/index.json");
    std::set<std::string> tree_before = list_tree(image);
    ChangeResult result =
        ocicap::apply_changes(removal_request(name, {"/usr/bin/tool"}));
    CHECK(result.files.empty());
    CHECK(result.warnings ==
          std::vector<std::string>{"/usr/bin/tool in " + name +
                                   " has no capabilities; left unchanged"});
    CHECK(result.destination == name);
    CHECK(ocicap::test::read_file(image + "/index.json") == index_before);
    CHECK(list_tree(image) == tree_before);
  }

  TEST_CASE("sets and removes in one layer") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    std::string name = "oci:" + image + ":app";
    ocicap::apply_changes(
        make_request(name, "cap_chown+ep", {"/usr/local/bin/top"}));
    ChangeRequest request = make_request(name, "cap_kill+p", {"/usr/bin/tool"});
    request.changes.push_back({"/usr/local/bin/top", std::nullopt});
    ChangeResult result = ocicap::apply_changes(request);
    REQUIRE(result.files.size() == 2);
    CHECK(result.files[0].capability_text == "cap_kill=p");
    CHECK(result.files[1].capability_text.empty());
    // tool (with its other name /usr/bin/hard as a link), then top.
    std::vector<ReadEntry> entries = top_layer_entries(open(name));
    REQUIRE(entries.size() >= 3);
    CHECK(entries[entries.size() - 3].entry.xattr(cap_name).has_value());
    CHECK_FALSE(entries.back().entry.xattr(cap_name).has_value());
  }

  TEST_CASE("rejects conflicting changes to one file") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.changes.push_back({"./usr/bin/tool", std::nullopt});
    CHECK(error_of(request) ==
          "conflicting changes for /usr/bin/tool: name each file once");
  }

  TEST_CASE("rejects a request without changes") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    CHECK(error_of(make_request("oci:" + image + ":app", "cap_chown+ep", {})) ==
          "no files to change: name at least one PATH");
  }

  TEST_CASE("overrides the layer compression") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.compression = Compression::none;
    ocicap::apply_changes(request);
    CHECK(open("oci:" + image + ":app").manifest.layers().back().media_type ==
          "application/vnd.oci.image.layer.v1.tar");
    check_valid(image);
  }

  TEST_CASE("rejects zstd for a Docker image unchanged") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image, {.family = Family::docker});
    std::set<std::string> tree_before = list_tree(image);
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.compression = Compression::zstd;
    CHECK(error_of(request) ==
          "a Docker schema 2 manifest has no zstd layer media type: use gzip "
          "or none");
    CHECK(list_tree(image) == tree_before);
  }

  TEST_CASE("rejects --platform other than a single image's config") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    std::set<std::string> tree_before = list_tree(image);
    ChangeRequest request = make_request("oci:" + image + ":app",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.platforms = {ocicap::Platform{"linux", "s390x", ""}};
    CHECK(error_of(request).starts_with(
        "--platform linux/s390x does not match oci:" + image +
        ":app, a single image for "));
    CHECK(list_tree(image) == tree_before);
  }

  TEST_CASE("keeps the platform of the index.json entry") {
    TempDirectory directory;
    std::string image = directory.file("image");
    {
      ImageLayout layout = ImageLayout::create(image);
      ImageLayer layer =
          ocicap::test::write_layer(layout, {file_entry("tool", "x")});
      Descriptor manifest = ocicap::test::write_manifest(layout, {layer});
      manifest.platform = ocicap::Platform{"linux", "arm64", "v8"};
      ocicap::test::add_to_index(layout, manifest, "app");
    }
    for (std::string output : {"", "out"}) {
      CAPTURE(output);
      ChangeRequest request =
          make_request("oci:" + image + ":app", "cap_chown+ep", {"/tool"});
      std::string destination = image;
      if (!output.empty()) {
        destination = directory.file(output);
        request.output = ocicap::parse_image_reference("oci:" + destination);
      }
      ocicap::apply_changes(request);
      std::optional<ocicap::Platform> platform =
          ImageLayout::open(destination).index().manifests().at(0).platform;
      REQUIRE(platform.has_value());
      CHECK(platform->string() == "linux/arm64/v8");
    }
  }
}

TEST_SUITE("ApplyChangesMultiPlatform") {
  TEST_CASE("changes every platform and keeps attestations") {
    TempDirectory directory;
    std::string image = directory.file("image");
    MultiPlatform written = write_multi_platform_image(image);
    std::string name = "oci:" + image + ":multi";
    ChangeResult result = ocicap::apply_changes(
        make_request(name, "cap_chown+ep", {"/usr/bin/tool"}));

    REQUIRE(result.files.size() == 2);
    CHECK(result.files[0].platform == "linux/amd64");
    CHECK(result.files[1].platform == "linux/arm64/v8");
    CHECK(result.descriptor.media_type ==
          "application/vnd.oci.image.index.v1+json");
    CHECK(result.descriptor.digest != written.index.digest);
    CHECK(result.warnings ==
          std::vector<std::string>{
              "kept 1 attestation manifest(s) of index " +
                  written.index.short_digest() +
                  ": they describe the old image, not the new one (use "
                  "--attestations drop to remove them)",
              "the image index has a new digest: signatures made for " +
                  written.index.digest.string() + " do not apply to it"});
    check_valid(image);

    std::vector<Descriptor> entries = index_entries(image, "multi");
    REQUIRE(entries.size() == 3);
    CHECK(entries[0].digest != written.amd64.digest);
    CHECK(entries[0].platform->string() == "linux/amd64");
    CHECK(entries[1].digest != written.arm64.digest);
    CHECK(entries[1].platform->string() == "linux/arm64/v8");
    CHECK(entries[2].digest == written.attestation.digest);
    CHECK(entries[2].is_attestation());

    for (const ocicap::Platform& platform :
         {ocicap::Platform{"linux", "amd64", ""},
          ocicap::Platform{"linux", "arm64", ""}}) {
      CAPTURE(platform.string());
      SourceImage changed = ocicap::test::open_image(name, platform);
      CHECK(
          top_layer_entries(changed).back().entry.xattr(cap_name).has_value());
    }
  }

  TEST_CASE("drops attestations on request") {
    TempDirectory directory;
    std::string image = directory.file("image");
    MultiPlatform written = write_multi_platform_image(image);
    ChangeRequest request = make_request("oci:" + image + ":multi",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.attestations = ocicap::AttestationPolicy::drop;
    ChangeResult result = ocicap::apply_changes(request);
    REQUIRE_FALSE(result.warnings.empty());
    CHECK(result.warnings[0] == "dropped 1 attestation manifest(s) of index " +
                                    written.index.short_digest() +
                                    ", which described the old image");
    std::vector<Descriptor> entries = index_entries(image, "multi");
    REQUIRE(entries.size() == 2);
    CHECK_FALSE(entries[0].is_attestation());
    CHECK_FALSE(entries[1].is_attestation());
    check_valid(image);
  }

  TEST_CASE("changes only the selected platform") {
    TempDirectory directory;
    std::string image = directory.file("image");
    MultiPlatform written = write_multi_platform_image(image);
    ChangeRequest request = make_request("oci:" + image + ":multi",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.platforms = {ocicap::parse_platform("linux/arm64")};
    ChangeResult result = ocicap::apply_changes(request);
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].platform == "linux/arm64/v8");
    std::vector<Descriptor> entries = index_entries(image, "multi");
    CHECK(entries[0].digest == written.amd64.digest);
    CHECK(entries[1].digest != written.arm64.digest);
  }

  TEST_CASE("names a platform no image matches") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_multi_platform_image(image);
    std::set<std::string> tree_before = list_tree(image);
    ChangeRequest request = make_request("oci:" + image + ":multi",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.platforms = {ocicap::parse_platform("linux/s390x"),
                         ocicap::parse_platform("linux/arm/v7")};
    CHECK(error_of(request) == "no image in oci:" + image +
                                   ":multi matches --platform linux/s390x "
                                   "(platforms: linux/amd64, linux/arm64/v8)");
    CHECK(list_tree(image) == tree_before);
  }

  TEST_CASE("names the platform of a missing path") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_multi_platform_image(image);
    std::set<std::string> tree_before = list_tree(image);
    CHECK(error_of(make_request("oci:" + image + ":multi", "cap_chown+ep",
                                {"/usr/bin/missing"})) ==
          "/usr/bin/missing not found in oci:" + image +
              ":multi (platform linux/amd64): no layer contains it");
    CHECK(list_tree(image) == tree_before);
  }

  TEST_CASE("copies every reachable blob to --output") {
    TempDirectory directory;
    std::string image = directory.file("image");
    std::string output = directory.file("out");
    write_multi_platform_image(image);
    ChangeRequest request = make_request("oci:" + image + ":multi",
                                         "cap_chown+ep", {"/usr/bin/tool"});
    request.platforms = {ocicap::parse_platform("linux/amd64")};
    request.output = ocicap::parse_image_reference("oci:" + output);
    ocicap::apply_changes(request);
    check_valid(output);
    CHECK(index_entries(output, "multi").size() == 3);
  }
}
