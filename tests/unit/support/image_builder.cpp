#include "support/image_builder.hpp"

#include "ocicap/file.hpp"
#include "support/temp_directory.hpp"

#include <archive_entry.h>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace ocicap::test {
namespace {

using Json = nlohmann::ordered_json;

std::string layer_media_type(media_type::Family family,
                             media_type::Compression compression) {
  return media_type::layer_type(family, compression);
}

media_type::Compression compression_of(const std::string& type) {
  if (type.ends_with("+gzip") || type.ends_with(".gzip")) {
    return media_type::Compression::gzip;
  }
  if (type.ends_with("+zstd")) {
    return media_type::Compression::zstd;
  }
  return media_type::Compression::none;
}

Json descriptor_json(const Descriptor& descriptor) {
  return Json{{"mediaType", descriptor.media_type},
              {"digest", descriptor.digest.string()},
              {"size", descriptor.size}};
}

// Returns the descriptor with its platform and annotations, which
// ImageIndex::append leaves out or replaces.
Json full_descriptor_json(const Descriptor& descriptor) {
  Json value = descriptor_json(descriptor);
  if (descriptor.platform) {
    value["platform"] =
        Json{{"architecture", descriptor.platform->architecture},
             {"os", descriptor.platform->os}};
    if (!descriptor.platform->variant.empty()) {
      value["platform"]["variant"] = descriptor.platform->variant;
    }
  }
  if (!descriptor.annotations.empty()) {
    value["annotations"] = Json::object();
    for (const auto& [key, item] : descriptor.annotations) {
      value["annotations"][key] = item;
    }
  }
  return value;
}

// Checks that a blob exists with the size and sha256 its descriptor
// declares; appends problems and returns the blob path when it exists.
std::optional<std::string> check_blob(const std::string& layout,
                                      const Json& descriptor,
                                      std::vector<std::string>& problems) {
  std::string digest = descriptor.value("digest", "");
  if (!digest.starts_with("sha256:")) {
    problems.push_back("descriptor digest is not sha256: " + digest);
    return std::nullopt;
  }
  std::string path = layout + "/blobs/sha256/" + digest.substr(7);
  if (!std::filesystem::is_regular_file(path)) {
    problems.push_back("blob " + digest + " is missing");
    return std::nullopt;
  }
  auto size = static_cast<std::int64_t>(std::filesystem::file_size(path));
  if (size != descriptor.value("size", std::int64_t{-1})) {
    problems.push_back("blob " + digest + " has " + std::to_string(size) +
                       " bytes, descriptor declares " +
                       descriptor.value("size", Json()).dump());
  }
  std::string actual = sha256sum_of(path);
  if ("sha256:" + actual != digest) {
    problems.push_back("blob " + digest + " hashes to sha256:" + actual);
  }
  return path;
}

std::optional<Json> read_json(const std::string& path,
                              std::vector<std::string>& problems) {
  Json value = Json::parse(read_file(path), nullptr, false);
  if (value.is_discarded() || !value.is_object()) {
    problems.push_back(path + " is not a JSON object");
    return std::nullopt;
  }
  return value;
}

void validate_image(const std::string& layout, const Json& entry,
                    std::vector<std::string>& problems) {
  auto manifest_path = check_blob(layout, entry, problems);
  if (!manifest_path) {
    return;
  }
  auto manifest = read_json(*manifest_path, problems);
  if (!manifest) {
    return;
  }
  if (manifest->contains("manifests")) {
    // A nested image index: validate every image it lists.
    for (const Json& child : (*manifest)["manifests"]) {
      validate_image(layout, child, problems);
    }
    return;
  }
  if (manifest->value("schemaVersion", 0) != 2) {
    problems.push_back("manifest schemaVersion is not 2");
  }
  if (!manifest->contains("config") || !(*manifest)["layers"].is_array()) {
    problems.push_back("manifest lacks config or layers");
    return;
  }
  auto config_path = check_blob(layout, (*manifest)["config"], problems);
  if (!config_path) {
    return;
  }
  auto config = read_json(*config_path, problems);
  if (!config) {
    return;
  }
  const Json& diff_ids = (*config)["rootfs"]["diff_ids"];
  const Json& layers = (*manifest)["layers"];
  if (!diff_ids.is_array() || diff_ids.size() != layers.size()) {
    problems.push_back("config lists " + std::to_string(diff_ids.size()) +
                       " diff IDs for " + std::to_string(layers.size()) +
                       " layers");
    return;
  }
  TempDirectory scratch;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    auto layer_path = check_blob(layout, layers[i], problems);
    if (!layer_path) {
      continue;
    }
    std::string tar = scratch.file("layer.tar");
    decompress_blob(*layer_path,
                    compression_of(layers[i].value("mediaType", "")), tar);
    std::string diff_id = "sha256:" + sha256sum_of(tar);
    if (diff_id != diff_ids[i].get<std::string>()) {
      problems.push_back("layer " + std::to_string(i) + " decompresses to " +
                         diff_id + ", config lists " +
                         diff_ids[i].get<std::string>());
    }
  }
}

