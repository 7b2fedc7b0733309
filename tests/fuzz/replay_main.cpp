// Runs a libFuzzer target's LLVMFuzzerTestOneInput on saved inputs, without
// libFuzzer, so that the normal and sanitizer builds replay every input
// that once crashed, hung or leaked. Arguments are files or directories
// (not recursive); the exit status is 0 when every input ran.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size);

namespace {

std::vector<std::filesystem::path> input_files(const char* argument) {
  std::filesystem::path path(argument);
  if (!std::filesystem::is_directory(path)) {
    return {path};
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    if (entry.is_regular_file()) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

} // namespace

int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    for (const std::filesystem::path& file : input_files(argv[i])) {
      std::ifstream stream(file, std::ios::binary);
      if (!stream) {
        std::fprintf(stderr, "replay: cannot open %s\n", file.c_str());
        return 1;
      }
      std::string data((std::istreambuf_iterator<char>(stream)),
                       std::istreambuf_iterator<char>());
      std::printf("replay: %s (%zu bytes)\n", file.c_str(), data.size());
      std::fflush(stdout);
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(data.data()),
                             data.size());
      ++count;
    }
  }
  std::printf("replay: %zu inputs ran\n", count);
  return 0;
}
