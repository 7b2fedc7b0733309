#include "ordered_reads.hpp"

#include "ocicap/thread.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace ocicap {

std::size_t parallel_layer_reads() {
  std::size_t cores = std::thread::hardware_concurrency();
  std::size_t reserved = reserved_cores().load();
  return std::clamp<std::size_t>(cores > reserved ? cores - reserved : 1, 1,
                                 4);
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

  // Reads may run ahead of the take by at most `window` indexes, so the
  // results waiting to be taken stay few however slow one read is.
  const std::size_t window = 2 * parallel;

  // Guarded by `mutex`: which reads have returned, and how, the next read
  // to start and the number of results taken.
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<bool> finished(count, false);
  std::vector<std::exception_ptr> errors(count);
  std::size_t next = 0;
  std::size_t taken_count = 0;

  auto work = [&] {
    for (;;) {
      std::size_t index;
      {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] {
          return stop.load() || next == count || next < taken_count + window;
        });
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
      changed.notify_all();
    }
  };

  std::vector<std::thread> workers;
  // Stops and joins the workers however this function ends.
  auto stop_workers = [&] {
    {
      std::lock_guard lock(mutex);
      stop.store(true);
    }
    changed.notify_all();
    for (std::thread& worker : workers) {
      worker.join();
    }
  };
  struct Joiner {
    std::function<void()> stop_workers;
    ~Joiner() { stop_workers(); }
  } joiner{stop_workers};
  for (std::size_t i = 0; i < std::min(parallel, count); ++i) {
    workers.push_back(start_thread(work));
  }

  for (std::size_t index = 0; index < count; ++index) {
    std::exception_ptr error;
    {
      std::unique_lock lock(mutex);
      changed.wait(lock, [&] { return finished[index]; });
      error = errors[index];
    }
    if (error) {
      std::rethrow_exception(error);
    }
    if (!take(index)) {
      return;
    }
    {
      std::lock_guard lock(mutex);
      taken_count = index + 1;
    }
    changed.notify_all();
  }
}

} // namespace ocicap
