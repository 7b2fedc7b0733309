#include "ocicap/error.hpp"

#include <cerrno>
#include <doctest/doctest.h>
#include <stdexcept>
#include <string>
#include <vector>

using ocicap::Error;

TEST_SUITE("Error") {
  TEST_CASE("with_context joins context and cause") {
    CHECK(ocicap::with_context("reading layer sha256:ab", "unexpected end") ==
          "reading layer sha256:ab: unexpected end");
  }

  TEST_CASE("with_context adds nothing for an empty context") {
    CHECK(ocicap::with_context("", "unexpected end") == "unexpected end");
  }

  TEST_CASE("with_context keeps an empty cause") {
    CHECK(ocicap::with_context("context", "") == "context: ");
  }

  TEST_CASE("quote wraps text in double quotes") {
    CHECK(ocicap::quote("usr/bin/x") == "\"usr/bin/x\"");
    CHECK(ocicap::quote("") == "\"\"");
  }

  TEST_CASE("quote escapes quotes, backslashes and control bytes") {
    struct Case {
      std::string text;
      std::string quoted;
    };
    for (const Case& item : std::vector<Case>{
             {"a\nb", "\"a\\nb\""},
             {"say \"hi\"", "\"say \\\"hi\\\"\""},
             {"back\\slash", "\"back\\\\slash\""},
             {"tab\t", "\"tab\\x09\""},
             {std::string("nul\0", 4), "\"nul\\x00\""},
             {"\x1b[31m", "\"\\x1b[31m\""},
             {"del\x7f", "\"del\\x7f\""},
             {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
         }) {
      CAPTURE(item.text);
      CHECK(ocicap::quote(item.text) == item.quoted);
    }
  }

  TEST_CASE("quote cuts text past the maximum length") {
    CHECK(ocicap::quote("abcdef", 3) == "\"abc...\"");
    CHECK(ocicap::quote("abc", 3) == "\"abc\"");
    CHECK(ocicap::quote(std::string(300, 'x')) ==
          "\"" + std::string(200, 'x') + "...\"");
  }

  TEST_CASE("throw_errno appends strerror text") {
    try {
      ocicap::throw_errno("cannot open /x", ENOENT);
      FAIL("throw_errno returned");
    } catch (const Error& error) {
      CHECK(std::string(error.what()) ==
            "cannot open /x: No such file or directory");
    }
  }

  TEST_CASE("add_context returns the body's value") {
    int value = ocicap::add_context("unused", [] { return 42; });
    CHECK(value == 42);
  }

  TEST_CASE("add_context prefixes an Error") {
    try {
      ocicap::add_context("copying layer sha256:ab",
                          []() -> int { throw Error("blob not found"); });
      FAIL("add_context did not rethrow");
    } catch (const Error& error) {
      CHECK(std::string(error.what()) ==
            "copying layer sha256:ab: blob not found");
    }
  }

  TEST_CASE("add_context nests outermost first") {
    try {
      ocicap::add_context("outer", [] {
        ocicap::add_context("inner", [] { throw Error("cause"); });
      });
      FAIL("add_context did not rethrow");
    } catch (const Error& error) {
      CHECK(std::string(error.what()) == "outer: inner: cause");
    }
  }

  TEST_CASE("add_context lets other exceptions pass") {
    try {
      ocicap::add_context("context",
                          [] { throw std::logic_error("not an Error"); });
      FAIL("add_context did not rethrow");
    } catch (const Error&) {
      FAIL("a std::logic_error became an Error");
    } catch (const std::logic_error& error) {
      CHECK(std::string(error.what()) == "not an Error");
    }
  }
}
