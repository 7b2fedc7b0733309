// Error type shared by every module. Errors carry context as they rise:
// each layer that catches one adds what it was doing, and only the command
// line prints the result and picks the exit code.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ocicap {

class Error : public std::runtime_error {
public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// Returns `context: cause`, the grammar of every message ocicap prints.
std::string with_context(std::string_view context, std::string_view cause);

// Returns `text` in double quotes for a one-line message: control bytes are
// escaped (\n, \xNN) and text past `max_length` bytes is cut with "...".
std::string quote(std::string_view text, std::size_t max_length = 200);

// Throws Error("CONTEXT: strerror(errno_value)").
[[noreturn]] void throw_errno(std::string_view context, int errno_value);

// Runs `body` and prefixes any Error it throws with `context`.
template <typename Body>
auto add_context(std::string_view context, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Error& error) {
    throw Error(with_context(context, error.what()));
  }
}

} // namespace ocicap
