// RFC 3339 timestamps, the form image configs use for `created`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ocicap {

// Formats seconds since the Unix epoch as "YYYY-MM-DDTHH:MM:SSZ".
std::string format_rfc3339(std::int64_t seconds);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" into seconds
// since the epoch, dropping the fraction; nullopt when the text is not in
// that form.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

} // namespace ocicap
