// Reads of several layers at once, whose results are taken in a fixed
// order. Inflating a gzip stream is serial, so one layer keeps at most the
// two threads of its LayerReader busy. Reading the next layers at the same
// time puts every core to work on an image of several layers.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>

namespace ocicap {

// Returns how many layers to read at once: one per core, at most 4. The
// cap bounds memory, because each read uses about 2 MiB of buffers.
std::size_t parallel_layer_reads();

// Calls read(i) for every i in [0, count), up to `parallel` at once on
// worker threads, and take(i) on the calling thread in order of i, each
// after its read(i) has returned. When take() returns false, reads still
// running see `stop` become true and no further read starts; what they
// return or throw is dropped. An exception from read(i) is rethrown on the
// calling thread in place of take(i), so errors surface in the same order
// as in a serial read. A read starts only when fewer than 2 * `parallel`
// results are waiting to be taken before it, which bounds what reads ahead
// of a slow one keep. With `parallel` of 1 everything runs on the calling
// thread, one read then one take.
void read_in_order(
    std::size_t count, std::size_t parallel,
    const std::function<void(std::size_t index,
                             const std::atomic<bool>& stop)>& read,
    const std::function<bool(std::size_t index)>& take);

} // namespace ocicap
