// ocicap: set and read Linux file capabilities in container images.

#include "commands.hpp"

#include "ocicap/capability_set.hpp"
#include "ocicap/digest.hpp"
#include "ocicap/error.hpp"
#include "ocicap/layer.hpp"

#include <cstdio>
#include <iostream>

namespace ocicap::cli {

void add_common_options(CLI::App& command, CommonOptions& options) {
  command.add_flag("-v,--verbose", options.verbose,
                   "Print a line per layer read: bytes and seconds");
  command.add_flag("-q,--quiet", options.quiet, "Print no warnings");
}

void VerboseObserver::layer_read(std::size_t layer, std::size_t layer_count,
                                 const Descriptor& descriptor,
                                 std::int64_t compressed_bytes,
                                 double seconds) {
  std::fprintf(stderr,
               "ocicap: read layer %zu/%zu %s: %lld bytes in %.3f s\n",
               layer + 1, layer_count, descriptor.digest.string().c_str(),
               static_cast<long long>(compressed_bytes), seconds);
}

void print_error(const std::string& message) {
  std::cerr << "ocicap: error: " << message << '\n';
}

void print_warning(const std::string& message) {
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
  CLI::App app{"Set and read Linux file capabilities (the security.capability "
               "extended attribute) in OCI container images, without root, "
               "a container runtime or a rebuild.",
               "ocicap"};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);

  Runner set = add_set_command(app);
  Runner get = add_get_command(app);

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

  try {
    if (app.got_subcommand("set")) {
      return set();
    }
    return get();
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
