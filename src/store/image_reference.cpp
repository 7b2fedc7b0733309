#include "ocicap/image_reference.hpp"

#include "ocicap/error.hpp"

#include <array>

namespace ocicap {
namespace {

// Transports of containers-image that ocicap does not read yet.
constexpr std::array unsupported_transports{
    std::string_view{"oci-archive"}, std::string_view{"docker-archive"},
    std::string_view{"docker"},      std::string_view{"docker-daemon"},
    std::string_view{"containers-storage"}, std::string_view{"dir"},
};

// Returns whether `ref` is a valid ref name as the image-spec's annotation
// grammar defines it: alphanumerics and the separators - . _ : @ / + =.
bool is_valid_ref(std::string_view ref) {
  if (ref.empty()) {
    return false;
  }
  for (char c : ref) {
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9');
    bool separator = std::string_view("-._:@/+=").find(c) !=
                     std::string_view::npos;
    if (!alnum && !separator) {
      return false;
    }
  }
  return true;
}

} // namespace

std::string ImageReference::string() const {
  std::string text = "oci:" + path;
  if (ref) {
    text += ":" + *ref;
  }
  return text;
}

ImageReference parse_image_reference(std::string_view text) {
  std::size_t colon = text.find(':');
  std::string_view transport =
      colon == std::string_view::npos ? "" : text.substr(0, colon);
  for (std::string_view name : unsupported_transports) {
    if (transport == name) {
      throw Error("transport \"" + std::string(name) + ":\" in \"" +
                  std::string(text) +
                  "\" is not supported yet: copy the image to an OCI layout "
                  "first, e.g. skopeo copy " +
                  std::string(text) + " oci:DIR:REF");
    }
  }
  if (transport != "oci") {
    throw Error("invalid image reference \"" + std::string(text) +
                "\": expected oci:DIR[:REF]");
  }
  std::string_view rest = text.substr(colon + 1);
  ImageReference reference;
  std::size_t ref_colon = rest.find(':');
  reference.path = std::string(rest.substr(0, ref_colon));
  if (ref_colon != std::string_view::npos) {
    std::string ref(rest.substr(ref_colon + 1));
    if (!is_valid_ref(ref)) {
      throw Error("invalid ref \"" + ref + "\" in \"" + std::string(text) +
                  "\": a ref uses letters, digits and - . _ : @ / + =");
    }
    reference.ref = ref;
  }
  if (reference.path.empty()) {
    throw Error("invalid image reference \"" + std::string(text) +
                "\": the layout directory is empty");
  }
  return reference;
}

} // namespace ocicap
