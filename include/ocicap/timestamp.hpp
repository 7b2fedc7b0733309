// RFC 3339 timestamps, the form image configs use for `created`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ocicap {

// The last second of 9999-12-31 UTC. RFC 3339 writes the year with four
// digits, so later times have no RFC 3339 form, and skopeo and other Go
// tools reject a `created` with a longer year.
inline constexpr std::int64_t max_rfc3339_seconds = 253402300799;

// Returns whether `seconds` lies from the epoch to max_rfc3339_seconds,
// the times ocicap writes into images.
bool is_writable_time(std::int64_t seconds);

// Formats seconds since the Unix epoch as "YYYY-MM-DDTHH:MM:SSZ".
std::string format_rfc3339(std::int64_t seconds);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)" into seconds
// since the epoch, dropping the fraction; nullopt when the text is not in
// that form.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

} // namespace ocicap
