// ocicap: set and read Linux file capabilities in container images.

#include "commands.hpp"
#include "progress.hpp"

#include "ocicap/capability_set.hpp"
#include "ocicap/digest.hpp"
#include "ocicap/error.hpp"
#include "ocicap/interrupt.hpp"
#include "ocicap/layer.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>

namespace ocicap::cli {

void add_common_options(CLI::App& command, CommonOptions& options) {
  command.add_flag("-v,--verbose", options.verbose,
                   "Print a line per layer read: bytes and seconds");
  command.add_flag("-q,--quiet", options.quiet, "Print no warnings");
  command.add_flag("--verify-diff-ids", options.verify_diff_ids,
                   "Also check each layer read against the config's diff "
                   "ID (a second sha256, over the uncompressed layer)");
}

void VerboseObserver::layer_read(std::size_t layer, std::size_t layer_count,
                                 const Descriptor& descriptor,
                                 std::int64_t compressed_bytes,
                                 double seconds) {
  clear_terminal_progress();
  std::fprintf(stderr,
               "ocicap: read layer %zu/%zu %s: %lld bytes in %.3f s\n",
               layer + 1, layer_count, descriptor.digest.string().c_str(),
               static_cast<long long>(compressed_bytes), seconds);
  // Layers are read several at once and their times overlap. The total
  // is therefore the span from the earliest start to the latest report.
  using Clock = std::chrono::steady_clock;
  Clock::time_point now = Clock::now();
  Clock::time_point start =
      now - std::chrono::duration_cast<Clock::duration>(
                std::chrono::duration<double>(seconds));
  if (layers_read_ == 0 || start < first_start_) {
    first_start_ = start;
  }
  last_end_ = now;
  layers_read_ += 1;
  bytes_read_ += compressed_bytes;
}

VerboseObserver::~VerboseObserver() {
  if (layers_read_ == 0) {
    return;
  }
  double seconds =
      std::chrono::duration<double>(last_end_ - first_start_).count();
  std::fprintf(stderr,
               "ocicap: read %zu layer%s: %lld bytes in %.3f s (%.1f MiB/s)\n",
               layers_read_, layers_read_ == 1 ? "" : "s",
               static_cast<long long>(bytes_read_), seconds,
               seconds > 0 ? bytes_read_ / seconds / (1024.0 * 1024.0) : 0);
}

void print_error(const std::string& message) {
  clear_terminal_progress();
  std::cerr << "ocicap: error: " << message << '\n';
}

void print_warning(const std::string& message) {
  clear_terminal_progress();
  std::cerr << "ocicap: warning: " << message << '\n';
}

namespace {

std::string version_text() {
  return std::string("ocicap ") + OCICAP_VERSION + "\n" +
         libarchive_version() + "\nlibcap " + libcap_version() + "\n" +
         openssl_version();
}

} // namespace

int run(int argc, char** argv) {
  // A reader of standard output that exits early, such as a failed
  // docker load, makes writes fail with EPIPE instead of killing the
  // process, so that the workspace in $TMPDIR is removed.
  std::signal(SIGPIPE, SIG_IGN);
  // Likewise a file size limit (ulimit -f): writes past it fail with
  // EFBIG, and the run takes back what it wrote to standard output.
  std::signal(SIGXFSZ, SIG_IGN);
  remove_temporary_directories_on_interrupt();
  CLI::App app{"Set and read Linux file capabilities (the security.capability "
               "extended attribute) in OCI container images, without root, "
               "a container runtime or a rebuild.",
               "ocicap"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);

  Runner set = add_set_command(app);
  Runner remove = add_rm_command(app);
  Runner apply = add_apply_command(app);
  Runner get = add_get_command(app);
  Runner explain = add_explain_command(app);

  // CLI11 reports a mistyped command as a missing one, so an unknown first
  // word is caught here.
  if (argc > 1 && argv[1][0] != '-') {
    try {
      app.get_subcommand(argv[1]);
    } catch (const CLI::OptionNotFound&) {
      print_error("unknown command " + quote(argv[1]) +
                  ": the commands are set, rm, apply, get and explain (run "
                  "'ocicap --help' for usage)");
      return exit_usage;
    }
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {
      return app.exit(error);
    }
    print_error(std::string(error.what()) +
                " (run 'ocicap --help' for usage)");
    return exit_usage;
  }

  // Progress of long reads goes to a terminal only, and not with --quiet.
  const CLI::App* command = app.get_subcommands().front();
  const CLI::Option* quiet = command->get_option_no_throw("--quiet");
  std::unique_ptr<TerminalProgress> progress =
      start_terminal_progress(quiet != nullptr && quiet->count() > 0);
  const CLI::Option* verify =
      command->get_option_no_throw("--verify-diff-ids");
  set_diff_id_check(verify != nullptr && verify->count() > 0 &&
                    verify->as<bool>());

  try {
    if (app.got_subcommand("set")) {
      return set();
    }
    if (app.got_subcommand("rm")) {
      return remove();
    }
    if (app.got_subcommand("apply")) {
      return apply();
    }
    if (app.got_subcommand("explain")) {
      return explain();
    }
    return get();
  } catch (const UsageError& error) {
    print_error(error.what());
    return exit_usage;
  } catch (const Error& error) {
    print_error(error.what());
  } catch (const std::bad_alloc&) {
    print_error("out of memory");
  } catch (const std::exception& error) {
    print_error(std::string("unexpected failure: ") + error.what());
  }
  return exit_failure;
}

} // namespace ocicap::cli

int main(int argc, char** argv) { return ocicap::cli::run(argc, argv); }
