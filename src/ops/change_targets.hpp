// The files that one change request selects in one image: patterns
// expanded against the merged view, symbolic links followed inside the
// image when requested, and each file named once.
#pragma once

#include "ocicap/ops.hpp"

#include <optional>
#include <string>
#include <vector>

namespace ocicap {

struct FileTarget {
  // The path or pattern as the user wrote it.
  std::string requested;
  // The symbolic links followed (ResolvedPath::chain), or empty.
  std::vector<std::string> link_chain;
  // The canonical path of the file to change.
  std::string canonical;
  std::optional<CapabilitySet> capabilities;
  // Other canonical names of the same file, written as hard links to it.
  std::vector<std::string> hard_links;
  // FileChange::origin of the change that selected the file.
  std::string origin;
};

// Returns whether `path` contains a wildcard or escape of fnmatch(3), which
// makes it a pattern.
bool is_pattern(std::string_view path);

// Returns one target per distinct file that `request.changes` names in
// `source`, sorted by canonical path. Throws Error when a path is the root,
// a pattern matches no file, or one file gets two different changes.
// Symbolic links that a pattern matches without --follow are skipped with
// a warning. `label` names the image in messages.
std::vector<FileTarget> select_targets(const SourceImage& source,
                                       const ChangeRequest& request,
                                       const std::string& label,
                                       ReadObserver* observer,
                                       std::vector<std::string>& warnings);

// Throws Error for two targets of one file with different changes.
void check_same_change(const FileTarget& kept, const FileTarget& other,
                       const std::string& how_related);

} // namespace ocicap
