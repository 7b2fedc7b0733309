// libFuzzer target for the security.capability decoder and for the
// capability text parser. The input is decoded as an xattr value; a value
// that decodes must format, and must encode to a value that decodes to the
// same set. The input is also parsed as setcap text, and a parsed set must
// format to text that parses to the same set, except for the effective bit
// of a set with no permitted or inheritable capability: libcap's text (and
// getcap's output) has no way to show that bit alone.
#include "ocicap/capability_set.hpp"
#include "ocicap/error.hpp"
#include "ocicap/vfs_cap_data.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace ocicap;

void fuzz_decoder(std::string_view value) {
  CapabilitySet set = decode_vfs_cap_data(value);
  (void)format_capability_text(set);
  if (decode_vfs_cap_data(encode_vfs_cap_data(set)) != set) {
    std::abort();
  }
}

void fuzz_text(std::string_view text) {
  // Command-line arguments cannot contain NUL bytes.
  text = text.substr(0, text.find('\0'));
  CapabilitySet set = parse_capability_text(text);
  CapabilitySet again = parse_capability_text(format_capability_text(set));
  if (set.permitted == 0 && set.inheritable == 0) {
    again.effective = set.effective;
  }
  if (again != set) {
    std::abort();
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    fuzz_decoder(bytes);
  } catch (const Error&) {
  }
  try {
    fuzz_text(bytes);
  } catch (const Error&) {
  }
  return 0;
}
