#include "ocicap/error.hpp"

#include <cstring>

namespace ocicap {

std::string with_context(std::string_view context, std::string_view cause) {
  std::string message(context);
  message += ": ";
  message += cause;
  return message;
}

void throw_errno(std::string_view context, int errno_value) {
  throw Error(with_context(context, std::strerror(errno_value)));
}

} // namespace ocicap
