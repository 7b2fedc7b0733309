// Capability sets of a file, as setcap takes them and getcap prints them.
// Text is parsed and printed by libcap (cap_from_text, cap_to_text), so the
// syntax is exactly setcap's. Bits 0-63 are kept, the range the on-disk
// format can hold.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ocicap {

struct CapabilitySet {
  std::uint64_t permitted = 0;
  std::uint64_t inheritable = 0;
  // The file format has one effective bit: when set, every permitted
  // capability is raised in the effective set at exec.
  bool effective = false;
  // Revision 3 (user-namespaced) entries carry the root ID of the namespace
  // that wrote them.
  std::optional<std::uint32_t> root_id;

  friend bool operator==(const CapabilitySet&, const CapabilitySet&) = default;
};

// Parses setcap text such as "cap_ipc_lock+eip" or "cap_net_raw,cap_chown=ep".
// Names may also take the container runtimes' form, in any case
// ("IPC_LOCK+ep", "CAP_IPC_LOCK=eip"). Throws Error naming the text when
// libcap rejects it, or when the effective set is non-empty but lacks a
// permitted or inheritable capability, which the file format cannot
// express and setcap rejects too.
CapabilitySet parse_capability_text(std::string_view text);

// Returns the version of the libcap this process runs with, e.g. "2.66",
// read from the file name of its shared object, or else the version
// ocicap was built with.
std::string libcap_version();

// Formats like getcap: libcap's cap_to_text, with the effective set shown as
// permitted|inheritable when the effective bit is set.
std::string format_capability_text(const CapabilitySet& set);

// Formats like `getcap -n`: format_capability_text(), then " [rootid=N]"
// for a revision 3 set.
std::string format_getcap_text(const CapabilitySet& set);

// Parses what format_getcap_text() prints: setcap text, optionally
// followed by " [rootid=N]". Throws Error naming the text.
CapabilitySet parse_getcap_text(std::string_view text);

} // namespace ocicap
