// What a container runtime must allow for an image's file capabilities to
// take effect, worked out from the image's config and files. A file
// capability is easy to make useless. A bounding set without it,
// no_new_privs, an inheritable-only set or a root user each leave the
// program without it, and the first two show up only as a failed or
// powerless container.
#pragma once

#include "ocicap/ops.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ocicap {

enum class AdviceKind {
  // Capabilities outside Docker's and containerd's default set.
  add_capability,
  // Files with the effective bit, whose exec fails with EPERM when the
  // bounding set lacks one of their permitted capabilities.
  bounding_set,
  // no_new_privs keeps file capabilities from being gained.
  no_new_privs,
  // Inheritable capabilities without the permitted bit grant nothing.
  inheritable_only,
  // Permitted capabilities without the effective bit must be raised by the
  // program itself.
  not_effective,
  // A root user gains nothing from file capabilities.
  root_user,
  // The config's user is not in the image's user database.
  unknown_user,
  // Revision 3 capabilities take effect only in one user namespace.
  user_namespace,
  // No file has capabilities.
  no_capabilities,
};

// Returns the stable name of `kind` used in JSON output, e.g.
// "bounding_set".
std::string advice_kind_name(AdviceKind kind);

struct AdviceItem {
  AdviceKind kind;
  // One or two sentences for the user.
  std::string message;
  // The files concerned, absolute.
  std::vector<std::string> paths;
  // The capabilities concerned, in libcap's form.
  std::vector<std::string> capabilities;
};

struct RuntimeAdvice {
  std::vector<FileCapabilities> files;
  ImageUser user;
  // Capabilities the bounding set must hold: every permitted capability
  // of the files, in runtime form ("IPC_LOCK"), by number.
  std::vector<std::string> required;
  // Those of `required` that Docker's and containerd's default set lacks.
  std::vector<std::string> not_in_default;
  std::vector<AdviceItem> items;
};

// Returns the capabilities Docker and containerd give a container by
// default, as a bit mask.
std::uint64_t default_runtime_capabilities();

// Returns the advice for `files` in an image whose user is `user`.
RuntimeAdvice advise_runtime(std::vector<FileCapabilities> files,
                             ImageUser user);

// Returns the user the config of `source` names, resolving names through
// the image's /etc/passwd and /etc/group.
ImageUser resolve_image_user(const SourceImage& source,
                             ReadObserver* observer = nullptr);

struct ExplainRequest {
  ImageReference image;
  std::optional<Platform> platform;
};

// Reads every file with capabilities in the image, and its user, and
// returns the advice.
RuntimeAdvice explain_image(const ExplainRequest& request,
                            ReadObserver* observer = nullptr);

// Returns the advice for the files that `result` gave capabilities, with
// the user of the first changed image.
RuntimeAdvice advise_after_change(const ChangeResult& result);

} // namespace ocicap
