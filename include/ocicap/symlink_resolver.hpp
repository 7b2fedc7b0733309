// Symbolic links resolved inside an image's merged root filesystem, never
// on the host. The walk is the kernel's and takes one component at a time.
// An absolute target starts again at the image root and a relative one at
// the directory that contains the link. ".." stops at the root, and at
// most 40 links are followed (MAXSYMLINKS in Linux include/linux/namei.h).
//
// Each step asks the merged view about the path it has reached and the
// plain components after it, so a path without links costs one top-down
// read of the layers and each link followed costs one more.
#pragma once

#include "ocicap/merged_view.hpp"

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace ocicap {

struct ResolvedPath {
  // The canonical path of what the walk reached.
  std::string path;
  // The requested path, then the whole path after each link was replaced
  // by its target, all in display form ("/usr/bin/x"). One element when
  // no link was followed.
  std::vector<std::string> chain;

  bool followed_link() const { return chain.size() > 1; }
};

// Returns `chain` joined by " -> ".
std::string format_link_chain(const std::vector<std::string>& chain);

class SymlinkResolver {
public:
  // `image` names the image in messages.
  SymlinkResolver(const ImageLayout& layout, std::vector<ImageLayer> layers,
                  std::string image);

  void set_observer(ReadObserver* observer) { observer_ = observer; }

  // Resolves every symbolic link in canonical path `path`, the last
  // component included. Throws Error naming the chain when a link dangles,
  // the links form a loop or exceed 40, or a component before the last is
  // not a directory.
  ResolvedPath resolve(const std::string& path);

private:
  const PathState& lookup(const std::string& path,
                          const std::deque<std::string>& rest);
  [[noreturn]] void fail(const std::vector<std::string>& chain,
                         const std::string& cause) const;

  const ImageLayout& layout_;
  std::vector<ImageLayer> layers_;
  std::string image_;
  std::map<std::string, PathState> cache_;
  ReadObserver* observer_ = nullptr;
};

} // namespace ocicap
