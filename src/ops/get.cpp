#include "ocicap/ops.hpp"

#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"
#include "ocicap/symlink_resolver.hpp"
#include "ocicap/vfs_cap_data.hpp"
#include "opened_image.hpp"
#include "runtime_facts.hpp"

namespace ocicap {
namespace {

void add_file(GetResult& result, const std::string& path,
              const std::string& value,
              std::vector<std::string> link_chain = {}) {
  try {
    CapabilitySet set = decode_vfs_cap_data(value);
    result.files.push_back(
        {path, format_capability_text(set), set, std::move(link_chain)});
    if (set.root_id) {
      result.warnings.push_back(user_namespace_warning(path, *set.root_id));
    }
  } catch (const Error& error) {
    result.errors.push_back(with_context(path, error.what()));
  }
}

GetResult get_all(const SourceImage& source, ReadObserver* observer) {
  GetResult result;
  for (const XattrMatch& match :
       scan_xattr(source.layout, image_layers(source),
                  std::string(capability_xattr_name), observer)) {
    add_file(result, display_path(match.path), match.value);
  }
  return result;
}

// A requested path and, with --follow, what it resolves to.
struct RequestedPath {
  std::string canonical;
  std::vector<std::string> link_chain;
};

// Resolves symbolic links in each path; a path that cannot be resolved
// gets an error and is left out.
std::vector<RequestedPath> follow_links(const SourceImage& source,
                                        const std::vector<std::string>& paths,
                                        const std::string& image,
                                        ReadObserver* observer,
                                        GetResult& result) {
  SymlinkResolver links(source.layout, image_layers(source), image);
  links.set_observer(observer);
  std::vector<RequestedPath> resolved;
  for (const std::string& path : paths) {
    try {
      ResolvedPath found = links.resolve(path);
      resolved.push_back({found.path, found.followed_link()
                                          ? found.chain
                                          : std::vector<std::string>{}});
    } catch (const Error& error) {
      result.errors.push_back(error.what());
    }
  }
  return resolved;
}

void add_requested_file(GetResult& result, const PathState& state,
                        const RequestedPath& requested,
                        const std::string& image) {
  std::string shown = display_path(requested.canonical);
  if (state.status != PathState::Status::found) {
    result.errors.push_back(shown + " not found in " + image + ": " +
                            state.reason);
    return;
  }
  if (state.entry.type() == EntryType::symlink) {
    result.errors.push_back(shown + " is a symbolic link to " +
                            quote(state.entry.link_target()) +
                            "; name the target file instead, or add "
                            "--follow (-L)");
    return;
  }
  // As with getcap, a file without the attribute prints nothing.
  if (auto value = state.entry.xattr(capability_xattr_name)) {
    add_file(result, shown, *value, requested.link_chain);
  }
}

GetResult get_paths(const SourceImage& source, const GetRequest& request,
                    ReadObserver* observer) {
  GetResult result;
  std::string image = request.image.string();
  std::vector<std::string> paths;
  for (const std::string& path : request.paths) {
    paths.push_back(normalize_image_path(path));
  }
  std::vector<RequestedPath> requested;
  if (request.follow_symlinks) {
    requested = follow_links(source, paths, image, observer, result);
  } else {
    for (const std::string& path : paths) {
      requested.push_back({path, {}});
    }
  }

  std::vector<std::string> canonical;
  for (const RequestedPath& path : requested) {
    canonical.push_back(path.canonical);
  }
  PathResolver resolver(source.layout, image_layers(source), canonical);
  resolver.set_observer(observer);
  resolver.run();
  for (const RequestedPath& path : requested) {
    add_requested_file(result, resolver.state(path.canonical), path, image);
  }
  return result;
}

} // namespace

GetResult read_capabilities(const SourceImage& source,
                            const GetRequest& request,
                            ReadObserver* observer) {
  if (request.paths.empty()) {
    return get_all(source, observer);
  }
  return get_paths(source, request, observer);
}

GetResult get_capabilities(const GetRequest& request, ReadObserver* observer) {
  OpenedImage image(request.image, request.platform);
  return read_capabilities(image.source(), request, observer);
}

} // namespace ocicap
