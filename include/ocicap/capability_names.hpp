// Capability names in the two forms users meet. libcap's form
// ("cap_ipc_lock") is what setcap takes and getcap prints. The container
// runtimes write "IPC_LOCK" in a Kubernetes securityContext and
// "CAP_IPC_LOCK" in the OCI runtime spec, and docker --cap-add accepts both
// (moby oci/caps/utils.go, NormalizeLegacyCapabilities). Names are looked
// up in libcap's table (cap_from_name, cap_to_name), so a capability newer
// than the libcap ocicap was built with has only its number.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ocicap {

// Returns the number of capability `name`, given in libcap's or a
// runtime's form in any case ("cap_ipc_lock", "IPC_LOCK", "Cap_Ipc_Lock"),
// or nullopt when libcap has no capability of that name.
std::optional<int> find_capability(std::string_view name);

// Returns libcap's name of capability `number`, e.g. "cap_ipc_lock", or the
// decimal number when libcap has no name for it.
std::string capability_name(int number);

// Returns the runtime name of capability `number` as a Kubernetes
// securityContext lists it, e.g. "IPC_LOCK".
std::string runtime_capability_name(int number);

// Returns the numbers of the bits set in `mask`, lowest first.
std::vector<int> capability_numbers(std::uint64_t mask);

// Returns the bit mask of the capabilities numbered in `numbers`.
std::uint64_t capability_mask(const std::vector<int>& numbers);

// Rewrites the capability names of setcap text into libcap's form, so that
// "IPC_LOCK+ep" and "CAP_IPC_LOCK=EIP" read as "cap_ipc_lock+ep" and
// "cap_ipc_lock=eip". Operators, flags, numbers and "all" are kept, flags
// in lower case. Unknown names are kept for libcap to reject.
std::string normalize_capability_names(std::string_view text);

} // namespace ocicap
