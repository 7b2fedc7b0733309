#include "commands.hpp"

#include "ocicap/error.hpp"

#include <charconv>
#include <memory>

namespace ocicap::cli {
namespace {

struct SetOptions {
  ChangeOptions change;
  std::string capabilities;
  std::vector<std::string> paths;
  bool remove = false;
  std::string root_id;
  bool root_id_given = false;
};

// Returns the root ID of a --rootid value, or nullopt for no value and for
// 0, which writes revision 2, the form without a root ID. Throws
// UsageError for a value that is not a user ID. As setcap -n reads its
// value with strtol base 0, "010" is octal and "0x10" hexadecimal.
std::optional<std::uint32_t> parse_root_id(const std::string& text,
                                           bool given) {
  if (!given) {
    return std::nullopt;
  }
  std::string_view digits = text;
  int base = 10;
  if (digits.starts_with("0x") || digits.starts_with("0X")) {
    digits.remove_prefix(2);
    base = 16;
  } else if (digits.size() > 1 && digits.starts_with("0")) {
    digits.remove_prefix(1);
    base = 8;
  }
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(
      digits.data(), digits.data() + digits.size(), value, base);
  // 4294967295 is (uid_t)-1, which no user namespace maps, and
  // setcap -n 4294967295 fails on it.
  if (digits.empty() || error != std::errc() ||
      end != digits.data() + digits.size() || value == UINT32_MAX) {
    throw UsageError("invalid --rootid " + quote(text) +
                     ": expected a user ID from 0 to 4294967294");
  }
  if (value == 0) {
    return std::nullopt;
  }
  return value;
}

std::string history_command(const SetOptions& options) {
  std::string command = "ocicap set";
  if (options.remove) {
    command += " -r";
  }
  if (!options.root_id.empty()) {
    command += " --rootid " + options.root_id;
  }
  if (options.change.follow) {
    command += " --follow";
  }
  if (!options.remove) {
    command += " " + options.capabilities;
  }
  for (const std::string& path : options.paths) {
    command += " " + path;
  }
  return command;
}

int run_set(SetOptions options) {
  // setcap -r takes no capability text, so the first word is a path.
  if (options.remove) {
    options.paths.insert(options.paths.begin(), options.capabilities);
  }
  // Option values first: a bad one is a usage error, whatever follows.
  std::optional<std::uint32_t> root_id =
      parse_root_id(options.root_id, options.root_id_given);
  ChangeRequest request =
      make_change_request(options.change, history_command(options));
  std::optional<CapabilitySet> capabilities;
  if (!options.remove) {
    capabilities = parse_capability_text(options.capabilities);
    capabilities->root_id = root_id;
  }
  for (const std::string& path : options.paths) {
    request.changes.push_back({path, capabilities});
  }
  return run_change(request, options.change, "set");
}

} // namespace

Runner add_set_command(CLI::App& app) {
  auto options = std::make_shared<SetOptions>();
  CLI::App* command = app.add_subcommand(
      "set", "Set a capability set on files of an image, in one new layer "
             "(with -r, remove it, as setcap -r does)");
  command->footer("With -r: ocicap set -r [OPTIONS] IMAGE PATH...");

  add_image_argument(*command, options->change.image, "change");
  command
      ->add_option("CAPS", options->capabilities,
                   "Capability set in setcap syntax, e.g. cap_ipc_lock+eip "
                   "or IPC_LOCK+ep (the first PATH with -r)")
      ->required();
  command->add_option("PATH", options->paths,
                      "Files in the image, e.g. /usr/bin/python3.11, or "
                      "shell patterns such as '/usr/bin/python3.*'");

  command->add_flag("-r,--remove", options->remove,
                    "Remove the capabilities of each PATH instead");
  CLI::Option* root_id =
      command->add_option("--rootid", options->root_id,
                          "Write a revision 3 (user-namespaced) capability "
                          "for this root user ID, as setcap -n does; 0 "
                          "writes revision 2");
  add_change_options(*command, options->change);

  // Checked while parsing, so that a misuse is a usage error (exit 2).
  command->final_callback([options, root_id] {
    options->root_id_given = root_id->count() > 0;
    if (options->remove && options->root_id_given) {
      throw CLI::ValidationError("--rootid", "a removal (-r) writes no "
                                             "capability set");
    }
    if (!options->remove && options->paths.empty()) {
      throw CLI::RequiredError("PATH");
    }
  });
  return [options] { return run_set(*options); };
}

} // namespace ocicap::cli
