#include "ocicap/error.hpp"

#include <cstdio>
#include <cstring>

namespace ocicap {

std::string with_context(std::string_view context, std::string_view cause) {
  // A cause that already starts with the context, as messages naming the
  // same layer do, is not prefixed twice. An empty context adds nothing.
  if (context.empty()) {
    return std::string(cause);
  }
  if (cause.starts_with(context) && cause.substr(context.size()).starts_with(":")) {
    return std::string(cause);
  }
  std::string message(context);
  message += ": ";
  message += cause;
  return message;
}

std::string quote(std::string_view text, std::size_t max_length) {
  std::string quoted = "\"";
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (i == max_length) {
      quoted += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      quoted += "\\n";
    } else if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", c);
      quoted += buffer;
    } else {
      quoted += static_cast<char>(c);
    }
  }
  quoted += '"';
  return quoted;
}

void throw_errno(std::string_view context, int errno_value) {
  throw Error(with_context(context, std::strerror(errno_value)));
}

} // namespace ocicap
