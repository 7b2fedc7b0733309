#include "destination.hpp"

#include "ocicap/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

namespace ocicap {
namespace {

bool same_directory(const std::string& a, const std::string& b) {
  std::error_code error;
  return std::filesystem::equivalent(a, b, error);
}

bool is_empty_directory(const std::string& path) {
  std::error_code error;
  return std::filesystem::is_empty(path, error) && !error;
}

std::string make_staging_directory(const std::string& final_path) {
  std::string parent = parent_directory(final_path);
  make_directories(parent);
  std::string pattern = parent + "/.ocicap-tmp-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) {
    throw_errno("cannot create a staging directory in " + parent, errno);
  }
  return name.data();
}

} // namespace

Destination::Destination(const SetRequest& request, const SourceImage& source)
    : layout_(source.layout) {
  if (!request.output ||
      same_directory(request.output->path, request.image.path)) {
    is_source_ = true;
    ref_ = request.output && request.output->ref ? request.output->ref
                                                 : request.tag;
    layout_.check_writable();
    return;
  }
  const ImageReference& output = *request.output;
  ref_ = output.ref ? output.ref : request.tag ? request.tag
                                               : request.image.ref;
  if (ImageLayout::is_layout(output.path)) {
    layout_ = ImageLayout::open(output.path);
    layout_.check_writable();
    return;
  }
  if (path_exists(output.path) &&
      !(is_directory(output.path) && is_empty_directory(output.path))) {
    throw Error("--output " + output.path +
                " exists and is not an empty directory or an OCI image "
                "layout: choose a new or empty directory");
  }
  final_path_ = output.path;
  staging_path_ = make_staging_directory(output.path);
  layout_ = ImageLayout::create(staging_path_);
}

Destination::~Destination() {
  if (committed_) {
    return;
  }
  if (!staging_path_.empty()) {
    std::error_code error;
    std::filesystem::remove_all(staging_path_, error);
    return;
  }
  layout_.remove_new_blobs();
}

std::string Destination::display() const {
  std::string path = final_path_.empty() ? layout_.path() : final_path_;
  return "oci:" + path + (ref_ ? ":" + *ref_ : "");
}

void Destination::import_shared_blobs(const SourceImage& source) {
  if (is_source_) {
    return;
  }
  for (const Descriptor& layer : source.manifest.layers()) {
    add_context("copying layer " + layer.digest.string(), [&] {
      if (!source.layout.has_blob(layer.digest)) {
        throw Error("blob not found in " + source.layout.path());
      }
      layout_.import_blob(source.layout, layer);
    });
  }
}

ImageIndex Destination::updated_index(const SourceImage& source,
                                      const Descriptor& manifest) const {
  if (is_source_ && !ref_) {
    ImageIndex index = layout_.index();
    index.retarget(source.index_position, manifest);
    return index;
  }
  ImageIndex index = layout_.index();
  if (ref_) {
    index.set_ref(*ref_, manifest);
  } else {
    index.append(manifest);
  }
  return index;
}

void Destination::commit(const SourceImage& source,
                         const Descriptor& manifest) {
  layout_.write_index(updated_index(source, manifest));
  if (!staging_path_.empty()) {
    if (::rename(staging_path_.c_str(), final_path_.c_str()) != 0) {
      throw_errno("cannot move the new layout into place at " + final_path_,
                  errno);
    }
    sync_directory(parent_directory(final_path_));
  }
  committed_ = true;
}

} // namespace ocicap
