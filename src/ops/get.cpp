#include "ocicap/ops.hpp"

#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"
#include "ocicap/vfs_cap_data.hpp"
#include "workspace.hpp"

namespace ocicap {
namespace {

void add_file(GetResult& result, const std::string& path,
              const std::string& value) {
  try {
    CapabilitySet set = decode_vfs_cap_data(value);
    result.files.push_back({path, format_capability_text(set), set});
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

GetResult get_paths(const SourceImage& source,
                    const std::vector<std::string>& requested,
                    const std::string& image, ReadObserver* observer) {
  std::vector<std::string> paths;
  for (const std::string& path : requested) {
    paths.push_back(normalize_image_path(path));
  }
  PathResolver resolver(source.layout, image_layers(source), paths);
  resolver.set_observer(observer);
  resolver.run();

  GetResult result;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const PathState& state = resolver.state(paths[i]);
    std::string shown = display_path(paths[i]);
    if (state.status != PathState::Status::found) {
      result.errors.push_back(shown + " not found in " + image + ": " +
                              state.reason);
      continue;
    }
    if (state.entry.type() == EntryType::symlink) {
      result.errors.push_back(shown + " is a symbolic link to " +
                              quote(state.entry.link_target()) +
                              "; name the target file instead");
      continue;
    }
    // As with getcap, a file without the attribute prints nothing.
    if (auto value = state.entry.xattr(capability_xattr_name)) {
      add_file(result, shown, *value);
    }
  }
  return result;
}

} // namespace

GetResult get_capabilities(const GetRequest& request, ReadObserver* observer) {
  Workspace workspace(request.image);
  ImageLayout layout = ImageLayout::open(workspace.layout_path());
  std::size_t position = workspace.select(layout);
  SourceImage source = open_source_image(
      layout, layout.index().manifests()[position], request.platform,
      request.image.string());
  if (request.paths.empty()) {
    return get_all(source, observer);
  }
  return get_paths(source, request.paths, request.image.string(), observer);
}

} // namespace ocicap
