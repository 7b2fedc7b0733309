#include "ocicap/merged_view.hpp"

#include "layer_label.hpp"
#include "ordered_reads.hpp"
#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"

#include <algorithm>
#include <set>

namespace ocicap {

// What one layer says about the watched paths.
struct LayerFindings {
  std::map<std::string, TarEntry> entries;
  std::map<std::string, std::shared_ptr<FileDescriptor>> contents;
  std::set<std::string> whiteouts;
  std::set<std::string> opaque_directories;
  // Watched paths with some entry of the layer, a whiteout included, below
  // them, so the layer contains a directory there even without its entry.
  std::set<std::string> implied_directories;
  // Each hard-link entry's name and target, canonical.
  std::vector<std::pair<std::string, std::string>> hard_links;
  std::int64_t compressed_bytes = 0;
  double seconds = 0;
};

namespace {


std::shared_ptr<FileDescriptor> spool_content(LayerReader& reader) {
  auto content = std::make_shared<FileDescriptor>(create_spool_file());
  int fd = content->get();
  reader.read_data([fd](std::string_view data) {
    write_fully(fd, data, "a temporary file");
  });
  return content;
}

void decide_absent_or_blocked(PathState& state, const std::string& path,
                              const LayerFindings& findings,
                              const std::string& label) {
  if (findings.whiteouts.contains(path)) {
    state.status = PathState::Status::absent;
    state.reason = "deleted by a whiteout in " + label;
    return;
  }
  for (const std::string& ancestor : ancestors_of(path)) {
    if (findings.whiteouts.contains(ancestor)) {
      state.status = PathState::Status::absent;
      state.reason = "its directory " + display_path(ancestor) +
                     " was deleted by a whiteout in " + label;
      return;
    }
  }
  for (const std::string& directory : findings.opaque_directories) {
    if (is_strictly_below(path, directory)) {
      state.status = PathState::Status::absent;
      state.reason = "hidden by the opaque directory " +
                     display_path(directory) + " in " + label;
      return;
    }
  }
  for (const std::string& ancestor : ancestors_of(path)) {
    auto found = findings.entries.find(ancestor);
    if (found != findings.entries.end() &&
        found->second.type() != EntryType::directory) {
      state.status = PathState::Status::absent;
      state.blocking_ancestor = ancestor;
      state.blocking_entry = found->second;
      state.reason = display_path(ancestor) + " is a " +
                     std::string(entry_type_name(found->second.type())) +
                     " in " + label;
      return;
    }
  }
}

// Decides an implied directory that no lower layer can describe: the
// lower entry is gone or is not a directory, so the default entry stays.
void keep_implied_directory(PathState& state) {
  state.status = PathState::Status::found;
  state.reason.clear();
  state.blocking_ancestor.clear();
  state.blocking_entry.reset();
}

// Decides `state` from an entry of the layer. Below an implied directory
// only a directory entry counts, for its metadata.
void take_entry(PathState& state, const TarEntry& entry, std::size_t layer) {
  if (state.implied && entry.type() != EntryType::directory) {
    state.implied_over_non_directory = true;
    keep_implied_directory(state);
    return;
  }
  state.status = PathState::Status::found;
  state.entry = entry;
  state.layer = layer;
  state.implied = false;
}

} // namespace

PathResolver::PathResolver(const ImageLayout& layout,
                           std::vector<ImageLayer> layers,
                           std::vector<std::string> paths,
                           std::vector<std::string> content_paths)
    : layout_(layout), layers_(std::move(layers)),
      parallel_(parallel_layer_reads()) {
  // Every ancestor is watched as well: its entry gives the parent
  // directory's metadata, and a non-directory there hides the path.
  for (const std::string& path : paths) {
    states_.try_emplace(path);
    for (const std::string& ancestor : ancestors_of(path)) {
      states_.try_emplace(ancestor);
    }
  }
  for (const std::string& path : content_paths) {
    wants_content_[path] = true;
  }
}

const PathState& PathResolver::state(const std::string& path) const {
  auto found = states_.find(path);
  if (found == states_.end()) {
    throw Error("internal error: path " + display_path(path) +
                " was not requested from the resolver");
  }
  return found->second;
}

std::vector<std::string>
PathResolver::hard_link_names(const std::string& path) const {
  const PathState& found = state(path);
  auto names = link_names_.find(path);
  if (found.status != PathState::Status::found || names == link_names_.end()) {
    return {};
  }
  return names->second;
}

bool PathResolver::all_decided() const {
  for (const auto& [path, state] : states_) {
    if (state.status == PathState::Status::undecided) {
      return false;
    }
  }
  return true;
}

void PathResolver::run() {
  // Layers are read top down, several at once; their findings are applied
  // strictly top down, and reading stops once every path is decided. A
  // layer read ahead of need is dropped, whatever its outcome.
  std::size_t count = all_decided() ? 0 : layers_.size();
  std::vector<LayerFindings> findings(count);
  auto layer_at = [&](std::size_t index) { return count - 1 - index; };
  read_in_order(
      count, parallel_,
      [&](std::size_t index, const std::atomic<bool>& stop) {
        std::size_t layer = layer_at(index);
        findings[index] =
            add_context(layer_label(layers_[layer].descriptor),
                        [&] { return read_layer(layer, stop); });
      },
      [&](std::size_t index) {
        std::size_t layer = layer_at(index);
        add_context(layer_label(layers_[layer].descriptor), [&] {
          apply_layer(layer, std::move(findings[index]));
        });
        return !all_decided();
      });
  for (auto& [path, state] : states_) {
    if (state.status == PathState::Status::undecided && state.implied) {
      keep_implied_directory(state);
    } else if (state.status == PathState::Status::undecided) {
      state.status = PathState::Status::absent;
      state.reason = "no layer contains it";
    }
  }
}

LayerFindings PathResolver::read_layer(std::size_t layer,
                                       const std::atomic<bool>& stop) const {
  Clock::time_point start = Clock::now();
  LayerReader reader(layout_, layers_[layer]);
  reader.set_stop_flag(&stop);
  LayerFindings findings;
  while (reader.next()) {
    std::string path = normalize_image_path(reader.entry().name());
    Whiteout whiteout = classify_whiteout(path);
    // The ancestors are looked up in place: the layer's every entry passes
    // here, and few have an ancestor of interest.
    for (std::size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      std::string_view ancestor(path.data(), slash);
      if (states_.contains(ancestor)) {
        findings.implied_directories.emplace(ancestor);
      }
    }
    if (reader.entry().type() == EntryType::hardlink) {
      findings.hard_links.emplace_back(
          path, normalize_image_path(reader.entry().link_target()));
    }
    if (whiteout.kind == WhiteoutKind::whiteout &&
        states_.contains(whiteout.target)) {
      findings.whiteouts.insert(whiteout.target);
    } else if (whiteout.kind == WhiteoutKind::opaque &&
               (whiteout.target.empty() || states_.contains(whiteout.target))) {
      findings.opaque_directories.insert(whiteout.target);
    } else if (whiteout.kind == WhiteoutKind::none && states_.contains(path)) {
      findings.entries.insert_or_assign(path, reader.entry());
      findings.contents.erase(path);
      if (wants_content_.contains(path) &&
          reader.entry().type() == EntryType::regular) {
        findings.contents[path] = spool_content(reader);
      }
    }
  }
  reader.finish();
  findings.compressed_bytes = reader.compressed_bytes_read();
  findings.seconds = seconds_since(start);
  return findings;
}

void PathResolver::apply_layer(std::size_t layer, LayerFindings findings) {
  const Descriptor& descriptor = layers_[layer].descriptor;
  std::string label = layer_label(descriptor);
  bool has_hard_links = false;
  for (auto& [path, state] : states_) {
    if (state.status != PathState::Status::undecided) {
      continue;
    }
    auto found = findings.entries.find(path);
    if (found != findings.entries.end()) {
      take_entry(state, found->second, layer);
      auto content = findings.contents.find(path);
      if (content != findings.contents.end() && !state.implied) {
        state.content = content->second;
      }
      has_hard_links |= state.entry.type() == EntryType::hardlink;
      continue;
    }
    // An implied directory stays undecided, because a lower layer may
    // hold its entry and metadata. This layer's whiteouts apply to lower
    // layers only, so they cannot delete it.
    if (!state.implied && findings.implied_directories.contains(path)) {
      state.implied = true;
      state.entry = TarEntry::directory(path, 0755, 0);
      state.layer = layer;
    }
    decide_absent_or_blocked(state, path, findings, label);
    if (state.implied && state.status == PathState::Status::absent) {
      keep_implied_directory(state);
    }
  }
  if (!findings.hard_links.empty()) {
    keep_link_names(layer, findings.hard_links);
  }
  if (has_hard_links) {
    resolve_hard_links(layer);
  }
  if (observer_ != nullptr) {
    observer_->layer_read(layer, layers_.size(), descriptor,
                          findings.compressed_bytes, findings.seconds);
  }
}

void PathResolver::keep_link_names(
    std::size_t layer,
    const std::vector<std::pair<std::string, std::string>>& edges) {
  // The names form an undirected graph whose edges are the layer's
  // hard-link entries; a file's names are the component of its path. Only
  // the components of paths this layer decided are kept, so memory grows
  // with the names of the requested files, not with the image's links.
  for (const auto& [path, state] : states_) {
    if (state.status != PathState::Status::found || state.layer != layer ||
        state.implied) {
      continue;
    }
    std::set<std::string> names = {path};
    bool grew = true;
    while (grew) {
      grew = false;
      for (const auto& [name, target] : edges) {
        if (names.contains(name) != names.contains(target)) {
          names.insert(name);
          names.insert(target);
          grew = true;
        }
      }
    }
    names.erase(path);
    if (!names.empty()) {
      link_names_[path] = {names.begin(), names.end()};
    }
  }
}

void PathResolver::resolve_hard_links(std::size_t layer) {
  // A hard-link entry names an earlier entry of the same layer. That entry
  // (after any chain of links) holds the metadata and content of the file,
  // so the layer is read again to fetch it.
  for (auto& [path, state] : states_) {
    if (state.status != PathState::Status::found || state.layer != layer) {
      continue;
    }
    std::set<std::string> seen;
    while (state.entry.type() == EntryType::hardlink) {
      std::string target = normalize_image_path(state.entry.link_target());
      if (!seen.insert(target).second) {
        throw Error("hard link " + display_path(path) +
                    " is part of a loop of hard links");
      }
      // The hard link is the last entry named `path`, so the layer is read
      // to the end: its target is the latest entry named `target` before
      // that last one, which may come after an earlier entry named `path`.
      LayerReader reader(layout_, layers_[layer]);
      std::optional<TarEntry> link_source;
      std::shared_ptr<FileDescriptor> content;
      std::optional<TarEntry> latest_target;
      std::shared_ptr<FileDescriptor> latest_content;
      while (reader.next()) {
        std::string name = normalize_image_path(reader.entry().name());
        if (name == path) {
          link_source = latest_target;
          content = latest_content;
        } else if (name == target) {
          latest_target = reader.entry();
          latest_content.reset();
          if (wants_content_.contains(path) &&
              reader.entry().type() == EntryType::regular) {
            latest_content = spool_content(reader);
          }
        }
      }
      reader.finish();
      if (!link_source) {
        throw Error("hard link " + display_path(path) + " points to " +
                    quote(display_path(target)) +
                    ", which is not an earlier entry of the same layer");
      }
      std::string name = state.entry.name();
      state.entry = *link_source;
      state.entry.set_name(name);
      state.content = content;
    }
  }
}

} // namespace ocicap
