// Tests of what one change does to one image: symbolic links, hard links,
// patterns, removal and dry runs, through apply_changes() and
// plan_changes().
#include "ocicap/ops.hpp"

#include "ocicap/error.hpp"
#include "ocicap/vfs_cap_data.hpp"
#include "support/image_builder.hpp"
#include "support/image_reader.hpp"
#include "support/printers.hpp"
#include "support/temp_directory.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

using ocicap::CapabilitySet;
using ocicap::ChangedFile;
using ocicap::ChangeRequest;
using ocicap::ChangeResult;
using ocicap::EntryType;
using ocicap::Error;
using ocicap::ImageLayer;
using ocicap::ImageLayout;
using ocicap::test::directory_entry;
using ocicap::test::EntrySpec;
using ocicap::test::file_entry;
using ocicap::test::hardlink_entry;
using ocicap::test::ImageOptions;
using ocicap::test::LayerFile;
using ocicap::test::marker_entry;
using ocicap::test::names_of;
using ocicap::test::read_top_layer;
using ocicap::test::symlink_entry;
using ocicap::test::TempDirectory;

namespace {

const std::string cap_name = "security.capability";
const std::string tool_content = "#!/bin/sh\necho tool\n";

EntrySpec executable(std::string name, std::string content) {
  EntrySpec entry = file_entry(std::move(name), std::move(content));
  entry.mode = 0755;
  return entry;
}

std::string encoded(const std::string& text) {
  return ocicap::encode_vfs_cap_data(ocicap::parse_capability_text(text));
}

// Writes ref "app" of a layout at `path`, run by User "app":
//   layer 0: /etc/passwd; /usr/bin/tool with hard links hard -> tool,
//            hard2 -> hard, hidden -> tool, replaced -> tool; /usr/bin/link
//            -> tool; python3.11, python3.12 and python3 -> python3.11;
//            /usr/bin/capped (cap_net_raw+ep)
//   layer 1: a whiteout of hidden, a new replaced, /bin -> usr/bin
struct LinksImage {
  TempDirectory directory;
  std::string path = directory.file("image");
  std::string name = "oci:" + path + ":app";

  LinksImage() {
    ImageLayout layout = ImageLayout::create(path);
    ImageLayer bottom = ocicap::test::write_layer(
        layout,
        {directory_entry("etc"),
         file_entry("etc/passwd", "root:x:0:0::/root:/bin/sh\n"
                                  "app:x:1000:1001::/home/app:/bin/sh\n"),
         directory_entry("usr"), directory_entry("usr/bin"),
         executable("usr/bin/tool", tool_content),
         hardlink_entry("usr/bin/hard", "usr/bin/tool"),
         hardlink_entry("usr/bin/hard2", "usr/bin/hard"),
         hardlink_entry("usr/bin/hidden", "usr/bin/tool"),
         hardlink_entry("usr/bin/replaced", "usr/bin/tool"),
         symlink_entry("usr/bin/link", "tool"),
         executable("usr/bin/python3.11", "py11"),
         executable("usr/bin/python3.12", "py12"),
         symlink_entry("usr/bin/python3", "python3.11"),
         file_entry("usr/bin/capped", "capped",
                    {{cap_name, encoded("cap_net_raw+ep")}})});
    ImageLayer upper = ocicap::test::write_layer(
        layout, {directory_entry("usr"), directory_entry("usr/bin"),
                 marker_entry("usr/bin/.wh.hidden"),
                 executable("usr/bin/replaced", "other"),
                 symlink_entry("bin", "usr/bin")});
    ocicap::test::write_image(layout, {bottom, upper},
                              ImageOptions{.ref = "app", .user = "app"});
  }

  ChangeRequest request(const std::string& text,
                        const std::vector<std::string>& paths) const {
    ChangeRequest request{.image = ocicap::parse_image_reference(name),
                          .command_line = "test"};
    std::optional<CapabilitySet> set;
    if (!text.empty()) {
      set = ocicap::parse_capability_text(text);
    }
    for (const std::string& file : paths) {
      request.changes.push_back({file, set});
    }
    return request;
  }

  std::string get(const std::string& file) const {
    ocicap::GetResult result = ocicap::get_capabilities(
        {.image = ocicap::parse_image_reference(name), .paths = {file}});
    REQUIRE(result.errors.empty());
    return result.files.empty() ? "" : result.files[0].capability_text;
  }

