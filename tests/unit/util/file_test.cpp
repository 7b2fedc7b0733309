#include "ocicap/file.hpp"

#include "ocicap/error.hpp"
#include "support/temp_directory.hpp"

#include <cerrno>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

using ocicap::Error;
using ocicap::FileDescriptor;
using ocicap::test::TempDirectory;

namespace {

bool is_open_fd(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

std::size_t count_entries(const std::string& directory) {
  std::size_t count = 0;
  for ([[maybe_unused]] const auto& item :
       std::filesystem::directory_iterator(directory)) {
    ++count;
  }
  return count;
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st;
}

} // namespace

TEST_SUITE("FileDescriptor") {
  TEST_CASE("default is invalid") {
    FileDescriptor fd;
    CHECK_FALSE(fd.valid());
    CHECK(fd.get() == -1);
  }

  TEST_CASE("closes on destruction") {
    int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(raw >= 0);
    {
      FileDescriptor fd(raw);
      CHECK(fd.valid());
    }
    CHECK_FALSE(is_open_fd(raw));
  }

  TEST_CASE("move transfers ownership") {
    int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(raw >= 0);
    FileDescriptor first(raw);
    FileDescriptor second(std::move(first));
    CHECK(second.get() == raw);
    CHECK_FALSE(first.valid());
    FileDescriptor third;
    third = std::move(second);
    CHECK(third.get() == raw);
    CHECK_FALSE(second.valid());
    CHECK(is_open_fd(raw));
  }

  TEST_CASE("move assignment closes the old descriptor") {
    int old_raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    int new_raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(old_raw >= 0);
    REQUIRE(new_raw >= 0);
    FileDescriptor target(old_raw);
    target = FileDescriptor(new_raw);
    CHECK_FALSE(is_open_fd(old_raw));
    CHECK(target.get() == new_raw);
  }

  TEST_CASE("close is idempotent") {
    FileDescriptor fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    fd.close();
    CHECK_FALSE(fd.valid());
    fd.close();
    CHECK_FALSE(fd.valid());
  }
}

TEST_SUITE("File") {
  TEST_CASE("open_for_reading names a missing path") {
    TempDirectory directory;
    std::string path = directory.file("missing");
    CHECK_THROWS_WITH_AS(
        ocicap::open_for_reading(path),
        ("cannot open " + path + ": No such file or directory").c_str(), Error);
  }

  TEST_CASE("read_fully stops at end of file") {
    TempDirectory directory;
    ocicap::test::write_file(directory.file("f"), "hello");
    FileDescriptor fd = ocicap::open_for_reading(directory.file("f"));
    char buffer[16] = {};
    CHECK(ocicap::read_fully(fd.get(), buffer, sizeof buffer, "f") == 5);
    CHECK(std::string(buffer, 5) == "hello");
    CHECK(ocicap::read_fully(fd.get(), buffer, sizeof buffer, "f") == 0);
  }

  TEST_CASE("read_fully names the path on error") {
    TempDirectory directory;
    FileDescriptor fd(
        ::open(directory.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    char buffer[4];
    CHECK_THROWS_WITH_AS(
        ocicap::read_fully(fd.get(), buffer, sizeof buffer, "the directory"),
        "cannot read the directory: Is a directory", Error);
  }

  TEST_CASE("write_fully writes binary data") {
    TempDirectory directory;
    std::string path = directory.file("f");
    FileDescriptor fd(
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    std::string data("a\0b\0c", 5);
    ocicap::write_fully(fd.get(), data, path);
    fd.close();
    CHECK(ocicap::test::read_file(path) == data);
  }

  TEST_CASE("write_fully names the path on error") {
    FileDescriptor fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    CHECK_THROWS_WITH_AS(ocicap::write_fully(fd.get(), "x", "/dev/null"),
                         "cannot write /dev/null: Bad file descriptor", Error);
  }

  TEST_CASE("read_small_file reads up to the maximum") {
    TempDirectory directory;
    ocicap::test::write_file(directory.file("f"), "12345");
    CHECK(ocicap::read_small_file(directory.file("f"), 5) == "12345");
    CHECK(ocicap::read_small_file(directory.file("f"), 100) == "12345");
  }

  TEST_CASE("read_small_file rejects a larger file") {
    TempDirectory directory;
    std::string path = directory.file("f");
    ocicap::test::write_file(path, "123456");
    CHECK_THROWS_WITH_AS(ocicap::read_small_file(path, 5),
                         (path + " is larger than 5 bytes, the maximum for "
                                 "this kind of file")
                             .c_str(),
                         Error);
  }

  TEST_CASE("path_exists sees dangling symlinks") {
    TempDirectory directory;
    std::string link = directory.file("link");
    REQUIRE(::symlink("nowhere", link.c_str()) == 0);
    CHECK(ocicap::path_exists(link));
    CHECK_FALSE(ocicap::path_exists(directory.file("missing")));
    CHECK_FALSE(ocicap::is_directory(link));
  }

  TEST_CASE("file_size returns the size in bytes") {
    TempDirectory directory;
    ocicap::test::write_file(directory.file("f"), std::string(1234, 'x'));
    ocicap::test::write_file(directory.file("empty"), "");
    CHECK(ocicap::file_size(directory.file("f")) == 1234);
    CHECK(ocicap::file_size(directory.file("empty")) == 0);
  }

  TEST_CASE("file_size names a missing path") {
    TempDirectory directory;
    std::string path = directory.file("missing");
    CHECK_THROWS_WITH_AS(
        ocicap::file_size(path),
        ("cannot stat " + path + ": No such file or directory").c_str(), Error);
  }

  TEST_CASE("is_directory follows symlinks") {
    TempDirectory directory;
    std::string link = directory.file("link");
    REQUIRE(::symlink(directory.path().c_str(), link.c_str()) == 0);
    CHECK(ocicap::is_directory(link));
    ocicap::test::write_file(directory.file("f"), "");
    CHECK_FALSE(ocicap::is_directory(directory.file("f")));
  }

  TEST_CASE("make_directories creates parents") {
    TempDirectory directory;
    std::string path = directory.file("a/b/c");
    mode_t previous = ::umask(022);
    ocicap::make_directories(path);
    ::umask(previous);
    CHECK(ocicap::is_directory(path));
    CHECK((stat_of(directory.file("a")).st_mode & 07777) == 0755);
    ocicap::make_directories(path);
    ocicap::make_directories(path + "/");
    CHECK(ocicap::is_directory(path));
  }

  TEST_CASE("make_directories names a file in the way") {
    TempDirectory directory;
    ocicap::test::write_file(directory.file("a"), "");
    std::string path = directory.file("a/b");
    CHECK_THROWS_WITH_AS(
        ocicap::make_directories(path),
        ("cannot create directory " + path + ": Not a directory").c_str(),
        Error);
  }

  TEST_CASE("sync_directory names a missing directory") {
    TempDirectory directory;
    std::string path = directory.file("missing");
    CHECK_NOTHROW(ocicap::sync_directory(directory.path()));
    CHECK_THROWS_WITH_AS(
        ocicap::sync_directory(path),
        ("cannot open directory " + path + ": No such file or directory")
            .c_str(),
        Error);
  }

  TEST_CASE("parent_directory of paths") {
    CHECK(ocicap::parent_directory("a/b/c") == "a/b");
    CHECK(ocicap::parent_directory("/a") == "/");
    CHECK(ocicap::parent_directory("name") == ".");
    CHECK(ocicap::parent_directory("/tmp/x/") == "/tmp/x");
  }

  TEST_CASE("create_spool_file is unnamed and writable") {
    FileDescriptor fd = ocicap::create_spool_file();
    REQUIRE(fd.valid());
    struct stat st {};
    REQUIRE(::fstat(fd.get(), &st) == 0);
    CHECK(st.st_nlink == 0);
    ocicap::write_fully(fd.get(), "spooled", "spool");
    REQUIRE(::lseek(fd.get(), 0, SEEK_SET) == 0);
    char buffer[16];
    CHECK(ocicap::read_fully(fd.get(), buffer, sizeof buffer, "spool") == 7);
  }

  TEST_CASE("create_spool_file uses TMPDIR") {
    TempDirectory directory;
    {
      ocicap::test::ScopedEnvironment tmpdir("TMPDIR", directory.path());
      FileDescriptor fd = ocicap::create_spool_file();
      CHECK(fd.valid());
    }
    CHECK(count_entries(directory.path()) == 0);
  }

  TEST_CASE("create_spool_file names an unusable TMPDIR") {
    TempDirectory directory;
    std::string missing = directory.file("missing");
    ocicap::test::ScopedEnvironment tmpdir("TMPDIR", missing);
    CHECK_THROWS_WITH_AS(ocicap::create_spool_file(),
                         ("cannot create a temporary file in " + missing +
                          " (set TMPDIR to a writable directory): No such "
                          "file or directory")
                             .c_str(),
                         Error);
  }
}

TEST_SUITE("AtomicFile") {
  TEST_CASE("hides content until commit") {
    TempDirectory directory;
    std::string path = directory.file("index.json");
    ocicap::AtomicFile file(path);
    CHECK(file.fd() >= 0);
    file.write("new");
    CHECK_FALSE(ocicap::path_exists(path));
    CHECK(ocicap::parent_directory(file.temporary_path()) == directory.path());
    CHECK(ocicap::path_exists(file.temporary_path()));
    file.commit();
    CHECK(ocicap::test::read_file(path) == "new");
    CHECK_FALSE(ocicap::path_exists(file.temporary_path()));
    CHECK(count_entries(directory.path()) == 1);
  }

  TEST_CASE("removes the temporary file without commit") {
    TempDirectory directory;
    std::string temporary;
    {
      ocicap::AtomicFile file(directory.file("f"));
      file.write("abandoned");
      temporary = file.temporary_path();
      CHECK(ocicap::path_exists(temporary));
    }
    CHECK_FALSE(ocicap::path_exists(temporary));
    CHECK(count_entries(directory.path()) == 0);
  }

  TEST_CASE("commit replaces an existing file") {
    TempDirectory directory;
    std::string path = directory.file("f");
    ocicap::test::write_file(path, "old content");
    ocicap::AtomicFile file(path);
    file.write("new");
    CHECK(ocicap::test::read_file(path) == "old content");
    file.commit();
    CHECK(ocicap::test::read_file(path) == "new");
  }

  TEST_CASE("commit gives the mode the umask allows") {
    TempDirectory directory;
    mode_t previous = ::umask(022);
    {
      ocicap::AtomicFile file(directory.file("f"));
      file.commit();
    }
    ::umask(027);
    {
      ocicap::AtomicFile file(directory.file("g"));
      file.commit();
    }
    ::umask(previous);
    CHECK((stat_of(directory.file("f")).st_mode & 07777) == 0644);
    CHECK((stat_of(directory.file("g")).st_mode & 07777) == 0640);
  }

  TEST_CASE("commit_as picks another name") {
    TempDirectory directory;
    ocicap::AtomicFile file(directory.file("planned"));
    file.write("data");
    file.commit_as(directory.file("chosen"));
    CHECK(ocicap::test::read_file(directory.file("chosen")) == "data");
    CHECK_FALSE(ocicap::path_exists(directory.file("planned")));
  }

  TEST_CASE("commit names a rename that fails") {
    TempDirectory directory;
    ocicap::AtomicFile file(directory.file("f"));
    std::string target = directory.file("missing/f");
    CHECK_THROWS_WITH_AS(file.commit_as(target),
                         ("cannot rename " + file.temporary_path() + " to " +
                          target + ": No such file or directory")
                             .c_str(),
                         Error);
  }

  TEST_CASE("constructor names a missing directory") {
    TempDirectory directory;
    std::string missing = directory.file("missing");
    CHECK_THROWS_WITH_AS(ocicap::AtomicFile(missing + "/f"),
                         ("cannot create a temporary file in " + missing +
                          ": No such file or directory")
                             .c_str(),
                         Error);
  }

  TEST_CASE("write_file_atomically replaces content") {
    TempDirectory directory;
    std::string path = directory.file("f");
    ocicap::write_file_atomically(path, "first");
    ocicap::write_file_atomically(path, std::string("sec\0nd", 6));
    CHECK(ocicap::test::read_file(path) == std::string("sec\0nd", 6));
    CHECK(count_entries(directory.path()) == 1);
  }
}

TEST_SUITE("LinkOrCopy") {
  TEST_CASE("hard links on the same filesystem") {
    TempDirectory directory;
    std::string source = directory.file("source");
    std::string target = directory.file("target");
    ocicap::test::write_file(source, "blob");
    ocicap::link_or_copy_file(source, target);
    CHECK(stat_of(source).st_ino == stat_of(target).st_ino);
    CHECK(ocicap::test::read_file(target) == "blob");
  }

  TEST_CASE("leaves an existing target alone") {
    TempDirectory directory;
    std::string source = directory.file("source");
    std::string target = directory.file("target");
    ocicap::test::write_file(source, "new");
    ocicap::test::write_file(target, "existing");
    ocicap::link_or_copy_file(source, target);
    CHECK(ocicap::test::read_file(target) == "existing");
  }

  TEST_CASE("copies across filesystems") {
    TempDirectory directory;
    if (!ocicap::is_directory("/dev/shm")) {
      MESSAGE("skipped: /dev/shm is missing, no second filesystem");
      return;
    }
    struct stat shm = stat_of("/dev/shm");
    if (shm.st_dev == stat_of(directory.path()).st_dev) {
      MESSAGE("skipped: /dev/shm is on the same filesystem as the tests");
      return;
    }
    TempDirectory other("/dev/shm");
    std::string source = other.file("source");
    ocicap::test::write_file(source, std::string("copied\0data", 11));
    std::string target = directory.file("target");
    ocicap::link_or_copy_file(source, target);
    CHECK(ocicap::test::read_file(target) == std::string("copied\0data", 11));
    CHECK(stat_of(source).st_ino != stat_of(target).st_ino);
    CHECK(count_entries(directory.path()) == 1);
  }

  TEST_CASE("names a missing source") {
    TempDirectory directory;
    std::string source = directory.file("missing");
    CHECK_THROWS_WITH_AS(
        ocicap::link_or_copy_file(source, directory.file("target")),
        ("cannot open " + source + ": No such file or directory").c_str(),
        Error);
  }
}
