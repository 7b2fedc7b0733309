// Bottom-up scans of the merged view. Every layer is read, several at
// once, and the layers are merged lowest first. Only the entries a scan
// looks for are kept. Whiteouts and opaque
// markers of a layer delete what lower layers contributed. An entry of the
// layer replaces lower entries at the same path, and a non-directory also
// hides everything below its path.
#include "ocicap/merged_view.hpp"

#include "layer_label.hpp"
#include "ordered_reads.hpp"
#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <unistd.h>

namespace ocicap {
namespace {

// What a scan has kept so far, merged as a runtime stacks the layers.
template <typename Match> class MergedFindings {
public:
  // Applies the entry at `path` of the current layer to the findings of
  // lower layers. Returns whether `path` names a file or directory that
  // the scan may keep, as opposed to a whiteout or a reserved name.
  bool apply(const std::string& path, EntryType type) {
    erase_implied_directories(path);
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
  // Every entry implies that its ancestors are directories, as the layer
  // needs them to hold the entry and as PathResolver decides, so a lower
  // non-directory at an ancestor is gone. Findings are all non-directories,
  // so any finding at an ancestor is erased.
  void erase_implied_directories(std::string_view path) {
    if (merged_.empty()) {
      return;
    }
    for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
         slash = path.find('/', slash + 1)) {
      auto found = merged_.find(path.substr(0, slash));
      if (found != merged_.end()) {
        merged_.erase(found);
      }
    }
  }

  void erase_below(const std::string& directory) {
    auto first = directory.empty() ? merged_.begin()
                                   : merged_.lower_bound(directory + "/");
    auto last = first;
    while (last != merged_.end() && is_strictly_below(last->first, directory)) {
      ++last;
    }
    merged_.erase(first, last);
  }

  std::map<std::string, Match, std::less<>> merged_;
  std::map<std::string, Match> added_;
};

// One entry of a layer, reduced to what the scans use.
struct ScannedEntry {
  std::string path;
  EntryType type = EntryType::regular;
  std::string link_target;
  // The value of the attribute a scan looks for, when the entry has it.
  bool has_attribute = false;
  std::string attribute;
};

// The entries of one layer, written by the thread that reads the layer and
// replayed on the thread that merges. They stay in memory while all logs
// together use less than `memory_budget`, so a small image needs no
// temporary directory. Beyond that a log moves to a temporary file, because
// a layer may have millions of entries and memory must stay bounded.
class EntryLog {
public:
  EntryLog() = default;
  EntryLog(const EntryLog&) = delete;
  EntryLog& operator=(const EntryLog&) = delete;
  ~EntryLog() { memory_in_use -= counted_; }

  void append(const ScannedEntry& entry) {
    std::size_t before = buffer_.size();
    put_number(static_cast<std::uint32_t>(entry.type));
    put_number(entry.has_attribute ? 1 : 0);
    put_text(entry.path);
    put_text(entry.link_target);
    put_text(entry.attribute);
    if (file_) {
      if (buffer_.size() >= buffer_size) {
        flush();
      }
      return;
    }
    std::size_t added = buffer_.size() - before;
    counted_ += added;
    if (memory_in_use.fetch_add(added) + added > memory_budget) {
      file_.emplace(create_spool_file());
      flush();
    }
  }

  // Calls `visit` for each entry, in the order they were appended.
  void replay(const std::function<void(const ScannedEntry&)>& visit) {
    if (file_) {
      flush();
      if (::lseek(file_->get(), 0, SEEK_SET) != 0) {
        throw_errno("cannot rewind a temporary file", errno);
      }
    }
    offset_ = 0;
    ScannedEntry entry;
    while (fetch(1)) {
      entry.type = static_cast<EntryType>(take_number());
      entry.has_attribute = take_number() != 0;
      take_text(entry.path);
      take_text(entry.link_target);
      take_text(entry.attribute);
      visit(entry);
    }
  }

private:
  static constexpr std::size_t buffer_size = 256 << 10;
  static constexpr std::size_t memory_budget = 8 << 20;
  // Bytes that all logs of the process keep in memory.
  inline static std::atomic<std::size_t> memory_in_use{0};

  void flush() {
    write_fully(file_->get(), buffer_, "a temporary file");
    buffer_.clear();
    memory_in_use -= counted_;
    counted_ = 0;
  }

  void put_number(std::uint32_t number) {
    buffer_.append(reinterpret_cast<const char*>(&number), sizeof number);
  }
  void put_text(const std::string& text) {
    put_number(static_cast<std::uint32_t>(text.size()));
    buffer_.append(text);
  }

