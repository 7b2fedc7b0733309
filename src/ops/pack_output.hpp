// The file an archive is packed to, opened when the run starts so that the
// members of an archive read in place can be copied to it while the layers
// are still being read.
#pragma once

#include "ocicap/file.hpp"
#include "ocicap/interrupt.hpp"
#include "ocicap/thread.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ocicap {

// Bytes of an archive file: one member, header and padding included.
struct ByteSpan {
  std::int64_t offset = 0;
  std::int64_t length = 0;
};

// Standard output for "-", or else a temporary file that replaces the
// target on commit().
//
// copy_ahead() copies members of the input archive to the output on a
// thread of its own, on the guess that they stay unchanged. keep_copied()
// then keeps the ones that did and drops the rest. The copy overlaps the
// reading of the layers, which would otherwise come first and leave one
// core idle. Only a regular file is written ahead, since bytes written
// early can be taken back only there. A temporary file is removed when
// the run fails, and standard output is truncated back to its size at the
// start, on failure and on SIGINT, SIGTERM or SIGHUP. A pipe gets nothing
// before the run has succeeded.
class PackOutput {
public:
  // `target` is a path, or "-" for standard output. A symbolic link is
  // kept, and the file it names is replaced.
  explicit PackOutput(const std::string& target);
  PackOutput(const PackOutput&) = delete;
  PackOutput& operator=(const PackOutput&) = delete;
  // Without commit(), stops the copy and takes back what was written.
  ~PackOutput();

  int fd() const;
  // Names the output in messages.
  const std::string& name() const { return name_; }

  // Starts copying `spans` of `source`, in order, when the output is a
  // regular file that can be truncated back, and does nothing otherwise.
  // With `reserve_core`, a CoreReservation lasts as long as the copy, for
  // layers read by seeking, which take less time than the copy.
  void copy_ahead(std::shared_ptr<const FileDescriptor> source,
                  std::vector<ByteSpan> spans, std::string source_name,
                  bool reserve_core);

  // Waits for the copy to finish the first `at_most` spans, or to fail,
  // and drops whatever it wrote after the spans it finished. Returns how
  // many spans were kept; the file position is after them.
  std::size_t keep_copied(std::size_t at_most);

  // Copies `length` bytes at `offset` of `source` to the output, in
  // pieces that an interrupt waits for (see quiesce).
  void copy(int source, std::int64_t offset, std::int64_t length,
            const std::string& source_name);

  // Ends the run's writing: renames a temporary file into place, and
  // leaves standard output as written.
  void commit();

private:
  void run_copy();
  // Copies in pieces; returns false when `stoppable` and stop_ was set.
  bool copy_pieces(int source, std::int64_t offset, std::int64_t length,
                   const std::string& source_name, bool stoppable);
  // Called on interrupt, on the signal's thread: points standard output
  // at /dev/null and waits for the piece being copied, so that nothing
  // lands in the file after InterruptTruncation truncates it.
  void quiesce();
  void stop_copy();
  void take_back();

  std::string name_;
  std::optional<AtomicFile> file_;
  // For standard output: its size when the run started, and the
  // registration that truncates it back to that size on interrupt.
  std::int64_t start_ = 0;
  std::optional<InterruptTruncation> truncation_;
  // For a temporary file: its removal on interrupt.
  std::optional<InterruptCleanup> temporary_cleanup_;
  bool committed_ = false;

  std::shared_ptr<const FileDescriptor> source_;
  std::string source_name_;
  std::vector<ByteSpan> spans_;
  // Spans the copy thread finished; read after it has been joined.
  std::atomic<std::size_t> copied_{0};
  std::optional<CoreReservation> reservation_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> interrupted_{false};
  std::atomic<int> in_flight_{0};
  // The copy stops before the span of this index.
  std::atomic<std::size_t> limit_{static_cast<std::size_t>(-1)};
  std::thread copier_;
};

} // namespace ocicap
