#include "ops/pack_output.hpp"

#include "ocicap/file.hpp"
#include "ocicap/thread.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <unistd.h>

using ocicap::ByteSpan;
using ocicap::FileDescriptor;
using ocicap::PackOutput;
using ocicap::test::TempDirectory;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::shared_ptr<const FileDescriptor> open_source(const std::string& path) {
  return std::make_shared<const FileDescriptor>(
      ocicap::open_for_reading(path));
}

// Three members of four bytes each.
const std::vector<ByteSpan> spans = {{0, 4}, {4, 4}, {8, 4}};

// Points standard output at `path` for the object's life.
class StdoutTo {
public:
  explicit StdoutTo(const std::string& path, int flags)
      : saved_(::dup(STDOUT_FILENO)) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC | flags);
    REQUIRE(fd >= 0);
    ::dup2(fd, STDOUT_FILENO);
    ::close(fd);
  }
  StdoutTo(const StdoutTo&) = delete;
  StdoutTo& operator=(const StdoutTo&) = delete;
  ~StdoutTo() {
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
  }

private:
  int saved_;
};

} // namespace

TEST_SUITE("PackOutput") {
  TEST_CASE("keeps members copied before a change") {
    TempDirectory directory;
    std::string source = directory.path() + "/in.tar";
    write_text(source, "AAAABBBBCCCC");
    for (std::size_t at_most : {0, 1, 2, 3, 7}) {
      CAPTURE(at_most);
      std::string target = directory.path() + "/out.tar";
      std::filesystem::remove(target);
      std::size_t kept_spans = 0;
      {
        PackOutput output(target);
        output.copy_ahead(open_source(source), spans, "in.tar", false);
        kept_spans = output.keep_copied(at_most);
        ocicap::write_fully(output.fd(), "new", output.name());
        output.commit();
      }
      std::size_t expected = std::min<std::size_t>(at_most, 3);
      CHECK(kept_spans == expected);
      CHECK(read_text(target) ==
            std::string("AAAABBBBCCCC").substr(0, 4 * expected) + "new");
    }
  }

  TEST_CASE("leaves no file without commit") {
    TempDirectory directory;
    std::string source = directory.path() + "/in.tar";
    write_text(source, "AAAABBBBCCCC");
    {
      PackOutput output(directory.path() + "/out.tar");
      output.copy_ahead(open_source(source), spans, "in.tar", false);
    }
    CHECK_FALSE(std::filesystem::exists(directory.path() + "/out.tar"));
    // Nor a temporary file: in.tar is alone.
    std::size_t files = 0;
    for (const auto& item :
         std::filesystem::directory_iterator(directory.path())) {
      static_cast<void>(item);
      ++files;
    }
    CHECK(files == 1);
  }

  TEST_CASE("reserves a core during the copy") {
    TempDirectory directory;
    std::string source = directory.path() + "/in.tar";
    write_text(source, "AAAABBBBCCCC");
    std::size_t before = ocicap::reserved_cores().load();
    PackOutput output(directory.path() + "/out.tar");
    output.copy_ahead(open_source(source), spans, "in.tar", true);
    CHECK(ocicap::reserved_cores().load() == before + 1);
    output.keep_copied(3);
    CHECK(ocicap::reserved_cores().load() == before);
  }

  TEST_CASE("truncates standard output on failure") {
    TempDirectory directory;
    std::string source = directory.path() + "/in.tar";
    write_text(source, "AAAABBBBCCCC");
    std::string target = directory.path() + "/stdout";
    write_text(target, "earlier output\n");
    {
      StdoutTo redirect(target, O_APPEND);
      PackOutput output("-");
      output.copy_ahead(open_source(source), spans, "in.tar", false);
      output.keep_copied(3);
      ocicap::write_fully(output.fd(), "new", output.name());
    }
    CHECK(read_text(target) == "earlier output\n");
    {
      StdoutTo redirect(target, O_APPEND);
      PackOutput output("-");
      output.copy_ahead(open_source(source), spans, "in.tar", false);
      output.keep_copied(2);
      ocicap::write_fully(output.fd(), "new", output.name());
      output.commit();
    }
    CHECK(read_text(target) == "earlier output\nAAAABBBBnew");
  }

  TEST_CASE("writes nothing ahead to a pipe") {
    TempDirectory directory;
    std::string source = directory.path() + "/in.tar";
    write_text(source, "AAAABBBBCCCC");
    int pipe_ends[2];
    REQUIRE(::pipe(pipe_ends) == 0);
    int saved = ::dup(STDOUT_FILENO);
    ::dup2(pipe_ends[1], STDOUT_FILENO);
    std::size_t kept_spans = 1;
    {
      PackOutput output("-");
      output.copy_ahead(open_source(source), spans, "in.tar", false);
      kept_spans = output.keep_copied(3);
    }
    ::dup2(saved, STDOUT_FILENO);
    ::close(saved);
    ::close(pipe_ends[1]);
    char buffer[16];
    ssize_t n = ::read(pipe_ends[0], buffer, sizeof buffer);
    ::close(pipe_ends[0]);
    CHECK(kept_spans == 0);
    CHECK(n == 0);
  }
}
