#include "ocicap/vfs_cap_data.hpp"

#include "ocicap/error.hpp"

#include <array>
#include <cstdint>
#include <cstdio>

namespace ocicap {
namespace {

constexpr std::uint32_t revision_mask = 0xff000000;
constexpr std::uint32_t flags_effective = 0x000001;
constexpr std::uint32_t revision_1 = 0x01000000;
constexpr std::uint32_t revision_2 = 0x02000000;
constexpr std::uint32_t revision_3 = 0x03000000;

constexpr std::size_t revision_1_size = 3 * 4;
constexpr std::size_t revision_2_size = 5 * 4;
constexpr std::size_t revision_3_size = 6 * 4;
static_assert(revision_2_size == 20 && revision_3_size == 24,
              "sizes of struct vfs_cap_data and vfs_ns_cap_data");

void append_u32(std::string& out, std::uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) {
    out.push_back(static_cast<char>((value >> shift) & 0xff));
  }
}

std::uint32_t read_u32(std::string_view data, std::size_t index) {
  std::uint32_t value = 0;
  for (int byte = 3; byte >= 0; --byte) {
    value = (value << 8) |
            static_cast<unsigned char>(data[index * 4 + byte]);
  }
  return value;
}

std::string hex_of(std::string_view data) {
  std::string hex;
  char buffer[3];
  for (unsigned char c : data) {
    std::snprintf(buffer, sizeof buffer, "%02x", c);
    hex += buffer;
  }
  return hex;
}

} // namespace

std::string encode_vfs_cap_data(const CapabilitySet& set) {
  std::uint32_t magic = set.root_id ? revision_3 : revision_2;
  if (set.effective) {
    magic |= flags_effective;
  }
  std::string out;
  append_u32(out, magic);
  append_u32(out, static_cast<std::uint32_t>(set.permitted));
  append_u32(out, static_cast<std::uint32_t>(set.inheritable));
  append_u32(out, static_cast<std::uint32_t>(set.permitted >> 32));
  append_u32(out, static_cast<std::uint32_t>(set.inheritable >> 32));
  if (set.root_id) {
    append_u32(out, *set.root_id);
  }
  return out;
}

CapabilitySet decode_vfs_cap_data(std::string_view value) {
  if (value.size() < 4) {
    throw Error("invalid security.capability value of " +
                std::to_string(value.size()) + " bytes (0x" + hex_of(value) +
                "): too short for a vfs_cap_data header");
  }
  std::uint32_t magic = read_u32(value, 0);
  std::uint32_t revision = magic & revision_mask;
  std::size_t expected_size = revision == revision_1   ? revision_1_size
                              : revision == revision_2 ? revision_2_size
                              : revision == revision_3 ? revision_3_size
                                                       : 0;
  if (expected_size == 0) {
    throw Error("unknown security.capability revision 0x" + hex_of(value.substr(0, 4)) +
                " (little-endian magic); known revisions are 1, 2 and 3");
  }
  if (value.size() != expected_size) {
    throw Error("invalid security.capability value: revision " +
                std::to_string(revision >> 24) + " takes " +
                std::to_string(expected_size) + " bytes, found " +
                std::to_string(value.size()));
  }
  CapabilitySet set;
  set.effective = (magic & flags_effective) != 0;
  set.permitted = read_u32(value, 1);
  set.inheritable = read_u32(value, 2);
  if (revision != revision_1) {
    set.permitted |= std::uint64_t{read_u32(value, 3)} << 32;
    set.inheritable |= std::uint64_t{read_u32(value, 4)} << 32;
  }
  if (revision == revision_3) {
    set.root_id = read_u32(value, 5);
  }
  return set;
}

} // namespace ocicap
