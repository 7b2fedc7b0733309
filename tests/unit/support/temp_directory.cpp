#include "support/temp_directory.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <vector>

namespace ocicap::test {

namespace {

std::string default_parent() {
  const char* tmpdir = std::getenv("TMPDIR");
  return tmpdir && *tmpdir ? tmpdir : "/tmp";
}

} // namespace

TempDirectory::TempDirectory() : TempDirectory(default_parent()) {}

TempDirectory::TempDirectory(const std::string& parent) {
  std::string pattern = parent + "/ocicap-unit-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  if (::mkdtemp(name.data()) == nullptr) {
    throw std::runtime_error("cannot create a temporary directory from " +
                             pattern);
  }
  path_ = name.data();
}

TempDirectory::~TempDirectory() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
}

std::string TempDirectory::file(std::string_view name) const {
  return path_ + "/" + std::string(name);
}

std::string read_file(const std::string& path) {
  std::ifstream input(path, std::ios::binary);
  if (!input) {
    throw std::runtime_error("cannot open " + path);
  }
  std::ostringstream content;
  content << input.rdbuf();
  return content.str();
}

void write_file(const std::string& path, std::string_view data) {
  std::ofstream output(path, std::ios::binary | std::ios::trunc);
  output.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!output) {
    throw std::runtime_error("cannot write " + path);
  }
}

std::string shell_quote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

int run_command(const std::string& command) {
  int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status)) {
    return -1;
  }
  return WEXITSTATUS(status);
}

bool has_program(const std::string& program) {
  return run_command("command -v " + shell_quote(program) + " >/dev/null") == 0;
}

ScopedEnvironment::ScopedEnvironment(std::string name,
                                     std::optional<std::string> value)
    : name_(std::move(name)) {
  if (const char* previous = std::getenv(name_.c_str())) {
    previous_ = previous;
  }
  if (value) {
    ::setenv(name_.c_str(), value->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

ScopedEnvironment::~ScopedEnvironment() {
  if (previous_) {
    ::setenv(name_.c_str(), previous_->c_str(), 1);
  } else {
    ::unsetenv(name_.c_str());
  }
}

std::string to_hex(std::string_view data) {
  static const char digits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : data) {
    hex += digits[c >> 4];
    hex += digits[c & 0xf];
  }
  return hex;
}

std::string from_hex(std::string_view hex) {
  std::string bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(
        std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
  }
  return bytes;
}

} // namespace ocicap::test
