#include "ocicap/capability_list.hpp"

#include "ocicap/error.hpp"
#include "ocicap/file.hpp"

#include <unistd.h>

namespace ocicap {
namespace {

// A list names each file once, so even a large image gives a few MiB.
constexpr std::size_t max_list_size = 64 << 20;
constexpr std::string_view blanks = " \t\r";

std::string_view trim(std::string_view text) {
  std::size_t first = text.find_first_not_of(blanks);
  if (first == std::string_view::npos) {
    return "";
  }
  std::size_t last = text.find_last_not_of(blanks);
  return text.substr(first, last - first + 1);
}

FileChange parse_line(std::string_view line) {
  std::size_t end = line.find_first_of(blanks);
  std::string path(line.substr(0, end));
  std::string_view capabilities =
      end == std::string_view::npos ? "" : trim(line.substr(end));
  // getcap before libcap 2.28 wrote "PATH = CAPS".
  if (capabilities.starts_with("= ")) {
    capabilities = trim(capabilities.substr(1));
  }
  if (capabilities.empty()) {
    throw Error("missing capabilities after " + quote(path) +
                ": expected a line such as /usr/bin/ping cap_net_raw=ep");
  }
  return FileChange{path, parse_getcap_text(capabilities)};
}

std::string read_standard_input() {
  std::string data;
  char buffer[65536];
  while (std::size_t n = read_fully(STDIN_FILENO, buffer, sizeof buffer,
                                    "standard input")) {
    data.append(buffer, n);
    if (data.size() > max_list_size) {
      throw Error("standard input exceeds the " +
                  std::to_string(max_list_size >> 20) +
                  " MiB limit of a capability list: pass a shorter list");
    }
  }
  return data;
}

} // namespace

std::vector<FileChange> parse_capability_list(std::string_view text,
                                              const std::string& source) {
  std::vector<FileChange> changes;
  std::size_t number = 0;
  while (!text.empty()) {
    ++number;
    std::size_t newline = text.find('\n');
    std::string_view line = trim(text.substr(0, newline));
    text.remove_prefix(newline == std::string_view::npos ? text.size()
                                                         : newline + 1);
    if (line.empty() || line.starts_with('#')) {
      continue;
    }
    std::string location = source + ":" + std::to_string(number);
    changes.push_back(add_context(location, [&] { return parse_line(line); }));
    changes.back().origin = location;
  }
  if (changes.empty()) {
    throw Error(source + " lists no files: expected lines such as "
                         "/usr/bin/ping cap_net_raw=ep");
  }
  return changes;
}

std::vector<FileChange> read_capability_list(const std::string& path) {
  if (path == "-") {
    return parse_capability_list(read_standard_input(), "standard input");
  }
  return parse_capability_list(read_small_file(path, max_list_size), path);
}

} // namespace ocicap
