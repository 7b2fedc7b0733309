// Exclusive locks that serialize ocicap runs writing the same image layout
// or archive, so that two runs never both start from the same old
// index.json and one update is lost.
//
// A layout is locked with flock(2) on DIR/.ocicap.lock, which the holder
// removes when it is done. An archive is locked with flock(2) on the
// archive file itself. A second run waits until the first finishes. The
// kernel drops a flock when its holder dies, so a killed run leaves no
// stale lock, at most an empty .ocicap.lock file, which is harmless.
//
// NOTE: The locks are advisory. umoci, skopeo and other tools do not take
// them, so a run of theirs on the same layout at the same time can still
// lose an update.
#pragma once

#include "ocicap/file.hpp"

#include <string>
#include <string_view>

namespace ocicap {

inline constexpr std::string_view layout_lock_file_name = ".ocicap.lock";

class LayoutLock {
public:
  // Locks the image layout in directory `layout_path`, waiting while
  // another process holds the lock, then removes the temporary files
  // (.ocicap-tmp-*) that killed runs left in the layout and in
  // blobs/sha256. Throws Error naming the layout when the lock file cannot
  // be created or locked.
  static LayoutLock lock_layout(const std::string& layout_path);

  // Locks the archive file at `archive_path`, waiting while another process
  // holds the lock. An archive replaced while this process waited is
  // locked anew, so the lock always covers the file now at the path.
  static LayoutLock lock_archive(const std::string& archive_path);

  LayoutLock(LayoutLock&&) noexcept = default;
  LayoutLock& operator=(LayoutLock&&) noexcept = delete;
  LayoutLock(const LayoutLock&) = delete;
  LayoutLock& operator=(const LayoutLock&) = delete;

  // Releases the lock, removing a layout's lock file first.
  ~LayoutLock();

  const std::string& path() const { return path_; }

private:
  LayoutLock(FileDescriptor fd, std::string path, bool remove_on_release)
      : fd_(std::move(fd)), path_(std::move(path)),
        remove_on_release_(remove_on_release) {}

  static LayoutLock lock_file(const std::string& path, bool create,
                              const std::string& what);

  FileDescriptor fd_;
  std::string path_;
  bool remove_on_release_ = false;
};

} // namespace ocicap
