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
using ocicap::Descriptor;
using ocicap::EntryType;
using ocicap::Error;
using ocicap::ImageLayer;
using ocicap::ImageLayout;
using ocicap::LayerReader;
using ocicap::SetRequest;
using ocicap::SetResult;
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

SetRequest make_request(const std::string& image, const std::string& text,
                        std::vector<std::string> paths) {
  SetRequest request;
  request.image = ocicap::parse_image_reference(image);
  request.capability_text = text;
  request.capabilities = ocicap::parse_capability_text(text);
  request.paths = std::move(paths);
  request.command_line = "ocicap set " + text;
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
  return ocicap::open_source_image(ocicap::parse_image_reference(text));
}

std::set<std::string> list_tree(const std::string& path) {
  std::set<std::string> names;
  for (const auto& item : std::filesystem::recursive_directory_iterator(path)) {
    names.insert(item.path().string());
  }
  return names;
}

std::string error_of(const SetRequest& request) {
  try {
    ocicap::set_capabilities(request);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no Error thrown)";
}

void check_valid(const std::string& path) {
  std::vector<std::string> problems = ocicap::test::validate_layout(path);
  CHECK_MESSAGE(problems.empty(), ocicap::test::join_lines(problems));
}

} // namespace

TEST_SUITE("SetCapabilities") {
  TEST_CASE("sets a lower-layer file in place") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    SourceImage before = open("oci:" + image + ":app");

    SetResult result = ocicap::set_capabilities(make_request(
        "oci:" + image + ":app", "cap_ipc_lock+eip", {"/usr/bin/tool"}));

    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].path == "/usr/bin/tool");
    CHECK(result.files[0].capability_text == "cap_ipc_lock=eip");
    CHECK(result.files[0].source_layer == 0);
    CHECK(result.destination == "oci:" + image);
    check_valid(image);

    SourceImage after = open("oci:" + image + ":app");
    CHECK(after.manifest_descriptor.digest == result.manifest.digest);
    CHECK(after.layout.index().manifests().size() == 1);
    std::vector<Descriptor> layers = after.manifest.layers();
    REQUIRE(layers.size() == 3);
    CHECK(layers[2].digest == result.layer.digest);
    CHECK(layers[0].digest == before.manifest.layers()[0].digest);
    CHECK(after.config.diff_ids().size() == 3);

    std::vector<ReadEntry> entries = top_layer_entries(after);
    CHECK(names_of(entries) ==
          std::vector<std::string>{"usr", "usr/bin", "usr/bin/tool"});
    const ReadEntry& tool = entries.back();
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
    ocicap::set_capabilities(make_request("oci:" + image + ":app",
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
    ocicap::set_capabilities(
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
    SetResult result = ocicap::set_capabilities(make_request(
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
    SetResult result = ocicap::set_capabilities(
        make_request("oci:" + image + ":app", "cap_chown+ep",
                     {"usr/local/bin/top", "/usr/bin/tool", "./usr/bin/tool",
                      "/usr/bin/../bin/tool"}));
    REQUIRE(result.files.size() == 2);
    CHECK(result.files[0].path == "/usr/bin/tool");
    CHECK(result.files[1].path == "/usr/local/bin/top");
    CHECK(names_of(top_layer_entries(open("oci:" + image + ":app"))) ==
          std::vector<std::string>{"usr", "usr/bin", "usr/local",
                                   "usr/local/bin", "usr/bin/tool",
                                   "usr/local/bin/top"});
    check_valid(image);
  }

  TEST_CASE("copies the file of a hard link") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    ocicap::set_capabilities(make_request("oci:" + image + ":app",
                                          "cap_chown+ep", {"/usr/bin/hard"}));
    std::vector<ReadEntry> entries =
        top_layer_entries(open("oci:" + image + ":app"));
    const ReadEntry& hard = entries.back();
    CHECK(ocicap::normalize_image_path(hard.entry.name()) == "usr/bin/hard");
    CHECK(hard.entry.type() == EntryType::regular);
    CHECK(hard.entry.mode() == 0755);
    CHECK(hard.content == tool_content);
  }

  TEST_CASE("writes revision 3 with a root ID") {
    TempDirectory directory;
    std::string image = directory.file("image");
    write_base_image(image);
    SetRequest request = make_request("oci:" + image + ":app", "cap_chown+ep",
                                      {"/usr/bin/tool"});
    request.capabilities.root_id = 1000;
    ocicap::set_capabilities(request);
    std::vector<ReadEntry> entries =
        top_layer_entries(open("oci:" + image + ":app"));
    std::optional<std::string> value = entries.back().entry.xattr(cap_name);
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

    SetRequest request = make_request("oci:" + image + ":app", "cap_chown+ep",
                                      {"/usr/bin/tool"});
    request.output = ocicap::parse_image_reference("oci:" + output + ":copy");
    SetResult result = ocicap::set_capabilities(request);

    CHECK(result.destination == "oci:" + output + ":copy");
    CHECK(ocicap::test::read_file(image + "/index.json") == index_before);
    CHECK(list_tree(image) == tree_before);
    check_valid(output);
    SourceImage copy = open("oci:" + output + ":copy");
    CHECK(copy.manifest_descriptor.digest == result.manifest.digest);
    CHECK(copy.layout.index().manifests().size() == 1);
    CHECK(top_layer_entries(copy).back().entry.xattr(cap_name).has_value());
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
    SetRequest request = make_request("oci:" + image + ":app", "cap_chown+ep",
                                      {"/usr/bin/tool"});
    request.output = ocicap::parse_image_reference("oci:" + output);
    SetResult result = ocicap::set_capabilities(request);
    CHECK(result.destination == "oci:" + output + ":app");
    CHECK_NOTHROW(open("oci:" + output + ":app"));
  }

  TEST_CASE("writes into an empty --output directory") {
    TempDirectory directory;
    std::string image = directory.file("image");
    std::string output = directory.file("out");
    write_base_image(image);
    ocicap::make_directories(output);
    SetRequest request = make_request("oci:" + image + ":app", "cap_chown+ep",
                                      {"/usr/bin/tool"});
    request.output = ocicap::parse_image_reference("oci:" + output + ":copy");
    ocicap::set_capabilities(request);
    check_valid(output);
  }

  TEST_CASE("adds a ref to an existing output") {
    TempDirectory directory;
    std::string image = directory.file("image");
    std::string output = directory.file("out");
    write_base_image(image);
    write_base_image(output);
    Descriptor existing = open("oci:" + output + ":app").manifest_descriptor;
    SetRequest request = make_request("oci:" + image + ":app", "cap_chown+ep",
                                      {"/usr/bin/tool"});
    request.output = ocicap::parse_image_reference("oci:" + output + ":capped");
    SetResult result = ocicap::set_capabilities(request);
    check_valid(output);
    CHECK(open("oci:" + output + ":app").manifest_descriptor.digest ==
          existing.digest);
    CHECK(open("oci:" + output + ":capped").manifest_descriptor.digest ==
          result.manifest.digest);
  }

  TEST_CASE("rejects a non-empty output directory") {
    TempDirectory directory;
    std::string image = directory.file("image");
    std::string output = directory.file("out");
    write_base_image(image);
    ocicap::make_directories(output);
    ocicap::test::write_file(output + "/file", "x");
    SetRequest request = make_request("oci:" + image + ":app", "cap_chown+ep",
                                      {"/usr/bin/tool"});
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
    SetRequest request = make_request("oci:" + image + ":app", "cap_chown+ep",
                                      {"/usr/bin/tool"});
    request.tag = "capped";
    SetResult result = ocicap::set_capabilities(request);
    CHECK(result.destination == "oci:" + image + ":capped");
    check_valid(image);
    CHECK(open("oci:" + image + ":app").manifest_descriptor.digest ==
          original.digest);
    CHECK(open("oci:" + image + ":capped").manifest_descriptor.digest ==
          result.manifest.digest);
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
                  "; set capabilities on the target file instead, as setcap "
                  "does not follow links either"},
             {"/usr/bin", "/usr/bin is a directory in " + name +
                              ": capabilities apply to regular files only"},
             {"/lib/x",
              "/lib/x not found in " + name +
                  ": its parent /lib is a symbolic link to \"usr/lib\"; name "
                  "the path through the link target instead"},
             {"/", "path \"/\" is the root directory: capabilities apply to "
                   "regular files only"},
             {"/..", "path \"/..\" is the root directory: capabilities apply "
                     "to regular files only"},
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
    SetRequest request = make_request("oci:" + image + ":app", "cap_chown+ep",
                                      {"/usr/bin/missing"});
    request.output =
        ocicap::parse_image_reference("oci:" + directory.file("out"));
    CHECK_THROWS_AS(ocicap::set_capabilities(request), Error);
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
      SetResult result = ocicap::set_capabilities(make_request(
          "oci:" + image + ":app", "cap_chown+ep", {"/usr/bin/tool"}));
      CHECK(result.layer.media_type == item.layer_type);
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
            ocicap::set_capabilities(
                make_request("oci:" + image + ":app", "cap_ipc_lock+eip",
                             {"/usr/bin/tool", "/usr/local/bin/top"}))
                .manifest);
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
    ocicap::set_capabilities(make_request("oci:" + image + ":app",
                                          "cap_chown+ep", {"/usr/bin/tool"}),
                             &counter);
    CHECK(counter.layers == std::vector<std::size_t>{1, 0});
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
    ocicap::set_capabilities(make_request(
        "oci:" + image + ":app", "cap_ipc_lock+eip", {"/usr/bin/tool"}));
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
}
