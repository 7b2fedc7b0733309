// What set, rm and apply share: the options for where the result goes, and
// the run that applies or plans a request and reports it.
#include "commands.hpp"

#include "ocicap/error.hpp"

#include <iostream>

namespace ocicap::cli {
namespace {

media_type::Compression parse_compression(const std::string& name) {
  if (name == "gzip") {
    return media_type::Compression::gzip;
  }
  if (name == "zstd") {
    return media_type::Compression::zstd;
  }
  return media_type::Compression::none;
}

// Returns why `ref` cannot name an image of kind `destination`, or an
// empty string when it can.
std::string ref_error(const std::string& ref, Transport destination) {
  try {
    check_new_ref(ref, destination);
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

void print_json(const JsonValue& document, bool to_stderr) {
  (to_stderr ? std::cerr : std::cout) << document.dump() << '\n';
}

} // namespace

std::unique_ptr<ReadObserver> make_observer(const CommonOptions& options) {
  if (!options.verbose) {
    return nullptr;
  }
  return std::make_unique<VerboseObserver>();
}

void add_image_argument(CLI::App& command, std::string& image,
                        const std::string& purpose) {
  command
      .add_option("IMAGE", image,
                  "Image to " + purpose +
                      ": oci:DIR[:REF], oci-archive:FILE, docker-archive:FILE "
                      "or a path")
      ->required();
}

void add_change_options(CLI::App& command, ChangeOptions& options) {
  // An empty value would read as no --output and change IMAGE in place,
  // as a script passing an unset variable would not expect.
  command
      .add_option("-o,--output", options.output,
                  "Write the result to this image (oci:DIR[:REF], "
                  "oci-archive:FILE, docker-archive:FILE) and leave IMAGE "
                  "untouched")
      ->check(CLI::Validator(
          [](std::string& value) {
            return value.empty() ? std::string("an empty value names no "
                                               "image: give oci:DIR, "
                                               "oci-archive:FILE or "
                                               "docker-archive:FILE")
                                 : std::string();
          },
          "IMAGE"));
  // Checked while parsing, so that an empty or malformed ref is a usage
  // error (exit 2). The grammar that fits the destination's kind is
  // checked again in make_change_request().
  command
      .add_option("-t,--tag", options.tag,
                  "Give the result this ref (NAME:TAG for a docker "
                  "archive) and leave IMAGE's ref on the old image")
      ->check(CLI::Validator(
          [](std::string& value) {
            return ref_error(value, Transport::detect);
          },
          "REF"));
  // One value per occurrence, so that positional arguments after it are
  // not taken as more platforms.
  command
      .add_option("--platform", options.platforms,
                  "Change only this platform of a multi-platform image "
                  "(OS/ARCH[/VARIANT]); repeatable. Default: all")
      ->allow_extra_args(false);
  command.add_option("--compression", options.compression,
                     "Compression of the new layer. Default: that of the "
                     "image's top layer")
      ->check(CLI::IsMember({"gzip", "zstd", "none"}));
  command.add_option("--attestations", options.attestations,
                     "Keep or drop the attestation manifests of a "
                     "multi-platform image, which describe the old image")
      ->check(CLI::IsMember({"keep", "drop"}))
      ->capture_default_str();
  command.add_flag("-L,--follow", options.follow,
                   "Resolve symbolic links in each PATH inside the image's "
                   "root, and change the file they lead to");
  command.add_flag("--dry-run", options.dry_run,
                   "Print each file, the layer it comes from and the bytes "
                   "to copy, and write nothing");
  command.add_flag("--json", options.json,
                   "Print one JSON document instead of text (fields in the "
                   "README)");
  add_common_options(command, options.common);
}

ChangeRequest make_change_request(const ChangeOptions& options,
                                  std::string command_line) {
  ChangeRequest request{.image = parse_image_reference(options.image),
                        .command_line = std::move(command_line),
                        .follow_symlinks = options.follow};
  if (!options.output.empty()) {
    request.output = check_option([&] {
      return add_context("--output", [&] {
        ImageReference output = parse_image_reference(options.output);
        if (output.transport == Transport::detect) {
          throw Error(output.path + " needs a transport: write oci:DIR, "
                      "oci-archive:FILE or docker-archive:FILE");
        }
        return output;
      });
    });
  }
  if (!options.tag.empty()) {
    // The kind of a detected path is known only once it is opened.
    Transport destination =
        request.output ? request.output->transport : request.image.transport;
    check_option([&] {
      add_context("--tag", [&] { check_new_ref(options.tag, destination); });
    });
    request.tag = options.tag;
  }
  for (const std::string& platform : options.platforms) {
    request.platforms.push_back(
        check_option([&] { return parse_platform(platform); }));
  }
  if (!options.compression.empty()) {
    request.compression = parse_compression(options.compression);
  }
  request.attestations = options.attestations == "drop"
                             ? AttestationPolicy::drop
                             : AttestationPolicy::keep;
  return request;
}

int run_change(const ChangeRequest& request, const ChangeOptions& options,
               const std::string& command) {
  std::unique_ptr<ReadObserver> observer = make_observer(options.common);
  ChangeResult result = options.dry_run
                            ? plan_changes(request, observer.get())
                            : apply_changes(request, observer.get());
  RuntimeAdvice advice = advise_after_change(result);
  if (options.json) {
    if (!options.common.quiet) {
      for (const std::string& warning : result.warnings) {
        print_warning(warning);
      }
    }
    print_json(change_json(result, command, request.image.string(),
                           options.dry_run, advice),
               result.streamed);
    return exit_success;
  }
  // The advice comes first, so that the report, which goes to stderr too
  // when the archive is streamed, still ends with the new digest.
  if (!options.common.quiet && !advice.files.empty()) {
    print_advice_after_change(advice);
  }
  if (options.dry_run) {
    print_change_plan(result, options.common);
  } else {
    print_change_result(result, options.common);
  }
  return exit_success;
}

} // namespace ocicap::cli