void check_stray_files(const std::string& layout,
                       std::vector<std::string>& problems) {
  for (const auto& item : std::filesystem::directory_iterator(layout)) {
    std::string name = item.path().filename();
    if (name != "oci-layout" && name != "index.json" && name != "blobs") {
      problems.push_back("unexpected file in the layout: " + name);
    }
  }
  std::string blobs = layout + "/blobs/sha256";
  if (!std::filesystem::is_directory(blobs)) {
    return;
  }
  for (const auto& item : std::filesystem::directory_iterator(blobs)) {
    std::string name = item.path().filename();
    if (name.size() != 64 || sha256sum_of(item.path()) != name) {
      problems.push_back("stray or corrupt blob file: " + name);
    }
  }
}

std::string octal_field(std::int64_t value, std::size_t width) {
  std::string digits(width - 1, '0');
  for (std::size_t i = width - 1; i-- > 0 && value > 0; value /= 8) {
    digits[i] = static_cast<char>('0' + value % 8);
  }
  return digits + '\0';
}

// A ustar header block (POSIX.1-2001 tar format).
std::string ustar_header(const std::string& name, std::int64_t size,
                         char typeflag) {
  std::string header(512, '\0');
  auto put = [&header](std::size_t offset, const std::string& field) {
    header.replace(offset, field.size(), field);
  };
  put(0, name.substr(0, 100));
  put(100, octal_field(0644, 8));
  put(108, octal_field(0, 8));
  put(116, octal_field(0, 8));
  put(124, octal_field(size, 12));
  put(136, octal_field(test_mtime, 12));
  put(148, std::string(8, ' '));
  header[156] = typeflag;
  put(257, std::string("ustar\0", 6));
  put(263, "00");
  unsigned checksum = 0;
  for (unsigned char c : header) {
    checksum += c;
  }
  put(148, octal_field(checksum, 7) + " ");
  return header;
}

std::string padded_to_block(std::string data) {
  data.resize((data.size() + 511) / 512 * 512, '\0');
  return data;
}

// Returns one PAX record, "LENGTH KEYWORD=VALUE\n", where LENGTH counts
// the whole record including its own digits.
std::string pax_record(const std::string& keyword, const std::string& value) {
  std::string body = " " + keyword + "=" + value + "\n";
  std::size_t length = body.size() + 1;
  while (std::to_string(length).size() + body.size() != length) {
    ++length;
  }
  return std::to_string(length) + body;
}

} // namespace

std::string pax_tar_with_records(
    const std::string& name,
    const std::vector<std::pair<std::string, std::string>>& records,
    const std::string& content) {
  std::string extended;
  for (const auto& [keyword, value] : records) {
    extended += pax_record(keyword, value);
  }
  std::string archive = ustar_header(
      "PaxHeaders/" + name, static_cast<std::int64_t>(extended.size()), 'x');
  archive += padded_to_block(extended);
  archive += ustar_header(name, static_cast<std::int64_t>(content.size()), '0');
  archive += padded_to_block(content);
  archive += std::string(1024, '\0');
  return archive;
}

EntrySpec file_entry(std::string name, std::string content,
                     std::vector<Xattr> xattrs) {
  return EntrySpec{.name = std::move(name),
                   .content = std::move(content),
                   .xattrs = std::move(xattrs)};
}

EntrySpec directory_entry(std::string name) {
  return EntrySpec{
      .name = std::move(name), .type = EntryType::directory, .mode = 0755};
}

EntrySpec symlink_entry(std::string name, std::string target) {
  return EntrySpec{.name = std::move(name),
                   .type = EntryType::symlink,
                   .mode = 0777,
                   .link_target = std::move(target)};
}

EntrySpec hardlink_entry(std::string name, std::string target) {
  return EntrySpec{.name = std::move(name),
                   .type = EntryType::hardlink,
                   .link_target = std::move(target)};
}

EntrySpec marker_entry(std::string name) {
  return EntrySpec{.name = std::move(name)};
}

