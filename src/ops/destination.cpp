#include "destination.hpp"

#include "ocicap/error.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>
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

// Returns the permissions a new directory gets from mkdir(2) under the
// process's umask.
mode_t directory_mode() {
  mode_t mask = ::umask(0);
  ::umask(mask);
  return 0777 & ~mask;
}

std::string make_staging_directory(const std::string& final_path) {
  std::string parent = parent_directory(final_path);
  if (!is_directory(parent)) {
    throw Error("--output " + final_path + ": its parent directory " +
                parent + " does not exist: create it first");
  }
  std::string pattern = parent + "/.ocicap-tmp-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) {
    throw_errno("cannot create a staging directory in " + parent, errno);
  }
  // mkdtemp(3) creates mode 0700; the layout gets what mkdir would give.
  if (::chmod(name.data(), directory_mode()) != 0) {
    int error = errno;
    ::rmdir(name.data());
    throw_errno("cannot set the mode of " + std::string(name.data()), error);
  }
  return name.data();
}

// Throws Error when --output names the input layout without a new ref,
// which would change the input that --output promises to leave alone. An
// input named without a ref has the ref of its index entry, `input_ref`.
void check_not_input(const ChangeRequest& request,
                     const std::optional<std::string>& input_ref) {
  const ImageReference& output = *request.output;
  if (!output.ref || output.ref == input_ref) {
    throw Error("--output " + output.string() + " is the input image " +
                request.image.string() + ": drop --output to change it in "
                "place, or name a new REF (" + output.string() +
                ":NEWREF) to keep the old image");
  }
}

} // namespace

std::optional<LayoutLock> lock_destination(const ChangeRequest& request) {
  const ImageReference& input = request.image;
  if (request.output && !same_directory(request.output->path, input.path)) {
    const ImageReference& output = *request.output;
    if (!output.is_archive() && ImageLayout::is_layout(output.path)) {
      return LayoutLock::lock_layout(output.path);
    }
    return std::nullopt;
  }
  if (input.is_stream() || !path_exists(input.path)) {
    return std::nullopt;
  }
  if (is_directory(input.path)) {
    if (!ImageLayout::is_layout(input.path)) {
      return std::nullopt;
    }
    return LayoutLock::lock_layout(input.path);
  }
  return LayoutLock::lock_archive(input.path);
}

Destination::Destination(const ChangeRequest& request,
                         const ImageLayout& source, std::size_t position)
    : layout_(source), source_position_(position) {
  input_display_ = request.image.string();
  if (!request.output ||
      same_directory(request.output->path, request.image.path)) {
    if (request.output) {
      check_not_input(request,
                      request.image.ref
                          ? request.image.ref
                          : source.index().manifests()[position].ref_name());
    }
    is_source_ = true;
    ref_ = request.output && request.output->ref ? request.output->ref
                                                 : request.tag;
    layout_.check_writable();
    return;
  }
  const ImageReference& output = *request.output;
  ref_ = output.ref ? output.ref : request.tag ? request.tag
                                               : request.image.ref;
  if (!ref_) {
    // The input named no ref; its index entry may still carry one.
    ref_ = source.index().manifests()[position].ref_name();
  }
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
  staging_cleanup_.emplace(staging_path_);
  try {
    layout_ = ImageLayout::create(staging_path_);
  } catch (const Error&) {
    // The destructor does not run for a constructor that throws.
    std::error_code error;
    std::filesystem::remove_all(staging_path_, error);
    throw;
  }
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
  if (is_source_ && !ref_) {
    return input_display_;
  }
  std::string path = final_path_.empty() ? layout_.path() : final_path_;
  return "oci:" + path + (ref_ ? ":" + *ref_ : "");
}

void Destination::import_reachable_blobs(const ImageLayout& source,
                                         const Descriptor& descriptor) {
  if (is_source_) {
    return;
  }
  bool is_document = media_type::is_index(descriptor.media_type) ||
                     media_type::is_manifest(descriptor.media_type);
  if (!layout_.has_blob(descriptor.digest)) {
    add_context("copying blob " + descriptor.digest.string(), [&] {
      if (!source.has_blob(descriptor.digest)) {
        throw Error("blob not found in " + source.path());
      }
      layout_.import_blob(source, descriptor);
    });
  }
  if (!is_document) {
    return;
  }
  // Children are imported whether or not the document was new here,
  // because a new manifest written by ocicap refers to source layers.
  std::string bytes = layout_.read_document(descriptor);
  if (media_type::is_index(descriptor.media_type)) {
    ImageIndex index =
        ImageIndex::parse(bytes, "index " + descriptor.digest.string());
    for (const Descriptor& child : index.manifests()) {
      import_reachable_blobs(source, child);
    }
    return;
  }
  Manifest manifest = Manifest::parse(bytes, descriptor.media_type,
                                      "manifest " + descriptor.digest.string());
  import_reachable_blobs(source, manifest.config());
  for (const Descriptor& layer : manifest.layers()) {
    bool foreign = !source.has_blob(layer.digest) &&
                   media_type::is_foreign_layer(layer.media_type);
    if (!foreign) {
      import_reachable_blobs(source, layer);
    }
  }
}

ImageIndex Destination::updated_index(const Descriptor& descriptor) const {
  ImageIndex index = layout_.index();
  if (is_source_ && !ref_) {
    index.retarget(source_position_, descriptor);
  } else if (ref_) {
    index.set_ref(*ref_, descriptor);
  } else {
    Descriptor entry = descriptor;
    entry.annotations.clear();
    index.append(entry);
  }
  return index;
}

void Destination::commit(const Descriptor& descriptor) {
  layout_.write_index(updated_index(descriptor));
  if (!staging_path_.empty()) {
    staging_cleanup_->release();
    if (::rename(staging_path_.c_str(), final_path_.c_str()) != 0) {
      throw_errno("cannot move the new layout into place at " + final_path_,
                  errno);
    }
    sync_directory(parent_directory(final_path_));
  }
  committed_ = true;
}

} // namespace ocicap
