#include "ocicap/layer.hpp"

#include "support/image_builder.hpp"
#include "support/printers.hpp"

#include <archive_entry.h>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::EntryType;
using ocicap::TarEntry;
using ocicap::Xattr;

TEST_SUITE("TarEntry") {
  TEST_CASE("entry_type_name names every type") {
    CHECK(ocicap::entry_type_name(EntryType::regular) == "regular file");
    CHECK(ocicap::entry_type_name(EntryType::directory) == "directory");
    CHECK(ocicap::entry_type_name(EntryType::symlink) == "symbolic link");
    CHECK(ocicap::entry_type_name(EntryType::hardlink) == "hard link");
    CHECK(ocicap::entry_type_name(EntryType::character_device) ==
          "character device");
    CHECK(ocicap::entry_type_name(EntryType::block_device) == "block device");
    CHECK(ocicap::entry_type_name(EntryType::fifo) == "FIFO");
    CHECK(ocicap::entry_type_name(EntryType::other) == "special file");
  }

  TEST_CASE("libarchive_version names libarchive") {
    CHECK(ocicap::libarchive_version().find("libarchive") != std::string::npos);
  }

  TEST_CASE("default entry is empty") {
    TarEntry entry;
    CHECK(entry.name().empty());
    CHECK(entry.type() == EntryType::other);
    CHECK(entry.xattrs().empty());
    CHECK(entry.link_target().empty());
  }

  TEST_CASE("directory sets mode, owner and time") {
    TarEntry entry = TarEntry::directory("usr/bin", 0750, 1700000000);
    CHECK(entry.name() == "usr/bin");
    CHECK(entry.type() == EntryType::directory);
    CHECK(entry.mode() == 0750);
    CHECK(entry.uid() == 0);
    CHECK(entry.gid() == 0);
    CHECK(archive_entry_mtime(entry.get()) == 1700000000);
  }

  TEST_CASE("reports type from the file type") {
    struct Case {
      unsigned filetype;
      EntryType type;
    };
    for (const Case& item : std::vector<Case>{
             {AE_IFREG, EntryType::regular},
             {AE_IFDIR, EntryType::directory},
             {AE_IFLNK, EntryType::symlink},
             {AE_IFCHR, EntryType::character_device},
             {AE_IFBLK, EntryType::block_device},
             {AE_IFIFO, EntryType::fifo},
             {AE_IFSOCK, EntryType::other},
         }) {
      CAPTURE(item.filetype);
      TarEntry entry;
      archive_entry_set_filetype(entry.get(), item.filetype);
      CHECK(entry.type() == item.type);
    }
  }

  TEST_CASE("hard link wins over the file type") {
    TarEntry entry =
        ocicap::test::make_tar_entry(ocicap::test::hardlink_entry("b", "a"));
    CHECK(entry.type() == EntryType::hardlink);
    CHECK(entry.link_target() == "a");
  }

  TEST_CASE("reports symlink target") {
    TarEntry entry = ocicap::test::make_tar_entry(
        ocicap::test::symlink_entry("usr/bin/sh", "../../bin/busybox"));
    CHECK(entry.type() == EntryType::symlink);
    CHECK(entry.link_target() == "../../bin/busybox");
  }

  TEST_CASE("reports size, mode and owner") {
    ocicap::test::EntrySpec spec =
        ocicap::test::file_entry("bin/tool", "12345");
    spec.mode = 04755;
    spec.uid = 1000;
    spec.gid = 3000000;
    TarEntry entry = ocicap::test::make_tar_entry(spec);
    CHECK(entry.size() == 5);
    CHECK(entry.mode() == 04755);
    CHECK(entry.uid() == 1000);
    CHECK(entry.gid() == 3000000);
  }

  TEST_CASE("set_name renames") {
    TarEntry entry = TarEntry::directory("a", 0755, 0);
    entry.set_name("./b/");
    CHECK(entry.name() == "./b/");
  }

  TEST_CASE("set_xattr adds and replaces in place") {
    TarEntry entry;
    std::string binary("\x01\x00\x00\x02\x00\x40", 6);
    entry.set_xattr("user.a", "1");
    entry.set_xattr("security.capability", binary);
    entry.set_xattr("user.b", "2");
    entry.set_xattr("user.a", "changed");
    CHECK(entry.xattrs() == std::vector<Xattr>{{"user.a", "changed"},
                                               {"security.capability", binary},
                                               {"user.b", "2"}});
    CHECK(entry.xattr("security.capability") ==
          std::optional<std::string>(binary));
    CHECK(entry.xattr("security.capability")->size() == 6);
  }

  TEST_CASE("set_xattr keeps an empty value") {
    TarEntry entry;
    entry.set_xattr("user.empty", "");
    CHECK(entry.xattr("user.empty") == std::optional<std::string>(""));
  }

  TEST_CASE("xattr is empty for a missing name") {
    TarEntry entry;
    entry.set_xattr("user.a", "1");
    CHECK_FALSE(entry.xattr("user.b").has_value());
    CHECK_FALSE(entry.xattr("user").has_value());
  }

  TEST_CASE("xattrs keeps the last of duplicates") {
    TarEntry entry;
    archive_entry_xattr_add_entry(entry.get(), "user.a", "first", 5);
    archive_entry_xattr_add_entry(entry.get(), "user.b", "b", 1);
    archive_entry_xattr_add_entry(entry.get(), "user.a", "last", 4);
    CHECK(entry.xattrs() ==
          std::vector<Xattr>{{"user.a", "last"}, {"user.b", "b"}});
    CHECK(entry.xattr("user.a") == std::optional<std::string>("last"));
  }

  TEST_CASE("remove_xattr removes one name") {
    TarEntry entry;
    entry.set_xattr("user.a", "1");
    entry.set_xattr("user.b", "2");
    entry.remove_xattr("user.a");
    entry.remove_xattr("user.missing");
    CHECK(entry.xattrs() == std::vector<Xattr>{{"user.b", "2"}});
  }

  TEST_CASE("make_regular_file converts a hard link") {
    TarEntry entry =
        ocicap::test::make_tar_entry(ocicap::test::hardlink_entry("b", "a"));
    entry.make_regular_file(42);
    CHECK(entry.type() == EntryType::regular);
    CHECK(entry.size() == 42);
    CHECK(entry.link_target().empty());
  }

  TEST_CASE("make_regular_file drops sparse map") {
    TarEntry entry =
        ocicap::test::make_tar_entry(ocicap::test::file_entry("f", "x"));
    archive_entry_set_size(entry.get(), 8192);
    archive_entry_sparse_add_entry(entry.get(), 4096, 4096);
    entry.make_regular_file(8192);
    CHECK(archive_entry_sparse_count(entry.get()) == 0);
    CHECK(entry.size() == 8192);
  }

  TEST_CASE("make_hard_link turns a file into a link") {
    TarEntry entry = ocicap::test::make_tar_entry(ocicap::test::file_entry(
        "b", "content", {{"security.capability", "v"}, {"user.a", "1"}}));
    entry.make_hard_link("a");
    CHECK(entry.type() == EntryType::hardlink);
    CHECK(entry.link_target() == "a");
    CHECK(entry.size() == 0);
    CHECK(entry.xattrs().empty());
    CHECK(entry.name() == "b");
  }

  TEST_CASE("copies are independent") {
    TarEntry original =
        ocicap::test::make_tar_entry(ocicap::test::file_entry("f", "x"));
    original.set_xattr("user.a", "1");
    TarEntry copy = original;
    copy.set_name("g");
    copy.set_xattr("user.a", "2");
    CHECK(original.name() == "f");
    CHECK(original.xattr("user.a") == std::optional<std::string>("1"));
    TarEntry assigned;
    assigned = original;
    assigned.remove_xattr("user.a");
    CHECK(original.xattr("user.a") == std::optional<std::string>("1"));
    CHECK(assigned.name() == "f");
  }

  TEST_CASE("moves leave a usable entry") {
    TarEntry original =
        ocicap::test::make_tar_entry(ocicap::test::file_entry("f", "x"));
    TarEntry moved(std::move(original));
    CHECK(moved.name() == "f");
    original.set_name("reused");
    CHECK(original.name() == "reused");
    TarEntry assigned;
    assigned = std::move(moved);
    CHECK(assigned.name() == "f");
  }

  TEST_CASE("wraps a libarchive entry by copy") {
    archive_entry* raw = archive_entry_new();
    archive_entry_set_pathname(raw, "raw");
    TarEntry entry(raw);
    archive_entry_set_pathname(raw, "changed");
    CHECK(entry.name() == "raw");
    CHECK(entry.get() != raw);
    archive_entry_free(raw);
  }
}
