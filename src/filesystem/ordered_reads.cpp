#include "ordered_reads.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ocicap {

std::size_t parallel_layer_reads() {
  unsigned cores = std::thread::hardware_concurrency();
  return std::clamp<std::size_t>(cores, 1, 4);
}

void read_in_order(
    std::size_t count, std::size_t parallel,
    const std::function<void(std::size_t index,
                             const std::atomic<bool>& stop)>& read,
    const std::function<bool(std::size_t index)>& take) {
  std::atomic<bool> stop{false};
  if (parallel <= 1 || count <= 1) {
    for (std::size_t index = 0; index < count; ++index) {
      read(index, stop);
      if (!take(index)) {
        return;
      }
    }
    return;
  }

  // Guarded by `mutex`: which reads have returned, and how.
  std::mutex mutex;
  std::condition_variable done;
  std::vector<bool> finished(count, false);
  std::vector<std::exception_ptr> errors(count);
  std::size_t next = 0;

  auto work = [&] {
    for (;;) {
      std::size_t index;
      {
        std::lock_guard lock(mutex);
        if (stop.load() || next == count) {
          return;
        }
        index = next++;
      }
      std::exception_ptr error;
      try {
        read(index, stop);
      } catch (...) {
        error = std::current_exception();
      }
      {
        std::lock_guard lock(mutex);
        finished[index] = true;
        errors[index] = error;
      }
      done.notify_all();
    }
  };

  std::vector<std::thread> workers;
  // Stops and joins the workers however this function ends.
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& workers;
    ~Joiner() {
      stop.store(true);
      for (std::thread& worker : workers) {
        worker.join();
      }
    }
  } joiner{stop, workers};
  for (std::size_t i = 0; i < std::min(parallel, count); ++i) {
    workers.emplace_back(work);
  }

  for (std::size_t index = 0; index < count; ++index) {
    std::exception_ptr error;
    {
      std::unique_lock lock(mutex);
      done.wait(lock, [&] { return finished[index]; });
      error = errors[index];
    }
    if (error) {
      std::rethrow_exception(error);
    }
    if (!take(index)) {
      return;
    }
  }
}

} // namespace ocicap
