#include "pack_output.hpp"

#include "ocicap/error.hpp"
#include "ocicap/thread.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>

namespace ocicap {
namespace {

// The copy checks for a stop request between pieces of this size, so that
// a failed run does not wait for a whole layer to be copied.
constexpr std::int64_t copy_piece = 16 << 20;

} // namespace

PackOutput::PackOutput(const std::string& target) {
  if (target == "-") {
    name_ = "standard output";
    struct stat st;
    int flags = ::fcntl(STDOUT_FILENO, F_GETFL);
    // Truncating back is safe only for a regular file that the run writes
    // at its end, where nothing of the file's own comes after. With
    // O_APPEND (a shell's >>), every write goes to the end.
    if (::fstat(STDOUT_FILENO, &st) == 0 && S_ISREG(st.st_mode) &&
        flags >= 0 &&
        ((flags & O_APPEND) != 0 ||
         ::lseek(STDOUT_FILENO, 0, SEEK_CUR) == st.st_size)) {
      start_ = st.st_size;
      truncation_.emplace(STDOUT_FILENO, start_, [this] { quiesce(); });
    }
    return;
  }
  name_ = target;
  std::string file_path = target;
  std::error_code error;
  if (std::filesystem::is_symlink(target, error)) {
    file_path = std::filesystem::canonical(target).string();
  }
  file_.emplace(file_path);
  temporary_cleanup_.emplace(file_->temporary_path());
  if (path_exists(file_path)) {
    file_->keep_attributes_of(file_path);
  }
}

PackOutput::~PackOutput() {
  stop_copy();
  if (!committed_) {
    take_back();
  }
}

int PackOutput::fd() const { return file_ ? file_->fd() : STDOUT_FILENO; }

void PackOutput::copy_ahead(std::shared_ptr<const FileDescriptor> source,
                            std::vector<ByteSpan> spans,
                            std::string source_name, bool reserve_core) {
  if (!file_ && !truncation_) {
    return;
  }
  struct stat source_status;
  struct stat target_status;
  if (::fstat(source->get(), &source_status) == 0 &&
      ::fstat(fd(), &target_status) == 0 &&
      source_status.st_dev == target_status.st_dev &&
      source_status.st_ino == target_status.st_ino) {
    // Standard output is the archive being read, which a copy ahead would
    // change while it is read.
    return;
  }
  source_ = std::move(source);
  spans_ = std::move(spans);
  source_name_ = std::move(source_name);
  if (reserve_core) {
    reservation_.emplace();
  }
  try {
    copier_ = start_thread([this] { run_copy(); });
  } catch (const Error&) {
    // Under a thread limit, pack() copies every member itself.
    reservation_.reset();
  }
}

void PackOutput::run_copy() {
  try {
    for (std::size_t i = 0; i < spans_.size(); ++i) {
      if (i >= limit_.load()) {
        return;
      }
      const ByteSpan& span = spans_[i];
      if (!copy_pieces(source_->get(), span.offset, span.length,
                       source_name_, true)) {
        return;
      }
      copied_.fetch_add(1);
    }
  } catch (const Error&) {
    // The members not copied whole are copied again by pack(), which
    // reports the error if it persists.
  }
}

void PackOutput::copy(int source, std::int64_t offset, std::int64_t length,
                      const std::string& source_name) {
  copy_pieces(source, offset, length, source_name, false);
}

bool PackOutput::copy_pieces(int source, std::int64_t offset,
                             std::int64_t length,
                             const std::string& source_name, bool stoppable) {
  for (std::int64_t done = 0; done < length;) {
    if (stoppable && stop_.load(std::memory_order_relaxed)) {
      return false;
    }
    if (interrupted_.load()) {
      throw Error("the copy to " + name_ + " was interrupted");
    }
    std::int64_t piece = std::min(copy_piece, length - done);
    in_flight_.fetch_add(1);
    try {
      copy_file_bytes(source, offset + done, piece, fd(), source_name, name_);
    } catch (...) {
      in_flight_.fetch_sub(1);
      throw;
    }
    in_flight_.fetch_sub(1);
    done += piece;
  }
  return true;
}

void PackOutput::quiesce() {
  interrupted_.store(true);
  // Later writes of any thread go to /dev/null. A piece being copied is
  // waited for, a few milliseconds, or five seconds at the most on a disk
  // that blocks.
  int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  if (null_fd >= 0) {
    ::dup2(null_fd, STDOUT_FILENO);
    ::close(null_fd);
  }
  for (int waited = 0; waited < 5000 && in_flight_.load() > 0; ++waited) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

void PackOutput::stop_copy() {
  stop_.store(true);
  if (copier_.joinable()) {
    copier_.join();
  }
  reservation_.reset();
}

std::size_t PackOutput::keep_copied(std::size_t at_most) {
  if (!copier_.joinable()) {
    return 0;
  }
  // The copy goes on up to the limit, which is cheaper than stopping it
  // and copying the same members here.
  limit_.store(at_most);
  copier_.join();
  reservation_.reset();
  std::size_t kept_spans = std::min(copied_.load(), at_most);
  std::int64_t end = start_;
  for (std::size_t i = 0; i < kept_spans; ++i) {
    end += spans_[i].length;
  }
  if (::ftruncate(fd(), static_cast<off_t>(end)) != 0) {
    throw_errno("cannot truncate " + name_, errno);
  }
  if (::lseek(fd(), static_cast<off_t>(end), SEEK_SET) < 0) {
    throw_errno("cannot seek in " + name_, errno);
  }
  return kept_spans;
}

void PackOutput::commit() {
  stop_copy();
  if (file_) {
    file_->commit();
  }
  committed_ = true;
  truncation_.reset();
  temporary_cleanup_.reset();
}

void PackOutput::take_back() {
  if (!truncation_) {
    // A temporary file is removed with file_; a pipe cannot be taken back.
    return;
  }
  // The run is failing already: a failed truncation leaves the bytes.
  if (::ftruncate(STDOUT_FILENO, static_cast<off_t>(start_)) == 0) {
    ::lseek(STDOUT_FILENO, static_cast<off_t>(start_), SEEK_SET);
  }
  truncation_.reset();
}

} // namespace ocicap
