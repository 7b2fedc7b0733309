// Progress of layer reads on standard error, for a person at a terminal.
#pragma once

#include "ocicap/layer.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace ocicap::cli {

// One line, "ocicap: reading sha256:0123456789ab: 120.5 of 452.0 MiB", or
// "ocicap: reading layers (2 at once): 80.0 of 300.0 MiB" while several
// layers are read, redrawn at most ten times a second. The second form
// counts the layers finished since the line was drawn, so its numbers do
// not go down. The line is erased once no layer is being read, by an error
// or warning, and when the object is destroyed. Installs itself with
// set_read_progress(). Safe to call from several reading threads.
class TerminalProgress : public ReadProgress {
public:
  TerminalProgress();
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;
  ~TerminalProgress() override;

  void layer_progress(const void* read, const Descriptor& descriptor,
                      std::int64_t bytes_read) override;
  void layer_closed(const void* read) override;

  // Erases the line if it is drawn.
  void clear();

private:
  struct Read {
    std::string digest;
    std::int64_t bytes_read = 0;
    std::int64_t size = 0;
  };

  void draw();
  void clear_locked();
  // Erases the line and resets the totals when no read is left.
  void end_if_idle();

  std::mutex mutex_;
  // Guarded by `mutex_`: the reads not yet at their blob's end.
  std::map<const void*, Read> reads_;
  // Guarded by `mutex_`: bytes read and sizes of the reads that ended
  // while others went on.
  std::int64_t finished_bytes_ = 0;
  std::int64_t finished_size_ = 0;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
};

// Erases the progress line, if one is drawn, so that a message printed
// next starts on a clean line. The line is redrawn on the next update.
void clear_terminal_progress();

// Returns a TerminalProgress when standard error is a terminal and
// `quiet` is false; null otherwise.
std::unique_ptr<TerminalProgress> start_terminal_progress(bool quiet);

} // namespace ocicap::cli
