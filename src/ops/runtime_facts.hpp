// Sentences about file capabilities that more than one operation reports.
#pragma once

#include <cstdint>
#include <string>

namespace ocicap {

// Returns the warning for a revision 3 capability on `path` (display form)
// written for user namespace root `root_id`.
std::string user_namespace_warning(const std::string& path,
                                   std::uint32_t root_id);

} // namespace ocicap
