#include "hard_links.hpp"

#include "ocicap/image_path.hpp"

#include <set>

namespace ocicap {
namespace {

// Returns whether `name` still shows the file that `layer` provides.
bool is_visible_name(const PathState& state, std::size_t layer) {
  return state.status == PathState::Status::found && state.layer == layer &&
         state.entry.type() == EntryType::regular;
}

void merge_names_of_one_file(std::vector<FileTarget>& targets) {
  std::map<std::string, std::size_t> owner;
  std::vector<FileTarget> kept;
  for (FileTarget& target : targets) {
    auto found = owner.find(target.canonical);
    if (found != owner.end()) {
      const FileTarget& first = kept[found->second];
      check_same_change(first, target,
                        "it is another name of " +
                            display_path(first.canonical) + ", and ");
      continue;
    }
    for (const std::string& name : target.hard_links) {
      owner.try_emplace(name, kept.size());
    }
    kept.push_back(std::move(target));
  }
  targets = std::move(kept);
}

} // namespace

void add_directories(const std::string& path, const PathResolver& resolver,
                     DirectoryEntries& directories) {
  for (const std::string& ancestor : ancestors_of(path)) {
    const PathState& state = resolver.state(ancestor);
    // Where a layer implies a directory over a lower layer's symbolic link
    // or file, the new layer implies it too and writes no entry. A runtime
    // then treats the new path as it treated the old one. An entry would
    // replace the lower one, such as a link to a directory.
    if (state.implied && state.implied_over_non_directory) {
      continue;
    }
    // Another implied directory has no entry to copy; it gets the default.
    bool is_directory = state.status == PathState::Status::found &&
                        state.entry.type() == EntryType::directory &&
                        !state.implied;
    directories.try_emplace(ancestor, is_directory
                                          ? std::optional<TarEntry>(state.entry)
                                          : std::nullopt);
  }
}

void attach_hard_links(std::vector<FileTarget>& targets,
                       const PathResolver& files, const SourceImage& source,
                       ReadObserver* observer, DirectoryEntries& directories) {
  std::set<std::string> names;
  for (const FileTarget& target : targets) {
    for (std::string& name : files.hard_link_names(target.canonical)) {
      names.insert(std::move(name));
    }
  }
  if (names.empty()) {
    return;
  }
  // The names come from the layer that provides each file, so the layers
  // are read from the top again to find which names an upper layer hides.
  PathResolver others(source.layout, image_layers(source),
                      {names.begin(), names.end()});
  others.set_observer(observer);
  others.run();
  for (FileTarget& target : targets) {
    std::size_t layer = files.state(target.canonical).layer;
    for (const std::string& name : files.hard_link_names(target.canonical)) {
      if (is_visible_name(others.state(name), layer)) {
        target.hard_links.push_back(name);
        add_directories(name, others, directories);
      }
    }
  }
  merge_names_of_one_file(targets);
}

} // namespace ocicap
