#include "ocicap/media_type.hpp"

#include "ocicap/error.hpp"

#include <array>

namespace ocicap::media_type {
namespace {

struct KnownLayerType {
  std::string_view name;
  LayerType type;
};

constexpr std::array known_layer_types{
    KnownLayerType{"application/vnd.oci.image.layer.v1.tar",
                   {Family::oci, Compression::none}},
    KnownLayerType{"application/vnd.oci.image.layer.v1.tar+gzip",
                   {Family::oci, Compression::gzip}},
    KnownLayerType{"application/vnd.oci.image.layer.v1.tar+zstd",
                   {Family::oci, Compression::zstd}},
    KnownLayerType{"application/vnd.oci.image.layer.nondistributable.v1.tar",
                   {Family::oci, Compression::none}},
    KnownLayerType{
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
        {Family::oci, Compression::gzip}},
    KnownLayerType{
        "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
        {Family::oci, Compression::zstd}},
    KnownLayerType{"application/vnd.docker.image.rootfs.diff.tar",
                   {Family::docker, Compression::none}},
    KnownLayerType{"application/vnd.docker.image.rootfs.diff.tar.gzip",
                   {Family::docker, Compression::gzip}},
    KnownLayerType{"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                   {Family::docker, Compression::gzip}},
};

} // namespace

bool is_index(std::string_view type) {
  return type == oci_index || type == docker_manifest_list;
}

bool is_manifest(std::string_view type) {
  return type == oci_manifest || type == docker_manifest;
}

bool is_docker_schema1(std::string_view type) {
  return type == docker_schema1_manifest ||
         type == docker_schema1_signed_manifest;
}

std::optional<LayerType> classify_layer(std::string_view type) {
  for (const KnownLayerType& known : known_layer_types) {
    if (known.name == type) {
      return known.type;
    }
  }
  return std::nullopt;
}

std::string layer_type(Family family, Compression compression) {
  if (family == Family::docker) {
    if (compression == Compression::zstd) {
      throw Error("a Docker schema 2 manifest has no zstd layer media type: "
                  "use gzip or none");
    }
    return compression == Compression::gzip
               ? "application/vnd.docker.image.rootfs.diff.tar.gzip"
               : "application/vnd.docker.image.rootfs.diff.tar";
  }
  switch (compression) {
  case Compression::gzip:
    return "application/vnd.oci.image.layer.v1.tar+gzip";
  case Compression::zstd:
    return "application/vnd.oci.image.layer.v1.tar+zstd";
  case Compression::none:
    break;
  }
  return "application/vnd.oci.image.layer.v1.tar";
}

bool is_foreign_layer(std::string_view type) {
  return type.find(".nondistributable.") != std::string_view::npos ||
         type.find(".foreign.") != std::string_view::npos;
}

std::string_view compression_name(Compression compression) {
  switch (compression) {
  case Compression::gzip:
    return "gzip";
  case Compression::zstd:
    return "zstd";
  case Compression::none:
    break;
  }
  return "none";
}

} // namespace ocicap::media_type
