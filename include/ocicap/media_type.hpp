// Media types of the OCI image-spec (v1.1) and of Docker's image manifest
// v2 schema 2. ocicap writes the new layer in the family of the manifest it
// extends, so a Docker manifest never gains an OCI layer type or vice versa.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ocicap::media_type {

inline constexpr std::string_view oci_index =
    "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view oci_manifest =
    "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view oci_config =
    "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view docker_manifest_list =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view docker_manifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view docker_config =
    "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view docker_schema1_manifest =
    "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view docker_schema1_signed_manifest =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

enum class Family { oci, docker };
enum class Compression { none, gzip, zstd };

struct LayerType {
  Family family;
  Compression compression;
};

bool is_index(std::string_view type);
bool is_manifest(std::string_view type);
bool is_docker_schema1(std::string_view type);

// Classifies a layer media type that ocicap can read; nullopt for others
// (encrypted layers, unknown vendor types).
std::optional<LayerType> classify_layer(std::string_view type);

// Returns the layer media type for `family` and `compression`; throws Error
// for zstd in the Docker family, which has no zstd layer type.
std::string layer_type(Family family, Compression compression);

std::string_view compression_name(Compression compression);

// Returns whether layers of `type` may be absent from an image's storage:
// OCI non-distributable and Docker foreign layers are fetched from the
// URLs in their descriptors.
bool is_foreign_layer(std::string_view type);

} // namespace ocicap::media_type
