#include "json_document.hpp"

#include "ocicap/error.hpp"

namespace ocicap {

Manifest Manifest::parse(std::string_view bytes,
                         std::string_view descriptor_type,
                         const std::string& source) {
  auto document = std::make_unique<JsonDocument>();
  document->value = parse_json_object(bytes, source);
  const Json& value = document->value;
  std::string type =
      optional_string(value, "mediaType", descriptor_type, source);
  // A missing member or one that is not a number equals neither 1 nor 2.
  auto found = value.find("schemaVersion");
  Json version = found == value.end() ? Json() : *found;
  if (media_type::is_docker_schema1(type) || version == 1) {
    throw Error(source + " is a Docker schema 1 manifest, which ocicap does "
                         "not support: convert the image first, e.g. with "
                         "skopeo copy --format oci");
  }
  if (!media_type::is_manifest(type)) {
    throw Error("unsupported manifest media type \"" + type + "\" in " +
                source + ": expected " + std::string(media_type::oci_manifest) +
                " or " + std::string(media_type::docker_manifest));
  }
  if (version != 2) {
    throw Error("invalid " + source + ": \"schemaVersion\" must be 2");
  }
  auto config = value.find("config");
  auto layers = value.find("layers");
  if (config == value.end() || layers == value.end() || !layers->is_array()) {
    throw Error("invalid " + source +
                ": a manifest needs a \"config\" and a \"layers\" array");
  }
  descriptor_from_json(*config, source);
  for (const Json& layer : *layers) {
    descriptor_from_json(layer, source);
  }
  Manifest manifest;
  manifest.media_type_ = type;
  manifest.document_ = DocumentHolder(std::move(document));
  return manifest;
}

Manifest Manifest::create(std::string_view type, const Descriptor& config,
                          const std::vector<Descriptor>& layers) {
  Manifest manifest;
  manifest.media_type_ = std::string(type);
  Json& value = manifest.document_->value;
  value = Json::object();
  value["schemaVersion"] = 2;
  value["mediaType"] = manifest.media_type_;
  value["config"] = descriptor_to_json(config);
  value["layers"] = Json::array();
  for (const Descriptor& layer : layers) {
    value["layers"].push_back(descriptor_to_json(layer));
  }
  return manifest;
}

media_type::Family Manifest::family() const {
  return media_type_ == media_type::docker_manifest ? media_type::Family::docker
                                                    : media_type::Family::oci;
}

Descriptor Manifest::config() const {
  return descriptor_from_json(document_->value.at("config"), "manifest");
}

std::vector<Descriptor> Manifest::layers() const {
  std::vector<Descriptor> result;
  for (const Json& layer : document_->value.at("layers")) {
    result.push_back(descriptor_from_json(layer, "manifest"));
  }
  return result;
}

void Manifest::set_config(const Descriptor& config) {
  update_descriptor_json(document_->value["config"], config);
}

void Manifest::append_layer(const Descriptor& layer) {
  document_->value["layers"].push_back(descriptor_to_json(layer));
}

std::string Manifest::serialize() const {
  return serialize_json(document_->value);
}

} // namespace ocicap
