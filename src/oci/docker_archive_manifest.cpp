#include "ocicap/docker_archive_manifest.hpp"

#include "json_document.hpp"
#include "ocicap/error.hpp"

namespace ocicap {
namespace {

std::vector<std::string> string_array(const Json& object, const char* key,
                                      const std::string& source) {
  std::vector<std::string> result;
  auto found = object.find(key);
  if (found == object.end() || found->is_null()) {
    return result;
  }
  if (!found->is_array()) {
    throw Error("invalid " + source + ": \"" + key +
                "\" must be an array of strings");
  }
  for (const Json& item : *found) {
    if (!item.is_string()) {
      throw Error("invalid " + source + ": \"" + key +
                  "\" must be an array of strings");
    }
    result.push_back(item.get<std::string>());
  }
  return result;
}

} // namespace

DockerArchiveManifest DockerArchiveManifest::parse(std::string_view bytes,
                                                   const std::string& source) {
  auto document = std::make_unique<JsonDocument>();
  document->value = Json::parse(bytes, nullptr, false);
  if (document->value.is_discarded() || !document->value.is_array()) {
    throw Error("invalid " + source + ": expected a JSON array of images");
  }
  for (const Json& image : document->value) {
    if (!image.is_object()) {
      throw Error("invalid " + source + ": each image must be an object");
    }
    required_string(image, "Config", source);
    string_array(image, "Layers", source);
    string_array(image, "RepoTags", source);
  }
  DockerArchiveManifest manifest;
  manifest.document_ = DocumentHolder(std::move(document));
  return manifest;
}

std::vector<DockerArchiveImage> DockerArchiveManifest::images() const {
  std::vector<DockerArchiveImage> result;
  for (const Json& image : document_->value) {
    result.push_back({image["Config"].get<std::string>(),
                      string_array(image, "RepoTags", "manifest.json"),
                      string_array(image, "Layers", "manifest.json")});
  }
  return result;
}

void DockerArchiveManifest::update(std::size_t position,
                                   const DockerArchiveImage& image) {
  Json& target = document_->value.at(position);
  target["Config"] = image.config;
  target["RepoTags"] = image.repo_tags;
  target["Layers"] = image.layers;
}

std::string DockerArchiveManifest::serialize() const {
  return serialize_json(document_->value);
}

} // namespace ocicap
