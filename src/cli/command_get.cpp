#include "commands.hpp"

#include "ocicap/ops.hpp"

#include <iostream>
#include <memory>

namespace ocicap::cli {
namespace {

struct GetOptions {
  std::string image;
  std::vector<std::string> paths;
  bool recursive = false;
  std::string platform;
  CommonOptions common;
};

int run_get(const GetOptions& options) {
  GetRequest request{.image = parse_image_reference(options.image),
                     .paths = options.recursive ? std::vector<std::string>{}
                                                : options.paths};
  if (!options.platform.empty()) {
    request.platform = parse_platform(options.platform);
  }
  std::unique_ptr<VerboseObserver> observer;
  if (options.common.verbose) {
    observer = std::make_unique<VerboseObserver>();
  }
  GetResult result = get_capabilities(request, observer.get());
  for (const FileCapabilities& file : result.files) {
    std::cout << file.path << ' ' << file.capability_text << '\n';
  }
  for (const std::string& error : result.errors) {
    print_error(error);
  }
  return result.errors.empty() ? exit_success : exit_failure;
}

} // namespace

Runner add_get_command(CLI::App& app) {
  auto options = std::make_shared<GetOptions>();
  CLI::App* command = app.add_subcommand(
      "get", "Print the capabilities of files in an image, as getcap does");
  command->add_option("IMAGE", options->image,
                      "Image to read: oci:DIR[:REF]")
      ->required();
  command->add_option("PATH", options->paths,
                      "Files to print; none means every file with "
                      "capabilities");
  command->add_flag("-r,--recursive", options->recursive,
                    "Print every file of the image that has capabilities");
  command->add_option("--platform", options->platform,
                      "Platform to read in a multi-platform image "
                      "(OS/ARCH[/VARIANT])");
  add_common_options(*command, options->common);
  return [options] { return run_get(*options); };
}

} // namespace ocicap::cli
