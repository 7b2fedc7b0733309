#include "support/setcap.hpp"

#include "support/temp_directory.hpp"

#include <cerrno>
#include <stdexcept>
#include <sys/xattr.h>
#include <unistd.h>

namespace ocicap::test {
namespace {

constexpr const char* xattr_name = "security.capability";

std::string read_capability_xattr(const std::string& path) {
  char buffer[64];
  ssize_t size = ::getxattr(path.c_str(), xattr_name, buffer, sizeof buffer);
  if (size < 0) {
    throw std::runtime_error("getxattr " + path + " failed: errno " +
                             std::to_string(errno));
  }
  return std::string(buffer, static_cast<std::size_t>(size));
}

} // namespace

std::optional<std::string> setcap_unavailable_reason() {
  if (::geteuid() != 0) {
    return "setcap needs root";
  }
  if (!has_program("setcap") || !has_program("getcap")) {
    return "setcap or getcap is not installed";
  }
  if (!setcap_value("cap_chown+p")) {
    return "setcap cannot write security.capability under $TMPDIR";
  }
  return std::nullopt;
}

std::optional<std::string> setcap_value(const std::string& text,
                                        std::optional<std::uint32_t> root_id) {
  TempDirectory directory;
  std::string path = directory.file("file");
  write_file(path, "");
  std::string command = "setcap ";
  if (root_id) {
    command += "-n " + std::to_string(*root_id) + " ";
  }
  command += shell_quote(text) + " " + shell_quote(path) + " 2>/dev/null";
  if (run_command(command) != 0) {
    return std::nullopt;
  }
  return read_capability_xattr(path);
}

std::string getcap_text(const std::string& value) {
  TempDirectory directory;
  std::string path = directory.file("file");
  write_file(path, "");
  if (::setxattr(path.c_str(), xattr_name, value.data(), value.size(), 0) !=
      0) {
    throw std::runtime_error("setxattr " + path + " failed: errno " +
                             std::to_string(errno));
  }
  std::string output = directory.file("getcap.out");
  if (run_command("getcap " + shell_quote(path) + " > " +
                  shell_quote(output)) != 0) {
    throw std::runtime_error("getcap failed on " + path);
  }
  std::string text = read_file(output);
  std::string prefix = path + " ";
  if (!text.starts_with(prefix)) {
    throw std::runtime_error("unexpected getcap output: " + text);
  }
  text = text.substr(prefix.size());
  while (!text.empty() && text.back() == '\n') {
    text.pop_back();
  }
  return text;
}

} // namespace ocicap::test
