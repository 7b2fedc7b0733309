#include "ocicap/ops.hpp"

#include "ocicap/error.hpp"

namespace ocicap {
namespace {

std::string list_refs(const std::vector<Descriptor>& manifests) {
  std::string refs;
  for (const Descriptor& descriptor : manifests) {
    if (!refs.empty()) {
      refs += ", ";
    }
    refs += descriptor.ref_name().value_or("(no ref) " +
                                           descriptor.short_digest());
  }
  return refs.empty() ? "none" : refs;
}

std::string list_platforms(const std::vector<Descriptor>& entries) {
  std::string platforms;
  for (const Descriptor& entry : entries) {
    if (!platforms.empty()) {
      platforms += ", ";
    }
    platforms += entry.platform ? entry.platform->string()
                                : "(no platform) " + entry.short_digest();
  }
  return platforms;
}

// Returns `reference` with its transport spelled out, so that a ref can
// be added to it: for a detected path, a directory is a layout and
// anything else an OCI archive, since docker archives select images
// elsewhere.
ImageReference with_transport(const ImageReference& reference) {
  ImageReference named = reference;
  if (named.transport == Transport::detect) {
    named.transport = !named.is_stream() && is_directory(named.path)
                          ? Transport::oci
                          : Transport::oci_archive;
  }
  return named;
}

// Checks that each layer blob is present with its declared size, a cheap
// test that catches a damaged layout even where no layer is read. A
// non-distributable layer may lack its blob: it is fetched from elsewhere.
void check_layer_blobs(const ImageLayout& layout, const Manifest& manifest) {
  for (const Descriptor& layer : manifest.layers()) {
    bool foreign = media_type::is_foreign_layer(layer.media_type);
    std::optional<std::int64_t> size = layout.blob_size(layer.digest);
    if (!size) {
      if (foreign) {
        continue;
      }
      throw Error("layer " + layer.digest.string() + " not found: " +
                  layout.blob_path(layer.digest) +
                  " is missing from the layout");
    }
    if (*size != layer.size) {
      throw Error("layer " + layer.digest.string() + " has " +
                  std::to_string(*size) + " bytes but its descriptor declares " +
                  std::to_string(layer.size) + ": the blob is damaged");
    }
  }
}

// Follows nested indexes down to one image manifest.
Descriptor select_platform(const ImageLayout& layout, Descriptor descriptor,
                           const std::optional<Platform>& platform,
                           const std::string& image) {
  while (media_type::is_index(descriptor.media_type)) {
    std::string bytes = add_context(
        "reading index " + descriptor.digest.string(),
        [&] { return layout.read_document(descriptor); });
    ImageIndex index =
        ImageIndex::parse(bytes, "index " + descriptor.digest.string());
    std::vector<Descriptor> candidates;
    for (const Descriptor& entry : index.manifests()) {
      bool runnable = !entry.is_attestation();
      bool wanted = !platform ||
                    (entry.platform && entry.platform->matches(*platform)) ||
                    media_type::is_index(entry.media_type);
      if (runnable && wanted) {
        candidates.push_back(entry);
      }
    }
    if (candidates.size() != 1) {
      std::vector<Descriptor> runnable;
      for (const Descriptor& entry : index.manifests()) {
        if (!entry.is_attestation()) {
          runnable.push_back(entry);
        }
      }
      throw Error(image + " is a multi-platform image" +
                  (platform ? " without a single " + platform->string() +
                                  " image"
                            : std::string("")) +
                  ": choose one with --platform (platforms: " +
                  list_platforms(runnable) + ")");
    }
    descriptor = candidates.front();
  }
  return descriptor;
}

} // namespace

std::vector<ImageLayer> image_layers(const SourceImage& image) {
  std::vector<Descriptor> layers = image.manifest.layers();
  std::vector<Digest> diff_ids = image.config.diff_ids();
  std::vector<ImageLayer> result;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    result.push_back({layers[i], diff_ids[i]});
  }
  return result;
}

