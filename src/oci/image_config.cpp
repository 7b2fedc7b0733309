#include "json_document.hpp"

#include "ocicap/error.hpp"

namespace ocicap {

ImageConfig ImageConfig::parse(std::string_view bytes,
                               const std::string& source) {
  auto document = std::make_unique<JsonDocument>();
  document->value = parse_json_object(bytes, source);
  const Json& value = document->value;
  auto rootfs = value.find("rootfs");
  if (rootfs == value.end() || !rootfs->is_object() ||
      !rootfs->contains("type") || (*rootfs)["type"] != "layers" ||
      !rootfs->contains("diff_ids") || !(*rootfs)["diff_ids"].is_array()) {
    throw Error("invalid " + source +
                ": \"rootfs\" must have type \"layers\" and a "
                "\"diff_ids\" array");
  }
  for (const Json& diff_id : (*rootfs)["diff_ids"]) {
    if (!diff_id.is_string()) {
      throw Error("invalid " + source + ": diff IDs must be strings");
    }
    add_context("invalid diff ID in " + source,
                [&] { return Digest::parse(diff_id.get<std::string>()); });
  }
  auto history = value.find("history");
  if (history != value.end() && !history->is_array()) {
    throw Error("invalid " + source + ": \"history\" must be an array");
  }
  ImageConfig config;
  config.document_ = DocumentHolder(std::move(document));
  return config;
}

std::vector<Digest> ImageConfig::diff_ids() const {
  std::vector<Digest> result;
  for (const Json& diff_id : document_->value["rootfs"]["diff_ids"]) {
    result.push_back(Digest::parse(diff_id.get<std::string>()));
  }
  return result;
}

std::string ImageConfig::created() const {
  auto created = document_->value.find("created");
  if (created == document_->value.end() || !created->is_string()) {
    return "";
  }
  return created->get<std::string>();
}

std::optional<Platform> ImageConfig::platform() const {
  auto text = [&](const char* name) {
    auto field = document_->value.find(name);
    return field != document_->value.end() && field->is_string()
               ? field->get<std::string>()
               : std::string();
  };
  Platform platform{text("os"), text("architecture"), text("variant")};
  if (platform.os.empty() || platform.architecture.empty()) {
    return std::nullopt;
  }
  return platform;
}

std::string ImageConfig::user() const {
  auto config = document_->value.find("config");
  if (config == document_->value.end() || !config->is_object()) {
    return "";
  }
  auto user = config->find("User");
  return user != config->end() && user->is_string() ? user->get<std::string>()
                                                    : "";
}

void ImageConfig::append_diff_id(const Digest& diff_id) {
  document_->value["rootfs"]["diff_ids"].push_back(diff_id.string());
}

void ImageConfig::append_history(const HistoryEntry& entry) {
  Json item = Json::object();
  item["created"] = entry.created;
  item["created_by"] = entry.created_by;
  if (!entry.comment.empty()) {
    item["comment"] = entry.comment;
  }
  Json& history = document_->value["history"];
  if (history.is_null()) {
    history = Json::array();
  }
  history.push_back(item);
}

void ImageConfig::set_created(const std::string& created) {
  document_->value["created"] = created;
}

std::string ImageConfig::serialize() const {
  return serialize_json(document_->value);
}

} // namespace ocicap
