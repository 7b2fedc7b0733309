// Lists of file capabilities in getcap's output format, which `ocicap
// apply` reads and `ocicap get` writes: one "PATH CAPS" line per file,
// e.g. "/usr/bin/ping cap_net_raw=ep", where CAPS is setcap text and may
// end with getcap -n's " [rootid=N]". Older getcap versions wrote
// "PATH = CAPS", which is read too. Blank lines and lines whose first
// non-blank character is "#" are skipped. The format has no quoting, so a
// PATH cannot contain whitespace.
#pragma once

#include "ocicap/ops.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace ocicap {

// Parses a capability list; `source` names it in errors, which also give
// the line number ("caps.txt:3: ...").
std::vector<FileChange> parse_capability_list(std::string_view text,
                                              const std::string& source);

// Reads and parses the capability list in file `path`, or standard input
// when `path` is "-".
std::vector<FileChange> read_capability_list(const std::string& path);

} // namespace ocicap
