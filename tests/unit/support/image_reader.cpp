#include "support/image_reader.hpp"

#include "ocicap/image_path.hpp"

namespace ocicap::test {

SourceImage open_layout_image(const std::string& path, const std::string& ref) {
  ImageLayout layout = ImageLayout::open(path);
  ImageReference reference{.path = path, .ref = ref};
  Descriptor entry =
      layout.index().manifests().at(select_index_entry(layout, reference));
  return read_source_image(layout, entry);
}

std::vector<LayerFile> read_top_layer(const std::string& path,
                                      const std::string& ref) {
  SourceImage image = open_layout_image(path, ref);
  std::vector<ImageLayer> layers = image_layers(image);
  LayerReader reader(image.layout, layers.back());
  std::vector<LayerFile> files;
  while (reader.next()) {
    LayerFile file{reader.entry(), normalize_image_path(reader.entry().name()),
                   ""};
    reader.read_data([&file](std::string_view data) { file.content += data; });
    files.push_back(std::move(file));
  }
  reader.finish();
  return files;
}

std::vector<std::string> names_of(const std::vector<LayerFile>& files) {
  std::vector<std::string> names;
  for (const LayerFile& file : files) {
    names.push_back(file.name);
  }
  return names;
}

} // namespace ocicap::test
