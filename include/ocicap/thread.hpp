// Starting threads with an error message that names the usual cause.
#pragma once

#include "ocicap/error.hpp"

#include <atomic>
#include <cstddef>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

namespace ocicap {

// Starts a thread running `body`. Throws Error when the system refuses,
// which happens when a limit on processes or threads is reached.
template <typename Body> std::thread start_thread(Body&& body) {
  try {
    return std::thread(std::forward<Body>(body));
  } catch (const std::system_error& error) {
    throw Error(std::string("cannot start a thread: ") + error.what() +
                " (a limit on processes or threads is reached, such as "
                "ulimit -u or the cgroup's pids.max: ocicap starts two "
                "threads for each layer it reads, and reads up to one layer "
                "per core at once)");
  }
}

// The number of threads that keep a core busy while layers are read.
inline std::atomic<std::size_t>& reserved_cores() {
  static std::atomic<std::size_t> count{0};
  return count;
}

// Marks a thread that runs beside the layer reads for most of their length,
// such as a copy of unchanged archive members. The reads then use one core
// fewer, so that they do not slow that thread down by sharing its core.
class CoreReservation {
public:
  CoreReservation() { reserved_cores().fetch_add(1); }
  CoreReservation(const CoreReservation&) = delete;
  CoreReservation& operator=(const CoreReservation&) = delete;
  ~CoreReservation() { reserved_cores().fetch_sub(1); }
};

} // namespace ocicap
