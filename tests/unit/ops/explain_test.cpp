#include "ocicap/runtime_advice.hpp"

#include "ocicap/error.hpp"
#include "ocicap/vfs_cap_data.hpp"
#include "support/image_builder.hpp"
#include "support/printers.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::AdviceKind;
using ocicap::ChangedFile;
using ocicap::ChangeResult;
using ocicap::ImageLayer;
using ocicap::ImageLayout;
using ocicap::RuntimeAdvice;
using ocicap::test::directory_entry;
using ocicap::test::file_entry;
using ocicap::test::ImageOptions;
using ocicap::test::TempDirectory;

namespace {

const std::string cap_name = "security.capability";

std::string encoded(const std::string& text) {
  return ocicap::encode_vfs_cap_data(ocicap::parse_capability_text(text));
}

// Writes ref "app" run by `user`, with /usr/bin/lock (cap_ipc_lock+eip)
// and /usr/bin/plain, and returns its reference.
std::string write_image(const TempDirectory& directory,
                        const std::string& user) {
  std::string path = directory.file("image");
  ImageLayout layout = ImageLayout::create(path);
  ImageLayer layer = ocicap::test::write_layer(
      layout, {directory_entry("etc"),
               file_entry("etc/passwd", "app:x:1000:1000::/:/bin/sh\n"),
               directory_entry("usr"), directory_entry("usr/bin"),
               file_entry("usr/bin/lock", "l",
                          {{cap_name, encoded("cap_ipc_lock+eip")}}),
               file_entry("usr/bin/plain", "p")});
  ocicap::test::write_image(layout, {layer},
                            ImageOptions{.ref = "app", .user = user});
  return "oci:" + path + ":app";
}

std::vector<AdviceKind> kinds_of(const RuntimeAdvice& advice) {
  std::vector<AdviceKind> kinds;
  for (const ocicap::AdviceItem& item : advice.items) {
    kinds.push_back(item.kind);
  }
  return kinds;
}

} // namespace

TEST_SUITE("Explain") {
  TEST_CASE("reads the files and user of an image") {
    TempDirectory directory;
    std::string image = write_image(directory, "app");
    RuntimeAdvice advice = ocicap::explain_image(
        {.image = ocicap::parse_image_reference(image)});
    REQUIRE(advice.files.size() == 1);
    CHECK(advice.files[0].path == "/usr/bin/lock");
    CHECK(advice.user.uid == std::optional<std::uint32_t>(1000));
    CHECK(advice.not_in_default == std::vector<std::string>{"IPC_LOCK"});
    CHECK(kinds_of(advice) ==
          std::vector<AdviceKind>{AdviceKind::add_capability,
                                  AdviceKind::bounding_set,
                                  AdviceKind::no_new_privs});
  }

  TEST_CASE("notes a root image") {
    TempDirectory directory;
    RuntimeAdvice advice = ocicap::explain_image(
        {.image = ocicap::parse_image_reference(write_image(directory, ""))});
    CHECK(advice.user.is_root);
    CHECK(kinds_of(advice).back() == AdviceKind::root_user);
  }

  TEST_CASE("fails on an image it cannot open") {
    TempDirectory directory;
    CHECK_THROWS_AS(ocicap::explain_image({.image = ocicap::parse_image_reference(
                        "oci:" + directory.file("missing"))}),
                    ocicap::Error);
  }

  TEST_CASE("advises on the files a change set") {
    ocicap::CapabilitySet set =
        ocicap::parse_capability_text("cap_sys_time+ep");
    ChangeResult result{.descriptor = {.media_type = "",
                                       .digest = ocicap::Digest::parse(
                                           "sha256:" + std::string(64, '0')),
                                       .size = 0}};
    result.files.push_back(ChangedFile{.path = "/usr/bin/removed"});
    result.files.push_back(
        ChangedFile{.path = "/usr/bin/clock",
                    .capability_text = "cap_sys_time=ep",
                    .capabilities = set,
                    .image_user = {.text = "1000", .uid = 1000}});
    RuntimeAdvice advice = ocicap::advise_after_change(result);
    REQUIRE(advice.files.size() == 1);
    CHECK(advice.files[0].path == "/usr/bin/clock");
    CHECK(advice.user.uid == std::optional<std::uint32_t>(1000));
    CHECK(advice.required == std::vector<std::string>{"SYS_TIME"});
  }
}
