// Subcommands of the ocicap command line. Each registers its options on the
// CLI11 app and returns the exit code from its run function.
#pragma once

#include "ocicap/merged_view.hpp"
#include "ocicap/ops.hpp"

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

namespace ocicap::cli {

// Exit codes: 0 success, 1 failure, 2 usage error.
inline constexpr int exit_success = 0;
inline constexpr int exit_failure = 1;
inline constexpr int exit_usage = 2;

// Options every subcommand shares.
struct CommonOptions {
  bool verbose = false;
  bool quiet = false;
};

void add_common_options(CLI::App& command, CommonOptions& options);

// Prints one line per layer read to stderr when verbose, and a total of
// the layers, bytes and seconds when destroyed.
class VerboseObserver : public ReadObserver {
public:
  ~VerboseObserver() override;
  void layer_read(std::size_t layer, std::size_t layer_count,
                  const Descriptor& descriptor, std::int64_t compressed_bytes,
                  double seconds) override;

private:
  std::size_t layers_read_ = 0;
  std::int64_t bytes_read_ = 0;
  double seconds_ = 0;
};

// Prints warnings (unless quiet), one line per file changed, then the new
// digest.
void print_change_result(const ChangeResult& result,
                         const CommonOptions& options);

// Prints "ocicap: error: MESSAGE" to stderr.
void print_error(const std::string& message);
void print_warning(const std::string& message);

using Runner = std::function<int()>;

Runner add_set_command(CLI::App& app);
Runner add_get_command(CLI::App& app);

} // namespace ocicap::cli
