#include "filesystem/ordered_reads.hpp"

#include "ocicap/error.hpp"

#include <atomic>
#include <chrono>
#include <doctest/doctest.h>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

using ocicap::read_in_order;

namespace {

// Waits until `condition` returns true, checking every millisecond, or
// gives up after `limit`. Returns whether the condition became true.
template <typename Condition>
bool wait_until(Condition&& condition, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) {
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

} // namespace

TEST_SUITE("read_in_order") {
  TEST_CASE("takes every result in order") {
    for (std::size_t parallel : {1, 2, 4}) {
      CAPTURE(parallel);
      std::vector<int> results(7, -1);
      std::vector<std::size_t> taken_indexes;
      read_in_order(
          results.size(), parallel,
          [&](std::size_t index, const std::atomic<bool>&) {
            // Later indexes finish first when reads run at once.
            std::this_thread::sleep_for(
                std::chrono::milliseconds(7 - static_cast<int>(index)));
            results[index] = static_cast<int>(index * index);
          },
          [&](std::size_t index) {
            CHECK(results[index] == static_cast<int>(index * index));
            taken_indexes.push_back(index);
            return true;
          });
      CHECK(taken_indexes == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6});
    }
  }

  TEST_CASE("runs reads at once up to the limit") {
    std::mutex mutex;
    std::size_t running = 0;
    std::size_t max_running = 0;
    read_in_order(
        6, 3,
        [&](std::size_t, const std::atomic<bool>&) {
          {
            std::lock_guard lock(mutex);
            max_running = std::max(max_running, ++running);
          }
          // Each read lasts until another one runs beside it, or 5 s.
          wait_until(
              [&] {
                std::lock_guard lock(mutex);
                return max_running >= 2;
              },
              std::chrono::seconds(5));
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
          std::lock_guard lock(mutex);
          --running;
        },
        [](std::size_t) { return true; });
    CHECK(max_running >= 2);
    CHECK(max_running <= 3);
  }

  TEST_CASE("keeps reads within a window of the take") {
    // While read 0 is slow, the other worker runs ahead only up to twice
    // `parallel` indexes past the last result taken.
    std::atomic<std::size_t> highest{0};
    std::size_t highest_during_first = 0;
    std::vector<std::size_t> taken_indexes;
    read_in_order(
        20, 2,
        [&](std::size_t index, const std::atomic<bool>&) {
          std::size_t seen = highest.load();
          while (index > seen && !highest.compare_exchange_weak(seen, index)) {
          }
          if (index == 0) {
            // Waits for the other worker to reach the end of the window,
            // then gives it time to go past it, which it must not.
            wait_until([&] { return highest.load() >= 3; },
                       std::chrono::seconds(5));
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            highest_during_first = highest.load();
          }
        },
        [&](std::size_t index) {
          taken_indexes.push_back(index);
          return true;
        });
    CHECK(highest_during_first == 3);
    CHECK(taken_indexes.size() == 20);
  }

  TEST_CASE("stops the reads still running when a take says so") {
    std::atomic<bool> saw_stop{false};
    std::vector<std::size_t> taken_indexes;
    std::mutex mutex;
    std::set<std::size_t> started;
    read_in_order(
        10, 2,
        [&](std::size_t index, const std::atomic<bool>& stop) {
          {
            std::lock_guard lock(mutex);
            started.insert(index);
          }
          if (index == 0) {
            // Read 0 returns once read 1 runs, so that read 1 is under
            // way when take(0) stops everything.
            wait_until(
                [&] {
                  std::lock_guard lock(mutex);
                  return started.contains(1);
                },
                std::chrono::seconds(10));
            return;
          }
          // Every other read lasts until it is stopped.
          bool stopped = wait_until([&] { return stop.load(); },
                                    std::chrono::seconds(10));
          if (stopped && index == 1) {
            saw_stop = true;
          }
        },
        [&](std::size_t index) {
          taken_indexes.push_back(index);
          return false;
        });

    CHECK(taken_indexes == std::vector<std::size_t>{0});
    // Read 1 ran at the same time as read 0 and learnt that it is not
    // needed. The worker that read 0 may have started read 2 before the
    // stop, and nothing started after it.
    CHECK(saw_stop.load());
    std::lock_guard lock(mutex);
    CHECK(started.size() <= 3);
  }

  TEST_CASE("rethrows an error in the order of the reads") {
    for (std::size_t parallel : {1, 2}) {
      CAPTURE(parallel);
      std::vector<std::size_t> taken_indexes;
      std::string message;
      try {
        read_in_order(
            5, parallel,
            [&](std::size_t index, const std::atomic<bool>&) {
              if (index == 2 || index == 3) {
                throw ocicap::Error("read " + std::to_string(index));
              }
            },
            [&](std::size_t index) {
              taken_indexes.push_back(index);
              return true;
            });
      } catch (const ocicap::Error& error) {
        message = error.what();
      }
      CHECK(message == "read 2");
      CHECK(taken_indexes == std::vector<std::size_t>{0, 1});
    }
  }

  TEST_CASE("drops the error of a read that is not taken") {
    std::vector<std::size_t> taken_indexes;
    CHECK_NOTHROW(read_in_order(
        3, 2,
        [&](std::size_t index, const std::atomic<bool>&) {
          if (index > 0) {
            throw ocicap::Error("not needed");
          }
        },
        [&](std::size_t index) {
          taken_indexes.push_back(index);
          return false;
        }));
    CHECK(taken_indexes == std::vector<std::size_t>{0});
  }

  TEST_CASE("passes an error of a take through") {
    CHECK_THROWS_WITH_AS(read_in_order(
                             4, 2, [](std::size_t, const std::atomic<bool>&) {},
                             [](std::size_t index) -> bool {
                               if (index == 1) {
                                 throw ocicap::Error("take 1");
                               }
                               return true;
                             }),
                         "take 1", ocicap::Error);
  }

  TEST_CASE("does nothing for no reads") {
    bool called = false;
    read_in_order(
        0, 2, [&](std::size_t, const std::atomic<bool>&) { called = true; },
        [&](std::size_t) {
          called = true;
          return true;
        });
    CHECK_FALSE(called);
  }

  TEST_CASE("reads one layer per core, at most four") {
    std::size_t count = ocicap::parallel_layer_reads();
    CHECK(count >= 1);
    CHECK(count <= 4);
    unsigned cores = std::thread::hardware_concurrency();
    if (cores >= 1 && cores <= 4) {
      CHECK(count == cores);
    }
  }
}
