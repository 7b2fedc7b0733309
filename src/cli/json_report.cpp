// The --json documents. Field names are part of ocicap's interface and
// documented in the README: snake_case, absent values as null, lists
// always present (possibly empty).
#include "commands.hpp"

#include "ocicap/capability_names.hpp"
#include "security_context.hpp"

namespace ocicap::cli {
namespace {

JsonValue optional_text(const std::string& text) {
  return text.empty() ? JsonValue() : JsonValue(text);
}

JsonValue root_id_json(const CapabilitySet& set) {
  return set.root_id ? JsonValue(*set.root_id) : JsonValue();
}

JsonValue capability_names_json(std::uint64_t mask) {
  std::vector<std::string> names;
  for (int number : capability_numbers(mask)) {
    names.push_back(capability_name(number));
  }
  return JsonValue::array(names);
}

JsonValue file_capabilities_json(const FileCapabilities& file) {
  const CapabilitySet& set = file.capabilities;
  return JsonValue::object()
      .set("path", file.path)
      .set("capabilities", file.capability_text)
      .set("rootid", root_id_json(set))
      .set("permitted", capability_names_json(set.permitted))
      .set("inheritable", capability_names_json(set.inheritable))
      .set("effective", set.effective)
      .set("link_chain", JsonValue::array(file.link_chain));
}

JsonValue changed_file_json(const ChangedFile& file) {
  JsonValue capabilities = file.capabilities
                               ? JsonValue(file.capability_text)
                               : JsonValue();
  return JsonValue::object()
      .set("path", file.path)
      .set("requested", file.requested)
      .set("action", file.capabilities ? "set" : "remove")
      .set("capabilities", std::move(capabilities))
      .set("rootid", file.capabilities ? root_id_json(*file.capabilities)
                                       : JsonValue())
      .set("link_chain", JsonValue::array(file.link_chain))
      .set("hard_links", JsonValue::array(file.hard_links))
      .set("platform", optional_text(file.platform))
      .set("source_layer", file.source_layer)
      .set("source_layer_digest", file.source_layer_digest)
      .set("size", file.size);
}

JsonValue user_json(const ImageUser& user) {
  return JsonValue::object()
      .set("user", user.text)
      .set("uid", user.uid ? JsonValue(*user.uid) : JsonValue())
      .set("gid", user.gid ? JsonValue(*user.gid) : JsonValue())
      .set("is_root", user.is_root)
      .set("unresolved", optional_text(user.unresolved));
}

JsonValue advice_items_json(const std::vector<AdviceItem>& items) {
  JsonValue list = JsonValue::array();
  for (const AdviceItem& item : items) {
    list.push(JsonValue::object()
                  .set("kind", advice_kind_name(item.kind))
                  .set("message", item.message)
                  .set("paths", JsonValue::array(item.paths))
                  .set("capabilities", JsonValue::array(item.capabilities)));
  }
  return list;
}

// The advice fields shared by explain and the change documents.
JsonValue advice_json(const RuntimeAdvice& advice) {
  return JsonValue::object()
      .set("user", user_json(advice.user))
      .set("required", JsonValue::array(advice.required))
      .set("not_in_default", JsonValue::array(advice.not_in_default))
      .set("items", advice_items_json(advice.items))
      .set("kubernetes_security_context", security_context_json(advice))
      .set("docker_run_options",
           JsonValue::array(docker_run_options(advice)));
}

} // namespace

JsonValue change_json(const ChangeResult& result, const std::string& command,
                      const std::string& image, bool dry_run,
                      const RuntimeAdvice& advice) {
  JsonValue files = JsonValue::array();
  for (const ChangedFile& file : result.files) {
    files.push(changed_file_json(file));
  }
  return JsonValue::object()
      .set("command", command)
      .set("image", image)
      .set("destination", result.destination)
      .set("digest", result.descriptor.digest.string())
      .set("dry_run", dry_run)
      .set("files", std::move(files))
      .set("warnings", JsonValue::array(result.warnings))
      .set("advice", advice.files.empty() ? JsonValue() : advice_json(advice));
}

JsonValue get_json(const GetResult& result, const std::string& image) {
  JsonValue files = JsonValue::array();
  for (const FileCapabilities& file : result.files) {
    files.push(file_capabilities_json(file));
  }
  return JsonValue::object()
      .set("image", image)
      .set("files", std::move(files))
      .set("warnings", JsonValue::array(result.warnings))
      .set("errors", JsonValue::array(result.errors));
}

JsonValue explain_json(const RuntimeAdvice& advice, const std::string& image) {
  JsonValue files = JsonValue::array();
  for (const FileCapabilities& file : advice.files) {
    files.push(file_capabilities_json(file));
  }
  return JsonValue::object()
      .set("image", image)
      .set("files", std::move(files))
      .set("advice", advice_json(advice));
}

} // namespace ocicap::cli
