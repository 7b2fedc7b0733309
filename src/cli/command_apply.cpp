#include "commands.hpp"

#include "ocicap/capability_list.hpp"
#include "ocicap/error.hpp"

namespace ocicap::cli {
namespace {

struct ApplyOptions {
  ChangeOptions change;
  std::string list;
};

int run_apply(const ApplyOptions& options) {
  ChangeRequest request =
      make_change_request(options.change, "ocicap apply " + options.list);
  if (options.list == "-" && request.image.is_stream()) {
    throw UsageError("standard input cannot hold both the image and the "
                     "capability list: give one of them as a file");
  }
  request.changes = read_capability_list(options.list);
  return run_change(request, options.change, "apply");
}

} // namespace

Runner add_apply_command(CLI::App& app) {
  auto options = std::make_shared<ApplyOptions>();
  CLI::App* command = app.add_subcommand(
      "apply", "Apply a list of capabilities in getcap's format (as ocicap "
               "get prints it) to files of an image, in one new layer");
  add_image_argument(*command, options->change.image, "change");
  command
      ->add_option("FILE", options->list,
                   "Lines such as '/usr/bin/ping cap_net_raw=ep'; # starts "
                   "a comment; - reads standard input")
      ->required();
  add_change_options(*command, options->change);
  return [options] { return run_apply(*options); };
}

} // namespace ocicap::cli