  std::vector<LayerFile> top_layer() const {
    return read_top_layer(path, "app");
  }
};

std::string error_of(const ChangeRequest& request) {
  try {
    ocicap::apply_changes(request);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no Error thrown)";
}

const LayerFile& find_file(const std::vector<LayerFile>& files,
                           const std::string& name) {
  for (const LayerFile& file : files) {
    if (file.name == name) {
      return file;
    }
  }
  FAIL("no entry " << name);
  throw Error("unreachable");
}

std::set<std::string> list_tree(const std::string& path) {
  std::set<std::string> names;
  for (const auto& item : std::filesystem::recursive_directory_iterator(path)) {
    names.insert(item.path().string());
  }
  return names;
}

void check_valid(const std::string& path) {
  std::vector<std::string> problems = ocicap::test::validate_layout(path);
  CHECK_MESSAGE(problems.empty(), ocicap::test::join_lines(problems));
}

} // namespace

TEST_SUITE("ChangeImage") {
  TEST_CASE("writes a hard-linked file once and its names as links") {
    LinksImage image;
    ChangeResult result = ocicap::apply_changes(
        image.request("cap_ipc_lock+eip", {"/usr/bin/tool"}));
    check_valid(image.path);
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].path == "/usr/bin/tool");
    CHECK(result.files[0].hard_links ==
          std::vector<std::string>{"/usr/bin/hard", "/usr/bin/hard2"});

    std::vector<LayerFile> files = image.top_layer();
    CHECK(names_of(files) ==
          std::vector<std::string>{"usr", "usr/bin", "usr/bin/tool",
                                   "usr/bin/hard", "usr/bin/hard2"});
    const LayerFile& tool = find_file(files, "usr/bin/tool");
    CHECK(tool.entry.type() == EntryType::regular);
    CHECK(tool.content == tool_content);
    CHECK(tool.entry.xattr(cap_name) ==
          std::optional<std::string>(encoded("cap_ipc_lock+eip")));
    for (std::string name : {"usr/bin/hard", "usr/bin/hard2"}) {
      CAPTURE(name);
      const LayerFile& link = find_file(files, name);
      CHECK(link.entry.type() == EntryType::hardlink);
      CHECK(link.entry.link_target() == "usr/bin/tool");
      CHECK(link.entry.xattrs().empty());
      CHECK(link.content.empty());
    }
  }

  TEST_CASE("gives every visible name the capability") {
    LinksImage image;
    ocicap::apply_changes(image.request("cap_ipc_lock+eip", {"/usr/bin/tool"}));
    for (std::string name : {"/usr/bin/tool", "/usr/bin/hard", "/usr/bin/hard2"}) {
      CAPTURE(name);
      CHECK(image.get(name) == "cap_ipc_lock=eip");
    }
    CHECK(image.get("/usr/bin/replaced").empty());
    ocicap::GetResult hidden = ocicap::get_capabilities(
        {.image = ocicap::parse_image_reference(image.name),
         .paths = {"/usr/bin/hidden"}});
    CHECK(hidden.errors.size() == 1);
  }

  TEST_CASE("set on a link name writes the file under that name") {
    LinksImage image;
    ChangeResult result = ocicap::apply_changes(
        image.request("cap_chown+ep", {"/usr/bin/hard2"}));
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].hard_links ==
          std::vector<std::string>{"/usr/bin/hard", "/usr/bin/tool"});
    std::vector<LayerFile> files = image.top_layer();
    const LayerFile& file = find_file(files, "usr/bin/hard2");
    CHECK(file.entry.type() == EntryType::regular);
    CHECK(file.entry.mode() == 0755);
    CHECK(file.content == tool_content);
    CHECK(find_file(files, "usr/bin/tool").entry.link_target() ==
          "usr/bin/hard2");
    CHECK(image.get("/usr/bin/tool") == "cap_chown=ep");
  }

  TEST_CASE("names of one file count once") {
    LinksImage image;
    ChangeResult result = ocicap::apply_changes(
        image.request("cap_chown+ep", {"/usr/bin/hard", "/usr/bin/tool"}));
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].path == "/usr/bin/hard");
  }

  TEST_CASE("rejects different changes to names of one file") {
    LinksImage image;
    ChangeRequest request = image.request("cap_chown+ep", {"/usr/bin/tool"});
    request.changes.push_back({"/usr/bin/hard", std::nullopt});
    CHECK(error_of(request) ==
          "conflicting changes for /usr/bin/tool: it is another name of "
          "/usr/bin/hard, and \"/usr/bin/hard\" asks for removal and "
          "\"/usr/bin/tool\" for cap_chown=ep; a file has one capability "
          "set, so name it once");
  }

  TEST_CASE("rejects a symbolic link without follow") {
    LinksImage image;
    CHECK(error_of(image.request("cap_chown+ep", {"/usr/bin/link"})) ==
          "/usr/bin/link is a symbolic link to \"tool\" in " + image.name +
              "; name the target file, or add --follow (-L) to resolve "
              "links inside the image");
    CHECK(error_of(image.request("cap_chown+ep", {"/bin/tool"})) ==
          "/bin/tool not found in " + image.name +
              ": its parent /bin is a symbolic link to \"usr/bin\"; name "
              "the target file, or add --follow (-L) to resolve links "
              "inside the image");
  }

  TEST_CASE("follows a symbolic link to the file it names") {
    LinksImage image;
    ChangeRequest request = image.request("cap_chown+ep", {"/usr/bin/link"});
    request.follow_symlinks = true;
    ChangeResult result = ocicap::apply_changes(request);
    REQUIRE(result.files.size() == 1);
    const ChangedFile& file = result.files[0];
    CHECK(file.path == "/usr/bin/tool");
    CHECK(file.requested == "/usr/bin/link");
    CHECK(file.link_chain ==
          std::vector<std::string>{"/usr/bin/link", "/usr/bin/tool"});
    CHECK(image.get("/usr/bin/tool") == "cap_chown=ep");
    std::vector<std::string> names = names_of(image.top_layer());
    CHECK(std::find(names.begin(), names.end(), "usr/bin/link") ==
          names.end());
  }

  TEST_CASE("follows a symlinked parent without writing through it") {
    LinksImage image;
    ChangeRequest request = image.request("cap_chown+ep", {"/bin/python3"});
    request.follow_symlinks = true;
    ChangeResult result = ocicap::apply_changes(request);
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].path == "/usr/bin/python3.11");
    CHECK(result.files[0].link_chain ==
          std::vector<std::string>{"/bin/python3", "/usr/bin/python3",
                                   "/usr/bin/python3.11"});
    for (const std::string& name : names_of(image.top_layer())) {
      CHECK_FALSE(name.starts_with("bin"));
    }
  }

  TEST_CASE("expands a pattern against the merged view") {
    LinksImage image;
    ChangeResult result = ocicap::apply_changes(
        image.request("cap_ipc_lock+ep", {"/usr/bin/python3.*"}));
    REQUIRE(result.files.size() == 2);
    CHECK(result.files[0].path == "/usr/bin/python3.11");
    CHECK(result.files[0].requested == "/usr/bin/python3.*");
    CHECK(result.files[1].path == "/usr/bin/python3.12");
    CHECK(result.warnings.empty());
  }

  TEST_CASE("skips symbolic links a pattern matches unless following") {
    LinksImage image;
    ChangeResult skipped = ocicap::plan_changes(
        image.request("cap_ipc_lock+ep", {"/usr/bin/python*"}));
    CHECK(skipped.files.size() == 2);
    REQUIRE(skipped.warnings.size() == 1);
    CHECK(skipped.warnings[0] ==
          "/usr/bin/python3 matches \"/usr/bin/python*\" but is a symbolic "
          "link to \"python3.11\" in " + image.name +
              "; skipped (add --follow to include its target)");

    ChangeRequest request =
        image.request("cap_ipc_lock+ep", {"/usr/bin/python*"});
    request.follow_symlinks = true;
    ChangeResult followed = ocicap::plan_changes(request);
    CHECK(followed.files.size() == 2);
    CHECK(followed.warnings.empty());
  }

  TEST_CASE("matches hard-link names and files once") {
    LinksImage image;
    ChangeResult result = ocicap::apply_changes(
        image.request("cap_chown+ep", {"/usr/bin/[th]*"}));
    REQUIRE(result.files.size() == 1);
    CHECK(result.files[0].path == "/usr/bin/hard");
    CHECK(result.files[0].hard_links ==
          std::vector<std::string>{"/usr/bin/hard2", "/usr/bin/tool"});
  }

  TEST_CASE("rejects a pattern that matches nothing") {
    LinksImage image;
    CHECK(error_of(image.request("cap_chown+ep", {"/usr/bin/nothing*"})) ==
          "pattern \"/usr/bin/nothing*\" matches no regular file in " +
              image.name +
              "; patterns are matched as by the shell, e.g. "
              "/usr/bin/python3.*");
    CHECK(error_of(image.request("cap_chown+ep", {"/usr/bin/li?k"})) ==
          "pattern \"/usr/bin/li?k\" matches no regular file in " +
              image.name +
              ", only symbolic links; add --follow to include their "
              "targets");
  }

  TEST_CASE("matches wildcards within one directory only") {
    LinksImage image;
    CHECK_THROWS_AS(
        ocicap::plan_changes(image.request("cap_chown+ep", {"/usr/*"})),
        Error);
    CHECK(ocicap::plan_changes(image.request("cap_chown+ep", {"/usr/*/tool"}))
              .files.size() == 1);
  }

  TEST_CASE("removes capabilities") {
    LinksImage image;
    ChangeResult result =
        ocicap::apply_changes(image.request("", {"/usr/bin/capped"}));
    REQUIRE(result.files.size() == 1);
    CHECK_FALSE(result.files[0].capabilities.has_value());
    CHECK(result.files[0].capability_text.empty());
    std::vector<LayerFile> files = image.top_layer();
    const LayerFile& file = find_file(files, "usr/bin/capped");
    CHECK_FALSE(file.entry.xattr(cap_name).has_value());
    CHECK(file.content == "capped");
    CHECK(image.get("/usr/bin/capped").empty());
  }

  TEST_CASE("leaves a file without capabilities alone on removal") {
    LinksImage image;
    std::set<std::string> before = list_tree(image.path);
    ChangeResult result =
        ocicap::apply_changes(image.request("", {"/usr/bin/python3.11"}));
    CHECK(result.files.empty());
    REQUIRE(result.warnings.size() == 1);
    CHECK(result.warnings[0] == "/usr/bin/python3.11 in " + image.name +
                                    " has no capabilities; left unchanged");
    CHECK(list_tree(image.path) == before);
  }

  TEST_CASE("replaces existing capabilities") {
    LinksImage image;
    ocicap::apply_changes(image.request("cap_chown+p", {"/usr/bin/capped"}));
    CHECK(image.get("/usr/bin/capped") == "cap_chown=p");
  }

  TEST_CASE("dry run plans without writing") {
    LinksImage image;
    std::set<std::string> before = list_tree(image.path);
    std::string index = ocicap::test::read_file(image.path + "/index.json");
    ChangeResult plan = ocicap::plan_changes(
        image.request("cap_chown+ep", {"/usr/bin/hard2", "/usr/bin/capped"}));
    CHECK(list_tree(image.path) == before);
    CHECK(ocicap::test::read_file(image.path + "/index.json") == index);
    CHECK(plan.destination == image.name);
    REQUIRE(plan.files.size() == 2);
    CHECK(plan.files[0].path == "/usr/bin/capped");
    CHECK(plan.files[0].size == 6);
    CHECK(plan.files[0].source_layer == 0);
    CHECK(plan.files[1].path == "/usr/bin/hard2");
    CHECK(plan.files[1].size ==
          static_cast<std::int64_t>(tool_content.size()));
    ocicap::SourceImage source =
        ocicap::test::open_layout_image(image.path, "app");
    CHECK(plan.files[1].source_layer_digest ==
          source.manifest.layers()[0].digest.string());
    CHECK(plan.descriptor.digest == source.manifest_descriptor.digest);
  }

  TEST_CASE("dry run reports the errors a run would") {
    LinksImage image;
    CHECK_THROWS_WITH_AS(
        ocicap::plan_changes(image.request("cap_chown+ep", {"/usr/bin/no"})),
        ("/usr/bin/no not found in " + image.name + ": no layer contains it")
            .c_str(),
        Error);
  }

  TEST_CASE("resolves the image user for advice") {
    LinksImage image;
    ChangeResult result =
        ocicap::plan_changes(image.request("cap_chown+ep", {"/usr/bin/tool"}));
    REQUIRE(result.files.size() == 1);
    const ocicap::ImageUser& user = result.files[0].image_user;
    CHECK(user.text == "app");
    CHECK(user.uid == std::optional<std::uint32_t>(1000));
    CHECK(user.gid == std::optional<std::uint32_t>(1001));
    CHECK_FALSE(user.is_root);
  }
}
