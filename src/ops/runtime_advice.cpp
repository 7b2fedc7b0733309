// The rules behind RuntimeAdvice, from security/commoncap.c in Linux 6.x.
// At exec, a file's permitted capabilities are granted only where the
// bounding set contains them, and a file with the effective bit that loses
// one fails with EPERM (bprm_caps_from_vfs_caps). With no_new_privs the new
// permitted set is cut back to the old one (cap_bprm_creds_from_file). A
// revision 3 value counts only in a user namespace whose root is its root
// ID (rootid_owns_currentns). Inheritable file bits grant only what the
// process already has in its inheritable set, which Docker and containerd
// leave empty. tests/e2e/runtime_advice.sh and cap_forms.sh check each
// fact on the running kernel.
#include "ocicap/runtime_advice.hpp"

#include "ocicap/capability_names.hpp"
#include "ocicap/error.hpp"
#include "runtime_facts.hpp"

namespace ocicap {
namespace {

// The capabilities a container gets from Docker (moby oci/caps/defaults.go,
// DefaultCapabilities) and containerd (oci/spec.go, defaultUnixCaps); both
// lists are the same and give the bounding set too.
constexpr std::string_view default_capability_names[] = {
    "CHOWN",  "DAC_OVERRIDE", "FSETID",  "FOWNER",           "MKNOD",
    "NET_RAW", "SETGID",      "SETUID",  "SETFCAP",          "SETPCAP",
    "NET_BIND_SERVICE",       "SYS_CHROOT", "KILL",          "AUDIT_WRITE",
};

std::vector<std::string> libcap_names(std::uint64_t mask) {
  std::vector<std::string> names;
  for (int number : capability_numbers(mask)) {
    names.push_back(capability_name(number));
  }
  return names;
}

std::vector<std::string> runtime_names(std::uint64_t mask) {
  std::vector<std::string> names;
  for (int number : capability_numbers(mask)) {
    names.push_back(runtime_capability_name(number));
  }
  return names;
}

std::string join(const std::vector<std::string>& items,
                 std::string_view separator = ", ") {
  std::string text;
  for (const std::string& item : items) {
    text += (text.empty() ? "" : std::string(separator)) + item;
  }
  return text;
}

std::string cap_add_flags(std::uint64_t mask) {
  std::string flags;
  for (const std::string& name : runtime_names(mask)) {
    flags += (flags.empty() ? "" : " ") + std::string("--cap-add ") + name;
  }
  return flags;
}

void add_default_set_item(RuntimeAdvice& advice, std::uint64_t missing) {
  if (missing == 0) {
    return;
  }
  AdviceItem item{.kind = AdviceKind::add_capability,
                  .capabilities = libcap_names(missing)};
  for (const FileCapabilities& file : advice.files) {
    if ((file.capabilities.permitted & missing) != 0) {
      item.paths.push_back(file.path);
    }
  }
  bool one = item.capabilities.size() == 1;
  item.message = join(item.capabilities) + (one ? " is" : " are") +
                 " not in Docker's and containerd's default capability set, "
                 "so the container must be given " +
                 (one ? "it" : "them") + ": docker run " +
                 cap_add_flags(missing) +
                 ", or Kubernetes securityContext.capabilities.add: [" +
                 join(runtime_names(missing)) + "]";
  advice.items.push_back(std::move(item));
}

void add_file_items(RuntimeAdvice& advice, const FileCapabilities& file) {
  const CapabilitySet& set = file.capabilities;
  std::string names = join(libcap_names(set.permitted));
  if (set.permitted != 0 && set.effective) {
    advice.items.push_back(
        {AdviceKind::bounding_set,
         file.path + " has the effective bit, so its exec fails with EPERM "
                     "(Operation not permitted) unless the container's "
                     "bounding set holds " +
             join(libcap_names(set.permitted), " and ") +
             ": a container that drops ALL capabilities must add " +
             (capability_numbers(set.permitted).size() == 1 ? "it" : "them") +
             " back",
         {file.path}, libcap_names(set.permitted)});
  }
  if (set.permitted != 0 && !set.effective) {
    advice.items.push_back(
        {AdviceKind::not_effective,
         file.path + " has " + names +
             " permitted but not effective: the program must raise them "
             "itself, so unless it is written to, use +ep (e.g. " +
             capability_name(capability_numbers(set.permitted).front()) +
             "+ep)",
         {file.path}, libcap_names(set.permitted)});
  }
  std::uint64_t inheritable_only = set.inheritable & ~set.permitted;
  if (inheritable_only != 0) {
    std::string only = join(libcap_names(inheritable_only));
    advice.items.push_back(
        {AdviceKind::inheritable_only,
         file.path + " has " + only +
             " only in its inheritable set, which grants nothing to a "
             "plain exec because a container's process has no inheritable "
             "capabilities: use +ep (e.g. " +
             capability_name(capability_numbers(inheritable_only).front()) +
             "+ep)",
         {file.path}, libcap_names(inheritable_only)});
  }
  if (set.root_id) {
    advice.items.push_back({AdviceKind::user_namespace,
                            user_namespace_warning(file.path, *set.root_id),
                            {file.path}, libcap_names(set.permitted)});
  }
}

void add_no_new_privs_item(RuntimeAdvice& advice, std::uint64_t required) {
  if (required == 0) {
    return;
  }
  AdviceItem item{.kind = AdviceKind::no_new_privs,
                  .capabilities = libcap_names(required)};
  for (const FileCapabilities& file : advice.files) {
    if (file.capabilities.permitted != 0) {
      item.paths.push_back(file.path);
    }
  }
  // The restricted Pod Security Standard requires
  // allowPrivilegeEscalation: false, as Kyverno's policy for that profile
  // states (kyverno.io, pod-security/restricted/disallow-privilege-
  // escalation). containerd's default spec sets NoNewPrivileges
  // (oci/spec.go, populateDefaultUnixSpec), and its CRI plugin clears it
  // and sets it again only from the security context
  // (generateContainerSpec: oci.WithNewPrivileges, then
  // oci.WithNoNewPrivileges when NoNewPrivs is true).
  item.message =
      "no_new_privs keeps file capabilities from being gained where the "
      "calling process lacks them in its permitted set, so the program "
      "runs without them unless its caller already holds them (as a "
      "container's first process may, when the runtime puts the added "
      "capabilities in its permitted set, as podman 4.3 with runc does). "
      "Kubernetes sets no_new_privs with allowPrivilegeEscalation: false, "
      "which the restricted Pod Security Standard requires, and Docker "
      "with --security-opt no-new-privileges. containerd's default OCI "
      "spec sets it for clients that start from that spec, while its "
      "Kubernetes plugin follows allowPrivilegeEscalation. Leave it off "
      "for this container (allowPrivilegeEscalation: true)";
  advice.items.push_back(std::move(item));
}

void add_user_items(RuntimeAdvice& advice) {
  const ImageUser& user = advice.user;
  if (!user.unresolved.empty()) {
    advice.items.push_back(
        {AdviceKind::unknown_user,
         "the config's User " + quote(user.text) +
             " could not be resolved to numeric IDs: " + user.unresolved +
             ". A numeric User (e.g. 1000:1000) needs no lookup",
         {}, {}});
  }
  if (user.is_root) {
    advice.items.push_back(
        {AdviceKind::root_user,
         "the image runs as root (" +
             (user.text.empty() ? std::string("no User, so the runtime's "
                                              "default")
                                : "User " + quote(user.text)) +
             "): file capabilities add nothing, because root already has "
             "every capability of the bounding set; set a non-root User for "
             "them to matter",
         {}, {}});
  }
}

} // namespace

std::string user_namespace_warning(const std::string& path,
                                   std::uint32_t root_id) {
  std::string id = std::to_string(root_id);
  return path + " has a revision 3 capability for root ID " + id +
         ": the kernel honours it only in a user namespace whose root is "
         "host UID " + id +
         ", so a runtime with another mapping, or none, ignores it";
}

std::string advice_kind_name(AdviceKind kind) {
  switch (kind) {
  case AdviceKind::add_capability:
    return "add_capability";
  case AdviceKind::bounding_set:
    return "bounding_set";
  case AdviceKind::no_new_privs:
    return "no_new_privs";
  case AdviceKind::inheritable_only:
    return "inheritable_only";
  case AdviceKind::not_effective:
    return "not_effective";
  case AdviceKind::root_user:
    return "root_user";
  case AdviceKind::unknown_user:
    return "unknown_user";
  case AdviceKind::user_namespace:
    return "user_namespace";
  case AdviceKind::no_capabilities:
    break;
  }
  return "no_capabilities";
}

std::uint64_t default_runtime_capabilities() {
  std::uint64_t mask = 0;
  for (std::string_view name : default_capability_names) {
    if (std::optional<int> number = find_capability(name)) {
      mask |= std::uint64_t{1} << *number;
    }
  }
  return mask;
}

RuntimeAdvice advise_runtime(std::vector<FileCapabilities> files,
                             ImageUser user) {
  RuntimeAdvice advice{.files = std::move(files), .user = std::move(user)};
  if (advice.files.empty()) {
    advice.items.push_back({AdviceKind::no_capabilities,
                            "no file in the image has capabilities", {}, {}});
  }
  std::uint64_t required = 0;
  for (const FileCapabilities& file : advice.files) {
    required |= file.capabilities.permitted;
  }
  std::uint64_t missing = required & ~default_runtime_capabilities();
  advice.required = runtime_names(required);
  advice.not_in_default = runtime_names(missing);
  add_default_set_item(advice, missing);
  for (const FileCapabilities& file : advice.files) {
    add_file_items(advice, file);
  }
  add_no_new_privs_item(advice, required);
  add_user_items(advice);
  return advice;
}

} // namespace ocicap
