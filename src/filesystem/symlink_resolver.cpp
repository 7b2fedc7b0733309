#include "ocicap/symlink_resolver.hpp"

#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"

#include <set>

namespace ocicap {
namespace {

// MAXSYMLINKS in Linux include/linux/namei.h.
constexpr int max_links = 40;

std::deque<std::string> split_components(std::string_view path) {
  std::deque<std::string> components;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    if (!component.empty()) {
      components.emplace_back(component);
    }
    path = slash == std::string_view::npos ? "" : path.substr(slash + 1);
  }
  return components;
}

std::string join_path(const std::string& directory,
                      const std::string& name) {
  return directory.empty() ? name : directory + "/" + name;
}

std::string parent_of(const std::string& canonical) {
  std::size_t slash = canonical.rfind('/');
  return slash == std::string::npos ? "" : canonical.substr(0, slash);
}

// Returns the display form of the path the walk is resolving: the
// resolved prefix and the components still to walk.
std::string current_path(const std::string& prefix,
                         const std::deque<std::string>& rest) {
  std::string path = prefix;
  for (const std::string& component : rest) {
    path = join_path(path, component);
  }
  return display_path(normalize_image_path(path));
}

std::string rest_key(const std::string& link,
                     const std::deque<std::string>& rest) {
  std::string key = link;
  for (const std::string& component : rest) {
    key += '/' + component;
  }
  return key;
}

} // namespace

std::string format_link_chain(const std::vector<std::string>& chain) {
  std::string text;
  for (const std::string& step : chain) {
    text += (text.empty() ? "" : " -> ") + step;
  }
  return text;
}

SymlinkResolver::SymlinkResolver(const ImageLayout& layout,
                                 std::vector<ImageLayer> layers,
                                 std::string image)
    : layout_(layout), layers_(std::move(layers)), image_(std::move(image)) {}

const PathState& SymlinkResolver::lookup(const std::string& path,
                                         const std::deque<std::string>& rest) {
  if (auto cached = cache_.find(path); cached != cache_.end()) {
    return cached->second;
  }
  // Ask for the plain components that follow as well: one read of the
  // layers then decides them and every ancestor.
  std::string query = path;
  for (const std::string& component : rest) {
    if (component == "." || component == "..") {
      break;
    }
    query = join_path(query, component);
  }
  PathResolver resolver(layout_, layers_, {query});
  resolver.set_observer(observer_);
  resolver.run();
  cache_.try_emplace(query, resolver.state(query));
  for (const std::string& ancestor : ancestors_of(query)) {
    cache_.try_emplace(ancestor, resolver.state(ancestor));
  }
  return cache_.at(path);
}

void SymlinkResolver::fail(const std::vector<std::string>& chain,
                           const std::string& cause) const {
  throw Error("resolving " + chain.front() + " in " + image_ + ": " + cause);
}

ResolvedPath SymlinkResolver::resolve(const std::string& path) {
  ResolvedPath result{.path = "", .chain = {display_path(path)}};
  std::deque<std::string> rest = split_components(path);
  std::set<std::string> followed;
  int links = 0;
  while (!rest.empty()) {
    std::string component = std::move(rest.front());
    rest.pop_front();
    if (component == ".") {
      continue;
    }
    if (component == "..") {
      result.path = parent_of(result.path);
      continue;
    }
    std::string candidate = join_path(result.path, component);
    const PathState& state = lookup(candidate, rest);
    if (state.status != PathState::Status::found) {
      fail(result.chain,
           (result.followed_link() ? "dangling symbolic link " +
                                         format_link_chain(result.chain) +
                                         ": "
                                   : std::string()) +
               display_path(candidate) + " not found (" + state.reason + ")");
    }
    EntryType type = state.entry.type();
    if (type == EntryType::symlink) {
      // The chain already ends with the path that repeats.
      if (!followed.insert(rest_key(candidate, rest)).second) {
        fail(result.chain, "symbolic links form a loop: " +
                               format_link_chain(result.chain));
      }
      if (++links > max_links) {
        fail(result.chain, "more than " + std::to_string(max_links) +
                               " symbolic links: " +
                               format_link_chain(result.chain));
      }
      std::string target = state.entry.link_target();
      std::deque<std::string> expanded = split_components(target);
      rest.insert(rest.begin(), expanded.begin(), expanded.end());
      if (target.starts_with('/')) {
        result.path.clear();
      }
      result.chain.push_back(current_path(result.path, rest));
      continue;
    }
    if (type != EntryType::directory && !rest.empty()) {
      fail(result.chain, display_path(candidate) + " is a " +
                             std::string(entry_type_name(type)) +
                             ", not a directory (" +
                             format_link_chain(result.chain) + ")");
    }
    result.path = candidate;
  }
  return result;
}

} // namespace ocicap
