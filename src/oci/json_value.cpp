#include "ocicap/json_value.hpp"

#include "json_document.hpp"

namespace ocicap {
namespace {

std::unique_ptr<JsonDocument> make_document(Json value) {
  auto document = std::make_unique<JsonDocument>();
  document->value = std::move(value);
  return document;
}

} // namespace

JsonValue::JsonValue() : document_(make_document(nullptr)) {}
JsonValue::JsonValue(std::string_view text)
    : document_(make_document(std::string(text))) {}
JsonValue::JsonValue(const std::string& text)
    : document_(make_document(text)) {}
JsonValue::JsonValue(const char* text)
    : document_(make_document(std::string(text))) {}
JsonValue::JsonValue(std::int64_t number, int)
    : document_(make_document(number)) {}
JsonValue::JsonValue(bool flag) : document_(make_document(flag)) {}
JsonValue::JsonValue(const JsonValue& other)
    : document_(make_document(other.document_->value)) {}
JsonValue::JsonValue(JsonValue&&) noexcept = default;
JsonValue& JsonValue::operator=(JsonValue&&) noexcept = default;
JsonValue::~JsonValue() = default;

JsonValue& JsonValue::operator=(const JsonValue& other) {
  if (this != &other) {
    document_ = make_document(other.document_->value);
  }
  return *this;
}

JsonValue JsonValue::object() {
  JsonValue value;
  value.document_->value = Json::object();
  return value;
}

JsonValue JsonValue::array() {
  JsonValue value;
  value.document_->value = Json::array();
  return value;
}

JsonValue JsonValue::array(const std::vector<std::string>& items) {
  JsonValue value = array();
  for (const std::string& item : items) {
    value.push(JsonValue(std::string_view(item)));
  }
  return value;
}

JsonValue& JsonValue::set(std::string_view key, JsonValue value) {
  document_->value[std::string(key)] = std::move(value.document_->value);
  return *this;
}

JsonValue& JsonValue::push(JsonValue value) {
  document_->value.push_back(std::move(value.document_->value));
  return *this;
}

std::string JsonValue::dump() const {
  return document_->value.dump(2, ' ', false, Json::error_handler_t::replace);
}

} // namespace ocicap
