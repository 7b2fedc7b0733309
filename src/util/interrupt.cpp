#include "ocicap/interrupt.hpp"

#include "ocicap/error.hpp"
#include "ocicap/thread.hpp"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <pthread.h>
#include <thread>
#include <vector>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

namespace ocicap {
namespace {

constexpr int interrupt_signals[] = {SIGINT, SIGTERM, SIGHUP};

// Never destroyed, so that a signal during exit finds them intact.
std::mutex& registry_mutex() {
  static auto* mutex = new std::mutex;
  return *mutex;
}

// Registered paths, each with whether it is guarded (see InterruptCleanup).
std::multimap<std::string, bool>& registry() {
  static auto* paths = new std::multimap<std::string, bool>;
  return *paths;
}

struct Truncation {
  std::int64_t length;
  std::function<void()> quiesce;
};

// The registered files by the duplicate of their descriptor.
std::map<int, Truncation>& truncations() {
  static auto* files = new std::map<int, Truncation>;
  return *files;
}

[[noreturn]] void clean_up_and_die(const sigset_t& signals) {
  int signal = 0;
  while (::sigwait(&signals, &signal) != 0) {
  }
  // The lock is held until the process ends, so a directory released
  // after this point is never half removed while it is renamed.
  registry_mutex().lock();
  for (const auto& [fd, truncation] : truncations()) {
    if (truncation.quiesce) {
      truncation.quiesce();
    }
    // A failure cannot be reported while the process ends.
    int result = ::ftruncate(fd, static_cast<off_t>(truncation.length));
    static_cast<void>(result);
  }
  // The other threads run on, and may create files under a path while it
  // is removed, or create its directories again, which would leave it
  // behind. Renamed first, it is out of reach of paths, a guarded path
  // gets a file in its place until the end, and a few passes take what
  // was created meanwhile.
  std::vector<std::string> placeholders;
  for (int pass = 0; pass < 3; ++pass) {
    for (const auto& [path, guard] : registry()) {
      std::string doomed = path + ".interrupted";
      std::error_code error;
      if (::rename(path.c_str(), doomed.c_str()) == 0) {
        int fd = guard ? ::open(path.c_str(),
                                O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)
                       : -1;
        if (fd >= 0) {
          ::close(fd);
          placeholders.push_back(path);
        }
      } else if (std::find(placeholders.begin(), placeholders.end(), path) ==
                 placeholders.end()) {
        std::filesystem::remove_all(path, error);
      }
      std::filesystem::remove_all(doomed, error);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  for (const std::string& path : placeholders) {
    ::unlink(path.c_str());
  }
  std::signal(signal, SIG_DFL);
  sigset_t received;
  sigemptyset(&received);
  sigaddset(&received, signal);
  ::pthread_sigmask(SIG_UNBLOCK, &received, nullptr);
  ::raise(signal);
  std::_Exit(128 + signal);
}

} // namespace

void remove_temporary_directories_on_interrupt() {
  sigset_t signals;
  sigemptyset(&signals);
  for (int signal : interrupt_signals) {
    struct sigaction current {};
    if (::sigaction(signal, nullptr, &current) == 0 &&
        current.sa_handler != SIG_IGN) {
      sigaddset(&signals, signal);
    }
  }
  ::pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    start_thread([signals] { clean_up_and_die(signals); }).detach();
  } catch (const Error&) {
    // Under a thread limit the signals keep their default action, and the
    // run reports the limit when it starts a thread it cannot do without.
    ::pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  }
}

InterruptCleanup::InterruptCleanup(std::string path, bool guard)
    : path_(std::move(path)) {
  std::lock_guard lock(registry_mutex());
  registry().emplace(path_, guard);
}

InterruptCleanup::~InterruptCleanup() { release(); }

void InterruptCleanup::release() {
  if (!registered_) {
    return;
  }
  registered_ = false;
  std::lock_guard lock(registry_mutex());
  registry().erase(registry().find(path_));
}

InterruptTruncation::InterruptTruncation(int fd, std::int64_t length,
                                         std::function<void()> quiesce)
    : duplicate_(::fcntl(fd, F_DUPFD_CLOEXEC, 0)) {
  if (duplicate_ < 0) {
    throw_errno("cannot duplicate file descriptor " + std::to_string(fd),
                errno);
  }
  std::lock_guard lock(registry_mutex());
  truncations()[duplicate_] = Truncation{length, std::move(quiesce)};
}

InterruptTruncation::~InterruptTruncation() {
  {
    std::lock_guard lock(registry_mutex());
    truncations().erase(duplicate_);
  }
  ::close(duplicate_);
}

} // namespace ocicap
