// The manifest.json of a `docker save` archive: a JSON array with one
// object per image, naming the config file, the layer files in order (paths
// inside the archive) and the image's RepoTags. Docker 25 and later also
// put an OCI image layout beside it, whose blobs these paths name.
#pragma once

#include "ocicap/documents.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace ocicap {

struct DockerArchiveImage {
  std::string config;
  std::vector<std::string> repo_tags;
  std::vector<std::string> layers;
};

class DockerArchiveManifest {
public:
  // Parses manifest.json; throws Error naming `source` when invalid.
  static DockerArchiveManifest parse(std::string_view bytes,
                                     const std::string& source);

  std::vector<DockerArchiveImage> images() const;

  // Replaces image `position`'s config, layers and tags, keeping its other
  // fields (a LayerSources map, for instance).
  void update(std::size_t position, const DockerArchiveImage& image);

  std::string serialize() const;

private:
  DocumentHolder document_;
};

} // namespace ocicap
