#include "ocicap/capability_names.hpp"

#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::capability_name;
using ocicap::find_capability;
using ocicap::normalize_capability_names;
using ocicap::runtime_capability_name;

namespace {

// Capability numbers from linux/capability.h.
constexpr int cap_chown = 0;
constexpr int cap_net_raw = 13;
constexpr int cap_ipc_lock = 14;
constexpr int cap_audit_write = 29;

} // namespace

TEST_SUITE("CapabilityNames") {
  TEST_CASE("finds names in both forms and any case") {
    for (std::string name : {"cap_ipc_lock", "CAP_IPC_LOCK", "IPC_LOCK",
                             "ipc_lock", "Cap_Ipc_Lock"}) {
      CAPTURE(name);
      CHECK(find_capability(name) == std::optional<int>(cap_ipc_lock));
    }
  }

  TEST_CASE("finds no unknown names") {
    for (std::string name : {"", "cap_", "bogus", "CAP_BOGUS", "14", "ipc"}) {
      CAPTURE(name);
      CHECK_FALSE(find_capability(name).has_value());
    }
  }

  TEST_CASE("names numbers in libcap and runtime form") {
    CHECK(capability_name(cap_chown) == "cap_chown");
    CHECK(capability_name(cap_audit_write) == "cap_audit_write");
    CHECK(runtime_capability_name(cap_net_raw) == "NET_RAW");
    CHECK(runtime_capability_name(cap_ipc_lock) == "IPC_LOCK");
  }

  TEST_CASE("names unknown numbers by number") {
    CHECK(capability_name(63) == "63");
    CHECK(runtime_capability_name(63) == "63");
  }

  TEST_CASE("lists and builds masks") {
    std::uint64_t mask = (std::uint64_t{1} << cap_chown) |
                         (std::uint64_t{1} << cap_ipc_lock) |
                         (std::uint64_t{1} << 63);
    std::vector<int> numbers = ocicap::capability_numbers(mask);
    CHECK(numbers == std::vector<int>{cap_chown, cap_ipc_lock, 63});
    CHECK(ocicap::capability_mask(numbers) == mask);
    CHECK(ocicap::capability_numbers(0).empty());
  }

  TEST_CASE("normalizes names in setcap text") {
    struct Case {
      std::string text;
      std::string normalized;
    };
    for (const Case& item : std::vector<Case>{
             {"IPC_LOCK+eip", "cap_ipc_lock+eip"},
             {"CAP_IPC_LOCK=eip", "cap_ipc_lock=eip"},
             {"CAP_IPC_LOCK=EIP", "cap_ipc_lock=EIP"},
             {"net_raw,CAP_NET_ADMIN=ep", "cap_net_raw,cap_net_admin=ep"},
             {"CHOWN=p  KILL+i", "cap_chown=p cap_kill+i"},
             {"cap_chown+ep", "cap_chown+ep"},
             {"all=ep", "all=ep"},
             {"ALL=ep", "all=ep"},
             {"38+ep", "38+ep"},
             {"=ep", "=ep"},
             {"", ""},
             {"bogus+ep", "bogus+ep"},
             {"CHOWN", "cap_chown"},
         }) {
      CAPTURE(item.text);
      CHECK(normalize_capability_names(item.text) == item.normalized);
    }
  }
}
