#include "ocicap/ops.hpp"

#include "ocicap/error.hpp"
#include "ocicap/vfs_cap_data.hpp"
#include "support/image_builder.hpp"
#include "support/printers.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::CapabilitySet;
using ocicap::Error;
using ocicap::GetRequest;
using ocicap::GetResult;
using ocicap::ImageLayer;
using ocicap::ImageLayout;
using ocicap::test::directory_entry;
using ocicap::test::EntrySpec;
using ocicap::test::file_entry;
using ocicap::test::ImageOptions;
using ocicap::test::marker_entry;
using ocicap::test::symlink_entry;
using ocicap::test::TempDirectory;

namespace {

const std::string cap_name = "security.capability";

EntrySpec with_caps(std::string name, const std::string& text,
                    std::optional<std::uint32_t> root_id = {}) {
  CapabilitySet set = ocicap::parse_capability_text(text);
  set.root_id = root_id;
  return file_entry(std::move(name), "binary",
                    {{cap_name, ocicap::encode_vfs_cap_data(set)}});
}

// Writes ref "app":
//   layer 0: /usr/bin/a (cap_net_raw+ep), /usr/bin/gone (cap_chown+p),
//            /usr/bin/plain, /usr/bin/link -> a
//   layer 1: /usr/bin/ns (rootid 1000), /usr/bin/bad (3-byte value),
//            a whiteout of /usr/bin/gone
std::string write_image(const TempDirectory& directory) {
  std::string path = directory.file("image");
  ImageLayout layout = ImageLayout::create(path);
  ImageLayer bottom = ocicap::test::write_layer(
      layout,
      {directory_entry("usr"), directory_entry("usr/bin"),
       with_caps("usr/bin/a", "cap_net_raw+ep"),
       with_caps("usr/bin/gone", "cap_chown+p"),
       file_entry("usr/bin/plain", ""), symlink_entry("usr/bin/link", "a")});
  ImageLayer upper = ocicap::test::write_layer(
      layout, {directory_entry("usr"), directory_entry("usr/bin"),
               with_caps("usr/bin/ns", "cap_ipc_lock+eip", 1000),
               file_entry("usr/bin/bad", "", {{cap_name, "abc"}}),
               marker_entry("usr/bin/.wh.gone")});
  ocicap::test::write_image(layout, {bottom, upper},
                            ImageOptions{.ref = "app"});
  return path;
}

GetRequest make_request(const std::string& image,
                        std::vector<std::string> paths) {
  return GetRequest{.image = ocicap::parse_image_reference(image),
                    .paths = std::move(paths)};
}

const std::string bad_value_message =
    "/usr/bin/bad: invalid security.capability value of 3 bytes "
    "(0x616263): too short for a vfs_cap_data header";

} // namespace

