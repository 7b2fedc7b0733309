#include "change_image.hpp"

#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"
#include "ocicap/layer.hpp"
#include "ocicap/mutate.hpp"
#include "ocicap/vfs_cap_data.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <sys/stat.h>

namespace ocicap {
namespace {

struct Target {
  std::string requested;
  std::string canonical;
  std::optional<CapabilitySet> capabilities;
};

// Returns one target per distinct file, sorted by path. Two changes to one
// file with different sets are rejected rather than resolved by order.
std::vector<Target> canonical_targets(const std::vector<FileChange>& changes) {
  std::vector<Target> targets;
  std::map<std::string, std::size_t> seen;
  for (const FileChange& change : changes) {
    std::string canonical = normalize_image_path(change.path);
    if (canonical.empty()) {
      throw Error("path \"" + change.path + "\" is the root directory: "
                  "capabilities apply to regular files only");
    }
    auto [position, inserted] = seen.try_emplace(canonical, targets.size());
    if (inserted) {
      targets.push_back({change.path, canonical, change.capabilities});
    } else if (targets[position->second].capabilities != change.capabilities) {
      throw Error("conflicting changes for " + display_path(canonical) +
                  ": name each file once");
    }
  }
  std::sort(targets.begin(), targets.end(),
            [](const Target& a, const Target& b) {
              return a.canonical < b.canonical;
            });
  return targets;
}

void check_target(const PathState& state, const Target& target,
                  const std::string& image) {
  std::string shown = display_path(target.canonical);
  if (state.status != PathState::Status::found) {
    if (state.blocking_entry &&
        state.blocking_entry->type() == EntryType::symlink) {
      throw Error(shown + " not found in " + image + ": its parent " +
                  display_path(state.blocking_ancestor) +
                  " is a symbolic link to " +
                  quote(state.blocking_entry->link_target()) +
                  "; name the path through the link target instead");
    }
    throw Error(shown + " not found in " + image + ": " + state.reason);
  }
  EntryType type = state.entry.type();
  if (type == EntryType::symlink) {
    throw Error(shown + " is a symbolic link to " +
                quote(state.entry.link_target()) + " in " + image +
                "; set capabilities on the target file instead, as setcap "
                "does not follow links either");
  }
  if (type != EntryType::regular) {
    throw Error(shown + " is a " + std::string(entry_type_name(type)) +
                " in " + image + ": capabilities apply to regular files only");
  }
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

// Writes the parent directories of every target, then the targets, each
// with the capability attribute set or removed among its other attributes.
void write_layer_entries(LayerWriter& writer, const PathResolver& resolver,
                         const std::vector<Target>& targets,
                         const BuildTime& time) {
  std::set<std::string> directories;
  for (const Target& target : targets) {
    for (const std::string& ancestor : ancestors_of(target.canonical)) {
      directories.insert(ancestor);
    }
  }
  for (const std::string& directory : directories) {
    const PathState& state = resolver.state(directory);
    bool is_image_directory = state.status == PathState::Status::found &&
                              state.entry.type() == EntryType::directory;
    TarEntry entry = is_image_directory
                         ? state.entry
                         : TarEntry::directory(directory, 0755, time.seconds);
    entry.set_name(directory);
    writer.write_entry(entry);
  }
  for (const Target& target : targets) {
    const PathState& state = resolver.state(target.canonical);
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
  }
}

// Drops removals of files that have no capabilities, with a warning each.
std::vector<Target> drop_unchanged(const std::vector<Target>& targets,
                                   const PathResolver& resolver,
                                   const std::string& label,
                                   std::vector<std::string>& warnings) {
  std::vector<Target> kept;
  for (const Target& target : targets) {
    const PathState& state = resolver.state(target.canonical);
    if (!target.capabilities &&
        !state.entry.xattr(capability_xattr_name)) {
      warnings.push_back(display_path(target.canonical) + " in " + label +
                         " has no capabilities; left unchanged");
      continue;
    }
    kept.push_back(target);
  }
  return kept;
}

std::string history_comment() { return "ocicap " OCICAP_VERSION; }

} // namespace

ImageChange change_image(const SourceImage& source, ImageLayout& destination,
                         const ChangeRequest& request,
                         const std::string& label, ReadObserver* observer) {
  std::vector<Target> targets = canonical_targets(request.changes);

  // Find every target in the merged view and keep its content.
  std::vector<std::string> paths;
  for (const Target& target : targets) {
    paths.push_back(target.canonical);
  }
  PathResolver resolver(source.layout, image_layers(source), paths, paths);
  resolver.set_observer(observer);
  resolver.run();
  for (const Target& target : targets) {
    check_target(resolver.state(target.canonical), target, label);
  }
  ImageChange change{.manifest = source.manifest_descriptor};
  targets = drop_unchanged(targets, resolver, label, change.warnings);
  if (targets.empty()) {
    return change;
  }

  // Write the new layer.
  BuildTime time = choose_build_time(source.config);
  media_type::Compression compression =
      choose_compression(request, source.manifest);
  std::string layer_type =
      media_type::layer_type(source.manifest.family(), compression);
  std::unique_ptr<BlobWriter> blob = destination.write_blob();
  LayerWriter writer(*blob, compression);
  write_layer_entries(writer, resolver, targets, time);
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

  std::string platform = source.platform ? source.platform->string() : "";
  for (const Target& target : targets) {
    change.files.push_back(
        {display_path(target.canonical),
         target.capabilities ? format_capability_text(*target.capabilities)
                             : "",
         resolver.state(target.canonical).layer, platform});
  }
  return change;
}

} // namespace ocicap
