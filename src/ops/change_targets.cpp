#include "change_targets.hpp"

#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"
#include "ocicap/symlink_resolver.hpp"

#include <fnmatch.h>
#include <map>

namespace ocicap {
namespace {

// Shell globbing: a wildcard matches no "/" and no leading "." of a name.
constexpr int match_flags = FNM_PATHNAME | FNM_PERIOD;

bool matches(const std::string& pattern, const std::string& path) {
  return ::fnmatch(pattern.c_str(), path.c_str(), match_flags) == 0;
}

std::string describe_change(const std::optional<CapabilitySet>& change) {
  return change ? format_getcap_text(*change) : "removal";
}

class TargetSelector {
public:
  TargetSelector(const SourceImage& source, const ChangeRequest& request,
                 const std::string& label, ReadObserver* observer,
                 std::vector<std::string>& warnings)
      : source_(source), request_(request), label_(label),
        observer_(observer), warnings_(warnings),
        links_(source.layout, image_layers(source), label) {
    links_.set_observer(observer);
  }

  std::vector<FileTarget> select() {
    std::vector<PathMatch> matches = scan_patterns();
    for (const FileChange& change : request_.changes) {
      add_context(change.origin, [&] {
        if (is_pattern(change.path)) {
          add_pattern_matches(change, matches);
        } else {
          add_literal(change);
        }
      });
    }
    std::vector<FileTarget> targets;
    for (auto& [path, target] : by_path_) {
      targets.push_back(std::move(target));
    }
    return targets;
  }

private:
  // Reads the merged view once for all patterns, keeping what any matches.
  std::vector<PathMatch> scan_patterns() {
    std::vector<std::string> patterns;
    for (const FileChange& change : request_.changes) {
      if (is_pattern(change.path)) {
        patterns.push_back(normalize_image_path(change.path));
      }
    }
    if (patterns.empty()) {
      return {};
    }
    return scan_paths(
        source_.layout, image_layers(source_),
        [&patterns](const std::string& path) {
          for (const std::string& pattern : patterns) {
            if (matches(pattern, path)) {
              return true;
            }
          }
          return false;
        },
        observer_);
  }

  void add_literal(const FileChange& change) {
    std::string canonical = normalize_image_path(change.path);
    if (canonical.empty()) {
      throw Error("path \"" + change.path + "\" is the root directory: "
                  "capabilities apply to regular files only");
    }
    // A trailing "/" or "/." names a directory, so setcap fails on such
    // a path with ENOTDIR even when the name is a regular file.
    if (change.path.ends_with("/") || change.path.ends_with("/.")) {
      throw Error("path " + quote(change.path) + " ends with \"" +
                  change.path.substr(change.path.rfind('/')) +
                  "\", which names a directory: capabilities apply to "
                  "regular files only, so name the file as " +
                  display_path(canonical));
    }
    add(resolve(change, canonical));
  }

  void add_pattern_matches(const FileChange& change,
                           const std::vector<PathMatch>& matches) {
    std::string pattern = normalize_image_path(change.path);
    std::vector<std::string> skipped_links;
    std::size_t added = 0;
    for (const PathMatch& match : matches) {
      if (!ocicap::matches(pattern, match.path)) {
        continue;
      }
      if (match.type == EntryType::symlink && !request_.follow_symlinks) {
        skipped_links.push_back(display_path(match.path));
        warnings_.push_back(
            display_path(match.path) + " matches " + quote(change.path) +
            " but is a symbolic link to " + quote(match.link_target) +
            " in " + label_ + "; skipped (add --follow to include its "
            "target)");
        continue;
      }
      if (match.type == EntryType::regular ||
          match.type == EntryType::hardlink ||
          match.type == EntryType::symlink) {
        add(resolve(change, match.path));
        ++added;
      }
    }
    if (added == 0) {
      throw Error("pattern " + quote(change.path) + " matches no regular "
                  "file in " + label_ +
                  (skipped_links.empty()
                       ? std::string("; patterns are matched as by the "
                                     "shell, e.g. /usr/bin/python3.*")
                       : ", only symbolic links; add --follow to include "
                         "their targets"));
    }
  }

  FileTarget resolve(const FileChange& change, const std::string& canonical) {
    FileTarget target{.requested = change.path,
                      .canonical = canonical,
                      .capabilities = change.capabilities,
                      .origin = change.origin};
    if (!request_.follow_symlinks) {
      return target;
    }
    ResolvedPath resolved = links_.resolve(canonical);
    if (resolved.path.empty()) {
      throw Error("resolving " + display_path(canonical) + " in " + label_ +
                  ": " + format_link_chain(resolved.chain) +
                  " is the root directory: capabilities apply to regular "
                  "files only");
    }
    target.canonical = resolved.path;
    if (resolved.followed_link()) {
      target.link_chain = resolved.chain;
    }
    return target;
  }

  void add(FileTarget target) {
    auto [position, inserted] = by_path_.try_emplace(target.canonical, target);
    if (!inserted) {
      check_same_change(position->second, target, "");
    }
  }

  const SourceImage& source_;
  const ChangeRequest& request_;
  const std::string& label_;
  ReadObserver* observer_;
  std::vector<std::string>& warnings_;
  SymlinkResolver links_;
  std::map<std::string, FileTarget> by_path_;
};

} // namespace

bool is_pattern(std::string_view path) {
  return path.find_first_of("*?[\\") != std::string_view::npos;
}

std::vector<FileTarget> select_targets(const SourceImage& source,
                                       const ChangeRequest& request,
                                       const std::string& label,
                                       ReadObserver* observer,
                                       std::vector<std::string>& warnings) {
  TargetSelector selector(source, request, label, observer, warnings);
  return selector.select();
}

void check_same_change(const FileTarget& kept, const FileTarget& other,
                       const std::string& how_related) {
  if (kept.capabilities == other.capabilities) {
    return;
  }
  std::string shown = display_path(other.canonical);
  bool same_spelling = kept.link_chain.empty() && other.link_chain.empty() &&
                       !is_pattern(kept.requested) &&
                       !is_pattern(other.requested);
  if (how_related.empty() && same_spelling) {
    throw Error("conflicting changes for " + shown + ": name each file once");
  }
  throw Error("conflicting changes for " + shown + ": " + how_related +
              quote(kept.requested) + " asks for " +
              describe_change(kept.capabilities) + " and " +
              quote(other.requested) + " for " +
              describe_change(other.capabilities) +
              "; a file has one capability set, so name it once");
}

} // namespace ocicap
