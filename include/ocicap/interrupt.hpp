// Removal of temporary directories when the process is interrupted, so
// that Ctrl-C or a SIGTERM during a run on a large archive does not leave
// a copy of it in $TMPDIR.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace ocicap {

// Makes SIGINT, SIGTERM and SIGHUP remove the directories registered with
// InterruptCleanup and truncate the files registered with
// InterruptTruncation, then end the process with the same signal. A signal
// that was ignored when the process started stays ignored. Call it once,
// before any other thread starts: the signals are then blocked in every
// thread and taken by one thread that waits for them.
void remove_temporary_directories_on_interrupt();

// A registration of one temporary directory, or file, for removal on
// interrupt.
class InterruptCleanup {
public:
  // With `guard`, for a directory that is never renamed into place, a
  // file takes its place while it is removed, so that no thread can
  // create it again meanwhile.
  explicit InterruptCleanup(std::string path, bool guard = false);
  InterruptCleanup(const InterruptCleanup&) = delete;
  InterruptCleanup& operator=(const InterruptCleanup&) = delete;
  ~InterruptCleanup();

  // Ends the registration. Once it returns, an interrupt leaves the
  // directory alone, so the caller may rename it into place.
  void release();

private:
  std::string path_;
  bool registered_ = true;
};

// A registration of an open file to be truncated to `length` bytes on
// interrupt: standard output, which takes back what a run wrote to it.
// `quiesce` runs first, on the thread that handles the signal: it must
// stop the process's writes to the file, or they would follow the
// truncation. The file is truncated through a duplicate of `fd`, so
// `quiesce` may point `fd` elsewhere.
class InterruptTruncation {
public:
  InterruptTruncation(int fd, std::int64_t length,
                      std::function<void()> quiesce);
  InterruptTruncation(const InterruptTruncation&) = delete;
  InterruptTruncation& operator=(const InterruptTruncation&) = delete;
  ~InterruptTruncation();

private:
  int duplicate_;
};

} // namespace ocicap
