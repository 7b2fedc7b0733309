// Text reports of set, rm and apply: one line per file, in getcap's
// "PATH CAPS" form followed by what else the change touched.
#include "commands.hpp"

#include "ocicap/symlink_resolver.hpp"

#include <iostream>

namespace ocicap::cli {
namespace {

std::string join(const std::vector<std::string>& items) {
  std::string text;
  for (const std::string& item : items) {
    text += (text.empty() ? "" : ", ") + item;
  }
  return text;
}

void print_warnings(const ChangeResult& result, const CommonOptions& options) {
  if (options.quiet) {
    return;
  }
  for (const std::string& warning : result.warnings) {
    print_warning(warning);
  }
}

// When the archive itself went to standard output, the report goes to
// standard error so that a pipeline receives only the archive.
std::ostream& report_stream(const ChangeResult& result) {
  return result.streamed ? std::cerr : std::cout;
}

} // namespace

std::string describe_changed_file(const ChangedFile& file) {
  std::string text = file.capabilities
                         ? " " + format_getcap_text(*file.capabilities)
                         : std::string(" removed");
  if (!file.link_chain.empty()) {
    text += " (link: " + format_link_chain(file.link_chain) + ")";
  }
  if (!file.hard_links.empty()) {
    text += " (hard links: " + join(file.hard_links) + ")";
  }
  if (!file.platform.empty()) {
    text += " (" + file.platform + ")";
  }
  return text;
}

void print_change_result(const ChangeResult& result,
                         const CommonOptions& options) {
  print_warnings(result, options);
  std::ostream& out = report_stream(result);
  for (const ChangedFile& file : result.files) {
    out << file.path << describe_changed_file(file) << '\n';
  }
  out << result.descriptor.digest.string() << '\n';
}

void print_change_plan(const ChangeResult& result,
                       const CommonOptions& options) {
  print_warnings(result, options);
  std::ostream& out = report_stream(result);
  std::int64_t total = 0;
  for (const ChangedFile& file : result.files) {
    out << file.path << describe_changed_file(file) << ": " << file.size
        << " bytes from layer " << file.source_layer + 1 << " ("
        << file.source_layer_digest << ")\n";
    total += file.size;
  }
  out << "dry run: " << result.files.size()
      << (result.files.size() == 1 ? " file, " : " files, ") << total
      << " bytes to copy into a new layer of " << result.destination
      << "; nothing written\n";
}

} // namespace ocicap::cli
