#include "ocicap/capability_set.hpp"

#include "ocicap/error.hpp"
#include "support/setcap.hpp"

#include <cstdint>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::CapabilitySet;
using ocicap::Error;
using ocicap::format_capability_text;
using ocicap::parse_capability_text;

namespace {

constexpr std::uint64_t bit(int number) { return std::uint64_t{1} << number; }

// Capability numbers from linux/capability.h.
constexpr int cap_chown = 0;
constexpr int cap_kill = 5;
constexpr int cap_setuid = 7;
constexpr int cap_net_admin = 12;
constexpr int cap_net_raw = 13;
constexpr int cap_ipc_lock = 14;
constexpr int cap_sys_admin = 21;
constexpr int cap_perfmon = 38;
constexpr int cap_bpf = 39;

struct TextCase {
  std::string text;
  CapabilitySet set;
};

const std::vector<TextCase> parse_cases = {
    {"cap_ipc_lock+eip",
     {.permitted = bit(cap_ipc_lock),
      .inheritable = bit(cap_ipc_lock),
      .effective = true}},
    {"cap_net_raw,cap_net_admin=ep",
     {.permitted = bit(cap_net_raw) | bit(cap_net_admin), .effective = true}},
    {"cap_chown+p", {.permitted = bit(cap_chown)}},
    {"cap_setuid+i", {.inheritable = bit(cap_setuid)}},
    {"cap_sys_admin,cap_bpf+ep",
     {.permitted = bit(cap_sys_admin) | bit(cap_bpf), .effective = true}},
    {"cap_chown+ei", {.inheritable = bit(cap_chown), .effective = true}},
    {"cap_chown=p cap_kill=i",
     {.permitted = bit(cap_chown), .inheritable = bit(cap_kill)}},
    {"cap_chown+pe cap_setuid+ie",
     {.permitted = bit(cap_chown),
      .inheritable = bit(cap_setuid),
      .effective = true}},
    {"cap_chown=ep cap_chown-e", {.permitted = bit(cap_chown)}},
    {"CAP_CHOWN+ep", {.permitted = bit(cap_chown), .effective = true}},
    {"38+ep", {.permitted = bit(cap_perfmon), .effective = true}},
    {"63+p", {.permitted = bit(63)}},
    {"=", {}},
    {"", {}},
};

} // namespace

