// Text reports of the runtime advice: short lines on stderr after a
// change, and the fuller `ocicap explain` report on stdout.
#include "commands.hpp"

#include "security_context.hpp"

#include <iostream>
#include <sstream>

namespace ocicap::cli {
namespace {

constexpr std::string_view advice_prefix = "ocicap: runtime: ";

std::string describe_user(const ImageUser& user) {
  if (user.text.empty()) {
    return "root (no User in the config)";
  }
  std::string text = user.text;
  if (user.uid && std::to_string(*user.uid) != user.text) {
    text += " (uid " + std::to_string(*user.uid);
    text += user.gid ? ", gid " + std::to_string(*user.gid) + ")" : ")";
  }
  return text;
}

std::string indent(const std::string& text, const std::string& prefix) {
  std::istringstream lines(text);
  std::string result;
  for (std::string line; std::getline(lines, line);) {
    result += prefix + line + "\n";
  }
  return result;
}

std::string join_words(const std::vector<std::string>& words) {
  std::string text;
  for (const std::string& word : words) {
    text += (text.empty() ? "" : " ") + word;
  }
  return text;
}

} // namespace

void print_advice_after_change(const RuntimeAdvice& advice) {
  for (const AdviceItem& item : advice.items) {
    std::cerr << advice_prefix << item.message << '\n';
  }
  std::cerr << advice_prefix << "Kubernetes container settings "
            << "('ocicap explain IMAGE' prints this again):\n"
            << indent(security_context_yaml(advice), "  ");
}

void print_explanation(const RuntimeAdvice& advice, const std::string& image) {
  std::cout << "Image: " << image << '\n'
            << "User: " << describe_user(advice.user) << '\n'
            << "Files with capabilities:\n";
  for (const FileCapabilities& file : advice.files) {
    std::cout << "  " << file.path << ' '
              << format_getcap_text(file.capabilities) << '\n';
  }
  if (advice.files.empty()) {
    std::cout << "  (none)\n";
  }
  std::cout << "\nWhat the runtime must allow:\n";
  for (const AdviceItem& item : advice.items) {
    std::cout << "  - " << item.message << '\n';
  }
  std::cout << "\nKubernetes container settings:\n"
            << indent(security_context_yaml(advice), "  ") << "\nDocker:\n"
            << "  docker run " << join_words(docker_run_options(advice))
            << " IMAGE\n";
}

} // namespace ocicap::cli