std::size_t select_index_entry(const ImageLayout& layout,
                               const ImageReference& reference) {
  std::vector<Descriptor> manifests = layout.index().manifests();
  if (!reference.ref) {
    if (manifests.size() != 1) {
      ImageReference hint = with_transport(reference);
      hint.ref = "REF";
      throw Error(
          std::string(hint.is_archive() ? "archive " : "image layout ") +
          reference.path + " holds " + std::to_string(manifests.size()) +
          " images: name one as " + hint.string() +
          " (refs: " + list_refs(manifests) + ")");
    }
    return 0;
  }
  std::optional<std::size_t> match;
  for (std::size_t i = 0; i < manifests.size(); ++i) {
    if (manifests[i].ref_name() == reference.ref) {
      if (match) {
        throw Error("ref \"" + *reference.ref + "\" names more than one "
                    "entry of " + reference.path +
                    "/index.json: remove the duplicate annotation");
      }
      match = i;
    }
  }
  if (!match) {
    throw Error("ref \"" + *reference.ref + "\" not found in image layout " +
                reference.path + " (refs: " + list_refs(manifests) + ")");
  }
  return *match;
}

SourceImage read_source_image(const ImageLayout& layout,
                              const Descriptor& descriptor) {
  if (media_type::is_docker_schema1(descriptor.media_type)) {
    throw Error("manifest " + descriptor.digest.string() +
                " is a Docker schema 1 manifest, which ocicap does not "
                "support: convert the image first, e.g. with skopeo copy "
                "--format oci");
  }
  if (!media_type::is_manifest(descriptor.media_type)) {
    throw Error("unsupported manifest media type \"" + descriptor.media_type +
                "\" for " + descriptor.digest.string());
  }
  std::string manifest_bytes = add_context(
      "reading manifest " + descriptor.digest.string(),
      [&] { return layout.read_document(descriptor); });
  Manifest manifest =
      Manifest::parse(manifest_bytes, descriptor.media_type,
                      "manifest " + descriptor.digest.string());

  Descriptor config_descriptor = manifest.config();
  std::string config_bytes = add_context(
      "reading config " + config_descriptor.digest.string(),
      [&] { return layout.read_document(config_descriptor); });
  ImageConfig config = ImageConfig::parse(
      config_bytes, "config " + config_descriptor.digest.string());

  std::size_t layer_count = manifest.layers().size();
  std::size_t diff_id_count = config.diff_ids().size();
  if (layer_count != diff_id_count) {
    throw Error("manifest " + descriptor.digest.string() + " lists " +
                std::to_string(layer_count) + " layers but its config lists " +
                std::to_string(diff_id_count) + " diff IDs");
  }
  check_layer_blobs(layout, manifest);
  return SourceImage{layout, descriptor, std::move(manifest),
                     std::move(config), descriptor.platform};
}

SourceImage open_source_image(const ImageLayout& layout,
                              const Descriptor& entry,
                              const std::optional<Platform>& platform,
                              const std::string& image) {
  Descriptor descriptor = select_platform(layout, entry, platform, image);
  SourceImage source = read_source_image(layout, descriptor);
  if (platform && !media_type::is_index(entry.media_type)) {
    check_single_image_platforms(source.config, {*platform}, image);
  }
  return source;
}

void check_single_image_platforms(const ImageConfig& config,
                                  const std::vector<Platform>& requested,
                                  const std::string& image) {
  std::optional<Platform> declared = config.platform();
  for (const Platform& platform : requested) {
    if (!declared) {
      throw Error("--platform " + platform.string() + ": " + image +
                  " is a single image whose config declares no os and "
                  "architecture; drop --platform");
    }
    if (!declared->matches(platform)) {
      throw Error("--platform " + platform.string() + " does not match " +
                  image + ", a single image for " + declared->string() +
                  ": drop --platform or name " + declared->string());
    }
  }
}

bool is_platform_selected(const Descriptor& descriptor,
                          const std::vector<Platform>& requested) {
  if (requested.empty()) {
    return true;
  }
  for (const Platform& platform : requested) {
    if (descriptor.platform && descriptor.platform->matches(platform)) {
      return true;
    }
  }
  return false;
}

void check_platforms_matched(const std::vector<Platform>& requested,
                             const std::vector<Platform>& available,
                             const std::string& image) {
  for (const Platform& platform : requested) {
    bool matched = false;
    for (const Platform& candidate : available) {
      matched |= candidate.matches(platform);
    }
    if (matched) {
      continue;
    }
    std::string names;
    for (const Platform& candidate : available) {
      names += (names.empty() ? "" : ", ") + candidate.string();
    }
    throw Error("no image in " + image + " matches --platform " +
                platform.string() + " (platforms: " +
                (names.empty() ? std::string("none") : names) + ")");
  }
}

} // namespace ocicap
