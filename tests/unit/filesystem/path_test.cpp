#include "ocicap/image_path.hpp"

#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::WhiteoutKind;

TEST_SUITE("ImagePath") {
  TEST_CASE("normalizes paths to the canonical form") {
    struct Case {
      std::string input;
      std::string canonical;
    };
    for (const Case& item : std::vector<Case>{
             {"/usr/bin/x", "usr/bin/x"},
             {"usr/bin/x", "usr/bin/x"},
             {"./usr/bin/x", "usr/bin/x"},
             {"//usr//bin/./x", "usr/bin/x"},
             {"../../usr/bin/x", "usr/bin/x"},
             {"/usr/lib/../bin/x", "usr/bin/x"},
             {"usr/bin/x/..", "usr/bin"},
             {"/usr/../../..", ""},
             {"/", ""},
             {".", ""},
             {"", ""},
             {"./", ""},
             {"usr/bin/", "usr/bin"},
             {"usr/bin/.wh.x", "usr/bin/.wh.x"},
             {"...", "..."},
             {"a/..b/c", "a/..b/c"},
         }) {
      CAPTURE(item.input);
      CHECK(ocicap::normalize_image_path(item.input) == item.canonical);
    }
  }

  TEST_CASE("display_path adds a leading slash") {
    CHECK(ocicap::display_path("usr/bin/x") == "/usr/bin/x");
    CHECK(ocicap::display_path("") == "/");
  }

  TEST_CASE("ancestors_of lists outermost first") {
    CHECK(ocicap::ancestors_of("usr/bin/x") ==
          std::vector<std::string>{"usr", "usr/bin"});
    CHECK(ocicap::ancestors_of("x").empty());
    CHECK(ocicap::ancestors_of("").empty());
    CHECK(ocicap::ancestors_of("a/b/c/d") ==
          std::vector<std::string>{"a", "a/b", "a/b/c"});
  }

  TEST_CASE("is_strictly_below compares components") {
    struct Case {
      std::string path;
      std::string directory;
      bool below;
    };
    for (const Case& item : std::vector<Case>{
             {"usr/bin/x", "usr", true},
             {"usr/bin/x", "usr/bin", true},
             {"usr/bin", "usr/bin", false},
             {"usr/binary", "usr/bin", false},
             {"usr", "usr/bin", false},
             {"usr/bin/x", "", true},
             {"x", "", true},
             {"", "", false},
         }) {
      CAPTURE(item.path);
      CAPTURE(item.directory);
      CHECK(ocicap::is_strictly_below(item.path, item.directory) == item.below);
    }
  }

  TEST_CASE("classifies whiteout names") {
    struct Case {
      std::string name;
      WhiteoutKind kind;
      std::string target;
    };
    for (const Case& item : std::vector<Case>{
             {".wh.x", WhiteoutKind::whiteout, "x"},
             {"a/.wh.x", WhiteoutKind::whiteout, "a/x"},
             {"a/b/.wh..hidden", WhiteoutKind::whiteout, "a/b/.hidden"},
             {"a/.wh..wh..opq", WhiteoutKind::opaque, "a"},
             {".wh..wh..opq", WhiteoutKind::opaque, ""},
             {".wh..wh.plnk", WhiteoutKind::reserved, ""},
             {"a/.wh..wh.aufs", WhiteoutKind::reserved, ""},
             {".wh.", WhiteoutKind::none, ""},
             {"a/.wh.", WhiteoutKind::none, ""},
             {"a/x.wh.y", WhiteoutKind::none, ""},
             {".wh.x/y", WhiteoutKind::none, ""},
             {"usr/bin/x", WhiteoutKind::none, ""},
             {"", WhiteoutKind::none, ""},
         }) {
      CAPTURE(item.name);
      ocicap::Whiteout whiteout = ocicap::classify_whiteout(item.name);
      CHECK(whiteout.kind == item.kind);
      CHECK(whiteout.target == item.target);
    }
  }
}
