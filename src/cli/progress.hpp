// Progress of layer reads on standard error, for a person at a terminal.
#pragma once

#include "ocicap/layer.hpp"

#include <chrono>
#include <memory>

namespace ocicap::cli {

// One line, "ocicap: reading sha256:0123456789ab: 120.5 of 452.0 MiB",
// redrawn at most ten times a second while a layer is read, and erased
// once the layer's blob has been read to its end, by an error or warning,
// and when the object is destroyed. Installs itself with
// set_read_progress().
class TerminalProgress : public ReadProgress {
public:
  TerminalProgress();
  TerminalProgress(const TerminalProgress&) = delete;
  TerminalProgress& operator=(const TerminalProgress&) = delete;
  ~TerminalProgress() override;

  void layer_progress(const Descriptor& descriptor,
                      std::int64_t bytes_read) override;

  // Erases the line if it is drawn.
  void clear();

private:
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
