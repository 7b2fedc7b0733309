#include "commands.hpp"

#include "ocicap/ops.hpp"

#include <iostream>
#include <memory>

namespace ocicap::cli {
namespace {

struct SetOptions {
  std::string image;
  std::string capabilities;
  std::vector<std::string> paths;
  std::string output;
  std::string tag;
  std::vector<std::string> platforms;
  std::string compression;
  std::string attestations = "keep";
  CommonOptions common;
};

std::string history_command(const SetOptions& options) {
  std::string command = "ocicap set " + options.capabilities;
  for (const std::string& path : options.paths) {
    command += " " + path;
  }
  return command;
}

media_type::Compression parse_compression(const std::string& name) {
  if (name == "gzip") {
    return media_type::Compression::gzip;
  }
  if (name == "zstd") {
    return media_type::Compression::zstd;
  }
  return media_type::Compression::none;
}

ChangeRequest make_request(const SetOptions& options) {
  CapabilitySet capabilities = parse_capability_text(options.capabilities);
  ChangeRequest request{.image = parse_image_reference(options.image),
                        .command_line = history_command(options)};
  for (const std::string& path : options.paths) {
    request.changes.push_back({path, capabilities});
  }
  if (!options.output.empty()) {
    request.output = parse_image_reference(options.output);
  }
  if (!options.tag.empty()) {
    request.tag = options.tag;
  }
  for (const std::string& platform : options.platforms) {
    request.platforms.push_back(parse_platform(platform));
  }
  if (!options.compression.empty()) {
    request.compression = parse_compression(options.compression);
  }
  request.attestations = options.attestations == "drop"
                             ? AttestationPolicy::drop
                             : AttestationPolicy::keep;
  return request;
}

int run_set(const SetOptions& options) {
  ChangeRequest request = make_request(options);
  std::unique_ptr<VerboseObserver> observer;
  if (options.common.verbose) {
    observer = std::make_unique<VerboseObserver>();
  }
  ChangeResult result = apply_changes(request, observer.get());
  print_change_result(result, options.common);
  return exit_success;
}

} // namespace

void print_change_result(const ChangeResult& result,
                         const CommonOptions& options) {
  if (!options.quiet) {
    for (const std::string& warning : result.warnings) {
      print_warning(warning);
    }
  }
  // When the archive itself went to standard output, the report goes to
  // standard error so that a pipeline receives only the archive.
  std::ostream& out = result.streamed ? std::cerr : std::cout;
  for (const ChangedFile& file : result.files) {
    out << file.path;
    if (!file.capability_text.empty()) {
      out << ' ' << file.capability_text;
    }
    if (!file.platform.empty()) {
      out << " (" << file.platform << ')';
    }
    out << '\n';
  }
  out << result.descriptor.digest.string() << '\n';
}

Runner add_set_command(CLI::App& app) {
  auto options = std::make_shared<SetOptions>();
  CLI::App* command = app.add_subcommand(
      "set", "Set a capability set on files of an image, in one new layer");
  command->add_option("IMAGE", options->image,
                      "Image to change: oci:DIR[:REF]")
      ->required();
  command->add_option("CAPS", options->capabilities,
                      "Capability set in setcap syntax, e.g. cap_ipc_lock+eip")
      ->required();
  command->add_option("PATH", options->paths,
                      "Files in the image, e.g. /usr/bin/python3.11")
      ->required();
  command->add_option("-o,--output", options->output,
                      "Write the result to this image (oci:DIR[:REF]) and "
                      "leave IMAGE untouched");
  command->add_option("-t,--tag", options->tag,
                      "Give the result this ref and leave IMAGE's ref on the "
                      "old image");
  command->add_option("--platform", options->platforms,
                      "Change only this platform of a multi-platform image "
                      "(OS/ARCH[/VARIANT]); repeatable. Default: all");
  command->add_option("--compression", options->compression,
                      "Compression of the new layer. Default: that of the "
                      "image's top layer")
      ->check(CLI::IsMember({"gzip", "zstd", "none"}));
  command->add_option("--attestations", options->attestations,
                      "Keep or drop the attestation manifests of a "
                      "multi-platform image, which describe the old image")
      ->check(CLI::IsMember({"keep", "drop"}))
      ->capture_default_str();
  add_common_options(*command, options->common);
  return [options] { return run_set(*options); };
}

} // namespace ocicap::cli
