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

std::size_t select_manifest(const std::vector<Descriptor>& manifests,
                            const ImageReference& reference) {
  if (!reference.ref) {
    if (manifests.size() != 1) {
      throw Error("image layout " + reference.path + " holds " +
                  std::to_string(manifests.size()) +
                  " images: name one as oci:" + reference.path +
                  ":REF (refs: " + list_refs(manifests) + ")");
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

// Checks that each layer blob is present with its declared size, a cheap
// test that catches a damaged layout even where no layer is read. A
// non-distributable layer may lack its blob: it is fetched from elsewhere.
void check_layer_blobs(const ImageLayout& layout, const Manifest& manifest) {
  for (const Descriptor& layer : manifest.layers()) {
    bool foreign =
        layer.media_type.find("nondistributable") != std::string::npos ||
        layer.media_type.find("foreign") != std::string::npos;
    std::string path = layout.blob_path(layer.digest);
    if (!path_exists(path)) {
      if (foreign) {
        continue;
      }
      throw Error("layer " + layer.digest.string() + " not found: " + path +
                  " is missing from the layout");
    }
    std::int64_t size = file_size(path);
    if (size != layer.size) {
      throw Error("layer " + layer.digest.string() + " has " +
                  std::to_string(size) + " bytes but its descriptor declares " +
                  std::to_string(layer.size) + ": the blob is damaged");
    }
  }
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

SourceImage open_source_image(const ImageReference& reference) {
  ImageLayout layout = ImageLayout::open(reference.path);
  std::vector<Descriptor> manifests = layout.index().manifests();
  std::size_t position = select_manifest(manifests, reference);
  const Descriptor& descriptor = manifests[position];

  if (media_type::is_index(descriptor.media_type)) {
    // TODO: follow nested indexes to modify each platform's manifest; until
    // then a multi-platform image is rejected here.
    throw Error(reference.string() + " is a multi-platform image index (" +
                descriptor.short_digest() +
                "), which ocicap does not modify yet: copy one platform "
                "out first, e.g. skopeo copy --override-arch ARCH");
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
    throw Error("image " + reference.string() + " is inconsistent: its "
                "manifest lists " + std::to_string(layer_count) +
                " layers but its config lists " +
                std::to_string(diff_id_count) + " diff IDs");
  }
  check_layer_blobs(layout, manifest);
  return SourceImage{std::move(layout), position, descriptor,
                     std::move(manifest), std::move(config)};
}

} // namespace ocicap
