#include "json_document.hpp"

#include "ocicap/error.hpp"

#include <algorithm>
#include <vector>

namespace ocicap {

DocumentHolder::DocumentHolder() : document_(std::make_unique<JsonDocument>()) {}

DocumentHolder::DocumentHolder(std::unique_ptr<JsonDocument> document)
    : document_(std::move(document)) {}

DocumentHolder::DocumentHolder(const DocumentHolder& other)
    : document_(std::make_unique<JsonDocument>(*other.document_)) {}

DocumentHolder& DocumentHolder::operator=(const DocumentHolder& other) {
  document_ = std::make_unique<JsonDocument>(*other.document_);
  return *this;
}

DocumentHolder::DocumentHolder(DocumentHolder&&) noexcept = default;
DocumentHolder& DocumentHolder::operator=(DocumentHolder&&) noexcept = default;
DocumentHolder::~DocumentHolder() = default;

std::optional<std::string> Descriptor::ref_name() const {
  auto found = annotations.find(std::string(ref_name_annotation));
  if (found == annotations.end()) {
    return std::nullopt;
  }
  return found->second;
}

std::string Descriptor::short_digest() const {
  return std::string(digest.algorithm_name()) + ":" +
         digest.encoded().substr(0, 12);
}

std::string Platform::string() const {
  std::string text = os + "/" + architecture;
  if (!variant.empty()) {
    text += "/" + variant;
  }
  return text;
}

bool Platform::matches(const Platform& selector) const {
  // As in containerd's platform matcher, arm64 without a variant is v8.
  auto variant_of = [](const Platform& platform) {
    if (platform.architecture == "arm64" && platform.variant.empty()) {
      return std::string("v8");
    }
    return platform.variant;
  };
  return os == selector.os && architecture == selector.architecture &&
         (selector.variant.empty() || variant_of(*this) == variant_of(selector));
}

Platform parse_platform(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  bool bad_part = false;
  for (const std::string& part : parts) {
    // No platform value has spaces or control bytes.
    bool bad_byte = std::any_of(part.begin(), part.end(), [](char c) {
      return static_cast<unsigned char>(c) <= ' ' || c == '\x7f';
    });
    bad_part |= part.empty() || bad_byte;
  }
  if (parts.size() < 2 || parts.size() > 3 || bad_part) {
    throw Error("invalid platform " + quote(text) +
                ": expected OS/ARCH or OS/ARCH/VARIANT, e.g. linux/arm64");
  }
  return Platform{parts[0], parts[1], parts.size() == 3 ? parts[2] : ""};
}

bool Descriptor::is_attestation() const {
  auto type = annotations.find("vnd.docker.reference.type");
  if (type != annotations.end() && type->second == "attestation-manifest") {
    return true;
  }
  return platform && platform->os == "unknown" &&
         platform->architecture == "unknown";
}

namespace {

// Returns whether arrays and objects in `bytes` nest deeper than `limit`.
// Brackets inside strings do not count; malformed text is left to the
// parser.
bool nests_deeper_than(std::string_view bytes, std::size_t limit) {
  std::size_t depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : bytes) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) {
        return true;
      }
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

} // namespace

Json parse_json_object(std::string_view bytes, const std::string& source) {
  if (nests_deeper_than(bytes, max_json_depth)) {
    throw Error("invalid " + source + ": arrays and objects nest deeper "
                "than " + std::to_string(max_json_depth) + " levels");
  }
  Json value = Json::parse(bytes, nullptr, false);
  if (value.is_discarded()) {
    throw Error("invalid JSON in " + source);
  }
  if (!value.is_object()) {
    throw Error("invalid " + source + ": expected a JSON object");
  }
  return value;
}

std::string required_string(const Json& object, const char* key,
                            const std::string& source) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_string()) {
    throw Error("invalid " + source + ": missing string field \"" + key +
                "\"");
  }
  return found->get<std::string>();
}

std::string optional_string(const Json& object, const char* key,
                            std::string_view fallback,
                            const std::string& source) {
  auto found = object.find(key);
  if (found == object.end()) {
    return std::string(fallback);
  }
  if (!found->is_string()) {
    throw Error("invalid " + source + ": field \"" + key +
                "\" must be a string");
  }
  return found->get<std::string>();
}

Descriptor descriptor_from_json(const Json& value, const std::string& source) {
  if (!value.is_object()) {
    throw Error("invalid descriptor in " + source + ": expected an object");
  }
  std::string digest_text = required_string(value, "digest", source);
  Descriptor descriptor{
      .media_type = required_string(value, "mediaType", source),
      .digest = add_context("invalid descriptor in " + source,
                            [&] { return Digest::parse(digest_text); }),
  };
  auto size = value.find("size");
  if (size == value.end() || !size->is_number_integer() ||
      size->get<std::int64_t>() < 0) {
    throw Error("invalid descriptor " + digest_text + " in " + source +
                ": \"size\" must be a non-negative integer");
  }
  descriptor.size = size->get<std::int64_t>();
  auto annotations = value.find("annotations");
  if (annotations != value.end() && annotations->is_object()) {
    for (const auto& [key, item] : annotations->items()) {
      if (item.is_string()) {
        descriptor.annotations[key] = item.get<std::string>();
      }
    }
  }
  auto platform = value.find("platform");
  if (platform != value.end() && platform->is_object()) {
    descriptor.platform = Platform{
        .os = optional_string(*platform, "os", "", source),
        .architecture = optional_string(*platform, "architecture", "", source),
        .variant = optional_string(*platform, "variant", "", source),
    };
  }
  return descriptor;
}

Json descriptor_to_json(const Descriptor& descriptor) {
  Json value = Json::object();
  update_descriptor_json(value, descriptor);
  if (descriptor.platform) {
    Json platform = Json::object();
    platform["architecture"] = descriptor.platform->architecture;
    platform["os"] = descriptor.platform->os;
    if (!descriptor.platform->variant.empty()) {
      platform["variant"] = descriptor.platform->variant;
    }
    value["platform"] = platform;
  }
  if (!descriptor.annotations.empty()) {
    Json annotations = Json::object();
    for (const auto& [key, item] : descriptor.annotations) {
      annotations[key] = item;
    }
    value["annotations"] = annotations;
  }
  return value;
}

void update_descriptor_json(Json& target, const Descriptor& descriptor) {
  target["mediaType"] = descriptor.media_type;
  target["digest"] = descriptor.digest.string();
  target["size"] = descriptor.size;
}

std::string serialize_json(const Json& value) {
  // A string with invalid UTF-8 gets U+FFFD in its place instead of failing
  // the whole rewrite; valid documents are unaffected.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

} // namespace ocicap
