// Paths inside an image's root filesystem, and the whiteout names of the
// OCI image-spec (layer.md): `.wh.NAME` deletes NAME from lower layers, and
// `.wh..wh..opq` in a directory hides every lower entry below it. Other
// `.wh..wh.` names are reserved by the spec and carry no meaning here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ocicap {

// Returns the canonical form of a path in the image: no leading "/" or
// "./", no empty or "." components, ".." resolved and clamped at the root.
// "/usr/bin/x", "usr/bin/x" and "./usr//bin/./x" all give "usr/bin/x"; the
// root is "".
std::string normalize_image_path(std::string_view path);

// Returns the path as users write it: "/" followed by the canonical form.
std::string display_path(const std::string& canonical);

// Returns the canonical ancestors of a canonical path, outermost first:
// "usr/bin/x" gives {"usr", "usr/bin"}.
std::vector<std::string> ancestors_of(const std::string& canonical);

// Returns whether `path` lies strictly below directory `directory`; every
// path lies below the root "".
bool is_strictly_below(std::string_view path, std::string_view directory);

enum class WhiteoutKind { none, whiteout, opaque, reserved };

struct Whiteout {
  WhiteoutKind kind = WhiteoutKind::none;
  // The deleted path for a whiteout, the directory for an opaque marker.
  std::string target;
};

// Classifies a canonical entry name.
Whiteout classify_whiteout(const std::string& canonical);

} // namespace ocicap
