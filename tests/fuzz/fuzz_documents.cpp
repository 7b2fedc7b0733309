// libFuzzer target for the JSON documents of an image layout: index.json
// and image indexes, manifests and configs. Compiled once per document
// kind; OCICAP_FUZZ_DOCUMENT selects which parser the input goes to.
//
// Each input is parsed as the layout reader parses a blob. A document that
// parses must survive the accessors ocicap calls on it, and serializing it
// must give text that parses again to the same serialization, because
// ocicap writes rewritten documents back to the layout.
#include "ocicap/documents.hpp"
#include "ocicap/error.hpp"

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using namespace ocicap;

void read_descriptor_fields(const Descriptor& descriptor) {
  (void)descriptor.ref_name();
  (void)descriptor.short_digest();
  (void)descriptor.is_attestation();
  if (descriptor.platform) {
    (void)descriptor.platform->string();
  }
}

ImageIndex parse_again(const ImageIndex&, const std::string& text) {
  return ImageIndex::parse(text, "serialized index");
}

Manifest parse_again(const Manifest&, const std::string& text) {
  return Manifest::parse(text, media_type::oci_manifest, "serialized manifest");
}

ImageConfig parse_again(const ImageConfig&, const std::string& text) {
  return ImageConfig::parse(text, "serialized config");
}

// Aborts, which libFuzzer reports as a crash, when the serialization of
// `document` does not parse back to the same text.
template <typename Document>
void check_round_trip(const Document& document) {
  std::string serialized = document.serialize();
  if (parse_again(document, serialized).serialize() != serialized) {
    std::abort();
  }
}

void fuzz_index(std::string_view bytes) {
  ImageIndex index = ImageIndex::parse(bytes, "index.json");
  std::vector<Descriptor> entries = index.manifests();
  for (const Descriptor& entry : entries) {
    read_descriptor_fields(entry);
  }
  check_round_trip(index);

  // The edits Destination makes before it writes index.json.
  if (!entries.empty()) {
    index.retarget(0, entries.back());
    index.set_ref("fuzz", entries.front());
    index.append(entries.front());
    index.remove(0);
    check_round_trip(index);
  }
}

void fuzz_manifest(std::string_view bytes) {
  Manifest manifest =
      Manifest::parse(bytes, media_type::oci_manifest, "manifest");
  (void)manifest.family();
  Descriptor config = manifest.config();
  read_descriptor_fields(config);
  for (const Descriptor& layer : manifest.layers()) {
    read_descriptor_fields(layer);
  }
  check_round_trip(manifest);

  // The edits append_to_manifest makes.
  manifest.set_config(config);
  manifest.append_layer(config);
  check_round_trip(manifest);
}

void fuzz_config(std::string_view bytes) {
  ImageConfig config = ImageConfig::parse(bytes, "config");
  std::vector<Digest> diff_ids = config.diff_ids();
  (void)config.created();
  (void)config.user();
  check_round_trip(config);

  // The edits append_to_config makes.
  config.append_diff_id(digest_of(bytes));
  config.append_history({.created = "1970-01-01T00:00:00Z",
                         .created_by = std::string(bytes.substr(0, 64)),
                         .comment = "fuzz"});
  check_round_trip(config);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    OCICAP_FUZZ_DOCUMENT(bytes);
  } catch (const Error&) {
    // Rejected input: the parsers report every problem as Error.
  }
  return 0;
}
