// Test helpers for files on disk: a temporary directory removed with its
// contents at the end of a test, whole-file reads and writes, shell
// commands, and a scoped environment variable.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace ocicap::test {

// A fresh directory under $TMPDIR (default /tmp), removed recursively by
// the destructor.
class TempDirectory {
public:
  TempDirectory();
  // A fresh directory under `parent`.
  explicit TempDirectory(const std::string& parent);
  TempDirectory(const TempDirectory&) = delete;
  TempDirectory& operator=(const TempDirectory&) = delete;
  ~TempDirectory();

  const std::string& path() const { return path_; }
  // Returns path() + "/" + name.
  std::string file(std::string_view name) const;

private:
  std::string path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, std::string_view data);

// Returns `text` in single quotes for /bin/sh.
std::string shell_quote(std::string_view text);

// Runs `command` with /bin/sh and returns its exit status, or -1 when it
// did not exit normally.
int run_command(const std::string& command);

// Returns whether `program` is found in $PATH.
bool has_program(const std::string& program);

// Sets (or with nullopt unsets) an environment variable until destroyed,
// then restores the previous value.
class ScopedEnvironment {
public:
  ScopedEnvironment(std::string name, std::optional<std::string> value);
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;
  ~ScopedEnvironment();

private:
  std::string name_;
  std::optional<std::string> previous_;
};

// Returns lowercase hex of `data`.
std::string to_hex(std::string_view data);
// Returns the bytes of lowercase or uppercase hex `hex`.
std::string from_hex(std::string_view hex);

} // namespace ocicap::test
