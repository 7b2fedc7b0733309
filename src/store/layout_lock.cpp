#include "ocicap/layout_lock.hpp"

#include <filesystem>

#include "ocicap/error.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace ocicap {
namespace {

bool same_file(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// Removes the regular files named .ocicap-tmp-* in `directory`: the
// temporary files of runs that were killed. Errors are ignored, as the
// files change nothing a reader of the layout sees.
void remove_temporary_files(const std::string& directory) {
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::opendir(directory.c_str()),
                                              &::closedir);
  if (!listing) {
    return;
  }
  while (const dirent* entry = ::readdir(listing.get())) {
    std::string_view name = entry->d_name;
    std::string path = directory + "/" + std::string(name);
    struct stat st;
    if (name.starts_with(temporary_file_prefix) &&
        ::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
      ::unlink(path.c_str());
    }
  }
}

} // namespace

LayoutLock LayoutLock::lock_layout(const std::string& layout_path) {
  LayoutLock lock =
      lock_file(layout_path + "/" + std::string(layout_lock_file_name), true,
                "image layout " + layout_path);
  // Under the lock no other ocicap run writes here, so every temporary
  // file left is a killed run's. Earlier versions put blob temporary files
  // in blobs/sha256, where they break umoci gc.
  remove_temporary_files(layout_path);
  remove_temporary_files(layout_path + "/blobs/sha256");
  return lock;
}

LayoutLock LayoutLock::lock_archive(const std::string& archive_path) {
  // An archive named through a symbolic link is replaced at the file the
  // link names, so that file is the one locked.
  std::error_code error;
  std::filesystem::path target =
      std::filesystem::canonical(archive_path, error);
  std::string path = error ? archive_path : target.string();
  return lock_file(path, false, "archive " + archive_path);
}

LayoutLock LayoutLock::lock_file(const std::string& path, bool create,
                                 const std::string& what) {
  for (;;) {
    // Read-only is enough for flock(2), so users who share a layout through
    // a group can lock a file another of them created. O_NOFOLLOW: a
    // symbolic link planted at the lock path is never followed.
    int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0);
    int fd = ::open(path.c_str(), flags, 0666);
    if (fd < 0 && (errno == EACCES || errno == EROFS)) {
      throw Error("cannot lock " + what + ": cannot create " + path + ": " +
                  std::strerror(errno) +
                  "; write the result elsewhere with --output");
    }
    if (fd < 0) {
      throw_errno("cannot lock " + what + ": cannot open " + path, errno);
    }
    FileDescriptor owner(fd);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        throw_errno("cannot lock " + what + ": flock on " + path + " failed",
                    errno);
      }
    }

    // The previous holder may have removed or replaced the file while this
    // process waited. This lock is then on a file no other process can open
    // any more, so start again with the file now at the path.
    struct stat held;
    struct stat current;
    if (::fstat(fd, &held) != 0) {
      throw_errno("cannot lock " + what + ": cannot stat " + path, errno);
    }
    bool present = ::lstat(path.c_str(), &current) == 0;
    if (present && same_file(held, current)) {
      return LayoutLock(std::move(owner), path, create);
    }
    if (!present && !create) {
      throw Error("cannot lock " + what + ": " + path +
                  " was removed while waiting for another ocicap run");
    }
  }
}

LayoutLock::~LayoutLock() {
  if (!fd_.valid()) {
    return;
  }
  // The file is removed before the lock is released, so a waiting process
  // finds it gone when it gets the lock and starts again (see lock_file).
  if (remove_on_release_) {
    ::unlink(path_.c_str());
  }
  fd_.close();
}

} // namespace ocicap
