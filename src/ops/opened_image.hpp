// One image opened from a reference for reading, together with the
// workspace that holds its layout (an unpacked archive lives only as long
// as the workspace).
#pragma once

#include "ocicap/ops.hpp"
#include "workspace.hpp"

namespace ocicap {

class OpenedImage {
public:
  OpenedImage(const ImageReference& reference,
              const std::optional<Platform>& platform)
      : workspace_(reference, ArchiveLayerDigests::from_diff_ids),
        source_(open(reference, platform)) {}

  const SourceImage& source() const { return source_; }

private:
  SourceImage open(const ImageReference& reference,
                   const std::optional<Platform>& platform) const {
    ImageLayout layout = workspace_.open_layout();
    Descriptor entry = layout.index().manifests()[workspace_.select(layout)];
    return open_source_image(layout, entry, platform, reference.string());
  }

  Workspace workspace_;
  SourceImage source_;
};

} // namespace ocicap
