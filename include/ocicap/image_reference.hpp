// Image references in the containers-image transport syntax:
//
//   oci:DIR[:REF]                 an OCI image layout
//   oci-archive:FILE[:REF]        a tar of an OCI image layout
//   docker-archive:FILE[:NAME:TAG] the `docker save` format
//   PATH                          detected: a layout directory or an archive
//
// FILE may be "-" for standard input (and output). As in containers-image,
// the first colon after the transport ends the path, so a path cannot
// contain a colon.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ocicap {

enum class Transport { oci, oci_archive, docker_archive, detect };

struct ImageReference {
  Transport transport = Transport::oci;
  // The layout directory or archive file; "-" for standard input.
  std::string path;
  // For oci and oci-archive, the org.opencontainers.image.ref.name to
  // select; for docker-archive, a NAME:TAG from the archive's RepoTags.
  std::optional<std::string> ref;

  bool is_archive() const {
    return transport == Transport::oci_archive ||
           transport == Transport::docker_archive;
  }
  bool is_stream() const { return path == "-"; }
  std::string string() const;
};

std::string_view transport_name(Transport transport);

// Parses a reference; throws Error naming the text when it is invalid.
ImageReference parse_image_reference(std::string_view text);

// Checks `ref`, a new name for an image of kind `destination`: the
// org.opencontainers.image.ref.name grammar that oci:DIR:REF uses, or
// Docker's NAME:TAG for docker-archive. For Transport::detect, where the
// kind is not known yet, either grammar passes. Throws Error naming `ref`
// when it is empty or invalid.
void check_new_ref(std::string_view ref, Transport destination);

} // namespace ocicap
