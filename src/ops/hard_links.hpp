// Hard-linked names of the files a change selects. A capability belongs
// to the inode, so every name of a file that the merged view still shows
// gets it. The new layer writes the file once and its other names as hard
// links to that entry, never to an entry of a lower layer.
#pragma once

#include "change_targets.hpp"

#include <map>
#include <optional>

namespace ocicap {

// The directories the new layer writes, each with the merged view's entry
// for it, or nullopt where the view has no directory there.
using DirectoryEntries = std::map<std::string, std::optional<TarEntry>>;

// Adds the ancestors of canonical `path` to `directories`, taking their
// entries from `resolver`, which must have watched `path`.
void add_directories(const std::string& path, const PathResolver& resolver,
                     DirectoryEntries& directories);

// Fills each target's hard_links with the other names of its file, from
// the hard-link entries of the layer that provides it, keeping only names
// that no upper layer replaced or deleted. A target that is another name
// of an earlier target's file is merged into it; throws Error when the two
// ask for different changes. `files` resolved every target.
void attach_hard_links(std::vector<FileTarget>& targets,
                       const PathResolver& files, const SourceImage& source,
                       ReadObserver* observer, DirectoryEntries& directories);

} // namespace ocicap
