// Starting threads with an error message that names the usual cause.
#pragma once

#include "ocicap/error.hpp"

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

} // namespace ocicap
