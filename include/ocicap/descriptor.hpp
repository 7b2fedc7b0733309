// Content descriptors (OCI image-spec descriptor.md): the media type, digest
// and size that address a blob. Fields ocicap does not model, such as urls
// or data, are kept by the document that contains the descriptor.
#pragma once

#include "ocicap/digest.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace ocicap {

inline constexpr std::string_view ref_name_annotation =
    "org.opencontainers.image.ref.name";

struct Platform {
  std::string os;
  std::string architecture;
  std::string variant;

  // Returns "os/architecture[/variant]".
  std::string string() const;
  // Returns whether `selector` names this platform; a selector without a
  // variant matches every variant.
  bool matches(const Platform& selector) const;
};

// Parses "os/architecture[/variant]"; throws Error naming the text.
Platform parse_platform(std::string_view text);

struct Descriptor {
  std::string media_type;
  Digest digest;
  std::int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::optional<Platform> platform;

  // Returns the org.opencontainers.image.ref.name annotation, if any.
  std::optional<std::string> ref_name() const;
  // Returns "sha256:0123456789ab", the short form used in messages.
  std::string short_digest() const;
  // Returns whether this index entry is an attestation manifest (buildx
  // marks them with vnd.docker.reference.type and platform unknown/unknown)
  // rather than a runnable image.
  bool is_attestation() const;
};

} // namespace ocicap
