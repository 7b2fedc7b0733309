#include "ocicap/merged_view.hpp"

#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"

#include <chrono>
#include <set>

namespace ocicap {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string layer_label(const Descriptor& descriptor) {
  return "layer " + descriptor.digest.string();
}

// What one layer says about the watched paths.
struct LayerFindings {
  std::map<std::string, TarEntry> entries;
  std::map<std::string, std::shared_ptr<FileDescriptor>> contents;
  std::set<std::string> whiteouts;
  std::set<std::string> opaque_directories;
};

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

} // namespace

PathResolver::PathResolver(const ImageLayout& layout,
                           std::vector<ImageLayer> layers,
                           std::vector<std::string> paths,
                           std::vector<std::string> content_paths)
    : layout_(layout), layers_(std::move(layers)) {
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

bool PathResolver::all_decided() const {
  for (const auto& [path, state] : states_) {
    if (state.status == PathState::Status::undecided) {
      return false;
    }
  }
  return true;
}

void PathResolver::run() {
  for (std::size_t layer = layers_.size(); layer-- > 0;) {
    if (all_decided()) {
      return;
    }
    add_context(layer_label(layers_[layer].descriptor),
                [&] { read_layer(layer); });
  }
  for (auto& [path, state] : states_) {
    if (state.status == PathState::Status::undecided) {
      state.status = PathState::Status::absent;
      state.reason = "no layer contains it";
    }
  }
}

void PathResolver::read_layer(std::size_t layer) {
  Clock::time_point start = Clock::now();
  const Descriptor& descriptor = layers_[layer].descriptor;
  LayerReader reader(layout_, layers_[layer]);
  LayerFindings findings;
  while (reader.next()) {
    std::string path = normalize_image_path(reader.entry().name());
    Whiteout whiteout = classify_whiteout(path);
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

  std::string label = layer_label(descriptor);
  bool has_hard_links = false;
  for (auto& [path, state] : states_) {
    if (state.status != PathState::Status::undecided) {
      continue;
    }
    auto found = findings.entries.find(path);
    if (found != findings.entries.end()) {
      state.status = PathState::Status::found;
      state.entry = found->second;
      state.layer = layer;
      auto content = findings.contents.find(path);
      if (content != findings.contents.end()) {
        state.content = content->second;
      }
      has_hard_links |= state.entry.type() == EntryType::hardlink;
      continue;
    }
    decide_absent_or_blocked(state, path, findings, label);
  }
  if (has_hard_links) {
    resolve_hard_links(layer);
  }
  if (observer_ != nullptr) {
    observer_->layer_read(layer, layers_.size(), descriptor,
                          reader.compressed_bytes_read(),
                          seconds_since(start));
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
      LayerReader reader(layout_, layers_[layer]);
      std::optional<TarEntry> link_source;
      std::shared_ptr<FileDescriptor> content;
      while (reader.next()) {
        if (normalize_image_path(reader.entry().name()) == path) {
          break;
        }
        if (normalize_image_path(reader.entry().name()) == target) {
          link_source = reader.entry();
          content.reset();
          if (wants_content_.contains(path) &&
              reader.entry().type() == EntryType::regular) {
            content = spool_content(reader);
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

std::vector<XattrMatch> scan_xattr(const ImageLayout& layout,
                                   const std::vector<ImageLayer>& layers,
                                   const std::string& name,
                                   ReadObserver* observer) {
  std::map<std::string, XattrMatch> merged;
  for (std::size_t layer = 0; layer < layers.size(); ++layer) {
    Clock::time_point start = Clock::now();
    std::map<std::string, XattrMatch> added;
    auto erase_below = [&merged](const std::string& directory) {
      auto first = directory.empty() ? merged.begin()
                                     : merged.lower_bound(directory + "/");
      auto last = first;
      while (last != merged.end() && is_strictly_below(last->first, directory)) {
        ++last;
      }
      merged.erase(first, last);
    };
    LayerReader reader(layout, layers[layer]);
    add_context(layer_label(layers[layer].descriptor), [&] {
      while (reader.next()) {
        const TarEntry& entry = reader.entry();
        std::string path = normalize_image_path(entry.name());
        Whiteout whiteout = classify_whiteout(path);
        if (whiteout.kind == WhiteoutKind::whiteout) {
          merged.erase(whiteout.target);
          erase_below(whiteout.target);
          continue;
        }
        if (whiteout.kind == WhiteoutKind::opaque) {
          erase_below(whiteout.target);
          continue;
        }
        if (whiteout.kind == WhiteoutKind::reserved || path.empty()) {
          continue;
        }
        // Whiteouts of this layer apply to lower layers only, so entries of
        // this layer are collected apart and merged at the end.
        merged.erase(path);
        added.erase(path);
        if (entry.type() != EntryType::directory) {
          erase_below(path);
        }
        if (entry.type() == EntryType::hardlink) {
          auto source = added.find(normalize_image_path(entry.link_target()));
          if (source != added.end()) {
            added[path] = XattrMatch{path, source->second.value, layer};
          }
          continue;
        }
        std::optional<std::string> value = entry.xattr(name);
        if (value && entry.type() != EntryType::directory) {
          added[path] = XattrMatch{path, *value, layer};
        }
      }
      reader.finish();
    });
    for (auto& [path, match] : added) {
      merged.insert_or_assign(path, std::move(match));
    }
    if (observer != nullptr) {
      observer->layer_read(layer, layers.size(), layers[layer].descriptor,
                           reader.compressed_bytes_read(),
                           seconds_since(start));
    }
  }
  std::vector<XattrMatch> result;
  for (auto& [path, match] : merged) {
    result.push_back(std::move(match));
  }
  return result;
}

} // namespace ocicap
