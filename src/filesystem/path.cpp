#include "ocicap/image_path.hpp"

namespace ocicap {
namespace {

constexpr std::string_view whiteout_prefix = ".wh.";
constexpr std::string_view opaque_name = ".wh..wh..opq";
constexpr std::string_view reserved_prefix = ".wh..wh.";

} // namespace

std::string normalize_image_path(std::string_view path) {
  std::vector<std::string_view> components;
  while (!path.empty()) {
    std::size_t slash = path.find('/');
    std::string_view component = path.substr(0, slash);
    path = slash == std::string_view::npos ? "" : path.substr(slash + 1);
    if (component.empty() || component == ".") {
      continue;
    }
    if (component == "..") {
      if (!components.empty()) {
        components.pop_back();
      }
      continue;
    }
    components.push_back(component);
  }
  std::string canonical;
  for (std::string_view component : components) {
    if (!canonical.empty()) {
      canonical += '/';
    }
    canonical += component;
  }
  return canonical;
}

std::string display_path(const std::string& canonical) {
  return "/" + canonical;
}

std::vector<std::string> ancestors_of(const std::string& canonical) {
  std::vector<std::string> ancestors;
  for (std::size_t slash = canonical.find('/'); slash != std::string::npos;
       slash = canonical.find('/', slash + 1)) {
    ancestors.push_back(canonical.substr(0, slash));
  }
  return ancestors;
}

bool is_strictly_below(std::string_view path, std::string_view directory) {
  if (directory.empty()) {
    return !path.empty();
  }
  return path.size() > directory.size() + 1 && path.starts_with(directory) &&
         path[directory.size()] == '/';
}

Whiteout classify_whiteout(const std::string& canonical) {
  std::size_t slash = canonical.rfind('/');
  std::string directory =
      slash == std::string::npos ? "" : canonical.substr(0, slash);
  std::string_view base = slash == std::string::npos
                              ? std::string_view(canonical)
                              : std::string_view(canonical).substr(slash + 1);
  if (base == opaque_name) {
    return {WhiteoutKind::opaque, directory};
  }
  if (base.starts_with(reserved_prefix)) {
    return {WhiteoutKind::reserved, ""};
  }
  if (base.starts_with(whiteout_prefix) && base.size() > whiteout_prefix.size()) {
    std::string name(base.substr(whiteout_prefix.size()));
    return {WhiteoutKind::whiteout,
            directory.empty() ? name : directory + "/" + name};
  }
  return {};
}

} // namespace ocicap
