// Bottom-up scans of the merged view: every layer is read, lowest first,
// and only the entries a scan looks for are kept. Whiteouts and opaque
// markers of a layer delete what lower layers contributed. An entry of the
// layer replaces lower entries at the same path, and a non-directory also
// hides everything below its path.
#include "ocicap/merged_view.hpp"

#include "layer_label.hpp"
#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"

namespace ocicap {
namespace {

// What a scan has kept so far, merged as a runtime stacks the layers.
template <typename Match> class MergedFindings {
public:
  // Applies the entry at `path` of the current layer to the findings of
  // lower layers. Returns whether `path` names a file or directory that
  // the scan may keep, as opposed to a whiteout or a reserved name.
  bool apply(const std::string& path, EntryType type) {
    Whiteout whiteout = classify_whiteout(path);
    if (whiteout.kind == WhiteoutKind::whiteout) {
      merged_.erase(whiteout.target);
      erase_below(whiteout.target);
      return false;
    }
    if (whiteout.kind == WhiteoutKind::opaque) {
      erase_below(whiteout.target);
      return false;
    }
    if (whiteout.kind == WhiteoutKind::reserved || path.empty()) {
      return false;
    }
    merged_.erase(path);
    added_.erase(path);
    if (type != EntryType::directory) {
      erase_below(path);
    }
    return true;
  }

  // Keeps `match` for `path` of the current layer. Whiteouts of this layer
  // apply to lower layers only, so these are merged by end_layer().
  void add(const std::string& path, Match match) {
    added_.insert_or_assign(path, std::move(match));
  }

  const Match* find_added(const std::string& path) const {
    auto found = added_.find(path);
    return found == added_.end() ? nullptr : &found->second;
  }

  void end_layer() {
    for (auto& [path, match] : added_) {
      merged_.insert_or_assign(path, std::move(match));
    }
    added_.clear();
  }

  std::vector<Match> take() {
    std::vector<Match> result;
    for (auto& [path, match] : merged_) {
      result.push_back(std::move(match));
    }
    return result;
  }

private:
  void erase_below(const std::string& directory) {
    auto first = directory.empty() ? merged_.begin()
                                   : merged_.lower_bound(directory + "/");
    auto last = first;
    while (last != merged_.end() && is_strictly_below(last->first, directory)) {
      ++last;
    }
    merged_.erase(first, last);
  }

  std::map<std::string, Match> merged_;
  std::map<std::string, Match> added_;
};

using EntryVisitor = std::function<void(std::size_t layer, const TarEntry&,
                                        const std::string& path)>;

// Reads every layer bottom up, calling `visit` for each entry and
// `end_layer` after each layer.
void read_bottom_up(const ImageLayout& layout,
                    const std::vector<ImageLayer>& layers,
                    ReadObserver* observer, const EntryVisitor& visit,
                    const std::function<void()>& end_layer) {
  for (std::size_t layer = 0; layer < layers.size(); ++layer) {
    Clock::time_point start = Clock::now();
    LayerReader reader(layout, layers[layer]);
    add_context(layer_label(layers[layer].descriptor), [&] {
      while (reader.next()) {
        const TarEntry& entry = reader.entry();
        visit(layer, entry, normalize_image_path(entry.name()));
      }
      reader.finish();
    });
    end_layer();
    if (observer != nullptr) {
      observer->layer_read(layer, layers.size(), layers[layer].descriptor,
                           reader.compressed_bytes_read(),
                           seconds_since(start));
    }
  }
}

} // namespace

std::vector<XattrMatch> scan_xattr(const ImageLayout& layout,
                                   const std::vector<ImageLayer>& layers,
                                   const std::string& name,
                                   ReadObserver* observer) {
  MergedFindings<XattrMatch> findings;
  auto visit = [&](std::size_t layer, const TarEntry& entry,
                   const std::string& path) {
    if (!findings.apply(path, entry.type())) {
      return;
    }
    if (entry.type() == EntryType::hardlink) {
      std::string target = normalize_image_path(entry.link_target());
      if (const XattrMatch* source = findings.find_added(target)) {
        findings.add(path, XattrMatch{path, source->value, layer});
      }
      return;
    }
    std::optional<std::string> value = entry.xattr(name);
    if (value && entry.type() != EntryType::directory) {
      findings.add(path, XattrMatch{path, *value, layer});
    }
  };
  read_bottom_up(layout, layers, observer, visit,
                 [&] { findings.end_layer(); });
  return findings.take();
}

std::vector<PathMatch>
scan_paths(const ImageLayout& layout, const std::vector<ImageLayer>& layers,
           const std::function<bool(const std::string&)>& select,
           ReadObserver* observer) {
  MergedFindings<PathMatch> findings;
  auto visit = [&](std::size_t layer, const TarEntry& entry,
                   const std::string& path) {
    if (findings.apply(path, entry.type()) &&
        entry.type() != EntryType::directory && select(path)) {
      findings.add(path, PathMatch{path, entry.type(), entry.link_target(),
                                   layer});
    }
  };
  read_bottom_up(layout, layers, observer, visit,
                 [&] { findings.end_layer(); });
  return findings.take();
}

} // namespace ocicap