TEST_SUITE("GetCapabilities") {
  TEST_CASE("lists every file with capabilities") {
    TempDirectory directory;
    std::string image = write_image(directory);
    GetResult result =
        ocicap::get_capabilities(make_request("oci:" + image + ":app", {}));
    REQUIRE(result.files.size() == 2);
    CHECK(result.files[0].path == "/usr/bin/a");
    CHECK(result.files[0].capability_text == "cap_net_raw=ep");
    CHECK(result.files[0].capabilities ==
          ocicap::parse_capability_text("cap_net_raw+ep"));
    CHECK(result.files[1].path == "/usr/bin/ns");
    CHECK(result.files[1].capability_text == "cap_ipc_lock=eip");
    CHECK(result.files[1].capabilities.root_id ==
          std::optional<std::uint32_t>(1000));
    CHECK(result.errors == std::vector<std::string>{bad_value_message});
  }

  TEST_CASE("reads requested paths in request order") {
    TempDirectory directory;
    std::string image = write_image(directory);
    GetResult result = ocicap::get_capabilities(
        make_request("oci:" + image + ":app",
                     {"usr/bin/ns", "/usr/bin/plain", "./usr/bin/a"}));
    REQUIRE(result.files.size() == 2);
    CHECK(result.files[0].path == "/usr/bin/ns");
    CHECK(result.files[1].path == "/usr/bin/a");
    CHECK(result.files[1].capability_text == "cap_net_raw=ep");
    CHECK(result.errors.empty());
  }

  TEST_CASE("reports paths it cannot read") {
    TempDirectory directory;
    std::string image = write_image(directory);
    std::string name = "oci:" + image + ":app";
    GetResult result = ocicap::get_capabilities(
        make_request(name, {"/usr/bin/missing", "/usr/bin/link",
                            "/usr/bin/gone", "/usr/bin/bad"}));
    CHECK(result.files.empty());
    std::string upper_layer =
        ocicap::test::open_image(name).manifest.layers()[1].digest.string();
    CHECK(
        result.errors ==
        std::vector<std::string>{
            "/usr/bin/missing not found in " + name + ": no layer contains it",
            "/usr/bin/link is a symbolic link to \"a\"; name the target "
            "file instead, or add --follow (-L)",
            "/usr/bin/gone not found in " + name +
                ": deleted by a whiteout in layer " + upper_layer,
            bad_value_message,
        });
  }

  TEST_CASE("reads what set wrote") {
    TempDirectory directory;
    std::string image = write_image(directory);
    ocicap::ChangeRequest request;
    request.image = ocicap::parse_image_reference("oci:" + image + ":app");
    CapabilitySet set =
        ocicap::parse_capability_text("cap_setuid,cap_setgid+ep");
    request.changes = {{"/usr/bin/plain", set}, {"/usr/bin/a", set}};
    ocicap::apply_changes(request);
    GetResult result = ocicap::get_capabilities(make_request(
        "oci:" + image + ":app", {"/usr/bin/plain", "/usr/bin/a"}));
    REQUIRE(result.files.size() == 2);
    for (const ocicap::FileCapabilities& file : result.files) {
      CAPTURE(file.path);
      CHECK(file.capability_text == "cap_setgid,cap_setuid=ep");
    }
  }

  TEST_CASE("follows symbolic links when asked") {
    TempDirectory directory;
    std::string image = write_image(directory);
    GetRequest request =
        make_request("oci:" + image + ":app", {"/usr/bin/link"});
    request.follow_symlinks = true;
    GetResult result = ocicap::get_capabilities(request);
    CHECK(result.errors.empty());
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].path == "/usr/bin/a");
    CHECK(result.files[0].link_chain ==
          std::vector<std::string>{"/usr/bin/link", "/usr/bin/a"});
  }

  TEST_CASE("reports links that do not resolve") {
    TempDirectory directory;
    std::string image = write_image(directory);
    std::string name = "oci:" + image + ":app";
    GetRequest request = make_request(name, {"/usr/bin/missing", "/usr/bin/a"});
    request.follow_symlinks = true;
    GetResult result = ocicap::get_capabilities(request);
    CHECK(result.errors ==
          std::vector<std::string>{"resolving /usr/bin/missing in " + name +
                                   ": /usr/bin/missing not found (no layer "
                                   "contains it)"});
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].path == "/usr/bin/a");
  }

  TEST_CASE("warns of revision 3 root IDs") {
    TempDirectory directory;
    std::string image = write_image(directory);
    GetResult result = ocicap::get_capabilities(
        make_request("oci:" + image + ":app", {"/usr/bin/ns", "/usr/bin/a"}));
    CHECK(result.warnings ==
          std::vector<std::string>{
              "/usr/bin/ns has a revision 3 capability for root ID 1000: the "
              "kernel honours it only in a user namespace whose root is host "
              "UID 1000, so a runtime with another mapping, or none, ignores "
              "it"});
  }

  TEST_CASE("throws when the image cannot be opened") {
    TempDirectory directory;
    std::string image = write_image(directory);
    CHECK_THROWS_WITH_AS(
        ocicap::get_capabilities(make_request("oci:" + image + ":nope", {})),
        ("ref \"nope\" not found in image layout " + image + " (refs: app)")
            .c_str(),
        Error);
  }
}
