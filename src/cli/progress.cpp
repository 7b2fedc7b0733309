#include "progress.hpp"

#include <cstdio>
#include <unistd.h>

namespace ocicap::cli {
namespace {

constexpr auto redraw_interval = std::chrono::milliseconds(100);
constexpr double mebibyte = 1024.0 * 1024.0;

// Erases the current line: carriage return, then ANSI "erase in line".
void clear_line() { std::fputs("\r\033[K", stderr); }

TerminalProgress* active_progress = nullptr;

} // namespace

TerminalProgress::TerminalProgress() {
  active_progress = this;
  set_read_progress(this);
}

TerminalProgress::~TerminalProgress() {
  set_read_progress(nullptr);
  active_progress = nullptr;
  clear();
}

void TerminalProgress::clear() {
  if (drawn_) {
    clear_line();
    std::fflush(stderr);
    drawn_ = false;
  }
}

void clear_terminal_progress() {
  if (active_progress != nullptr) {
    active_progress->clear();
  }
}

void TerminalProgress::layer_progress(const Descriptor& descriptor,
                                      std::int64_t bytes_read) {
  // A layer read to its end erases the line, so that what a command
  // prints after its reads starts on a clean line. The next layer draws
  // it again.
  if (bytes_read >= descriptor.size) {
    clear();
    return;
  }
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < redraw_interval) {
    return;
  }
  last_draw_ = now;
  drawn_ = true;
  clear_line();
  std::fprintf(stderr, "ocicap: reading %s:%.12s: %.1f of %.1f MiB",
               std::string(descriptor.digest.algorithm_name()).c_str(),
               descriptor.digest.encoded().c_str(), bytes_read / mebibyte,
               descriptor.size / mebibyte);
  std::fflush(stderr);
}

std::unique_ptr<TerminalProgress> start_terminal_progress(bool quiet) {
  if (quiet || ::isatty(STDERR_FILENO) == 0) {
    return nullptr;
  }
  return std::make_unique<TerminalProgress>();
}

} // namespace ocicap::cli
