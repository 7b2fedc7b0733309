#include "commands.hpp"

#include "ocicap/ops.hpp"

#include <iostream>
#include <memory>

namespace ocicap::cli {
namespace {

struct SetOptions {
  std::string image;
  std::string capabilities;
  std::vector<std::string> paths;
  std::string output;
  std::string tag;
  CommonOptions common;
};

std::string history_command(const SetOptions& options) {
  std::string command = "ocicap set " + options.capabilities;
  for (const std::string& path : options.paths) {
    command += " " + path;
  }
  return command;
}

int run_set(const SetOptions& options) {
  SetRequest request{
      .image = parse_image_reference(options.image),
      .capability_text = options.capabilities,
      .capabilities = parse_capability_text(options.capabilities),
      .paths = options.paths,
      .command_line = history_command(options),
  };
  if (!options.output.empty()) {
    request.output = parse_image_reference(options.output);
  }
  if (!options.tag.empty()) {
    request.tag = options.tag;
  }
  std::unique_ptr<VerboseObserver> observer;
  if (options.common.verbose) {
    observer = std::make_unique<VerboseObserver>();
  }
  SetResult result = set_capabilities(request, observer.get());
  for (const ChangedFile& file : result.files) {
    std::cout << file.path << ' ' << file.capability_text << '\n';
  }
  std::cout << result.manifest.digest.string() << '\n';
  return exit_success;
}

} // namespace

Runner add_set_command(CLI::App& app) {
  auto options = std::make_shared<SetOptions>();
  CLI::App* command = app.add_subcommand(
      "set", "Set a capability set on files of an image, in one new layer");
  command->add_option("IMAGE", options->image,
                      "Image to change: oci:DIR[:REF]")
      ->required();
  command->add_option("CAPS", options->capabilities,
                      "Capability set in setcap syntax, e.g. cap_ipc_lock+eip")
      ->required();
  command->add_option("PATH", options->paths,
                      "Files in the image, e.g. /usr/bin/python3.11")
      ->required();
  command->add_option("-o,--output", options->output,
                      "Write the result to this image (oci:DIR[:REF]) and "
                      "leave IMAGE untouched");
  command->add_option("-t,--tag", options->tag,
                      "Give the result this ref and leave IMAGE's ref on the "
                      "old image");
  add_common_options(*command, options->common);
  return [options] { return run_set(*options); };
}

} // namespace ocicap::cli
