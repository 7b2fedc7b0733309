#include "ocicap/json_value.hpp"

#include <doctest/doctest.h>
#include <string>

using ocicap::JsonValue;

TEST_SUITE("JsonValue") {
  TEST_CASE("dumps scalars") {
    CHECK(JsonValue().dump() == "null");
    CHECK(JsonValue("text").dump() == "\"text\"");
    CHECK(JsonValue(std::string("a\"b")).dump() == "\"a\\\"b\"");
    CHECK(JsonValue(42).dump() == "42");
    CHECK(JsonValue(std::uint32_t{4294967295u}).dump() == "4294967295");
    CHECK(JsonValue(true).dump() == "true");
  }

  TEST_CASE("keeps members in the order set") {
    JsonValue object = JsonValue::object();
    object.set("zeta", 1).set("alpha", "a").set("zeta", 2);
    CHECK(object.dump() == "{\n  \"zeta\": 2,\n  \"alpha\": \"a\"\n}");
  }

  TEST_CASE("builds arrays") {
    CHECK(JsonValue::array().dump() == "[]");
    CHECK(JsonValue::array({"a", "b"}).dump() ==
          "[\n  \"a\",\n  \"b\"\n]");
    JsonValue list = JsonValue::array();
    list.push(JsonValue::object().set("k", false));
    CHECK(list.dump() == "[\n  {\n    \"k\": false\n  }\n]");
  }

  TEST_CASE("copies deeply") {
    JsonValue first = JsonValue::object().set("k", 1);
    JsonValue second = first;
    second.set("k", 2);
    CHECK(first.dump() == "{\n  \"k\": 1\n}");
    CHECK(second.dump() == "{\n  \"k\": 2\n}");
  }

  TEST_CASE("replaces invalid UTF-8") {
    CHECK(JsonValue(std::string("a\xff")).dump() == "\"a\xef\xbf\xbd\"");
  }
}
