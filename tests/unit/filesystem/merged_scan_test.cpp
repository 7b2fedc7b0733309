#include "ocicap/merged_view.hpp"

#include "support/image_builder.hpp"
#include "support/layer_stack.hpp"
#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::EntryType;
using ocicap::PathMatch;
using ocicap::test::directory_entry;
using ocicap::test::file_entry;
using ocicap::test::hardlink_entry;
using ocicap::test::LayerStack;
using ocicap::test::marker_entry;
using ocicap::test::symlink_entry;

namespace {

// Scans `stack` for the non-directories whose path starts with `prefix`.
std::vector<PathMatch> scan(const LayerStack& stack,
                            const std::string& prefix) {
  return ocicap::scan_paths(stack.layout, stack.layers,
                            [&prefix](const std::string& path) {
                              return path.starts_with(prefix);
                            });
}

std::vector<std::string> paths_of(const std::vector<PathMatch>& matches) {
  std::vector<std::string> paths;
  for (const PathMatch& match : matches) {
    paths.push_back(match.path);
  }
  return paths;
}

} // namespace

TEST_SUITE("ScanPaths") {
  TEST_CASE("keeps selected non-directories by path") {
    LayerStack stack;
    stack.add({directory_entry("bin"), file_entry("bin/b", "b"),
               file_entry("bin/a", "a"), file_entry("other", "o"),
               directory_entry("bin/dir")});
    std::vector<PathMatch> matches = scan(stack, "bin/");
    CHECK(paths_of(matches) == std::vector<std::string>{"bin/a", "bin/b"});
    CHECK(matches[0].type == EntryType::regular);
    CHECK(matches[0].layer == 0);
  }

  TEST_CASE("reports links as stored") {
    LayerStack stack;
    stack.add({file_entry("bin/a", "a"), symlink_entry("bin/s", "a"),
               hardlink_entry("bin/h", "bin/a")});
    std::vector<PathMatch> matches = scan(stack, "bin/");
    REQUIRE(paths_of(matches) ==
            std::vector<std::string>{"bin/a", "bin/h", "bin/s"});
    CHECK(matches[1].type == EntryType::hardlink);
    CHECK(matches[1].link_target == "bin/a");
    CHECK(matches[2].type == EntryType::symlink);
    CHECK(matches[2].link_target == "a");
  }

  TEST_CASE("applies whiteouts and opaque directories") {
    LayerStack stack;
    stack.add({file_entry("bin/gone", ""), file_entry("bin/kept", ""),
               file_entry("opt/hidden", ""), file_entry("srv/old/x", "")});
    stack.add({marker_entry("bin/.wh.gone"), marker_entry("opt/.wh..wh..opq"),
               file_entry("opt/new", ""), marker_entry(".wh.srv")});
    CHECK(paths_of(scan(stack, "")) ==
          std::vector<std::string>{"bin/kept", "opt/new"});
  }

  TEST_CASE("takes the upper layer's entry") {
    LayerStack stack;
    stack.add({file_entry("bin/x", "old")});
    stack.add({symlink_entry("bin/x", "y")});
    std::vector<PathMatch> matches = scan(stack, "bin/");
    REQUIRE(matches.size() == 1);
    CHECK(matches[0].type == EntryType::symlink);
    CHECK(matches[0].layer == 1);
  }

  TEST_CASE("drops a file replaced by a directory") {
    LayerStack stack;
    stack.add({file_entry("x", "")});
    stack.add({directory_entry("x"), file_entry("x/y", "")});
    CHECK(paths_of(scan(stack, "")) == std::vector<std::string>{"x/y"});
  }
}