namespace {

void set_type(archive_entry* raw, const EntrySpec& spec) {
  switch (spec.type) {
  case EntryType::directory:
    archive_entry_set_filetype(raw, AE_IFDIR);
    break;
  case EntryType::symlink:
    archive_entry_set_filetype(raw, AE_IFLNK);
    archive_entry_set_symlink(raw, spec.link_target.c_str());
    break;
  case EntryType::hardlink:
    archive_entry_set_filetype(raw, AE_IFREG);
    archive_entry_set_hardlink(raw, spec.link_target.c_str());
    archive_entry_set_size(raw, 0);
    break;
  case EntryType::fifo:
    archive_entry_set_filetype(raw, AE_IFIFO);
    break;
  default:
    archive_entry_set_filetype(raw, AE_IFREG);
    archive_entry_set_size(raw, static_cast<la_int64_t>(spec.content.size()));
    break;
  }
}

} // namespace

TarEntry make_tar_entry(const EntrySpec& spec) {
  TarEntry entry;
  archive_entry* raw = entry.get();
  archive_entry_set_pathname(raw, spec.name.c_str());
  archive_entry_set_perm(raw, spec.mode);
  archive_entry_set_uid(raw, spec.uid);
  archive_entry_set_gid(raw, spec.gid);
  if (!spec.uname.empty()) {
    archive_entry_set_uname(raw, spec.uname.c_str());
  }
  if (!spec.gname.empty()) {
    archive_entry_set_gname(raw, spec.gname.c_str());
  }
  archive_entry_set_mtime(raw, spec.mtime, 0);
  set_type(raw, spec);

  for (const Xattr& xattr : spec.xattrs) {
    entry.set_xattr(xattr.first, xattr.second);
  }
  return entry;
}

ImageLayer write_layer(const ImageLayout& layout,
                       const std::vector<EntrySpec>& entries,
                       media_type::Compression compression,
                       media_type::Family family) {
  std::unique_ptr<BlobWriter> blob = layout.write_blob();
  LayerWriter writer(*blob, compression);
  for (const EntrySpec& spec : entries) {
    TarEntry entry = make_tar_entry(spec);
    if (spec.type == EntryType::regular) {
      FileDescriptor content = create_spool_file();
      write_fully(content.get(), spec.content, "test content");
      writer.write_file(entry, content.get());
    } else {
      writer.write_entry(entry);
    }
  }
  LayerDigests digests = writer.finish();
  Descriptor descriptor{.media_type = layer_media_type(family, compression),
                        .digest = blob->commit(),
                        .size = digests.size};
  return ImageLayer{descriptor, digests.diff_id};
}

ImageLayer write_gnu_tar_layer(const ImageLayout& layout,
                               const std::string& directory,
                               media_type::Compression compression) {
  TempDirectory scratch;
  std::string tar = scratch.file("layer.tar");
  std::string command =
      "tar --format=pax --xattrs --xattrs-include='*' --numeric-owner "
      "--sort=name --mtime=@" +
      std::to_string(test_mtime) + " -C " + shell_quote(directory) + " -cf " +
      shell_quote(tar) + " .";
  if (run_command(command) != 0) {
    throw std::runtime_error("GNU tar failed: " + command);
  }
  Digest diff_id = Digest::parse("sha256:" + sha256sum_of(tar));
  std::string blob = tar;
  if (compression == media_type::Compression::gzip) {
    blob = tar + ".gz";
    run_command("gzip -n -c " + shell_quote(tar) + " > " + shell_quote(blob));
  } else if (compression == media_type::Compression::zstd) {
    blob = tar + ".zst";
    run_command("zstd -q -c " + shell_quote(tar) + " > " + shell_quote(blob));
  }
  Descriptor descriptor =
      store_raw_blob(layout, read_file(blob),
                     layer_media_type(media_type::Family::oci, compression));
  return ImageLayer{descriptor, diff_id};
}

Descriptor store_raw_blob(const ImageLayout& layout, const std::string& data,
                          std::string media_type) {
  Digest digest = digest_of(data);
  std::filesystem::create_directories(layout.path() + "/blobs/sha256");
  write_file(layout.blob_path(digest), data);
  return Descriptor{.media_type = std::move(media_type),
                    .digest = digest,
                    .size = static_cast<std::int64_t>(data.size())};
}

