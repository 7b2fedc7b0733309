#include "ocicap/vfs_cap_data.hpp"

#include "ocicap/error.hpp"
#include "support/setcap.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::CapabilitySet;
using ocicap::decode_vfs_cap_data;
using ocicap::encode_vfs_cap_data;
using ocicap::Error;
using ocicap::test::from_hex;
using ocicap::test::to_hex;

namespace {

constexpr std::uint64_t cap_ipc_lock = std::uint64_t{1} << 14;

// Texts whose encoding is compared with what setcap writes.
const std::vector<std::string> setcap_texts = {
    "cap_ipc_lock+eip",
    "cap_net_raw,cap_net_admin=ep",
    "cap_chown+p",
    "cap_setuid+i",
    "cap_sys_admin,cap_bpf+ep",
    "=",
    "all=ep",
    "all=eip",
    "cap_chown+ei",
    "cap_chown=p cap_kill=i",
    "63+ep",
    "cap_setpcap,cap_setfcap+ip",
};

} // namespace

TEST_SUITE("VfsCapData") {
  TEST_CASE("encodes the documented example") {
    std::string value =
        encode_vfs_cap_data(ocicap::parse_capability_text("cap_ipc_lock+eip"));
    CHECK(to_hex(value) == "0100000200400000004000000000000000000000");
  }

  TEST_CASE("encodes revision 2 without a root ID") {
    std::string value = encode_vfs_cap_data(CapabilitySet{});
    CHECK(value.size() == 20);
    CHECK(to_hex(value) == "0000000200000000000000000000000000000000");
  }

  TEST_CASE("encodes revision 3 with a root ID") {
    CapabilitySet set{.permitted = cap_ipc_lock,
                      .inheritable = cap_ipc_lock,
                      .effective = true,
                      .root_id = 1000};
    std::string value = encode_vfs_cap_data(set);
    CHECK(value.size() == 24);
    CHECK(to_hex(value) == "0100000300400000004000000000000000000000e8030000");
  }

  TEST_CASE("encodes high capability words") {
    CapabilitySet set{.permitted = 0x8000000100000002,
                      .inheritable = 0x0000008000000004};
    CHECK(to_hex(encode_vfs_cap_data(set)) ==
          "0000000202000000040000000100008080000000");
  }

  TEST_CASE("keeps NUL bytes in the value") {
    std::string value = encode_vfs_cap_data(CapabilitySet{.root_id = 0});
    CHECK(value.size() == 24);
    CHECK(value == std::string("\x00\x00\x00\x03", 4) + std::string(20, '\0'));
  }

  TEST_CASE("decodes revision 1") {
    CapabilitySet set =
        decode_vfs_cap_data(from_hex("010000010040000000400000"));
    CHECK(set.permitted == cap_ipc_lock);
    CHECK(set.inheritable == cap_ipc_lock);
    CHECK(set.effective);
    CHECK_FALSE(set.root_id.has_value());
  }

  TEST_CASE("decodes revision 2") {
    CapabilitySet set = decode_vfs_cap_data(
        from_hex("0000000202000000040000000100008080000000"));
    CHECK(set.permitted == 0x8000000100000002);
    CHECK(set.inheritable == 0x0000008000000004);
    CHECK_FALSE(set.effective);
    CHECK_FALSE(set.root_id.has_value());
  }

  TEST_CASE("decodes revision 3 root ID") {
    CapabilitySet set = decode_vfs_cap_data(
        from_hex("0100000300400000004000000000000000000000e8030000"));
    CHECK(set.permitted == cap_ipc_lock);
    CHECK(set.inheritable == cap_ipc_lock);
    CHECK(set.effective);
    CHECK(set.root_id == std::optional<std::uint32_t>(1000));
  }

  TEST_CASE("decodes a root ID above 2^31") {
    CapabilitySet set = decode_vfs_cap_data(
        from_hex("0000000300000000000000000000000000000000feffffff"));
    CHECK(set.root_id == std::optional<std::uint32_t>(0xfffffffe));
  }

  TEST_CASE("decodes the effective bit alone") {
    CapabilitySet set = decode_vfs_cap_data(
        from_hex("0100000200000000000000000000000000000000"));
    CHECK(set.effective);
    CHECK(set.permitted == 0);
    CHECK(set.inheritable == 0);
  }

  TEST_CASE("ignores magic bits outside revision and effective") {
    CapabilitySet set = decode_vfs_cap_data(
        from_hex("0000010201000000000000000000000000000000"));
    CHECK(set.permitted == 1);
    CHECK_FALSE(set.effective);
  }

  TEST_CASE("round trips sets") {
    for (const CapabilitySet& set : std::vector<CapabilitySet>{
             {},
             {.permitted = ~std::uint64_t{0}, .effective = true},
             {.inheritable = ~std::uint64_t{0}},
             {.permitted = 1, .inheritable = 2, .root_id = 0},
             {.permitted = cap_ipc_lock,
             .effective = true,
             .root_id = 0xffffffff},
         }) {
      std::string value = encode_vfs_cap_data(set);
      CAPTURE(to_hex(value));
      CHECK(decode_vfs_cap_data(value) == set);
    }
  }

  TEST_CASE("rejects sizes unlike the revision") {
    struct Case {
      std::size_t size;
      std::string magic;
      std::string message;
    };
    for (const Case& item : std::vector<Case>{
             {19, "00000002", "revision 2 takes 20 bytes, found 19"},
             {21, "00000002", "revision 2 takes 20 bytes, found 21"},
             {24, "00000002", "revision 2 takes 20 bytes, found 24"},
             {23, "00000003", "revision 3 takes 24 bytes, found 23"},
             {25, "00000003", "revision 3 takes 24 bytes, found 25"},
             {20, "00000003", "revision 3 takes 24 bytes, found 20"},
             {20, "00000001", "revision 1 takes 12 bytes, found 20"},
             {11, "01000001", "revision 1 takes 12 bytes, found 11"},
         }) {
      CAPTURE(item.size);
      CAPTURE(item.magic);
      std::string value =
          from_hex(item.magic) + std::string(item.size - 4, '\0');
      CHECK_THROWS_WITH_AS(
          decode_vfs_cap_data(value),
          ("invalid security.capability value: " + item.message).c_str(),
          Error);
    }
  }

  TEST_CASE("rejects values shorter than the header") {
    for (std::string hex : {"", "00", "000000"}) {
      CAPTURE(hex);
      std::string value = from_hex(hex);
      CHECK_THROWS_WITH_AS(decode_vfs_cap_data(value),
                           ("invalid security.capability value of " +
                            std::to_string(value.size()) + " bytes (0x" + hex +
                            "): too short for a vfs_cap_data header")
                               .c_str(),
                           Error);
    }
  }

  TEST_CASE("rejects unknown revisions") {
    for (std::string magic : {"00000000", "00000004", "010000ff", "000000ff"}) {
      CAPTURE(magic);
      std::string value = from_hex(magic) + std::string(16, '\0');
      CHECK_THROWS_WITH_AS(decode_vfs_cap_data(value),
                           ("unknown security.capability revision 0x" + magic +
                            " (little-endian magic); known revisions are 1, "
                            "2 and 3")
                               .c_str(),
                           Error);
    }
  }

  TEST_CASE("encodes what setcap writes") {
    if (auto reason = ocicap::test::setcap_unavailable_reason()) {
      MESSAGE("skipped: " << *reason);
      return;
    }
    for (const std::string& text : setcap_texts) {
      CAPTURE(text);
      std::optional<std::string> written = ocicap::test::setcap_value(text);
      REQUIRE(written.has_value());
      std::string encoded =
          encode_vfs_cap_data(ocicap::parse_capability_text(text));
      CHECK(to_hex(encoded) == to_hex(*written));
    }
  }

  TEST_CASE("encodes what setcap -n writes") {
    if (auto reason = ocicap::test::setcap_unavailable_reason()) {
      MESSAGE("skipped: " << *reason);
      return;
    }
    for (std::uint32_t root_id : {1u, 1000u, 65534u, 0x7fffffffu}) {
      for (const std::string& text :
           {std::string("cap_ipc_lock+eip"), std::string("cap_chown+p")}) {
        CAPTURE(root_id);
        CAPTURE(text);
        std::optional<std::string> written =
            ocicap::test::setcap_value(text, root_id);
        REQUIRE(written.has_value());
        CapabilitySet set = ocicap::parse_capability_text(text);
        set.root_id = root_id;
        CHECK(to_hex(encode_vfs_cap_data(set)) == to_hex(*written));
        CHECK(decode_vfs_cap_data(*written) == set);
      }
    }
  }

  TEST_CASE("decodes setcap values as getcap prints them") {
    if (auto reason = ocicap::test::setcap_unavailable_reason()) {
      MESSAGE("skipped: " << *reason);
      return;
    }
    for (const std::string& text : setcap_texts) {
      CAPTURE(text);
      std::optional<std::string> written = ocicap::test::setcap_value(text);
      REQUIRE(written.has_value());
      std::string formatted =
          ocicap::format_capability_text(decode_vfs_cap_data(*written));
      CHECK(formatted == ocicap::test::getcap_text(*written));
    }
  }
}