TEST_SUITE("CapabilitySet") {
  TEST_CASE("parses setcap texts") {
    for (const TextCase& item : parse_cases) {
      CAPTURE(item.text);
      CapabilitySet set = parse_capability_text(item.text);
      CHECK(set.permitted == item.set.permitted);
      CHECK(set.inheritable == item.set.inheritable);
      CHECK(set.effective == item.set.effective);
      CHECK_FALSE(set.root_id.has_value());
    }
  }

  TEST_CASE("rejects invalid capability names") {
    for (std::string text : {"bogus+ep", "cap_chown", "cap_chown+",
                             "cap_chown+x", "64+p", "cap_chown+ep,"}) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(
          parse_capability_text(text),
          ("invalid capability text \"" + text +
           "\": expected setcap syntax such as cap_ipc_lock+eip or "
           "cap_net_raw,cap_net_admin=ep")
              .c_str(),
          Error);
    }
  }

  TEST_CASE("rejects effective sets the file cannot express") {
    for (std::string text :
         {"cap_chown+ep cap_kill+p", "cap_chown=ep cap_kill=p",
          "cap_chown=eip cap_kill=p", "cap_chown,cap_kill=ip cap_kill+e"}) {
      CAPTURE(text);
      CHECK_THROWS_WITH_AS(
          parse_capability_text(text),
          ("invalid capability text \"" + text +
           "\": the effective set must be empty or contain every permitted "
           "and inheritable capability, because a file has only one "
           "effective bit (write e.g. cap_x+eip or cap_x+ip)")
              .c_str(),
          Error);
    }
  }

  // setcap 2.66 accepts a non-empty effective set when it contains every
  // permitted and inheritable bit. It drops effective bits outside that
  // union and writes the effective flag alone ("cap_chown+e" gives
  // 0x02000001 with empty sets), as "accepts and rejects what setcap does"
  // checks against the real program.
  TEST_CASE("accepts effective bits outside permitted and inheritable") {
    struct Case {
      std::string text;
      CapabilitySet set;
    };
    for (const Case& item : std::vector<Case>{
             {"cap_chown+e", {.effective = true}},
             {"=e", {.effective = true}},
             {"cap_chown+ep cap_chown-p", {.effective = true}},
             {"cap_chown=i cap_chown+e",
              {.inheritable = bit(cap_chown), .effective = true}},
             {"cap_chown+eip cap_kill+e",
              {.permitted = bit(cap_chown),
              .inheritable = bit(cap_chown),
              .effective = true}},
         }) {
      CAPTURE(item.text);
      CapabilitySet set;
      CHECK_NOTHROW(set = parse_capability_text(item.text));
      CHECK(set.permitted == item.set.permitted);
      CHECK(set.inheritable == item.set.inheritable);
      CHECK(set.effective == item.set.effective);
    }
  }

  TEST_CASE("accepts and rejects what setcap does") {
    if (auto reason = ocicap::test::setcap_unavailable_reason()) {
      MESSAGE("skipped: " << *reason);
      return;
    }
    for (std::string text : {
             "cap_ipc_lock+eip",
             "cap_net_raw,cap_net_admin=ep",
             "cap_chown+p",
             "cap_setuid+i",
             "cap_sys_admin,cap_bpf+ep",
             "=",
             "",
             "all=ep",
             "all=eip",
             "all=p",
             "cap_chown+ei",
             "cap_chown=p cap_kill=i",
             "cap_chown+pe cap_setuid+ie",
             "cap_chown=ep cap_chown-e",
             "CAP_CHOWN+ep",
             "38+ep",
             "63+p",
             "63+ep",
             "cap_chown+ep cap_kill+ep",
             "all=p cap_chown-p",
             "cap_chown+e",
             "=e",
             "cap_chown+ep cap_chown-p",
             "cap_chown=i cap_chown+e",
             "cap_chown+eip cap_kill+e",
             "cap_chown+ep cap_kill+p",
             "cap_chown=ep cap_kill=p",
             "cap_chown=eip cap_kill=p",
             "cap_chown,cap_kill=ip cap_kill+e",
             "bogus+ep",
             "cap_chown",
             "cap_chown+",
             "cap_chown+x",
             "64+p",
             "cap_chown+ep,",
         }) {
      CAPTURE(text);
      bool setcap_accepts = ocicap::test::setcap_value(text).has_value();
      bool ocicap_accepts = true;
      try {
        parse_capability_text(text);
      } catch (const Error&) {
        ocicap_accepts = false;
      }
      CHECK(ocicap_accepts == setcap_accepts);
    }
  }

  TEST_CASE("formats like getcap") {
    for (const TextCase& item : std::vector<TextCase>{
             {"cap_ipc_lock=eip",
              {.permitted = bit(cap_ipc_lock),
              .inheritable = bit(cap_ipc_lock),
              .effective = true}},
             {"cap_net_admin,cap_net_raw=ep",
              {.permitted = bit(cap_net_raw) | bit(cap_net_admin),
              .effective = true}},
             {"cap_chown=p", {.permitted = bit(cap_chown)}},
             {"cap_setuid=i", {.inheritable = bit(cap_setuid)}},
             {"cap_sys_admin,cap_bpf=ep",
              {.permitted = bit(cap_sys_admin) | bit(cap_bpf),
              .effective = true}},
             {"cap_kill=i cap_chown+p",
              {.permitted = bit(cap_chown), .inheritable = bit(cap_kill)}},
             {"cap_chown=ei",
              {.inheritable = bit(cap_chown), .effective = true}},
             {"=", {}},
             {"=", {.effective = true}},
             {"= 63+p", {.permitted = bit(63)}},
         }) {
      CAPTURE(item.text);
      CHECK(format_capability_text(item.set) == item.text);
    }
  }

  TEST_CASE("format ignores the root ID") {
    CapabilitySet set{.permitted = bit(cap_chown), .root_id = 1000};
    CHECK(format_capability_text(set) == "cap_chown=p");
  }

  TEST_CASE("parse inverts format") {
    for (const TextCase& item : parse_cases) {
      CAPTURE(item.text);
      std::string text = format_capability_text(item.set);
      CAPTURE(text);
      CHECK(parse_capability_text(text) == item.set);
    }
  }

  TEST_CASE("accepts runtime capability names") {
    const CapabilitySet ipc_lock_eip{.permitted = bit(cap_ipc_lock),
                                     .inheritable = bit(cap_ipc_lock),
                                     .effective = true};
    for (std::string text :
         {"IPC_LOCK+eip", "CAP_IPC_LOCK+eip", "ipc_lock+eip", "Ipc_Lock=eip",
          "cap_ipc_lock=eip", "  IPC_LOCK+eip  "}) {
      CAPTURE(text);
      CHECK(parse_capability_text(text) == ipc_lock_eip);
    }
    // Flags are lower case only, as setcap takes them.
    for (std::string text : {"Ipc_Lock=EIP", "cap_chown+EP", "cap_chown+Ep"}) {
      CAPTURE(text);
      CHECK_THROWS_AS(parse_capability_text(text), ocicap::Error);
    }
    CHECK(parse_capability_text("NET_RAW,CAP_NET_ADMIN=ep") ==
          CapabilitySet{.permitted = bit(cap_net_raw) | bit(cap_net_admin),
                        .effective = true});
    CHECK(parse_capability_text("CHOWN=p KILL=i") ==
          CapabilitySet{.permitted = bit(cap_chown),
                        .inheritable = bit(cap_kill)});
  }

  TEST_CASE("rejects unknown runtime names with the text as given") {
    CHECK_THROWS_WITH_AS(
        parse_capability_text("NOT_A_CAP+ep"),
        "invalid capability text \"NOT_A_CAP+ep\": expected setcap syntax "
        "such as cap_ipc_lock+eip or cap_net_raw,cap_net_admin=ep",
        Error);
  }

  TEST_CASE("formats the root ID like getcap -n") {
    CapabilitySet set{.permitted = bit(cap_chown),
                      .effective = true,
                      .root_id = 1000};
    CHECK(ocicap::format_getcap_text(set) == "cap_chown=ep [rootid=1000]");
    set.root_id.reset();
    CHECK(ocicap::format_getcap_text(set) == "cap_chown=ep");
  }

  TEST_CASE("parses what format_getcap_text prints") {
    for (CapabilitySet set : {
             CapabilitySet{.permitted = bit(cap_chown), .effective = true},
             CapabilitySet{.permitted = bit(cap_chown),
                           .effective = true,
                           .root_id = 1000},
             CapabilitySet{.permitted = bit(cap_net_raw),
                           .inheritable = bit(cap_kill),
                           .root_id = 4294967294u},
         }) {
      std::string text = ocicap::format_getcap_text(set);
      CAPTURE(text);
      CHECK(ocicap::parse_getcap_text(text) == set);
    }
  }

  TEST_CASE("rejects invalid root IDs") {
    for (std::string text :
         {"cap_chown=ep [rootid=]", "cap_chown=ep [rootid=x]",
          "cap_chown=ep [rootid=-1]", "cap_chown=ep [rootid=4294967295]",
          "cap_chown=ep [rootid=4294967296]",
          "cap_chown=ep [rootid=99999999999]"}) {
      CAPTURE(text);
      CHECK_THROWS_AS(ocicap::parse_getcap_text(text), Error);
    }
  }

  TEST_CASE("libcap_version is MAJOR.MINOR") {
    std::string version = ocicap::libcap_version();
    CAPTURE(version);
    std::size_t dot = version.find('.');
    REQUIRE(dot != std::string::npos);
    CHECK(dot > 0);
    CHECK(version.find_first_not_of("0123456789.") == std::string::npos);
    CHECK(version.substr(0, dot) == "2");
  }
}
