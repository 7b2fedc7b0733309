#include "ocicap/capability_list.hpp"

#include "ocicap/error.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::CapabilitySet;
using ocicap::Error;
using ocicap::FileChange;
using ocicap::parse_capability_list;
using ocicap::parse_capability_text;

namespace {

std::string error_of(const std::string& text) {
  try {
    parse_capability_list(text, "caps.txt");
  } catch (const Error& error) {
    return error.what();
  }
  return "(no Error thrown)";
}

} // namespace

TEST_SUITE("CapabilityList") {
  TEST_CASE("reads getcap lines, comments and blank lines") {
    std::vector<FileChange> changes = parse_capability_list(
        "# from getcap -r\n"
        "/usr/bin/ping cap_net_raw=ep\n"
        "\n"
        "   \t\n"
        "  # indented comment\n"
        "/usr/bin/mixed cap_kill=i cap_chown+p\r\n"
        "usr/bin/relative\tIPC_LOCK+eip\n"
        "/usr/bin/ns cap_chown=ep [rootid=1000]",
        "caps.txt");
    REQUIRE(changes.size() == 4);
    CHECK(changes[0].path == "/usr/bin/ping");
    CHECK(changes[0].capabilities == parse_capability_text("cap_net_raw=ep"));
    CHECK(changes[1].path == "/usr/bin/mixed");
    CHECK(changes[1].capabilities ==
          parse_capability_text("cap_kill=i cap_chown+p"));
    CHECK(changes[2].path == "usr/bin/relative");
    CHECK(changes[2].capabilities ==
          parse_capability_text("cap_ipc_lock+eip"));
    CapabilitySet namespaced = parse_capability_text("cap_chown=ep");
    namespaced.root_id = 1000;
    CHECK(changes[3].capabilities == namespaced);
  }

  TEST_CASE("records the line of each change") {
    std::vector<FileChange> changes = parse_capability_list(
        "# comment\n/a cap_chown=ep\n\n/b cap_kill=ep\n", "caps.txt");
    REQUIRE(changes.size() == 2);
    CHECK(changes[0].origin == "caps.txt:2");
    CHECK(changes[1].origin == "caps.txt:4");
  }

  TEST_CASE("reads the PATH = CAPS form of old getcap") {
    std::vector<FileChange> changes =
        parse_capability_list("/bin/ping = cap_net_raw+ep\n", "caps.txt");
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].path == "/bin/ping");
    CHECK(changes[0].capabilities == parse_capability_text("cap_net_raw+ep"));
  }

  TEST_CASE("names the line of an error") {
    CHECK(error_of("/a cap_chown=ep\n\n/b bogus+ep\n") ==
          "caps.txt:3: invalid capability text \"bogus+ep\": expected setcap "
          "syntax such as cap_ipc_lock+eip or cap_net_raw,cap_net_admin=ep");
    CHECK(error_of("# comment\n/usr/bin/ping\n") ==
          "caps.txt:2: missing capabilities after \"/usr/bin/ping\": "
          "expected a line such as /usr/bin/ping cap_net_raw=ep");
    CHECK(error_of("/a cap_chown=ep [rootid=x]").starts_with(
        "caps.txt:1: invalid root ID in "));
  }

  TEST_CASE("rejects a list without files") {
    CHECK(error_of("# nothing\n\n") ==
          "caps.txt lists no files: expected lines such as /usr/bin/ping "
          "cap_net_raw=ep");
    CHECK(error_of("") == "caps.txt lists no files: expected lines such as "
                          "/usr/bin/ping cap_net_raw=ep");
  }

  TEST_CASE("reads a file") {
    ocicap::test::TempDirectory directory;
    std::string path = directory.file("caps.txt");
    ocicap::test::write_file(path, "/usr/bin/ping cap_net_raw=ep\n");
    std::vector<FileChange> changes = ocicap::read_capability_list(path);
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].path == "/usr/bin/ping");
    CHECK_THROWS_AS(ocicap::read_capability_list(directory.file("missing")),
                    Error);
  }
}
