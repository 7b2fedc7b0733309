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
  std::lock_guard lock(mutex_);
  clear_locked();
}

void TerminalProgress::clear_locked() {
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

void TerminalProgress::layer_progress(const void* read,
                                      const Descriptor& descriptor,
                                      std::int64_t bytes_read) {
  std::lock_guard lock(mutex_);
  // A layer read to its end leaves the line, so that what a command prints
  // after its reads starts on a clean line.
  if (bytes_read >= descriptor.size) {
    // Calls go on after the blob's end while its last chunks are parsed,
    // so only the first one counts.
    if (reads_.erase(read) > 0) {
      finished_bytes_ += descriptor.size;
      finished_size_ += descriptor.size;
      end_if_idle();
    }
    return;
  }
  Read& entry = reads_[read];
  if (entry.digest.empty()) {
    entry.digest = std::string(descriptor.digest.algorithm_name()) + ":" +
                   descriptor.digest.encoded().substr(0, 12);
    entry.size = descriptor.size;
  }
  entry.bytes_read = bytes_read;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < redraw_interval) {
    return;
  }
  last_draw_ = now;
  draw();
}

void TerminalProgress::layer_closed(const void* read) {
  std::lock_guard lock(mutex_);
  auto found = reads_.find(read);
  if (found == reads_.end()) {
    return;
  }
  // A read stopped early counts as done at the bytes it read.
  finished_bytes_ += found->second.bytes_read;
  finished_size_ += found->second.bytes_read;
  reads_.erase(found);
  end_if_idle();
}

void TerminalProgress::end_if_idle() {
  if (!reads_.empty()) {
    return;
  }
  clear_locked();
  finished_bytes_ = 0;
  finished_size_ = 0;
}

void TerminalProgress::draw() {
  // Layers finished while others are still read stay in the totals, so
  // neither number goes down when a layer ends.
  std::int64_t read_total = finished_bytes_;
  std::int64_t size_total = finished_size_;
  for (const auto& [token, entry] : reads_) {
    read_total += entry.bytes_read;
    size_total += entry.size;
  }
  drawn_ = true;
  clear_line();
  if (reads_.size() == 1 && finished_size_ == 0) {
    std::fprintf(stderr, "ocicap: reading %s: %.1f of %.1f MiB",
                 reads_.begin()->second.digest.c_str(), read_total / mebibyte,
                 size_total / mebibyte);
  } else {
    std::fprintf(stderr,
                 "ocicap: reading layers (%zu at once): %.1f of %.1f MiB",
                 reads_.size(), read_total / mebibyte, size_total / mebibyte);
  }
  std::fflush(stderr);
}

std::unique_ptr<TerminalProgress> start_terminal_progress(bool quiet) {
  if (quiet || ::isatty(STDERR_FILENO) == 0) {
    return nullptr;
  }
  return std::make_unique<TerminalProgress>();
}

} // namespace ocicap::cli
