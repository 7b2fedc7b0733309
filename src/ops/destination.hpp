// Where `set` writes its result: the source layout itself, another existing
// layout, or a new one assembled in a staging directory and renamed into
// place, so that a new layout appears whole or not at all.
#pragma once

#include "ocicap/interrupt.hpp"
#include "ocicap/layout_lock.hpp"
#include "ocicap/ops.hpp"

#include <optional>
#include <string>

namespace ocicap {

// Locks what `request` will update in place: the input layout or archive
// when the result replaces it, or an existing --output layout. Call it
// before anything is read, so that a second run waits and then reads the
// first run's result. A new --output, an --output archive (replaced
// atomically) and standard input need no lock.
std::optional<LayoutLock> lock_destination(const ChangeRequest& request);

class Destination {
public:
  // Decides where the result goes and checks that it can be written there.
  // `source` is the input layout and `position` its selected index entry.
  Destination(const ChangeRequest& request, const ImageLayout& source,
              std::size_t position);
  Destination(const Destination&) = delete;
  Destination& operator=(const Destination&) = delete;
  // Without commit(), removes every blob and directory it created.
  ~Destination();

  ImageLayout& layout() { return layout_; }
  bool is_source() const { return is_source_; }
  std::string display() const;

  // Makes every blob `descriptor` reaches available here, taking those the
  // destination lacks from `source`.
  void import_reachable_blobs(const ImageLayout& source,
                              const Descriptor& descriptor);

  // Points the destination's index at `descriptor`, then moves a staged
  // layout into place.
  void commit(const Descriptor& descriptor);

private:
  ImageIndex updated_index(const Descriptor& descriptor) const;

  ImageLayout layout_;
  std::size_t source_position_ = 0;
  bool is_source_ = false;
  bool committed_ = false;
  std::optional<std::string> ref_;
  // The input as the user named it, shown for an in-place change.
  std::string input_display_;
  // Set when a new layout is staged: the staging and the final directory.
  std::string staging_path_;
  std::optional<InterruptCleanup> staging_cleanup_;
  std::string final_path_;
};

} // namespace ocicap
