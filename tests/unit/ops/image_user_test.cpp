#include "ocicap/runtime_advice.hpp"

#include "support/image_builder.hpp"
#include "support/image_reader.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::ImageLayer;
using ocicap::ImageLayout;
using ocicap::ImageUser;
using ocicap::test::directory_entry;
using ocicap::test::EntrySpec;
using ocicap::test::file_entry;
using ocicap::test::ImageOptions;
using ocicap::test::TempDirectory;

namespace {

const std::string passwd = "root:x:0:0:root:/root:/bin/sh\n"
                           "app:x:1000:1001:app:/home/app:/bin/sh\n"
                           "admin:x:0:0::/:/bin/sh\n"
                           "broken:x:notanumber:1:::\n";
const std::string group = "root:x:0:\nstaff:x:50:app\n";

// Returns the user of an image whose config has User `user`, with the
// user databases above when `with_databases`.
ImageUser user_of(const std::string& user, bool with_databases = true) {
  TempDirectory directory;
  ImageLayout layout = ImageLayout::create(directory.path());
  std::vector<EntrySpec> entries = {directory_entry("etc"),
                                    file_entry("etc/hostname", "h")};
  if (with_databases) {
    entries.push_back(file_entry("etc/passwd", passwd));
    entries.push_back(file_entry("etc/group", group));
  }
  ImageLayer layer = ocicap::test::write_layer(layout, entries);
  ocicap::test::write_image(layout, {layer},
                            ImageOptions{.ref = "app", .user = user});
  return ocicap::resolve_image_user(
      ocicap::test::open_layout_image(directory.path(), "app"));
}

} // namespace

TEST_SUITE("ImageUser") {
  TEST_CASE("treats root users as root") {
    for (std::string text : {"", "0", "root", "0:0", "root:root", "admin"}) {
      CAPTURE(text);
      ImageUser user = user_of(text);
      CHECK(user.text == text);
      CHECK(user.uid == std::optional<std::uint32_t>(0));
      CHECK(user.is_root);
      CHECK(user.unresolved.empty());
    }
  }

  TEST_CASE("resolves a name through /etc/passwd") {
    ImageUser user = user_of("app");
    CHECK(user.uid == std::optional<std::uint32_t>(1000));
    CHECK(user.gid == std::optional<std::uint32_t>(1001));
    CHECK_FALSE(user.is_root);
  }

  TEST_CASE("resolves a group through /etc/group") {
    ImageUser user = user_of("app:staff");
    CHECK(user.uid == std::optional<std::uint32_t>(1000));
    CHECK(user.gid == std::optional<std::uint32_t>(50));
  }

  TEST_CASE("takes numeric IDs as they are") {
    ImageUser user = user_of("1234:5678", false);
    CHECK(user.uid == std::optional<std::uint32_t>(1234));
    CHECK(user.gid == std::optional<std::uint32_t>(5678));
    CHECK(user.unresolved.empty());
    CHECK_FALSE(user_of("1234", false).gid.has_value());
  }

  TEST_CASE("explains names it cannot resolve") {
    ImageUser missing = user_of("nobody");
    CHECK_FALSE(missing.uid.has_value());
    CHECK(missing.unresolved == "user nobody is not in the image's /etc/passwd");
    CHECK(user_of("broken").unresolved ==
          "user broken is not in the image's /etc/passwd");
    CHECK(user_of("app:wheel").unresolved ==
          "group wheel is not in the image's /etc/group");
    CHECK(user_of("app", false).unresolved ==
          "user app is not in the image's /etc/passwd");
  }
}
