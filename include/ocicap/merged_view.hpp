// The merged filesystem of an image's layers, as a runtime would assemble
// it: upper layers replace entries of lower ones, whiteouts delete, opaque
// directories hide lower content (OCI image-spec layer.md).
//
// Nothing here unpacks the image. PathResolver reads layers top down and
// stops at the first layer that decides every requested path. scan_xattr()
// and scan_paths() read all layers and merge them bottom up but keep only
// the entries they look for. Both read several layers at once, one per
// core. Memory grows with the number of requested paths or matches, not
// with the image. Two parts grow with a layer instead. PathResolver keeps
// the hard-link entries of each layer being read until the layer is
// applied. The scans keep each layer's entry list until the layers below
// it are merged: in memory up to 8 MiB for all layers, then in a temporary
// file.
#pragma once

#include "ocicap/file.hpp"
#include "ocicap/image_layout.hpp"
#include "ocicap/layer.hpp"

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace ocicap {

// What the merged view holds at one path.
struct PathState {
  enum class Status { undecided, found, absent };
  Status status = Status::undecided;

  // For found paths: the entry and the index of the layer (0 = bottom) it
  // comes from. A hard link is replaced by the entry it links to, renamed.
  TarEntry entry;
  std::size_t layer = 0;
  // Whether this is a directory that no entry names but a layer implies by
  // entries below it, because tar and the image spec let a layer leave
  // out parent directories. `entry` then is a root-owned 0755 directory with
  // mtime 0, and `layer` the top layer that implies it.
  bool implied = false;
  // Whether a lower layer has a non-directory, such as a symbolic link, at
  // the path of this implied directory.
  bool implied_over_non_directory = false;
  // The content of a found regular file, when requested.
  std::shared_ptr<FileDescriptor> content;

  // For absent paths: why, e.g. "deleted by a whiteout in layer 2".
  std::string reason;
  // For absent paths below a non-directory: that ancestor and its entry.
  std::string blocking_ancestor;
  std::optional<TarEntry> blocking_entry;
};

// Observer of reading progress, told of each layer as it is read.
struct ReadObserver {
  virtual ~ReadObserver() = default;
  // `layer` counts from 0 at the bottom of `layer_count` layers.
  virtual void layer_read(std::size_t layer, std::size_t layer_count,
                          const Descriptor& descriptor,
                          std::int64_t compressed_bytes, double seconds) = 0;
};

struct LayerFindings;

class PathResolver {
public:
  // `paths` are canonical (normalize_image_path). Content is kept for the
  // regular files among `content_paths`.
  PathResolver(const ImageLayout& layout, std::vector<ImageLayer> layers,
               std::vector<std::string> paths,
               std::vector<std::string> content_paths = {});

  void set_observer(ReadObserver* observer) { observer_ = observer; }

  // Sets how many layers are read at once; the default is one per core.
  void set_parallel_reads(std::size_t count) { parallel_ = count; }

  // Reads layers from the top until every path is decided. A path that no
  // layer mentions ends absent.
  void run();

  const PathState& state(const std::string& path) const;

  // Returns the other names of the found file at `path` in the layer that
  // provides it: every name that the hard-link entries of that layer join
  // to it, directly or through a chain, sorted. An upper layer may hide
  // some of them; the caller checks which are still visible.
  std::vector<std::string> hard_link_names(const std::string& path) const;

private:
  // Reads one layer on a worker thread; touches no member but reads
  // `layout_`, `layers_`, `states_` and `wants_content_`.
  LayerFindings read_layer(std::size_t layer,
                           const std::atomic<bool>& stop) const;
  void apply_layer(std::size_t layer, LayerFindings findings);
  // Keeps the other names that `edges`, the hard-link entries of `layer`,
  // give each path found in that layer.
  void keep_link_names(
      std::size_t layer,
      const std::vector<std::pair<std::string, std::string>>& edges);
  void resolve_hard_links(std::size_t layer);
  bool all_decided() const;

  const ImageLayout& layout_;
  std::vector<ImageLayer> layers_;
  // Looked up by string_view too, for the ancestors of every entry read.
  std::map<std::string, PathState, std::less<>> states_;
  std::map<std::string, bool> wants_content_;
  // For each found path with other names in its layer: those names.
  std::map<std::string, std::vector<std::string>> link_names_;
  ReadObserver* observer_ = nullptr;
  std::size_t parallel_;
};

// One file of the merged view and the value of the attribute scanned for.
struct XattrMatch {
  std::string path;
  std::string value;
  std::size_t layer;
};

// Returns every non-directory of the merged view that carries extended
// attribute `name`, sorted by path. Hard links to such a file in the same
// layer are included under their own names. `parallel_reads` layers are
// read at once; 0 means one per core.
std::vector<XattrMatch> scan_xattr(const ImageLayout& layout,
                                   const std::vector<ImageLayer>& layers,
                                   const std::string& name,
                                   ReadObserver* observer = nullptr,
                                   std::size_t parallel_reads = 0);

// One non-directory of the merged view whose path a scan selected.
struct PathMatch {
  std::string path;
  // The entry's type as stored: a hard link is not replaced by its target.
  EntryType type;
  std::string link_target;
  std::size_t layer;
};

// Returns every non-directory of the merged view whose canonical path
// `select` accepts, sorted by path. `parallel_reads` as for scan_xattr().
std::vector<PathMatch>
scan_paths(const ImageLayout& layout, const std::vector<ImageLayer>& layers,
           const std::function<bool(const std::string&)>& select,
           ReadObserver* observer = nullptr, std::size_t parallel_reads = 0);

} // namespace ocicap
