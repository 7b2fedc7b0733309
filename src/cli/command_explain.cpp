#include "commands.hpp"

#include <iostream>
#include <memory>

namespace ocicap::cli {
namespace {

struct ExplainOptions {
  std::string image;
  std::string platform;
  bool json = false;
  CommonOptions common;
};

int run_explain(const ExplainOptions& options) {
  ExplainRequest request{.image = parse_image_reference(options.image)};
  if (!options.platform.empty()) {
    request.platform =
        check_option([&] { return parse_platform(options.platform); });
  }
  std::unique_ptr<ReadObserver> observer = make_observer(options.common);
  RuntimeAdvice advice = explain_image(request, observer.get());
  if (options.json) {
    std::cout << explain_json(advice, request.image.string()).dump() << '\n';
  } else {
    print_explanation(advice, request.image.string());
  }
  return exit_success;
}

} // namespace

Runner add_explain_command(CLI::App& app) {
  auto options = std::make_shared<ExplainOptions>();
  CLI::App* command = app.add_subcommand(
      "explain", "Print what a container runtime must allow for the file "
                 "capabilities of an image to take effect");
  add_image_argument(*command, options->image, "read");
  command->add_option("--platform", options->platform,
                      "Platform to read in a multi-platform image "
                      "(OS/ARCH[/VARIANT])");
  command->add_flag("--json", options->json,
                    "Print one JSON document instead of text (fields in the "
                    "README)");
  add_common_options(*command, options->common);
  return [options] { return run_explain(*options); };
}

} // namespace ocicap::cli
