#include "ocicap/runtime_advice.hpp"

#include "ocicap/capability_names.hpp"
#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::AdviceItem;
using ocicap::AdviceKind;
using ocicap::CapabilitySet;
using ocicap::FileCapabilities;
using ocicap::ImageUser;
using ocicap::RuntimeAdvice;

namespace {

FileCapabilities file(const std::string& path, const std::string& text,
                      std::optional<std::uint32_t> root_id = {}) {
  CapabilitySet set = ocicap::parse_capability_text(text);
  set.root_id = root_id;
  return {path, ocicap::format_capability_text(set), set, {}};
}

const ImageUser app_user{.text = "app", .uid = 1000, .gid = 1000};

std::vector<std::string> kinds_of(const RuntimeAdvice& advice) {
  std::vector<std::string> kinds;
  for (const AdviceItem& item : advice.items) {
    kinds.push_back(ocicap::advice_kind_name(item.kind));
  }
  return kinds;
}

const AdviceItem& item_of(const RuntimeAdvice& advice, AdviceKind kind) {
  for (const AdviceItem& item : advice.items) {
    if (item.kind == kind) {
      return item;
    }
  }
  FAIL("no item " << ocicap::advice_kind_name(kind));
  throw std::logic_error("unreachable");
}

} // namespace

