#include "commands.hpp"

namespace ocicap::cli {
namespace {

struct RemoveOptions {
  ChangeOptions change;
  std::vector<std::string> paths;
};

int run_remove(const RemoveOptions& options) {
  std::string command_line = "ocicap rm";
  for (const std::string& path : options.paths) {
    command_line += " " + path;
  }
  ChangeRequest request = make_change_request(options.change, command_line);
  for (const std::string& path : options.paths) {
    request.changes.push_back({path, std::nullopt});
  }
  return run_change(request, options.change, "rm");
}

} // namespace

Runner add_rm_command(CLI::App& app) {
  auto options = std::make_shared<RemoveOptions>();
  CLI::App* command = app.add_subcommand(
      "rm", "Remove the capabilities of files of an image, in one new "
            "layer; files without capabilities are left alone");
  add_image_argument(*command, options->change.image, "change");
  command
      ->add_option("PATH", options->paths,
                   "Files in the image, or shell patterns such as "
                   "'/usr/bin/python3.*'")
      ->required();
  add_change_options(*command, options->change);
  return [options] { return run_remove(*options); };
}

} // namespace ocicap::cli
