// Runs the real setcap and getcap (libcap) on files the test creates, to
// compare ocicap's capability code with what they write and print.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ocicap::test {

// Returns why setcap cannot be used here (not root, no setcap, or a
// filesystem without security.* xattrs), or nullopt when it can.
std::optional<std::string> setcap_unavailable_reason();

// Runs `setcap [-n ROOT_ID] TEXT FILE` on a fresh empty file and returns
// the security.capability value it wrote, or nullopt when setcap rejected
// the text.
std::optional<std::string>
setcap_value(const std::string& text,
             std::optional<std::uint32_t> root_id = {});

// Writes `value` as the security.capability xattr of a fresh file and
// returns the capability text getcap prints for it, without the file name.
std::string getcap_text(const std::string& value);

} // namespace ocicap::test