TEST_SUITE("RuntimeAdvice") {
  TEST_CASE("default set is Docker's and containerd's") {
    std::vector<std::string> names;
    for (int number :
         ocicap::capability_numbers(ocicap::default_runtime_capabilities())) {
      names.push_back(ocicap::runtime_capability_name(number));
    }
    CHECK(names == std::vector<std::string>{
                       "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
                       "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE",
                       "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE",
                       "SETFCAP"});
  }

  TEST_CASE("asks to add capabilities outside the default set") {
    RuntimeAdvice advice = ocicap::advise_runtime(
        {file("/usr/bin/a", "cap_ipc_lock+eip"),
         file("/usr/bin/b", "cap_net_raw,cap_sys_time+ep")},
        app_user);
    CHECK(advice.required ==
          std::vector<std::string>{"NET_RAW", "IPC_LOCK", "SYS_TIME"});
    CHECK(advice.not_in_default ==
          std::vector<std::string>{"IPC_LOCK", "SYS_TIME"});
    CHECK(kinds_of(advice) ==
          std::vector<std::string>{"add_capability", "bounding_set",
                                   "bounding_set", "no_new_privs"});
    const AdviceItem& add = item_of(advice, AdviceKind::add_capability);
    CHECK(add.paths == std::vector<std::string>{"/usr/bin/a", "/usr/bin/b"});
    CHECK(add.capabilities ==
          std::vector<std::string>{"cap_ipc_lock", "cap_sys_time"});
    CHECK(add.message ==
          "cap_ipc_lock, cap_sys_time are not in Docker's and containerd's "
          "default capability set, so the container must be given them: "
          "docker run --cap-add IPC_LOCK --cap-add SYS_TIME, or Kubernetes "
          "securityContext.capabilities.add: [IPC_LOCK, SYS_TIME]");
  }

  TEST_CASE("warns of EPERM for the effective bit") {
    RuntimeAdvice advice = ocicap::advise_runtime(
        {file("/usr/bin/ping", "cap_net_raw+ep")}, app_user);
    CHECK(advice.not_in_default.empty());
    const AdviceItem& item = item_of(advice, AdviceKind::bounding_set);
    CHECK(item.paths == std::vector<std::string>{"/usr/bin/ping"});
    CHECK(item.message ==
          "/usr/bin/ping has the effective bit, so its exec fails with EPERM "
          "(Operation not permitted) unless the container's bounding set "
          "holds cap_net_raw: a container that drops ALL capabilities must "
          "add it back");
  }

  TEST_CASE("notes permitted capabilities without the effective bit") {
    RuntimeAdvice advice = ocicap::advise_runtime(
        {file("/srv/app", "cap_net_bind_service+p")}, app_user);
    CHECK(kinds_of(advice) ==
          std::vector<std::string>{"not_effective", "no_new_privs"});
    CHECK(item_of(advice, AdviceKind::not_effective).message ==
          "/srv/app has cap_net_bind_service permitted but not effective: "
          "the program must raise them itself, so unless it is written to, "
          "use +ep (e.g. cap_net_bind_service+ep)");
  }

  TEST_CASE("warns that inheritable-only capabilities grant nothing") {
    RuntimeAdvice advice =
        ocicap::advise_runtime({file("/usr/bin/x", "cap_kill+i")}, app_user);
    CHECK(kinds_of(advice) == std::vector<std::string>{"inheritable_only"});
    CHECK(advice.required.empty());
    CHECK(item_of(advice, AdviceKind::inheritable_only).message ==
          "/usr/bin/x has cap_kill only in its inheritable set, which grants "
          "nothing to a plain exec because a container's process has no "
          "inheritable capabilities: use +ep (e.g. cap_kill+ep)");
  }

  TEST_CASE("says no_new_privs stops file capabilities") {
    RuntimeAdvice advice = ocicap::advise_runtime(
        {file("/usr/bin/ping", "cap_net_raw+ep")}, app_user);
    const AdviceItem& item = item_of(advice, AdviceKind::no_new_privs);
    CHECK(item.message.starts_with(
        "no_new_privs keeps file capabilities from being gained"));
    CHECK(item.message.find("allowPrivilegeEscalation: false") !=
          std::string::npos);
  }

  TEST_CASE("notes a root user") {
    for (ImageUser user : {ImageUser{.text = "", .uid = 0, .is_root = true},
                           ImageUser{.text = "0:0", .uid = 0, .gid = 0,
                                     .is_root = true}}) {
      CAPTURE(user.text);
      RuntimeAdvice advice = ocicap::advise_runtime(
          {file("/usr/bin/ping", "cap_net_raw+ep")}, user);
      const AdviceItem& item = item_of(advice, AdviceKind::root_user);
      CHECK(item.message.find("file capabilities add nothing") !=
            std::string::npos);
    }
  }

  TEST_CASE("warns of revision 3 root IDs") {
    RuntimeAdvice advice = ocicap::advise_runtime(
        {file("/usr/bin/ns", "cap_chown+ep", 1000)}, app_user);
    CHECK(item_of(advice, AdviceKind::user_namespace).message ==
          "/usr/bin/ns has a revision 3 capability for root ID 1000: the "
          "kernel honours it only in a user namespace whose root is host UID "
          "1000, so a runtime with another mapping, or none, ignores it");
  }

  TEST_CASE("reports an unresolved user") {
    ImageUser user{.text = "ghost",
                   .unresolved = "user ghost is not in the image's "
                                 "/etc/passwd"};
    RuntimeAdvice advice = ocicap::advise_runtime(
        {file("/usr/bin/ping", "cap_net_raw+ep")}, user);
    CHECK(item_of(advice, AdviceKind::unknown_user).message ==
          "the config's User \"ghost\" could not be resolved to numeric IDs: "
          "user ghost is not in the image's /etc/passwd. A numeric User "
          "(e.g. 1000:1000) needs no lookup");
  }

  TEST_CASE("says when no file has capabilities") {
    RuntimeAdvice advice = ocicap::advise_runtime({}, app_user);
    CHECK(kinds_of(advice) == std::vector<std::string>{"no_capabilities"});
    CHECK(advice.required.empty());
  }

  TEST_CASE("names every kind") {
    CHECK(ocicap::advice_kind_name(AdviceKind::add_capability) ==
          "add_capability");
    CHECK(ocicap::advice_kind_name(AdviceKind::user_namespace) ==
          "user_namespace");
    CHECK(ocicap::advice_kind_name(AdviceKind::no_capabilities) ==
          "no_capabilities");
  }
}
