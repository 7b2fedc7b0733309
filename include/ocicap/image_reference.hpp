// Image references in the containers-image transport syntax. Only `oci:` is
// implemented; the other transport names are recognised so the error can
// say so instead of treating them as paths.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ocicap {

enum class Transport { oci };

struct ImageReference {
  Transport transport = Transport::oci;
  // The layout directory.
  std::string path;
  // The org.opencontainers.image.ref.name to select, if any.
  std::optional<std::string> ref;

  std::string string() const;
};

// Parses `oci:DIR[:REF]`. As in containers-image, the first colon after the
// transport separates DIR from REF, so DIR cannot contain a colon.
ImageReference parse_image_reference(std::string_view text);

} // namespace ocicap