  // Makes at least `count` unread bytes available, reading more from the
  // file if there is one; false at the end of the entries.
  bool fetch(std::size_t count) {
    if (buffer_.size() - offset_ >= count) {
      return true;
    }
    if (!file_) {
      if (offset_ < buffer_.size()) {
        throw Error("internal error: a temporary entry list is truncated");
      }
      return false;
    }
    buffer_.erase(0, offset_);
    offset_ = 0;
    std::vector<char> chunk(std::max(buffer_size, count));
    while (buffer_.size() < count) {
      std::size_t n = read_fully(file_->get(), chunk.data(), chunk.size(),
                                 "a temporary file");
      if (n == 0) {
        if (!buffer_.empty()) {
          throw Error("internal error: a temporary entry list is truncated");
        }
        return false;
      }
      buffer_.append(chunk.data(), n);
    }
    return true;
  }
  std::uint32_t take_number() {
    std::uint32_t number;
    if (!fetch(sizeof number)) {
      throw Error("internal error: a temporary entry list is truncated");
    }
    std::memcpy(&number, buffer_.data() + offset_, sizeof number);
    offset_ += sizeof number;
    return number;
  }
  void take_text(std::string& text) {
    std::uint32_t size = take_number();
    if (size > 0 && !fetch(size)) {
      throw Error("internal error: a temporary entry list is truncated");
    }
    text.assign(buffer_, offset_, size);
    offset_ += size;
  }

  std::optional<FileDescriptor> file_;
  std::string buffer_;
  std::size_t offset_ = 0;
  // The part of `buffer_` counted in `memory_in_use`.
  std::size_t counted_ = 0;
};

using EntryVisitor =
    std::function<void(std::size_t layer, const ScannedEntry& entry)>;

// Reads every layer, several at once, into entry logs, and replays the
// logs bottom up, calling `visit` for each entry and `end_layer` after
// each layer. `attribute` names the extended attribute copied into the
// entries, if any.
void read_bottom_up(const ImageLayout& layout,
                    const std::vector<ImageLayer>& layers,
                    const std::string& attribute, std::size_t parallel,
                    ReadObserver* observer, const EntryVisitor& visit,
                    const std::function<void()>& end_layer) {
  struct LayerLog {
    std::unique_ptr<EntryLog> entries;
    std::int64_t compressed_bytes = 0;
    double seconds = 0;
  };
  std::vector<LayerLog> logs(layers.size());
  read_in_order(
      layers.size(), parallel == 0 ? parallel_layer_reads() : parallel,
      [&](std::size_t layer, const std::atomic<bool>& stop) {
        Clock::time_point start = Clock::now();
        auto log = std::make_unique<EntryLog>();
        LayerReader reader(layout, layers[layer]);
        reader.set_stop_flag(&stop);
        add_context(layer_label(layers[layer].descriptor), [&] {
          ScannedEntry scanned;
          while (reader.next()) {
            const TarEntry& entry = reader.entry();
            scanned.path = normalize_image_path(entry.name());
            scanned.type = entry.type();
            scanned.link_target = entry.link_target();
            std::optional<std::string> value;
            if (!attribute.empty()) {
              value = entry.xattr(attribute);
            }
            scanned.has_attribute = value.has_value();
            scanned.attribute = value ? std::move(*value) : std::string();
            log->append(scanned);
          }
          reader.finish();
        });
        logs[layer] = {std::move(log), reader.compressed_bytes_read(),
                       seconds_since(start)};
      },
      [&](std::size_t layer) {
        logs[layer].entries->replay(
            [&](const ScannedEntry& entry) { visit(layer, entry); });
        logs[layer].entries.reset();
        end_layer();
        if (observer != nullptr) {
          observer->layer_read(layer, layers.size(),
                               layers[layer].descriptor,
                               logs[layer].compressed_bytes,
                               logs[layer].seconds);
        }
        return true;
      });
}

} // namespace

std::vector<XattrMatch> scan_xattr(const ImageLayout& layout,
                                   const std::vector<ImageLayer>& layers,
                                   const std::string& name,
                                   ReadObserver* observer,
                                   std::size_t parallel_reads) {
  MergedFindings<XattrMatch> findings;
  auto visit = [&](std::size_t layer, const ScannedEntry& entry) {
    const std::string& path = entry.path;
    if (!findings.apply(path, entry.type)) {
      return;
    }
    if (entry.type == EntryType::hardlink) {
      std::string target = normalize_image_path(entry.link_target);
      if (const XattrMatch* source = findings.find_added(target)) {
        findings.add(path, XattrMatch{path, source->value, layer});
      }
      return;
    }
    if (entry.has_attribute && entry.type != EntryType::directory) {
      findings.add(path, XattrMatch{path, entry.attribute, layer});
    }
  };
  read_bottom_up(layout, layers, name, parallel_reads, observer, visit,
                 [&] { findings.end_layer(); });
  return findings.take();
}

std::vector<PathMatch>
scan_paths(const ImageLayout& layout, const std::vector<ImageLayer>& layers,
           const std::function<bool(const std::string&)>& select,
           ReadObserver* observer, std::size_t parallel_reads) {
  MergedFindings<PathMatch> findings;
  auto visit = [&](std::size_t layer, const ScannedEntry& entry) {
    const std::string& path = entry.path;
    if (findings.apply(path, entry.type) &&
        entry.type != EntryType::directory && select(path)) {
      findings.add(path,
                   PathMatch{path, entry.type, entry.link_target, layer});
    }
  };
  read_bottom_up(layout, layers, "", parallel_reads, observer, visit,
                 [&] { findings.end_layer(); });
  return findings.take();
}

} // namespace ocicap
