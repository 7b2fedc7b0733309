// Changing one image manifest: resolve the files, write the new layer, and
// write the config and manifest that add it.
#pragma once

#include "ocicap/ops.hpp"

namespace ocicap {

struct ImageChange {
  Descriptor manifest;
  std::vector<ChangedFile> files;
  std::vector<std::string> warnings;
};

// Applies `request.changes` to `source`, writing blobs to `destination`.
// `label` names the image in messages (its reference and platform).
ImageChange change_image(const SourceImage& source, ImageLayout& destination,
                         const ChangeRequest& request,
                         const std::string& label, ReadObserver* observer);

// Resolves `request.changes` in `source` as change_image() does and
// returns the files it would change, writing nothing. The manifest is the
// source's.
ImageChange plan_image_change(const SourceImage& source,
                              const ChangeRequest& request,
                              const std::string& label,
                              ReadObserver* observer);

} // namespace ocicap
