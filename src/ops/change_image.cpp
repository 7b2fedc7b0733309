#include "change_image.hpp"

#include "change_targets.hpp"
#include "hard_links.hpp"
#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"
#include "ocicap/layer.hpp"
#include "ocicap/mutate.hpp"
#include "ocicap/runtime_advice.hpp"
#include "ocicap/vfs_cap_data.hpp"

#include <cerrno>
#include <map>
#include <sys/stat.h>

namespace ocicap {
namespace {

// The files of one image that a request changes, resolved.
struct ResolvedChange {
  std::vector<FileTarget> targets;
  // Each target's state in the merged view, by canonical path.
  std::map<std::string, PathState> states;
  DirectoryEntries directories;
};

constexpr std::string_view follow_hint =
    "name the target file, or add --follow (-L) to resolve links inside "
    "the image";

void check_target(const PathState& state, const FileTarget& target,
                  const std::string& image) {
  std::string shown = display_path(target.canonical);
  if (state.status != PathState::Status::found) {
    if (state.blocking_entry &&
        state.blocking_entry->type() == EntryType::symlink) {
      throw Error(shown + " not found in " + image + ": its parent " +
                  display_path(state.blocking_ancestor) +
                  " is a symbolic link to " +
                  quote(state.blocking_entry->link_target()) + "; " +
                  std::string(follow_hint));
    }
    throw Error(shown + " not found in " + image + ": " + state.reason);
  }
  EntryType type = state.entry.type();
  if (type == EntryType::symlink) {
    throw Error(shown + " is a symbolic link to " +
                quote(state.entry.link_target()) + " in " + image + "; " +
                std::string(follow_hint));
  }
  if (type != EntryType::regular) {
    throw Error(shown + " is a " + std::string(entry_type_name(type)) +
                " in " + image + ": capabilities apply to regular files only");
  }
}

// Drops removals of files that have no capabilities, with a warning each.
void drop_unchanged(ResolvedChange& change, const std::string& label,
                    std::vector<std::string>& warnings) {
  std::vector<FileTarget> kept;
  for (FileTarget& target : change.targets) {
    const PathState& state = change.states.at(target.canonical);
    if (!target.capabilities &&
        !state.entry.xattr(capability_xattr_name)) {
      warnings.push_back(display_path(target.canonical) + " in " + label +
                         " has no capabilities; left unchanged");
      continue;
    }
    kept.push_back(std::move(target));
  }
  change.targets = std::move(kept);
}

// Returns the entries of the directories above the targets' names.
DirectoryEntries directories_of(const std::vector<FileTarget>& targets,
                                const DirectoryEntries& ancestors) {
  DirectoryEntries directories;
  for (const FileTarget& target : targets) {
    std::vector<std::string> names = target.hard_links;
    names.push_back(target.canonical);
    for (const std::string& name : names) {
      for (const std::string& ancestor : ancestors_of(name)) {
        // add_directories() leaves out the directories the layer must not
        // write.
        auto found = ancestors.find(ancestor);
        if (found != ancestors.end()) {
          directories.emplace(ancestor, found->second);
        }
      }
    }
  }
  return directories;
}

ResolvedChange resolve_change(const SourceImage& source,
                              const ChangeRequest& request,
                              const std::string& label, ReadObserver* observer,
                              bool keep_content,
                              std::vector<std::string>& warnings) {
  ResolvedChange change;
  change.targets = select_targets(source, request, label, observer, warnings);

  // Find every target in the merged view, keeping its content if asked.
  std::vector<std::string> paths;
  for (const FileTarget& target : change.targets) {
    paths.push_back(target.canonical);
  }
  PathResolver files(source.layout, image_layers(source), paths,
                     keep_content ? paths : std::vector<std::string>{});
  files.set_observer(observer);
  files.run();
  for (const FileTarget& target : change.targets) {
    add_context(target.origin, [&] {
      check_target(files.state(target.canonical), target, label);
    });
  }

  DirectoryEntries ancestors;
  attach_hard_links(change.targets, files, source, observer, ancestors);
  for (const FileTarget& target : change.targets) {
    change.states.emplace(target.canonical, files.state(target.canonical));
    add_directories(target.canonical, files, ancestors);
  }
  drop_unchanged(change, label, warnings);
  change.directories = directories_of(change.targets, ancestors);
  return change;
}

media_type::Compression choose_compression(const ChangeRequest& request,
                                           const Manifest& manifest) {
  if (request.compression) {
    return *request.compression;
  }
  std::vector<Descriptor> layers = manifest.layers();
  for (auto layer = layers.rbegin(); layer != layers.rend(); ++layer) {
    if (auto type = media_type::classify_layer(layer->media_type)) {
      return type->compression;
    }
  }
  return media_type::Compression::gzip;
}

std::int64_t content_size(const FileDescriptor& content) {
  struct stat st;
  if (::fstat(content.get(), &st) != 0) {
    throw_errno("cannot stat a temporary file", errno);
  }
  return st.st_size;
}

// Writes the parent directories of every name, then each file with the
// capability attribute set or removed among its other attributes,
// followed by its other names as hard links to it.
void write_layer_entries(LayerWriter& writer, const ResolvedChange& change,
                         const BuildTime& time) {
  for (const auto& [directory, image_entry] : change.directories) {
    TarEntry entry = image_entry
                         ? *image_entry
                         : TarEntry::directory(directory, 0755, time.seconds);
    entry.set_name(directory);
    writer.write_entry(entry);
  }
  for (const FileTarget& target : change.targets) {
    const PathState& state = change.states.at(target.canonical);
    TarEntry entry = state.entry;
    entry.set_name(target.canonical);
    entry.make_regular_file(content_size(*state.content));
    if (target.capabilities) {
      entry.set_xattr(std::string(capability_xattr_name),
                      encode_vfs_cap_data(*target.capabilities));
    } else {
      entry.remove_xattr(std::string(capability_xattr_name));
    }
    writer.write_file(entry, state.content->get());
    for (const std::string& name : target.hard_links) {
      TarEntry link = entry;
      link.set_name(name);
      link.make_hard_link(target.canonical);
      writer.write_entry(link);
    }
  }
}

// Returns the image's user when some file gets capabilities, for advice
// on running it.
ImageUser user_to_advise(const ResolvedChange& change,
                         const SourceImage& source, ReadObserver* observer) {
  for (const FileTarget& target : change.targets) {
    if (target.capabilities) {
      return resolve_image_user(source, observer);
    }
  }
  return {};
}

std::vector<ChangedFile> changed_files(const ResolvedChange& change,
                                       const SourceImage& source,
                                       ReadObserver* observer) {
  std::vector<ImageLayer> layers = image_layers(source);
  std::string platform = source.platform ? source.platform->string() : "";
  ImageUser user = user_to_advise(change, source, observer);
  std::vector<ChangedFile> files;
  for (const FileTarget& target : change.targets) {
    const PathState& state = change.states.at(target.canonical);
    ChangedFile file{
        .path = display_path(target.canonical),
        .capability_text = target.capabilities
                               ? format_capability_text(*target.capabilities)
                               : "",
        .source_layer = state.layer,
        .platform = platform,
        .capabilities = target.capabilities,
        .requested = target.requested,
        .link_chain = target.link_chain,
        .source_layer_digest =
            layers.at(state.layer).descriptor.digest.string(),
        .size = state.entry.size(),
        .image_user = user,
    };
    for (const std::string& name : target.hard_links) {
      file.hard_links.push_back(display_path(name));
    }
    files.push_back(std::move(file));
  }
  return files;
}

std::string history_comment() { return "ocicap " OCICAP_VERSION; }

// Turns a failed read of the user databases into a warning. Only the
// runtime advice needs them, but a layer that fails its checks there is
// damaged, and the user must hear of it.
void warn_of_user_read_error(ImageChange& change, const std::string& label) {
  if (change.files.empty() ||
      change.files.front().image_user.read_error.empty()) {
    return;
  }
  change.warnings.push_back(
      "cannot read the user's /etc/passwd or /etc/group in " + label + ": " +
      change.files.front().image_user.read_error +
      "; the runtime advice below is made without the user's IDs");
}

} // namespace

ImageChange change_image(const SourceImage& source, ImageLayout& destination,
                         const ChangeRequest& request,
                         const std::string& label, ReadObserver* observer) {
  ImageChange change{.manifest = source.manifest_descriptor};
  ResolvedChange resolved =
      resolve_change(source, request, label, observer, true, change.warnings);
  if (resolved.targets.empty()) {
    return change;
  }
  change.files = changed_files(resolved, source, observer);
  warn_of_user_read_error(change, label);

  // Write the new layer.
  BuildTime time = choose_build_time(source.config);
  media_type::Compression compression =
      choose_compression(request, source.manifest);
  std::string layer_type =
      media_type::layer_type(source.manifest.family(), compression);
  std::unique_ptr<BlobWriter> blob = destination.write_blob();
  LayerWriter writer(*blob, compression);
  write_layer_entries(writer, resolved, time);
  LayerDigests digests = writer.finish();
  Descriptor layer{.media_type = layer_type, .digest = blob->commit(),
                   .size = digests.size};

  // Write the config and manifest that add it.
  LayerAddition addition{
      .layer = layer,
      .diff_id = digests.diff_id,
      .history = {.created = time.rfc3339,
                  .created_by = request.command_line,
                  .comment = history_comment()},
  };
  ImageConfig config = append_to_config(source.config, addition, time);
  Descriptor config_descriptor = destination.put_blob(
      config.serialize(), source.manifest.config().media_type);
  Manifest manifest =
      append_to_manifest(source.manifest, config_descriptor, layer);
  change.manifest = destination.put_blob(manifest.serialize(),
                                         source.manifest_descriptor.media_type);
  change.manifest.annotations = source.manifest_descriptor.annotations;
  change.manifest.platform = source.manifest_descriptor.platform;
  return change;
}

ImageChange plan_image_change(const SourceImage& source,
                              const ChangeRequest& request,
                              const std::string& label,
                              ReadObserver* observer) {
  ImageChange change{.manifest = source.manifest_descriptor};
  ResolvedChange resolved =
      resolve_change(source, request, label, observer, false, change.warnings);
  change.files = changed_files(resolved, source, observer);
  warn_of_user_read_error(change, label);
  return change;
}

} // namespace ocicap
