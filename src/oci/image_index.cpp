#include "json_document.hpp"

#include "ocicap/error.hpp"

namespace ocicap {
namespace {

Json& manifests_array(Json& index) { return index["manifests"]; }

} // namespace

ImageIndex ImageIndex::parse(std::string_view bytes,
                             const std::string& source) {
  auto document = std::make_unique<JsonDocument>();
  document->value = parse_json_object(bytes, source);
  const Json& value = document->value;
  auto version = value.find("schemaVersion");
  if (version == value.end() || *version != 2) {
    throw Error("invalid " + source + ": \"schemaVersion\" must be 2");
  }
  auto manifests = value.find("manifests");
  if (manifests == value.end() || !manifests->is_array()) {
    throw Error("invalid " + source + ": missing \"manifests\" array");
  }
  for (const Json& entry : *manifests) {
    descriptor_from_json(entry, source);
  }
  ImageIndex index;
  index.document_ = DocumentHolder(std::move(document));
  return index;
}

ImageIndex ImageIndex::empty() {
  ImageIndex index;
  index.document_->value = Json{
      {"schemaVersion", 2},
      {"mediaType", std::string(media_type::oci_index)},
      {"manifests", Json::array()},
  };
  return index;
}

std::vector<Descriptor> ImageIndex::manifests() const {
  std::vector<Descriptor> result;
  for (const Json& entry : document_->value.at("manifests")) {
    result.push_back(descriptor_from_json(entry, "index"));
  }
  return result;
}

void ImageIndex::retarget(std::size_t position, const Descriptor& target) {
  Json& manifests = manifests_array(document_->value);
  if (position >= manifests.size()) {
    throw Error("internal error: index entry " + std::to_string(position) +
                " does not exist; the index has " +
                std::to_string(manifests.size()));
  }
  update_descriptor_json(manifests[position], target);
}

void ImageIndex::set_ref(const std::string& ref, const Descriptor& target) {
  Json& manifests = manifests_array(document_->value);
  for (Json& entry : manifests) {
    const Json* annotations = entry.contains("annotations")
                                  ? &entry["annotations"]
                                  : nullptr;
    if (annotations && annotations->is_object() &&
        annotations->contains(ref_name_annotation) &&
        (*annotations)[std::string(ref_name_annotation)] == ref) {
      update_descriptor_json(entry, target);
      return;
    }
  }
  Descriptor named = target;
  named.annotations = {{std::string(ref_name_annotation), ref}};
  manifests.push_back(descriptor_to_json(named));
}

void ImageIndex::append(const Descriptor& target) {
  manifests_array(document_->value).push_back(descriptor_to_json(target));
}

void ImageIndex::remove(std::size_t position) {
  Json& manifests = manifests_array(document_->value);
  manifests.erase(manifests.begin() + static_cast<std::ptrdiff_t>(position));
}

void ImageIndex::set_annotation(std::size_t position, const std::string& key,
                                const std::string& value) {
  manifests_array(document_->value).at(position)["annotations"][key] = value;
}

std::string ImageIndex::serialize() const {
  return serialize_json(document_->value);
}

} // namespace ocicap
