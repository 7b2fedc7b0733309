#include "ocicap/image_reference.hpp"

#include "ocicap/error.hpp"

#include <algorithm>
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

bool is_lower_alphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

// Returns whether `component` is a path component of a Docker image name:
// [a-z0-9]+ joined by one of . _ __ or a run of -.
bool is_docker_path_component(std::string_view component) {
  if (component.empty() || !is_lower_alphanumeric(component.front()) ||
      !is_lower_alphanumeric(component.back())) {
    return false;
  }
  std::size_t i = 0;
  while (i < component.size()) {
    if (is_lower_alphanumeric(component[i])) {
      ++i;
      continue;
    }
    std::size_t end = component.find_first_not_of('-', i);
    std::string_view separator = component.substr(i, end - i);
    if (separator.empty()) {
      separator = component.substr(i, component[i] == '_' &&
                                              component[i + 1] == '_'
                                          ? 2
                                          : 1);
      if (separator != "." && separator != "_" && separator != "__") {
        return false;
      }
    }
    i += separator.size();
    if (!is_lower_alphanumeric(component[i])) {
      return false;
    }
  }
  return true;
}

// Returns whether `domain` is a registry host: labels of letters, digits
// and inner dashes joined by dots, then an optional :PORT.
bool is_docker_domain(std::string_view domain) {
  std::size_t colon = domain.find(':');
  if (colon != std::string_view::npos) {
    std::string_view port = domain.substr(colon + 1);
    if (port.empty() ||
        port.find_first_not_of("0123456789") != std::string_view::npos) {
      return false;
    }
    domain = domain.substr(0, colon);
  }
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = domain.find('.', start);
    std::string_view label = domain.substr(start, dot - start);
    if (label.empty() || !is_alphanumeric(label.front()) ||
        !is_alphanumeric(label.back())) {
      return false;
    }
    for (char c : label) {
      if (!is_alphanumeric(c) && c != '-') {
        return false;
      }
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

// Returns whether `tag` is [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_docker_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || tag.front() == '.' ||
      tag.front() == '-') {
    return false;
  }
  for (char c : tag) {
    if (!is_alphanumeric(c) && std::string_view("_.-").find(c) ==
                                   std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Returns whether `name_tag` is NAME:TAG as Docker writes it in RepoTags,
// by the grammar of github.com/docker/distribution/reference (regexp.go):
// an optional registry host, then lowercase path components joined by /,
// then :TAG. A NAME is at most 255 characters, and its first component is
// a host when it contains "." or ":", is "localhost" or has capitals.
// NOTE: the length limit and host rule follow Docker's reference package
// as recalled, not as checked against its source.
bool is_docker_name_tag(std::string_view name_tag) {
  std::size_t slash = name_tag.rfind('/');
  std::size_t colon = name_tag.rfind(':');
  if (colon == std::string_view::npos ||
      (slash != std::string_view::npos && colon < slash)) {
    return false;
  }
  std::string_view name = name_tag.substr(0, colon);
  if (name.size() > 255 || !is_docker_tag(name_tag.substr(colon + 1))) {
    return false;
  }
  std::size_t start = 0;
  std::size_t first_slash = name.find('/');
  if (first_slash != std::string_view::npos) {
    std::string_view first = name.substr(0, first_slash);
    bool is_domain =
        first.find_first_of(".:") != std::string_view::npos ||
        first == "localhost" ||
        std::any_of(first.begin(), first.end(),
                    [](char c) { return c >= 'A' && c <= 'Z'; });
    if (is_domain) {
      if (!is_docker_domain(first)) {
        return false;
      }
      start = first_slash + 1;
    }
  }
  for (;;) {
    std::size_t next = name.find('/', start);
    if (!is_docker_path_component(name.substr(start, next - start))) {
      return false;
    }
    if (next == std::string_view::npos) {
      return true;
    }
    start = next + 1;
  }
}

const std::string ref_grammar =
    "a ref is letters and digits joined by - . _ : @ + or --, in components "
    "separated by /";

const std::string docker_grammar =
    "a docker-archive reference is NAME:TAG, where NAME is lowercase letters "
    "and digits joined by . _ __ or dashes, in components separated by / "
    "after an optional registry HOST[:PORT], and TAG is up to 128 letters, "
    "digits, _ . and - not starting with . or -";

void check_ref(const ImageReference& reference, std::string_view text) {
  if (!reference.ref) {
    return;
  }
  // A docker-archive NAME:TAG follows Docker's grammar, which allows
  // separators (__, ---) that the OCI ref grammar does not.
  if (reference.transport != Transport::docker_archive) {
    if (!is_valid_ref(*reference.ref)) {
      throw Error("invalid ref " + quote(*reference.ref) + " in " +
                  quote(text) + ": " + ref_grammar);
    }
    return;
  }
  if (reference.ref->find(':') == std::string::npos) {
    throw Error("invalid image name " + quote(*reference.ref) + " in " +
                quote(text) +
                ": a docker-archive reference is NAME:TAG, e.g. app:1");
  }
  if (!is_docker_name_tag(*reference.ref)) {
    throw Error("invalid image name " + quote(*reference.ref) + " in " +
                quote(text) + ": " + docker_grammar + ", e.g. app:1");
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

void check_new_ref(std::string_view ref, Transport destination) {
  std::string quoted = quote(ref);
  if (ref.empty()) {
    throw Error("invalid ref \"\": it is empty; name the new ref, e.g. "
                "v1.1");
  }
  bool oci_ref = is_valid_ref(ref);
  bool docker_ref = is_docker_name_tag(ref);
  switch (destination) {
  case Transport::detect:
    if (!oci_ref && !docker_ref) {
      throw Error("invalid ref " + quoted + ": " + ref_grammar +
                  ", e.g. v1.1, or NAME:TAG for a docker archive, e.g. "
                  "app:1");
    }
    return;
  case Transport::docker_archive:
    if (!docker_ref) {
      // Suggest a tag only where adding one makes the name valid.
      std::string with_tag = std::string(ref) + ":latest";
      throw Error("invalid ref " + quoted + " for a docker archive: " +
                  docker_grammar + ", e.g. " +
                  (is_docker_name_tag(with_tag) ? with_tag : "app:1"));
    }
    return;
  case Transport::oci:
  case Transport::oci_archive:
    if (!oci_ref) {
      throw Error("invalid ref " + quoted + ": " + ref_grammar +
                  ", e.g. v1.1");
    }
    return;
  }
}

} // namespace ocicap
