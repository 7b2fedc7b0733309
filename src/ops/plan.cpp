// Dry runs: the image tree is walked as apply_changes() walks it, and
// each selected image manifest is resolved without writing a blob.
#include "ocicap/ops.hpp"

#include "change_image.hpp"
#include "ocicap/error.hpp"
#include "workspace.hpp"

namespace ocicap {
namespace {

class TreePlanner {
public:
  TreePlanner(const ImageLayout& layout, const ChangeRequest& request,
              ReadObserver* observer, ChangeResult& result)
      : layout_(layout), request_(request), observer_(observer),
        result_(result) {}

  void plan(const Descriptor& descriptor) {
    if (media_type::is_index(descriptor.media_type)) {
      plan_index(descriptor);
      return;
    }
    if (descriptor.platform) {
      platforms_seen_.push_back(*descriptor.platform);
    }
    if (is_selected(descriptor)) {
      plan_manifest(descriptor);
    }
  }

  std::size_t images_planned() const { return images_planned_; }
  // The platforms that the index entries of image manifests declare.
  const std::vector<Platform>& platforms_seen() const {
    return platforms_seen_;
  }

private:
  bool is_selected(const Descriptor& descriptor) const {
    return is_platform_selected(descriptor, request_.platforms);
  }

  void plan_index(const Descriptor& descriptor) {
    std::string source = "index " + descriptor.digest.string();
    std::string bytes = add_context("reading " + source, [&] {
      return layout_.read_document(descriptor);
    });
    for (const Descriptor& entry : ImageIndex::parse(bytes, source).manifests()) {
      if (!entry.is_attestation()) {
        plan(entry);
      }
    }
  }

  void plan_manifest(const Descriptor& descriptor) {
    SourceImage image = read_source_image(layout_, descriptor);
    std::string label = request_.image.string();
    if (descriptor.platform) {
      label += " (platform " + descriptor.platform->string() + ")";
    }
    ImageChange change = plan_image_change(image, request_, label, observer_);
    result_.files.insert(result_.files.end(), change.files.begin(),
                         change.files.end());
    result_.warnings.insert(result_.warnings.end(), change.warnings.begin(),
                            change.warnings.end());
    ++images_planned_;
  }

  const ImageLayout& layout_;
  const ChangeRequest& request_;
  ReadObserver* observer_;
  ChangeResult& result_;
  std::size_t images_planned_ = 0;
  std::vector<Platform> platforms_seen_;
};

// Returns where apply_changes() would put the result.
std::string planned_destination(const ChangeRequest& request) {
  if (request.output) {
    return request.output->string();
  }
  ImageReference destination = request.image;
  if (request.tag) {
    destination.ref = request.tag;
  }
  return destination.string();
}

} // namespace

ChangeResult plan_changes(const ChangeRequest& request,
                          ReadObserver* observer) {
  if (request.changes.empty()) {
    throw Error("no files to change: name at least one PATH");
  }
  // A plan copies no blob, so a docker archive's layers keep the names
  // their diff IDs give them, as for get.
  Workspace workspace(request.image, ArchiveLayerDigests::from_diff_ids);
  ImageLayout layout = workspace.open_layout();
  Descriptor top = layout.index().manifests()[workspace.select(layout)];
  ChangeRequest effective = request;
  if (!media_type::is_index(top.media_type) && !request.platforms.empty()) {
    // A single image has no index entry to select by: its config must
    // match each --platform, and then the image is changed.
    check_single_image_platforms(read_source_image(layout, top).config,
                                 request.platforms, request.image.string());
    effective.platforms.clear();
  }
  ChangeResult result{.descriptor = top,
                      .destination = planned_destination(request)};
  // The report of a pipeline stays off standard output, where the archive
  // would go.
  result.streamed = request.output ? request.output->is_stream()
                                   : request.image.is_stream();
  TreePlanner planner(layout, effective, observer, result);
  planner.plan(top);
  check_platforms_matched(effective.platforms, planner.platforms_seen(),
                          request.image.string());
  if (planner.images_planned() == 0) {
    throw Error("no image in " + request.image.string() +
                " matches the --platform values given");
  }
  return result;
}

} // namespace ocicap
