#include "commands.hpp"

#include <iostream>
#include <memory>

namespace ocicap::cli {
namespace {

struct GetOptions {
  std::string image;
  std::vector<std::string> paths;
  bool recursive = false;
  bool follow = false;
  bool json = false;
  std::string platform;
  CommonOptions common;
};

// Returns whether `path` fits a getcap line that `ocicap apply` reads back
// as the same path: one without blanks or control bytes, which would split
// the line, and without the characters that make it a pattern.
bool fits_getcap_line(std::string_view path) {
  for (char c : path) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= ' ' || byte == 0x7f) {
      return false;
    }
  }
  return path.find_first_of("*?[\\") == std::string_view::npos;
}

// Prints a line per file. A name that no getcap line can hold is left out
// and becomes an error: printed raw, a name with a newline could forge a
// line that `ocicap apply` would follow.
void print_files(const GetResult& result, std::vector<std::string>& errors) {
  for (const FileCapabilities& file : result.files) {
    if (!fits_getcap_line(file.path)) {
      errors.push_back("the file " + quote(file.path) + " has capabilities " +
                       format_getcap_text(file.capabilities) +
                       " but a name with blanks, control characters or "
                       "pattern characters (*?[\\), which a getcap line for "
                       "ocicap apply cannot hold; list it with --json");
      continue;
    }
    std::cout << file.path << ' ' << format_getcap_text(file.capabilities)
              << '\n';
  }
}

int run_get(const GetOptions& options) {
  GetRequest request{.image = parse_image_reference(options.image),
                     .paths = options.recursive ? std::vector<std::string>{}
                                                : options.paths,
                     .follow_symlinks = options.follow};
  if (!options.platform.empty()) {
    request.platform =
        check_option([&] { return parse_platform(options.platform); });
  }
  std::unique_ptr<ReadObserver> observer = make_observer(options.common);
  GetResult result = get_capabilities(request, observer.get());
  if (options.json) {
    std::cout << get_json(result, request.image.string()).dump() << '\n';
  } else {
    print_files(result, result.errors);
  }
  if (!options.common.quiet) {
    for (const std::string& warning : result.warnings) {
      print_warning(warning);
    }
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
      "get", "Print the capabilities of files in an image, as getcap -n "
             "does");
  add_image_argument(*command, options->image, "read");
  command->add_option("PATH", options->paths,
                      "Files to print; none means every file with "
                      "capabilities");
  command->add_flag("-r,--recursive", options->recursive,
                    "Print every file of the image that has capabilities");
  command->add_flag("-L,--follow", options->follow,
                    "Resolve symbolic links in each PATH inside the image's "
                    "root");
  command->add_flag("--json", options->json,
                    "Print one JSON document instead of text (fields in the "
                    "README)");
  command->add_option("--platform", options->platform,
                      "Platform to read in a multi-platform image "
                      "(OS/ARCH[/VARIANT])");
  add_common_options(*command, options->common);
  return [options] { return run_get(*options); };
}

} // namespace ocicap::cli
