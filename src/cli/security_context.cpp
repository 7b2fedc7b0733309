#include "security_context.hpp"

namespace ocicap::cli {
namespace {

std::string yaml_list(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) {
    text += (text.empty() ? "\"" : ", \"") + item + "\"";
  }
  return "[" + text + "]";
}

// Returns why the snippet sets no runAsUser, or an empty string.
std::string missing_user_note(const ImageUser& user) {
  if (user.is_root) {
    return "the image runs as root; set runAsUser to a non-root UID for "
           "file capabilities to matter";
  }
  if (!user.uid) {
    return "runAsUser: the UID of User \"" + user.text + "\" (" +
           user.unresolved + ")";
  }
  return "";
}

} // namespace

std::string security_context_yaml(const RuntimeAdvice& advice) {
  const ImageUser& user = advice.user;
  std::string yaml = "securityContext:\n";
  std::string note = missing_user_note(user);
  if (!note.empty()) {
    yaml += "  # " + note + "\n";
  } else {
    yaml += "  runAsUser: " + std::to_string(*user.uid) + "\n";
    if (user.gid) {
      yaml += "  runAsGroup: " + std::to_string(*user.gid) + "\n";
    }
    yaml += "  runAsNonRoot: true\n";
  }
  // no_new_privs keeps file capabilities from being gained, so it stays
  // off only when a file has capabilities to gain.
  yaml += std::string("  allowPrivilegeEscalation: ") +
          (advice.required.empty() ? "false" : "true") +
          "\n"
          "  capabilities:\n"
          "    drop: [\"ALL\"]";
  if (!advice.required.empty()) {
    yaml += "\n    add: " + yaml_list(advice.required);
  }
  return yaml;
}

JsonValue security_context_json(const RuntimeAdvice& advice) {
  const ImageUser& user = advice.user;
  JsonValue context = JsonValue::object();
  if (missing_user_note(user).empty()) {
    context.set("runAsUser", *user.uid);
    if (user.gid) {
      context.set("runAsGroup", *user.gid);
    }
    context.set("runAsNonRoot", true);
  }
  context.set("allowPrivilegeEscalation", !advice.required.empty());
  JsonValue capabilities = JsonValue::object();
  capabilities.set("drop", JsonValue::array({"ALL"}));
  if (!advice.required.empty()) {
    capabilities.set("add", JsonValue::array(advice.required));
  }
  context.set("capabilities", std::move(capabilities));
  return context;
}

std::vector<std::string> docker_run_options(const RuntimeAdvice& advice) {
  std::vector<std::string> options;
  const ImageUser& user = advice.user;
  if (user.uid && !user.is_root) {
    std::string id = std::to_string(*user.uid);
    if (user.gid) {
      id += ":" + std::to_string(*user.gid);
    }
    options.insert(options.end(), {"--user", id});
  }
  options.insert(options.end(), {"--cap-drop", "ALL"});
  for (const std::string& name : advice.required) {
    options.insert(options.end(), {"--cap-add", name});
  }
  return options;
}

} // namespace ocicap::cli
