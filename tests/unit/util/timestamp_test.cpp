#include "ocicap/timestamp.hpp"

#include <cstdint>
#include <doctest/doctest.h>
#include <optional>
#include <string>

using ocicap::format_rfc3339;
using ocicap::is_writable_time;
using ocicap::parse_rfc3339;

TEST_SUITE("Timestamp") {
  TEST_CASE("formats the epoch") {
    CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  }

  TEST_CASE("formats a recent time in UTC") {
    CHECK(format_rfc3339(1700000000) == "2023-11-14T22:13:20Z");
  }

  TEST_CASE("formats a time before the epoch") {
    CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59Z");
  }

  TEST_CASE("writable times run from 1970 to 9999") {
    CHECK(is_writable_time(0));
    CHECK(is_writable_time(253402300799));
    CHECK(format_rfc3339(253402300799) == "9999-12-31T23:59:59Z");
    CHECK_FALSE(is_writable_time(-1));
    CHECK_FALSE(is_writable_time(253402300800));
    CHECK_FALSE(is_writable_time(INT64_MAX));
  }

  TEST_CASE("parses UTC with Z") {
    CHECK(parse_rfc3339("2023-11-14T22:13:20Z") ==
          std::optional<std::int64_t>(1700000000));
  }

  TEST_CASE("parses lowercase z") {
    CHECK(parse_rfc3339("2023-11-14T22:13:20z") ==
          std::optional<std::int64_t>(1700000000));
  }

  TEST_CASE("applies positive and negative offsets") {
    CHECK(parse_rfc3339("2023-11-14T23:13:20+01:00") ==
          std::optional<std::int64_t>(1700000000));
    CHECK(parse_rfc3339("2023-11-14T16:43:20-05:30") ==
          std::optional<std::int64_t>(1700000000));
    CHECK(parse_rfc3339("2023-11-14T22:13:20+00:00") ==
          std::optional<std::int64_t>(1700000000));
  }

  TEST_CASE("drops a fraction of a second") {
    CHECK(parse_rfc3339("2023-11-14T22:13:20.999999999Z") ==
          std::optional<std::int64_t>(1700000000));
    CHECK(parse_rfc3339("2023-11-14T23:13:20.5+01:00") ==
          std::optional<std::int64_t>(1700000000));
  }

  TEST_CASE("round trips formatted times") {
    for (std::int64_t seconds :
         {std::int64_t{0}, std::int64_t{951782400}, std::int64_t{1700000000},
          std::int64_t{4102444800}}) {
      CAPTURE(seconds);
      CHECK(parse_rfc3339(format_rfc3339(seconds)) ==
            std::optional<std::int64_t>(seconds));
    }
  }

  TEST_CASE("rejects text outside the RFC 3339 form") {
    for (std::string text : {
             "",
             "2023-11-14",
             "2023-11-14T22:13:20",
             "2023-11-14 22:13:20Z",
             "2023-11-14T22:13:20Zjunk",
             "2023-11-14T22:13:20+01",
             "2023-11-14T22:13:20+0100",
             "2023-11-14T22:13:20+01:00x",
             "not a time",
         }) {
      CAPTURE(text);
      CHECK_FALSE(parse_rfc3339(text).has_value());
    }
  }

  // NOTE: these cases fail with glibc strptime and sscanf underneath, which
  // skip spaces, take one-digit fields and accept a sign inside the offset.
  TEST_CASE("rejects malformed fields strptime accepts") {
    for (std::string text : {
             "2023-1-4T2:3:4Z",
             " 2023-11-14T22:13:20Z",
             "2023-11-14T22:13:20.Z",
             "2023-11-14T22:13:20+-1:00",
             "2023-11-14T22:13:20+ 1:00",
             "2023-11-14T22:13:20+99:99",
             "2023-02-31T00:00:00Z",
         }) {
      CAPTURE(text);
      CHECK_FALSE(parse_rfc3339(text).has_value());
    }
  }
}
