#include "ocicap/ops.hpp"

#include "change_image.hpp"
#include "destination.hpp"
#include "ocicap/error.hpp"

namespace ocicap {
namespace {

// Rewrites the tree of documents below one index.json entry: each selected
// image manifest gets its new layer, and each index above a changed
// manifest is written anew with the entry retargeted.
class TreeRewriter {
public:
  TreeRewriter(const ImageLayout& source, Destination& destination,
               const ChangeRequest& request, ReadObserver* observer,
               ChangeResult& result)
      : source_(source), destination_(destination), request_(request),
        observer_(observer), result_(result) {}

  Descriptor rewrite(const Descriptor& descriptor) {
    if (media_type::is_index(descriptor.media_type)) {
      return rewrite_index(descriptor);
    }
    return rewrite_manifest(descriptor);
  }

  std::size_t images_changed() const { return images_changed_; }
  std::size_t indexes_changed() const { return indexes_changed_; }

private:
  bool is_selected(const Descriptor& descriptor) const {
    if (request_.platforms.empty()) {
      return true;
    }
    for (const Platform& platform : request_.platforms) {
      if (descriptor.platform && descriptor.platform->matches(platform)) {
        return true;
      }
    }
    return false;
  }

  Descriptor rewrite_manifest(const Descriptor& descriptor) {
    if (!is_selected(descriptor)) {
      return descriptor;
    }
    SourceImage image = read_source_image(source_, descriptor);
    std::string label = request_.image.string();
    if (descriptor.platform) {
      label += " (platform " + descriptor.platform->string() + ")";
    }
    ImageChange change = change_image(image, destination_.layout(), request_,
                                      label, observer_);
    result_.files.insert(result_.files.end(), change.files.begin(),
                         change.files.end());
    result_.warnings.insert(result_.warnings.end(), change.warnings.begin(),
                            change.warnings.end());
    ++images_changed_;
    return change.manifest;
  }

  Descriptor rewrite_index(const Descriptor& descriptor) {
    std::string bytes = add_context(
        "reading index " + descriptor.digest.string(),
        [&] { return source_.read_document(descriptor); });
    ImageIndex index =
        ImageIndex::parse(bytes, "index " + descriptor.digest.string());
    std::vector<Descriptor> entries = index.manifests();
    std::vector<std::size_t> attestations;
    bool changed = false;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].is_attestation()) {
        attestations.push_back(i);
        continue;
      }
      Descriptor updated = rewrite(entries[i]);
      if (updated.digest != entries[i].digest) {
        index.retarget(i, updated);
        changed = true;
      }
    }
    if (!changed) {
      return descriptor;
    }
    handle_attestations(index, attestations, descriptor);
    Descriptor result = destination_.layout().put_blob(index.serialize(),
                                                       descriptor.media_type);
    result.annotations = descriptor.annotations;
    result.platform = descriptor.platform;
    ++indexes_changed_;
    return result;
  }

  void handle_attestations(ImageIndex& index,
                           const std::vector<std::size_t>& positions,
                           const Descriptor& descriptor) {
    if (positions.empty()) {
      return;
    }
    std::string count = std::to_string(positions.size());
    if (request_.attestations == AttestationPolicy::drop) {
      for (auto position = positions.rbegin(); position != positions.rend();
           ++position) {
        index.remove(*position);
      }
      result_.warnings.push_back(
          "dropped " + count + " attestation manifest(s) of index " +
          descriptor.short_digest() + ", which described the old image");
      return;
    }
    result_.warnings.push_back(
        "kept " + count + " attestation manifest(s) of index " +
        descriptor.short_digest() +
        ": they describe the old image, not the new one (use "
        "--attestations drop to remove them)");
  }

  const ImageLayout& source_;
  Destination& destination_;
  const ChangeRequest& request_;
  ReadObserver* observer_;
  ChangeResult& result_;
  std::size_t images_changed_ = 0;
  std::size_t indexes_changed_ = 0;
};

std::string platform_list(const std::vector<Platform>& platforms) {
  std::string text;
  for (const Platform& platform : platforms) {
    text += (text.empty() ? "" : ", ") + platform.string();
  }
  return text;
}

} // namespace

ChangeResult apply_changes(const ChangeRequest& request,
                           ReadObserver* observer) {
  if (request.changes.empty()) {
    throw Error("no files to change: name at least one PATH");
  }
  ImageLayout source = ImageLayout::open(request.image.path);
  std::size_t position = select_index_entry(source, request.image);
  Descriptor top = source.index().manifests()[position];
  bool multi_platform = media_type::is_index(top.media_type);
  if (!multi_platform && !request.platforms.empty()) {
    throw Error("--platform applies to multi-platform images, and " +
                request.image.string() + " is a single image");
  }
  Destination destination(request, source, position);

  ChangeResult result{.descriptor = top};
  TreeRewriter rewriter(source, destination, request, observer, result);
  Descriptor descriptor = rewriter.rewrite(top);
  if (rewriter.images_changed() == 0) {
    throw Error("no image in " + request.image.string() +
                " matches --platform " + platform_list(request.platforms));
  }
  result.descriptor = descriptor;
  if (descriptor.digest == top.digest) {
    // Every change was a removal from a file without capabilities; the
    // warnings say so, and the layout stays as it was.
    result.destination = request.image.string();
    return result;
  }
  if (multi_platform) {
    result.warnings.push_back(
        "the image index has a new digest: signatures made for " +
        top.digest.string() + " do not apply to it");
  }
  destination.import_reachable_blobs(source, descriptor);
  destination.commit(descriptor);
  result.destination = destination.display();
  return result;
}

} // namespace ocicap
