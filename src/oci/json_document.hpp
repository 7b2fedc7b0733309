// JSON representation shared by the oci module's sources. nlohmann's
// ordered_json keeps fields in document order, so a rewritten manifest or
// config differs from its source only where ocicap changed it.
#pragma once

#include "ocicap/descriptor.hpp"
#include "ocicap/documents.hpp"

#include <nlohmann/json.hpp>

namespace ocicap {

using Json = nlohmann::ordered_json;

struct JsonDocument {
  Json value;
};

// Maximum nesting of arrays and objects in a document. Real documents nest
// a few levels; copying and serializing recurse once per level, so a
// hostile document nested a million levels deep would overflow the stack.
inline constexpr std::size_t max_json_depth = 1000;

// Parses `bytes` into a JSON object; throws Error naming `source`, also
// when the document nests deeper than max_json_depth.
Json parse_json_object(std::string_view bytes, const std::string& source);

// Returns member `key` of `object` as a string, or throws naming `source`.
std::string required_string(const Json& object, const char* key,
                            const std::string& source);

// Returns member `key` of `object` as a string, or `fallback` when it is
// missing; throws Error naming `source` when it is not a string.
std::string optional_string(const Json& object, const char* key,
                            std::string_view fallback,
                            const std::string& source);

Descriptor descriptor_from_json(const Json& value, const std::string& source);
Json descriptor_to_json(const Descriptor& descriptor);

// Sets mediaType, digest and size of `target` from `descriptor`, keeping its
// other fields and their order.
void update_descriptor_json(Json& target, const Descriptor& descriptor);

std::string serialize_json(const Json& value);

} // namespace ocicap