Descriptor write_manifest(const ImageLayout& layout,
                          const std::vector<ImageLayer>& layers,
                          const ImageOptions& options) {
  bool docker = options.family == media_type::Family::docker;
  Json config = Json::object();
  config["created"] = options.created;
  config["architecture"] = "amd64";
  config["os"] = "linux";
  config["config"] = Json::object();
  if (!options.user.empty()) {
    config["config"]["User"] = options.user;
  }
  config["rootfs"] = Json{{"type", "layers"}, {"diff_ids", Json::array()}};
  config["history"] = Json::array();
  Json manifest = Json::object();
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] =
      docker ? media_type::docker_manifest : media_type::oci_manifest;
  manifest["layers"] = Json::array();
  for (std::size_t i = 0; i < layers.size(); ++i) {
    config["rootfs"]["diff_ids"].push_back(layers[i].diff_id.string());
    config["history"].push_back(
        Json{{"created", options.created},
             {"created_by", "test layer " + std::to_string(i)}});
    manifest["layers"].push_back(descriptor_json(layers[i].descriptor));
  }
  Descriptor config_descriptor = store_raw_blob(
      layout, config.dump(),
      std::string(docker ? media_type::docker_config : media_type::oci_config));
  manifest["config"] = descriptor_json(config_descriptor);
  return store_raw_blob(layout, manifest.dump(),
                        std::string(docker ? media_type::docker_manifest
                                           : media_type::oci_manifest));
}

Descriptor write_image(ImageLayout& layout,
                       const std::vector<ImageLayer>& layers,
                       const ImageOptions& options) {
  Descriptor manifest = write_manifest(layout, layers, options);
  add_to_index(layout, manifest, options.ref);
  return manifest;
}

Descriptor write_index_blob(const ImageLayout& layout,
                            const std::vector<Descriptor>& entries) {
  Json index = Json{{"schemaVersion", 2},
                    {"mediaType", media_type::oci_index},
                    {"manifests", Json::array()}};
  for (const Descriptor& entry : entries) {
    index["manifests"].push_back(full_descriptor_json(entry));
  }
  return store_raw_blob(layout, index.dump(),
                        std::string(media_type::oci_index));
}

void add_to_index(ImageLayout& layout, const Descriptor& descriptor,
                  const std::optional<std::string>& ref) {
  Json index = Json::parse(layout.index().serialize());
  Descriptor entry = descriptor;
  if (ref) {
    entry.annotations["org.opencontainers.image.ref.name"] = *ref;
  }
  index["manifests"].push_back(full_descriptor_json(entry));
  layout.write_index(ImageIndex::parse(index.dump(), "index.json"));
}

SourceImage open_image(const std::string& reference,
                       const std::optional<Platform>& platform) {
  ImageReference parsed = parse_image_reference(reference);
  ImageLayout layout = ImageLayout::open(parsed.path);
  std::size_t position = select_index_entry(layout, parsed);
  return open_source_image(layout, layout.index().manifests().at(position),
                           platform, parsed.string());
}

void decompress_blob(const std::string& blob_path,
                     media_type::Compression compression,
                     const std::string& output_path) {
  std::string program =
      compression == media_type::Compression::gzip   ? "gzip -dc"
      : compression == media_type::Compression::zstd ? "zstd -q -dc"
                                                     : "cat";
  std::string command =
      program + " " + shell_quote(blob_path) + " > " + shell_quote(output_path);
  if (run_command(command) != 0) {
    throw std::runtime_error("decompression failed: " + command);
  }
}

std::string sha256sum_of(const std::string& path) {
  TempDirectory scratch;
  std::string output = scratch.file("sum");
  if (run_command("sha256sum " + shell_quote(path) + " > " +
                  shell_quote(output)) != 0) {
    throw std::runtime_error("sha256sum failed on " + path);
  }
  return read_file(output).substr(0, 64);
}

std::vector<std::string> validate_layout(const std::string& path) {
  std::vector<std::string> problems;
  auto layout_file = read_json(path + "/oci-layout", problems);
  if (layout_file && layout_file->value("imageLayoutVersion", "") != "1.0.0") {
    problems.push_back("oci-layout does not declare version 1.0.0");
  }
  auto index = read_json(path + "/index.json", problems);
  if (!index) {
    return problems;
  }
  if (index->value("schemaVersion", 0) != 2 ||
      !(*index)["manifests"].is_array()) {
    problems.push_back("index.json lacks schemaVersion 2 or manifests");
    return problems;
  }
  for (const Json& entry : (*index)["manifests"]) {
    validate_image(path, entry, problems);
  }
  check_stray_files(path, problems);
  return problems;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) {
    text += line + "\n";
  }
  return text;
}

} // namespace ocicap::test
