// Where `set` writes its result: the source layout itself, another existing
// layout, or a new one assembled in a staging directory and renamed into
// place, so that a new layout appears whole or not at all.
#pragma once

#include "ocicap/ops.hpp"

#include <optional>
#include <string>

namespace ocicap {

class Destination {
public:
  // Decides where the result goes and checks that it can be written there.
  Destination(const SetRequest& request, const SourceImage& source);
  Destination(const Destination&) = delete;
  Destination& operator=(const Destination&) = delete;
  // Without commit(), removes every blob and directory it created.
  ~Destination();

  ImageLayout& layout() { return layout_; }
  bool is_source() const { return is_source_; }
  std::string display() const;

  // Makes the blobs the result shares with the source available here.
  void import_shared_blobs(const SourceImage& source);

  // Points the destination's index at `manifest`, then moves a staged
  // layout into place.
  void commit(const SourceImage& source, const Descriptor& manifest);

private:
  ImageIndex updated_index(const SourceImage& source,
                           const Descriptor& manifest) const;

  ImageLayout layout_;
  bool is_source_ = false;
  bool committed_ = false;
  std::optional<std::string> ref_;
  // Set when a new layout is staged: the staging and the final directory.
  std::string staging_path_;
  std::string final_path_;
};

} // namespace ocicap
