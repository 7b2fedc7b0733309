// A JSON value that the command line builds for --json output. It lives in
// the oci module, which owns ocicap's use of nlohmann-json; the interface
// keeps that library out of other modules. Object members keep the order
// in which they are set.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace ocicap {

struct JsonDocument;

class JsonValue {
public:
  // null
  JsonValue();
  JsonValue(std::string_view text);
  JsonValue(const std::string& text);
  JsonValue(const char* text);
  template <typename Integer>
    requires(std::is_integral_v<Integer> && !std::is_same_v<Integer, bool>)
  JsonValue(Integer number) : JsonValue(static_cast<std::int64_t>(number), 0) {}
  JsonValue(bool flag);
  JsonValue(const JsonValue& other);
  JsonValue& operator=(const JsonValue& other);
  JsonValue(JsonValue&&) noexcept;
  JsonValue& operator=(JsonValue&&) noexcept;
  ~JsonValue();

  static JsonValue object();
  static JsonValue array();
  // An array of strings.
  static JsonValue array(const std::vector<std::string>& items);

  // Sets member `key` of an object; returns *this for chaining.
  JsonValue& set(std::string_view key, JsonValue value);
  // Appends to an array; returns *this.
  JsonValue& push(JsonValue value);

  // Returns the document indented by two spaces, without a final newline.
  // Invalid UTF-8 in strings becomes U+FFFD.
  std::string dump() const;

private:
  JsonValue(std::int64_t number, int);

  std::unique_ptr<JsonDocument> document_;
};

} // namespace ocicap
