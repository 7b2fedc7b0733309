#include "ocicap/layout_lock.hpp"

#include "ocicap/error.hpp"
#include "support/temp_directory.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <string>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

using ocicap::Error;
using ocicap::LayoutLock;
using ocicap::test::TempDirectory;
using ocicap::test::write_file;

namespace {

using namespace std::chrono_literals;

std::string lock_path(const TempDirectory& layout) {
  return layout.file(ocicap::layout_lock_file_name);
}

// Returns whether another open file description can take the lock on
// `path` now; flock(2) locks of two descriptions conflict even in one
// process.
bool is_free(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  bool free = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
  ::close(fd);
  return free;
}

// Takes a second lock in a thread while the first is held for `hold`, and
// returns whether the second had to wait for the release.
template <typename Lock>
bool second_lock_waits(Lock take, std::chrono::milliseconds hold) {
  std::optional<LayoutLock> first(take());
  std::atomic<bool> released = false;
  std::atomic<bool> waited = false;
  std::thread second([&] {
    LayoutLock lock = take();
    waited = released.load();
  });
  std::this_thread::sleep_for(hold);
  released = true;
  first.reset();
  second.join();
  return waited;
}

} // namespace

TEST_SUITE("LayoutLock") {
  TEST_CASE("lock_layout creates and removes the lock file") {
    TempDirectory layout;
    {
      LayoutLock lock = LayoutLock::lock_layout(layout.path());
      CHECK(lock.path() == lock_path(layout));
      CHECK(::access(lock_path(layout).c_str(), F_OK) == 0);
      CHECK_FALSE(is_free(lock_path(layout)));
    }
    CHECK(::access(lock_path(layout).c_str(), F_OK) != 0);
  }

  TEST_CASE("lock_layout waits for the holder") {
    TempDirectory layout;
    CHECK(second_lock_waits(
        [&] { return LayoutLock::lock_layout(layout.path()); }, 200ms));
    CHECK(::access(lock_path(layout).c_str(), F_OK) != 0);
  }

  TEST_CASE("lock_layout reuses a leftover lock file") {
    // A run killed with SIGKILL leaves the file but not the lock.
    TempDirectory layout;
    write_file(lock_path(layout), "");
    LayoutLock lock = LayoutLock::lock_layout(layout.path());
    CHECK_FALSE(is_free(lock_path(layout)));
  }

  TEST_CASE("lock_layout does not follow a symbolic link") {
    TempDirectory layout;
    TempDirectory elsewhere;
    std::string target = elsewhere.file("planted");
    REQUIRE(::symlink(target.c_str(), lock_path(layout).c_str()) == 0);
    CHECK_THROWS_AS(LayoutLock::lock_layout(layout.path()), Error);
    CHECK(::access(target.c_str(), F_OK) != 0);
  }

  TEST_CASE("lock_layout names a missing layout") {
    TempDirectory parent;
    std::string missing = parent.file("missing");
    std::string message;
    try {
      LayoutLock::lock_layout(missing);
    } catch (const Error& error) {
      message = error.what();
    }
    CHECK(message.find("cannot lock image layout " + missing) == 0);
    CHECK(message.find("No such file or directory") != std::string::npos);
  }

  TEST_CASE("lock_archive waits and keeps the archive") {
    TempDirectory directory;
    std::string archive = directory.file("image.tar");
    write_file(archive, "archive");
    CHECK(second_lock_waits([&] { return LayoutLock::lock_archive(archive); },
                            200ms));
    CHECK(ocicap::test::read_file(archive) == "archive");
  }

  TEST_CASE("lock_archive follows an archive replaced while waiting") {
    // The holder replaces the archive by rename, as ocicap does; the
    // waiter must end up holding the lock on the new file.
    TempDirectory directory;
    std::string archive = directory.file("image.tar");
    write_file(archive, "old");
    std::optional<LayoutLock> first(LayoutLock::lock_archive(archive));
    std::atomic<bool> locked = false;
    std::thread second([&] {
      LayoutLock lock = LayoutLock::lock_archive(archive);
      locked = true;
      while (locked) {
        std::this_thread::sleep_for(10ms);
      }
    });
    std::this_thread::sleep_for(100ms);
    write_file(directory.file("new.tar"), "new");
    REQUIRE(std::rename(directory.file("new.tar").c_str(), archive.c_str()) ==
            0);
    first.reset();
    while (!locked) {
      std::this_thread::sleep_for(10ms);
    }
    CHECK_FALSE(is_free(archive));
    locked = false;
    second.join();
    CHECK(is_free(archive));
  }

  TEST_CASE("lock_archive rejects a missing archive") {
    TempDirectory directory;
    CHECK_THROWS_AS(LayoutLock::lock_archive(directory.file("missing.tar")),
                    Error);
  }

  TEST_CASE("moved lock is released once") {
    TempDirectory layout;
    std::optional<LayoutLock> moved;
    {
      LayoutLock lock = LayoutLock::lock_layout(layout.path());
      moved.emplace(std::move(lock));
    }
    CHECK_FALSE(is_free(lock_path(layout)));
    moved.reset();
    CHECK(::access(lock_path(layout).c_str(), F_OK) != 0);
  }
}

TEST_SUITE("LayoutLock temporary files") {
  TEST_CASE("lock_layout removes temporary files of killed runs") {
    TempDirectory layout;
    std::string blobs = layout.file("blobs/sha256");
    std::filesystem::create_directories(blobs);
    write_file(layout.file(".ocicap-tmp-AbC123"), "partial index");
    write_file(blobs + "/.ocicap-tmp-XyZ789", "partial blob");
    write_file(blobs + "/" + std::string(64, 'a'), "a blob");
    write_file(layout.file("index.json"), "{}");
    std::filesystem::create_directory(layout.file(".ocicap-tmp-staging"));

    LayoutLock lock = LayoutLock::lock_layout(layout.path());
    CHECK_FALSE(std::filesystem::exists(layout.file(".ocicap-tmp-AbC123")));
    CHECK_FALSE(std::filesystem::exists(blobs + "/.ocicap-tmp-XyZ789"));
    CHECK(std::filesystem::exists(blobs + "/" + std::string(64, 'a')));
    CHECK(std::filesystem::exists(layout.file("index.json")));
    // Directories are not ocicap's temporary files inside a layout.
    CHECK(std::filesystem::is_directory(layout.file(".ocicap-tmp-staging")));
  }
}
