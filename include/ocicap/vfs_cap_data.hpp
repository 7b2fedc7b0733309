// The `security.capability` extended attribute (struct vfs_cap_data and
// vfs_ns_cap_data in linux/capability.h): little-endian 32-bit words.
//
//   revision 1: magic 0x01000000, permitted, inheritable          12 bytes
//   revision 2: magic 0x02000000, {permitted, inheritable} x 2    20 bytes
//   revision 3: as revision 2, then the namespace root ID         24 bytes
//
// Bit 0 of the magic (VFS_CAP_FLAGS_EFFECTIVE) is the effective bit. The
// kernel accepts only these exact sizes. The value contains NUL bytes, so it
// is always a length-delimited std::string, never a C string.
#pragma once

#include "ocicap/capability_set.hpp"

#include <string>
#include <string_view>

namespace ocicap {

inline constexpr std::string_view capability_xattr_name =
    "security.capability";

// Encodes revision 3 when `set.root_id` is present, else revision 2, the
// form setcap writes outside a user namespace.
std::string encode_vfs_cap_data(const CapabilitySet& set);

// Decodes revisions 1 to 3; throws Error on an unknown revision or a size
// that does not match the revision.
CapabilitySet decode_vfs_cap_data(std::string_view value);

} // namespace ocicap
