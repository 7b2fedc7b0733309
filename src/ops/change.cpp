#include "ocicap/ops.hpp"

#include "change_image.hpp"
#include "destination.hpp"
#include "ocicap/error.hpp"
#include "workspace.hpp"

#include <filesystem>
#include <set>
#include <unistd.h>

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
  // The platforms that the index entries of image manifests declare.
  const std::vector<Platform>& platforms_seen() const {
    return platforms_seen_;
  }

private:
  bool is_selected(const Descriptor& descriptor) const {
    return is_platform_selected(descriptor, request_.platforms);
  }

  Descriptor rewrite_manifest(const Descriptor& descriptor) {
    if (descriptor.platform) {
      platforms_seen_.push_back(*descriptor.platform);
    }
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
    std::set<std::string> changed_digests;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (entries[i].is_attestation()) {
        continue;
      }
      Descriptor updated = rewrite(entries[i]);
      if (updated.digest != entries[i].digest) {
        index.retarget(i, updated);
        changed_digests.insert(entries[i].digest.string());
      }
    }
    if (changed_digests.empty()) {
      return descriptor;
    }
    // An attestation names the manifest it describes in
    // vnd.docker.reference.digest; one without that annotation is taken to
    // describe every manifest of the index.
    for (std::size_t i = 0; i < entries.size(); ++i) {
      auto subject = entries[i].annotations.find("vnd.docker.reference.digest");
      bool describes_changed =
          subject == entries[i].annotations.end() ||
          changed_digests.contains(subject->second);
      if (entries[i].is_attestation() && describes_changed) {
        attestations.push_back(i);
      }
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
  std::vector<Platform> platforms_seen_;
};

std::string platform_list(const std::vector<Platform>& platforms) {
  std::string text;
  for (const Platform& platform : platforms) {
    text += (text.empty() ? "" : ", ") + platform.string();
  }
  return text;
}

// Checks that the result can go where --output says, before any work.
void check_output(const ChangeRequest& request, Transport input) {
  if (!request.output) {
    return;
  }
  Transport output = request.output->transport;
  if (output == Transport::detect) {
    throw Error("--output " + request.output->path +
                " needs a transport: write oci:DIR, oci-archive:FILE or "
                "docker-archive:FILE");
  }
  std::error_code error;
  if (request.output->is_archive() && !request.image.is_stream() &&
      std::filesystem::equivalent(request.output->path, request.image.path,
                                  error)) {
    throw Error("--output " + request.output->string() +
                " is the input archive: drop --output to change it in "
                "place, or write to another file");
  }
  if (output != Transport::oci && output != input) {
    throw Error("--output " + request.output->string() + " is of kind " +
                std::string(transport_name(output)) +
                " but the input is of kind " +
                std::string(transport_name(input)) +
                ": write oci:DIR or an archive of the input's kind, and "
                "convert with skopeo copy");
  }
}

// Checks that --tag suits the archive it names: a docker archive's
// RepoTags need NAME:TAG, which docker load rejects otherwise.
void check_tag(const ChangeRequest& request, Transport input) {
  if (request.tag && input == Transport::docker_archive) {
    check_new_ref(*request.tag, Transport::docker_archive);
  }
}

// Checks that an archive can be replaced in its directory.
void check_archive_writable(const std::string& path) {
  if (path == "-") {
    return;
  }
  std::string directory = parent_directory(path);
  if (::access(directory.c_str(), W_OK) != 0) {
    throw_errno("cannot write the archive " + path + " (directory " +
                    directory + "); write the result elsewhere with --output",
                errno);
  }
}

} // namespace

ChangeResult apply_changes(const ChangeRequest& request,
                           ReadObserver* observer) {
  if (request.changes.empty()) {
    throw Error("no files to change: name at least one PATH");
  }
  // Taken before anything is read, so that of two runs on one layout the
  // second reads the index.json the first wrote.
  std::optional<LayoutLock> lock = lock_destination(request);
  // An --output layout gets copies of the input's blobs, whose names must
  // be checked digests.
  bool output_is_layout = request.output && !request.output->is_archive();
  Workspace workspace(request.image,
                      output_is_layout ? ArchiveLayerDigests::hashed
                                       : ArchiveLayerDigests::from_diff_ids);
  check_output(request, workspace.transport());
  check_tag(request, workspace.transport());
  ImageLayout source = workspace.open_layout();
  std::size_t position = workspace.select(source);
  Descriptor top = source.index().manifests()[position];

  // An archive is changed inside its workspace, then packed to the input
  // file, to standard output for "-", or to an --output archive.
  bool packs_archive = workspace.transport() != Transport::oci &&
                       (!request.output || request.output->is_archive());
  std::string archive_target =
      request.output ? request.output->path : request.image.path;
  ChangeRequest effective = request;
  if (packs_archive) {
    check_archive_writable(archive_target);
    workspace.prepare_pack(archive_target);
    if (request.output && request.output->ref) {
      effective.tag = request.output->ref;
    }
    effective.output.reset();
    if (workspace.transport() == Transport::docker_archive) {
      // A docker-archive tag replaces RepoTags, not an index.json ref.
      effective.tag.reset();
    }
  }
  bool multi_platform = media_type::is_index(top.media_type);
  if (!multi_platform && !request.platforms.empty()) {
    // A single image has no index entry to select by: its config must
    // match each --platform, and then the image is changed.
    check_single_image_platforms(read_source_image(source, top).config,
                                 request.platforms, request.image.string());
    effective.platforms.clear();
  }
  Destination destination(effective, source, position);

  ChangeResult result{.descriptor = top};
  TreeRewriter rewriter(source, destination, effective, observer, result);
  Descriptor descriptor = rewriter.rewrite(top);
  check_platforms_matched(effective.platforms, rewriter.platforms_seen(),
                          request.image.string());
  if (rewriter.images_changed() == 0) {
    throw Error("no image in " + request.image.string() +
                " matches --platform " + platform_list(request.platforms));
  }
  result.descriptor = descriptor;
  // An archive --output names its result with its own REF or NAME:TAG.
  std::optional<std::string> archive_tag =
      request.output && request.output->ref ? request.output->ref
                                            : request.tag;
  if (descriptor.digest == top.digest) {
    // Every change was a removal from a file without capabilities, which
    // the warnings report, and the layout stays as it was. A pipeline
    // still gets the archive on standard output.
    result.destination = request.image.string();
    if (packs_archive && archive_target == "-") {
      workspace.pack(archive_target, position, top, archive_tag);
      result.streamed = true;
    }
    return result;
  }
  if (!multi_platform) {
    // A single image's index entry may still declare a platform; the
    // report names platforms only to tell the images of an index apart.
    for (ChangedFile& file : result.files) {
      file.platform.clear();
    }
  }
  if (multi_platform) {
    result.warnings.push_back(
        "the image index has a new digest: signatures made for " +
        top.digest.string() + " do not apply to it");
  }
  destination.import_reachable_blobs(source, descriptor);
  destination.commit(descriptor);
  result.destination = destination.display();
  if (packs_archive) {
    workspace.pack(archive_target, position, top, archive_tag);
    result.destination = request.output ? request.output->string()
                                        : request.image.string();
    result.streamed = archive_target == "-";
  }
  return result;
}

} // namespace ocicap
