#include "ocicap/capability_set.hpp"

#include "ocicap/capability_names.hpp"
#include "ocicap/error.hpp"

#include <filesystem>
#include <link.h>
#include <memory>
#include <optional>
#include <sys/capability.h>

namespace ocicap {
namespace {

constexpr int max_capability_bits = 64;

struct CapFree {
  void operator()(void* pointer) const { cap_free(pointer); }
};
using CapHandle = std::unique_ptr<std::remove_pointer_t<cap_t>, CapFree>;

std::uint64_t read_flag(cap_t caps, cap_flag_t flag) {
  std::uint64_t bits = 0;
  for (int value = 0; value < max_capability_bits; ++value) {
    cap_flag_value_t state = CAP_CLEAR;
    if (cap_get_flag(caps, value, flag, &state) != 0) {
      break;
    }
    if (state == CAP_SET) {
      bits |= std::uint64_t{1} << value;
    }
  }
  return bits;
}

void write_flag(cap_t caps, cap_flag_t flag, std::uint64_t bits) {
  for (cap_value_t value = 0; value < max_capability_bits; ++value) {
    if ((bits >> value) & 1) {
      if (cap_set_flag(caps, flag, 1, &value, CAP_SET) != 0) {
        throw Error("capability number " + std::to_string(value) +
                    " is beyond what this libcap supports");
      }
    }
  }
}

// getcap -n (libcap 2.66) prints a revision 3 root ID as " [rootid=N]".
constexpr std::string_view root_id_prefix = " [rootid=";

std::uint32_t parse_root_id(std::string_view number, std::string_view text) {
  std::uint64_t value = 0;
  bool valid = !number.empty() && number.size() <= 10;
  for (char c : number) {
    valid = valid && c >= '0' && c <= '9';
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  // 4294967295 is (uid_t)-1, which no user namespace maps; --rootid and
  // setcap -n reject it too.
  if (!valid || value >= UINT32_MAX) {
    throw Error("invalid root ID in " + quote(text) +
                ": expected [rootid=N] with N a user ID from 0 to " +
                std::to_string(UINT32_MAX - 1));
  }
  return static_cast<std::uint32_t>(value);
}

// Stores the path of the loaded libcap shared object in `data`, a
// std::string, and stops the iteration when `info` names it.
int find_libcap_object(dl_phdr_info* info, std::size_t, void* data) {
  std::string_view name = info->dlpi_name != nullptr ? info->dlpi_name : "";
  if (name.find("/libcap.so") == std::string_view::npos) {
    return 0;
  }
  *static_cast<std::string*>(data) = std::string(name);
  return 1;
}

// Returns the version in the file name of the libcap shared object this
// process loaded, e.g. "2.66" for libcap.so.2.66 (which the libcap.so.2
// symbolic link names), or nullopt when there is none or the name carries
// no MAJOR.MINOR. libcap has no function that returns its version.
std::optional<std::string> loaded_libcap_version() {
  std::string path;
  ::dl_iterate_phdr(find_libcap_object, &path);
  if (path.empty()) {
    return std::nullopt;
  }
  std::error_code error;
  std::string name =
      std::filesystem::canonical(path, error).filename().string();
  constexpr std::string_view prefix = "libcap.so.";
  if (error || !name.starts_with(prefix)) {
    return std::nullopt;
  }
  std::string version = name.substr(prefix.size());
  if (version.find('.') == std::string::npos) {
    return std::nullopt;
  }
  return version;
}

} // namespace

std::string libcap_version() {
  if (std::optional<std::string> version = loaded_libcap_version()) {
    return *version;
  }
  // A static libcap is the version built with.
  // NOTE: a shared libcap whose file name has no MAJOR.MINOR also returns
  // the version built with, which may differ from the library loaded.
  return std::to_string(LIBCAP_MAJOR) + "." + std::to_string(LIBCAP_MINOR);
}

CapabilitySet parse_capability_text(std::string_view text) {
  std::string copy(text);
  std::string normalized = normalize_capability_names(text);
  CapHandle caps(cap_from_text(normalized.c_str()));
  if (!caps) {
    throw Error("invalid capability text \"" + copy +
                "\": expected setcap syntax such as cap_ipc_lock+eip or "
                "cap_net_raw,cap_net_admin=ep");
  }
  CapabilitySet set;
  set.permitted = read_flag(caps.get(), CAP_PERMITTED);
  set.inheritable = read_flag(caps.get(), CAP_INHERITABLE);
  std::uint64_t effective = read_flag(caps.get(), CAP_EFFECTIVE);
  // libcap 2.66 (_fcaps_save) rejects a non-empty effective set that misses
  // a permitted or inheritable bit, and drops effective bits outside them:
  // setcap accepts "cap_x+e" and writes only the effective flag.
  std::uint64_t granted = set.permitted | set.inheritable;
  if (effective != 0 && (granted & ~effective) != 0) {
    throw Error("invalid capability text \"" + copy +
                "\": the effective set must be empty or contain every "
                "permitted and inheritable capability, because a file has "
                "only one effective bit (write e.g. cap_x+eip or cap_x+ip)");
  }
  set.effective = effective != 0;
  return set;
}

std::string format_capability_text(const CapabilitySet& set) {
  CapHandle caps(cap_init());
  if (!caps) {
    throw Error("cannot allocate a libcap capability set");
  }
  write_flag(caps.get(), CAP_PERMITTED, set.permitted);
  write_flag(caps.get(), CAP_INHERITABLE, set.inheritable);
  if (set.effective) {
    write_flag(caps.get(), CAP_EFFECTIVE, set.permitted | set.inheritable);
  }
  ssize_t length = 0;
  std::unique_ptr<char, CapFree> text(cap_to_text(caps.get(), &length));
  if (!text) {
    throw Error("libcap cannot format the capability set");
  }
  return std::string(text.get(), static_cast<std::size_t>(length));
}

std::string format_getcap_text(const CapabilitySet& set) {
  std::string text = format_capability_text(set);
  if (set.root_id) {
    text += " [rootid=" + std::to_string(*set.root_id) + "]";
  }
  return text;
}

CapabilitySet parse_getcap_text(std::string_view text) {
  std::size_t end = text.find_last_not_of(" \t");
  text = text.substr(0, end == std::string_view::npos ? 0 : end + 1);
  std::optional<std::uint32_t> root_id;
  std::size_t suffix = text.rfind(root_id_prefix);
  if (suffix != std::string_view::npos && text.ends_with(']')) {
    std::string_view number = text.substr(
        suffix + root_id_prefix.size(),
        text.size() - suffix - root_id_prefix.size() - 1);
    root_id = parse_root_id(number, text);
    text = text.substr(0, suffix);
  }
  CapabilitySet set = parse_capability_text(text);
  set.root_id = root_id;
  return set;
}

} // namespace ocicap
