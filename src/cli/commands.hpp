// Subcommands of the ocicap command line. Each registers its options on the
// CLI11 app and returns the exit code from its run function.
#pragma once

#include "ocicap/error.hpp"
#include "ocicap/json_value.hpp"
#include "ocicap/merged_view.hpp"
#include "ocicap/ops.hpp"
#include "ocicap/runtime_advice.hpp"

#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace ocicap::cli {

// Exit codes: 0 success, 1 failure, 2 usage error.
inline constexpr int exit_success = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// An invalid option value: printed like any error, with exit code 2.
class UsageError : public Error {
public:
  using Error::Error;
};

// Runs `body`, which checks an option value, and turns an Error it throws
// into a UsageError.
template <typename Body> auto check_option(Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const UsageError&) {
    throw;
  } catch (const Error& error) {
    throw UsageError(error.what());
  }
}

// Options every subcommand shares.
struct CommonOptions {
  bool verbose = false;
  bool quiet = false;
  // Applied by run() for every command, through set_diff_id_check().
  bool verify_diff_ids = false;
};

void add_common_options(CLI::App& command, CommonOptions& options);

// Adds the required IMAGE argument; `purpose` is "change" or "read".
void add_image_argument(CLI::App& command, std::string& image,
                        const std::string& purpose);

// Prints one line per layer read to stderr when verbose, and a total of
// the layers, bytes and wall-clock seconds of reading when destroyed.
class VerboseObserver : public ReadObserver {
public:
  ~VerboseObserver() override;
  void layer_read(std::size_t layer, std::size_t layer_count,
                  const Descriptor& descriptor, std::int64_t compressed_bytes,
                  double seconds) override;

private:
  std::size_t layers_read_ = 0;
  std::int64_t bytes_read_ = 0;
  std::chrono::steady_clock::time_point first_start_;
  std::chrono::steady_clock::time_point last_end_;
};

// Returns a VerboseObserver when `options` ask for one, else null.
std::unique_ptr<ReadObserver> make_observer(const CommonOptions& options);

// Options of the commands that write a new layer: set, rm and apply.
struct ChangeOptions {
  std::string image;
  std::string output;
  std::string tag;
  std::vector<std::string> platforms;
  std::string compression;
  std::string attestations = "keep";
  bool follow = false;
  bool dry_run = false;
  bool json = false;
  CommonOptions common;
};

void add_change_options(CLI::App& command, ChangeOptions& options);

// Returns a request for `options` with no changes yet; `command_line` goes
// into the history entry of the new layer.
ChangeRequest make_change_request(const ChangeOptions& options,
                                  std::string command_line);

// Applies or, with --dry-run, plans `request`, then prints the result and
// the runtime advice. `command` names the subcommand in JSON output.
int run_change(const ChangeRequest& request, const ChangeOptions& options,
               const std::string& command);

// Prints warnings (unless quiet), one line per file changed, then the new
// digest.
void print_change_result(const ChangeResult& result,
                         const CommonOptions& options);

// Prints what a dry run would change, then a total.
void print_change_plan(const ChangeResult& result,
                       const CommonOptions& options);

// Returns the text after a changed file's path: its capabilities, or
// "removed", then the links followed, hard links and platform.
std::string describe_changed_file(const ChangedFile& file);

// Prints advice after a change: each item and the Kubernetes snippet, as
// "ocicap: runtime: " lines on stderr.
void print_advice_after_change(const RuntimeAdvice& advice);

// Prints the report of `ocicap explain` for `image` to stdout.
void print_explanation(const RuntimeAdvice& advice, const std::string& image);

// JSON documents of --json, with the field names the README documents.
JsonValue change_json(const ChangeResult& result, const std::string& command,
                      const std::string& image, bool dry_run,
                      const RuntimeAdvice& advice);
JsonValue get_json(const GetResult& result, const std::string& image);
JsonValue explain_json(const RuntimeAdvice& advice, const std::string& image);

// Prints "ocicap: error: MESSAGE" to stderr.
void print_error(const std::string& message);
void print_warning(const std::string& message);

using Runner = std::function<int()>;

Runner add_set_command(CLI::App& app);
Runner add_rm_command(CLI::App& app);
Runner add_apply_command(CLI::App& app);
Runner add_get_command(CLI::App& app);
Runner add_explain_command(CLI::App& app);

} // namespace ocicap::cli
