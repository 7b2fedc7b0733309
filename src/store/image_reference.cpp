#include "ocicap/image_reference.hpp"

#include "ocicap/error.hpp"

#include <array>

namespace ocicap {
namespace {

struct KnownTransport {
  std::string_view name;
  Transport transport;
};

constexpr std::array known_transports{
    KnownTransport{"oci", Transport::oci},
    KnownTransport{"oci-archive", Transport::oci_archive},
    KnownTransport{"docker-archive", Transport::docker_archive},
};

// Transports of containers-image that need a registry, daemon or storage
// ocicap does not talk to.
constexpr std::array unsupported_transports{
    std::string_view{"docker"},
    std::string_view{"docker-daemon"},
    std::string_view{"containers-storage"},
    std::string_view{"dir"},
};

bool is_alphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9');
}

// Returns whether `component` is alphanum (separator alphanum)*, where a
// separator is one of - . _ : @ + or "--".
bool is_valid_component(std::string_view component) {
  if (component.empty() || !is_alphanumeric(component.front()) ||
      !is_alphanumeric(component.back())) {
    return false;
  }
  for (std::size_t i = 1; i < component.size(); ++i) {
    char c = component[i];
    if (is_alphanumeric(c)) {
      continue;
    }
    if (std::string_view("-._:@+").find(c) == std::string_view::npos) {
      return false;
    }
    bool double_dash = c == '-' && component[i - 1] == '-' &&
                       (i < 2 || component[i - 2] != '-');
    if (!is_alphanumeric(component[i - 1]) && !double_dash) {
      return false;
    }
  }
  return true;
}

// Returns whether `ref` matches the image-spec's grammar for
// org.opencontainers.image.ref.name: component ("/" component)*.
bool is_valid_ref(std::string_view ref) {
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = ref.find('/', start);
    if (!is_valid_component(ref.substr(start, slash - start))) {
      return false;
    }
    if (slash == std::string_view::npos) {
      return true;
    }
    start = slash + 1;
  }
}

void check_ref(const ImageReference& reference, std::string_view text) {
  if (!reference.ref) {
    return;
  }
  if (!is_valid_ref(*reference.ref)) {
    throw Error("invalid ref \"" + *reference.ref + "\" in \"" +
                std::string(text) +
                "\": a ref is letters and digits joined by - . _ : @ + or "
                "--, in components separated by /");
  }
  if (reference.transport == Transport::docker_archive &&
      reference.ref->find(':') == std::string::npos) {
    throw Error("invalid image name \"" + *reference.ref + "\" in \"" +
                std::string(text) +
                "\": a docker-archive reference is NAME:TAG, e.g. app:1");
  }
}

} // namespace

std::string_view transport_name(Transport transport) {
  for (const KnownTransport& known : known_transports) {
    if (known.transport == transport) {
      return known.name;
    }
  }
  return "";
}

std::string ImageReference::string() const {
  std::string text = transport == Transport::detect
                         ? path
                         : std::string(transport_name(transport)) + ":" + path;
  if (ref) {
    text += ":" + *ref;
  }
  return text;
}

ImageReference parse_image_reference(std::string_view text) {
  std::size_t colon = text.find(':');
  std::string_view prefix =
      colon == std::string_view::npos ? "" : text.substr(0, colon);
  for (std::string_view name : unsupported_transports) {
    if (prefix == name) {
      throw Error("transport \"" + std::string(name) + ":\" in \"" +
                  std::string(text) +
                  "\" is not supported: copy the image to an OCI layout "
                  "first, e.g. skopeo copy " +
                  std::string(text) + " oci:DIR:REF");
    }
  }
  ImageReference reference;
  reference.transport = Transport::detect;
  for (const KnownTransport& known : known_transports) {
    if (prefix == known.name) {
      reference.transport = known.transport;
    }
  }
  if (reference.transport == Transport::detect) {
    reference.path = std::string(text);
  } else {
    std::string_view rest = text.substr(colon + 1);
    std::size_t ref_colon = rest.find(':');
    reference.path = std::string(rest.substr(0, ref_colon));
    if (ref_colon != std::string_view::npos) {
      reference.ref = std::string(rest.substr(ref_colon + 1));
    }
  }
  if (reference.path.empty()) {
    throw Error("invalid image reference \"" + std::string(text) +
                "\": the path is empty; expected oci:DIR[:REF], "
                "oci-archive:FILE[:REF] or docker-archive:FILE[:NAME:TAG]");
  }
  if (reference.transport == Transport::oci && reference.is_stream()) {
    throw Error("invalid image reference \"" + std::string(text) +
                "\": \"-\" (standard input) is for archives; use "
                "oci-archive:- or docker-archive:-");
  }
  check_ref(reference, text);
  return reference;
}

} // namespace ocicap
