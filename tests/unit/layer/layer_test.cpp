#include "ocicap/layer.hpp"

#include "ocicap/error.hpp"
#include "ocicap/image_path.hpp"
#include "ocicap/vfs_cap_data.hpp"
#include "support/image_builder.hpp"
#include "support/printers.hpp"
#include "support/temp_directory.hpp"

#include <algorithm>
#include <archive_entry.h>
#include <atomic>
#include <doctest/doctest.h>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <sys/xattr.h>
#include <unistd.h>
#include <vector>

using ocicap::Descriptor;
using ocicap::EntryType;
using ocicap::Error;
using ocicap::ImageLayer;
using ocicap::ImageLayout;
using ocicap::LayerReader;
using ocicap::TarEntry;
using ocicap::Xattr;
using ocicap::media_type::Compression;
using ocicap::test::EntrySpec;
using ocicap::test::TempDirectory;

namespace {

const std::vector<Compression> all_compressions = {
    Compression::gzip, Compression::zstd, Compression::none};

std::string compression_label(Compression compression) {
  return std::string(ocicap::media_type::compression_name(compression));
}

std::string random_bytes(std::size_t size, unsigned seed) {
  std::mt19937 generator(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) {
    c = static_cast<char>(generator() & 0xff);
  }
  return bytes;
}

// The security.capability value of cap_ipc_lock+eip: 20 bytes, most NUL.
std::string capability_value() {
  return ocicap::encode_vfs_cap_data(
      {.permitted = 1 << 14, .inheritable = 1 << 14, .effective = true});
}

// Entries that exercise the PAX features a layer needs: long and non-ASCII
// names, large IDs, owner names, set-id modes, binary xattrs, links and
// content longer than the 256 KiB copy buffers.
std::vector<EntrySpec> sample_entries() {
  EntrySpec tool =
      ocicap::test::file_entry("usr/bin/tool", random_bytes(600 * 1024 + 7, 1),
                               {{"security.capability", capability_value()},
                                {"user.comment", "hello"},
                                {"trusted.zeros", std::string(3, '\0')}});
  tool.mode = 04755;
  tool.uid = 1000;
  tool.gid = 2000;
  tool.uname = "builder";
  tool.gname = "staff";
  tool.mtime = 1700000123;

  EntrySpec big_ids = ocicap::test::file_entry("etc/big-ids", "ids\n");
  big_ids.uid = 3000000;
  big_ids.gid = 4000000;

  EntrySpec private_dir = ocicap::test::directory_entry("root");
  private_dir.mode = 0700;

  return {
      ocicap::test::directory_entry("usr"),
      ocicap::test::directory_entry("usr/bin"),
      tool,
      ocicap::test::symlink_entry("usr/bin/link", "tool"),
      ocicap::test::hardlink_entry("usr/bin/hard", "usr/bin/tool"),
      ocicap::test::directory_entry("etc"),
      ocicap::test::file_entry("etc/empty", ""),
      big_ids,
      ocicap::test::file_entry("etc/" + std::string(150, 'n'), "long name"),
      ocicap::test::file_entry("etc/caf\xc3\xa9", "utf-8 name"),
      private_dir,
  };
}

struct ReadEntry {
  TarEntry entry;
  std::string content;
};

std::vector<ReadEntry> read_all(const ImageLayout& layout,
                                const ImageLayer& layer) {
  LayerReader reader(layout, layer);
  std::vector<ReadEntry> entries;
  while (reader.next()) {
    ReadEntry item{reader.entry(), ""};
    reader.read_data([&item](std::string_view data) { item.content += data; });
    entries.push_back(std::move(item));
  }
  reader.finish();
  CHECK(reader.compressed_bytes_read() == layer.descriptor.size);
  return entries;
}

std::vector<Xattr> sorted(std::vector<Xattr> xattrs) {
  std::sort(xattrs.begin(), xattrs.end());
  return xattrs;
}

void check_entry(const ReadEntry& read, const EntrySpec& spec) {
  CAPTURE(spec.name);
  const TarEntry& entry = read.entry;
  if (spec.type == EntryType::directory) {
    CHECK(ocicap::normalize_image_path(entry.name()) == spec.name);
  } else {
    CHECK(entry.name() == spec.name);
  }
  CHECK(entry.type() == spec.type);
  CHECK(entry.mode() == spec.mode);
  CHECK(entry.uid() == spec.uid);
  CHECK(entry.gid() == spec.gid);
  const char* uname = archive_entry_uname(entry.get());
  const char* gname = archive_entry_gname(entry.get());
  CHECK(std::string(uname ? uname : "") == spec.uname);
  CHECK(std::string(gname ? gname : "") == spec.gname);
  CHECK(archive_entry_mtime(entry.get()) == spec.mtime);
  // Order is checked apart, in "keeps xattr records in archive order".
  CHECK(sorted(entry.xattrs()) == sorted(spec.xattrs));
  CHECK(entry.link_target() == spec.link_target);
  if (spec.type == EntryType::regular) {
    CHECK(entry.size() == static_cast<std::int64_t>(spec.content.size()));
    CHECK(read.content.size() == spec.content.size());
    CHECK(read.content == spec.content);
  }
}

std::string diff_id_by_tools(const ImageLayout& layout, const ImageLayer& layer,
                             Compression compression,
                             const TempDirectory& scratch) {
  std::string tar = scratch.file("layer.tar");
  ocicap::test::decompress_blob(layout.blob_path(layer.descriptor.digest),
                                compression, tar);
  return "sha256:" + ocicap::test::sha256sum_of(tar);
}

// Flips one bit in the middle of a blob and returns the damaged bytes.
std::string damaged_copy(const ImageLayout& layout, const ImageLayer& layer) {
  std::string bytes =
      ocicap::test::read_file(layout.blob_path(layer.descriptor.digest));
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x10);
  return bytes;
}

std::string error_of(const std::function<void()>& body) {
  try {
    body();
  } catch (const Error& error) {
    return error.what();
  }
  return "(no Error thrown)";
}

// Turns the diff ID check on for the LayerReaders of one test.
struct DiffIdCheck {
  DiffIdCheck() { ocicap::set_diff_id_check(true); }
  ~DiffIdCheck() { ocicap::set_diff_id_check(false); }
  DiffIdCheck(const DiffIdCheck&) = delete;
  DiffIdCheck& operator=(const DiffIdCheck&) = delete;
};

// Stores a plain layer of one file, `bin/tool`, whose PAX header contains
// `records` in the given order.
ImageLayer store_pax_layer(
    const ImageLayout& layout,
    const std::vector<std::pair<std::string, std::string>>& records,
    const std::string& content) {
  std::string tar =
      ocicap::test::pax_tar_with_records("bin/tool", records, content);
  return ImageLayer{ocicap::test::store_raw_blob(
                        layout, tar, "application/vnd.oci.image.layer.v1.tar"),
                    ocicap::digest_of(tar)};
}

void read_whole_layer(const ImageLayout& layout, const ImageLayer& layer) {
  LayerReader reader(layout, layer);
  while (reader.next()) {
    reader.read_data([](std::string_view) {});
  }
  reader.finish();
}

} // namespace

TEST_SUITE("LayerWriter") {
  TEST_CASE("round trips entries through LayerReader") {
    for (Compression compression : all_compressions) {
      CAPTURE(compression_label(compression));
      TempDirectory directory;
      ImageLayout layout = ImageLayout::create(directory.path());
      std::vector<EntrySpec> specs = sample_entries();
      ImageLayer layer = ocicap::test::write_layer(layout, specs, compression);
      std::vector<ReadEntry> entries = read_all(layout, layer);
      REQUIRE(entries.size() == specs.size());
      for (std::size_t i = 0; i < specs.size(); ++i) {
        check_entry(entries[i], specs[i]);
      }
    }
  }

  TEST_CASE("describes the blob it wrote") {
    for (Compression compression : all_compressions) {
      CAPTURE(compression_label(compression));
      TempDirectory directory;
      ImageLayout layout = ImageLayout::create(directory.path());
      ImageLayer layer =
          ocicap::test::write_layer(layout, sample_entries(), compression);
      std::string blob = layout.blob_path(layer.descriptor.digest);
      CHECK(layer.descriptor.size == ocicap::file_size(blob));
      CHECK(layer.descriptor.digest.string() ==
            "sha256:" + ocicap::test::sha256sum_of(blob));
      CHECK(layer.diff_id.string() ==
            diff_id_by_tools(layout, layer, compression, directory));
      if (compression == Compression::none) {
        CHECK(layer.diff_id == layer.descriptor.digest);
      } else {
        CHECK(layer.diff_id != layer.descriptor.digest);
      }
    }
  }

  TEST_CASE("writes streams gzip and zstd accept") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer gzip_layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    ImageLayer zstd_layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::zstd);
    std::string gzip_blob = layout.blob_path(gzip_layer.descriptor.digest);
    std::string zstd_blob = layout.blob_path(zstd_layer.descriptor.digest);
    CHECK(ocicap::test::run_command("gzip -t " +
                                    ocicap::test::shell_quote(gzip_blob)) == 0);
    CHECK(ocicap::test::run_command("zstd -q -t " +
                                    ocicap::test::shell_quote(zstd_blob)) == 0);
    std::string gzip_bytes = ocicap::test::read_file(gzip_blob);
    REQUIRE(gzip_bytes.size() > 10);
    CHECK(ocicap::test::to_hex(gzip_bytes.substr(0, 2)) == "1f8b");
    CHECK(ocicap::test::to_hex(gzip_bytes.substr(4, 4)) == "00000000");
  }

  TEST_CASE("writes xattrs GNU tar extracts") {
    if (::geteuid() != 0) {
      MESSAGE("skipped: extracting security.capability needs root");
      return;
    }
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    std::string root = directory.file("rootfs");
    ocicap::make_directories(root);
    std::string command =
        "tar --xattrs --xattrs-include='*' --numeric-owner -xzf " +
        ocicap::test::shell_quote(layout.blob_path(layer.descriptor.digest)) +
        " -C " + ocicap::test::shell_quote(root);
    REQUIRE(ocicap::test::run_command(command) == 0);
    std::string tool = root + "/usr/bin/tool";
    char value[64];
    ssize_t size =
        ::getxattr(tool.c_str(), "security.capability", value, sizeof value);
    REQUIRE(size >= 0);
    CHECK(ocicap::test::to_hex(std::string(value, size)) ==
          ocicap::test::to_hex(capability_value()));
    size = ::getxattr(tool.c_str(), "user.comment", value, sizeof value);
    CHECK(std::string(value, size > 0 ? size : 0) == "hello");
    CHECK(ocicap::test::read_file(tool) == random_bytes(600 * 1024 + 7, 1));
  }

  TEST_CASE("gives reproducible digests") {
    for (Compression compression : all_compressions) {
      CAPTURE(compression_label(compression));
      TempDirectory first_directory;
      TempDirectory second_directory;
      ImageLayout first = ImageLayout::create(first_directory.path());
      ImageLayout second = ImageLayout::create(second_directory.path());
      ImageLayer one =
          ocicap::test::write_layer(first, sample_entries(), compression);
      ::sleep(1);
      ImageLayer two =
          ocicap::test::write_layer(second, sample_entries(), compression);
      CHECK(one.descriptor.digest == two.descriptor.digest);
      CHECK(one.diff_id == two.diff_id);
    }
  }

  TEST_CASE("writes an empty layer") {
    for (Compression compression : all_compressions) {
      CAPTURE(compression_label(compression));
      TempDirectory directory;
      ImageLayout layout = ImageLayout::create(directory.path());
      ImageLayer layer = ocicap::test::write_layer(layout, {}, compression);
      CHECK(read_all(layout, layer).empty());
      CHECK(layer.diff_id.string() ==
            diff_id_by_tools(layout, layer, compression, directory));
    }
  }

  TEST_CASE("names a file whose content ends early") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    std::unique_ptr<ocicap::BlobWriter> blob = layout.write_blob();
    ocicap::LayerWriter writer(*blob, Compression::gzip);
    TarEntry entry =
        ocicap::test::make_tar_entry(ocicap::test::file_entry("f", "12345"));
    ocicap::FileDescriptor content = ocicap::create_spool_file();
    ocicap::write_fully(content.get(), "123", "content");
    CHECK_THROWS_WITH_AS(writer.write_file(entry, content.get()),
                         "the content of f ended 2 bytes early", Error);
  }

  TEST_CASE("writes only entry.size() bytes of longer content") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    std::unique_ptr<ocicap::BlobWriter> blob = layout.write_blob();
    ocicap::LayerWriter writer(*blob, Compression::none);
    TarEntry entry =
        ocicap::test::make_tar_entry(ocicap::test::file_entry("f", "123"));
    ocicap::FileDescriptor content = ocicap::create_spool_file();
    ocicap::write_fully(content.get(), "123456", "content");
    writer.write_file(entry, content.get());
    ocicap::LayerDigests digests = writer.finish();
    ImageLayer layer{{.media_type = "application/vnd.oci.image.layer.v1.tar",
                      .digest = blob->commit(),
                      .size = digests.size},
                     digests.diff_id};
    std::vector<ReadEntry> entries = read_all(layout, layer);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].content == "123");
  }

  TEST_CASE("leaves no blob when not committed") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    {
      std::unique_ptr<ocicap::BlobWriter> blob = layout.write_blob();
      ocicap::LayerWriter writer(*blob, Compression::zstd);
      writer.write_entry(TarEntry::directory("d", 0755, 0));
      writer.finish();
    }
    CHECK(std::filesystem::is_empty(directory.file("blobs/sha256")));
  }
}

TEST_SUITE("LayerReader") {
  TEST_CASE("reads xattrs GNU tar wrote") {
    if (::geteuid() != 0) {
      MESSAGE("skipped: setting security.capability needs root");
      return;
    }
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.file("layout"));
    std::string root = directory.file("rootfs");
    ocicap::make_directories(root + "/bin");
    ocicap::test::write_file(root + "/bin/tool", "tool");
    std::string value = capability_value();
    REQUIRE(::setxattr((root + "/bin/tool").c_str(), "security.capability",
                       value.data(), value.size(), 0) == 0);
    REQUIRE(::setxattr((root + "/bin/tool").c_str(), "user.note", "a\0b", 3,
                       0) == 0);
    for (Compression compression : all_compressions) {
      CAPTURE(compression_label(compression));
      ImageLayer layer =
          ocicap::test::write_gnu_tar_layer(layout, root, compression);
      std::vector<ReadEntry> entries = read_all(layout, layer);
      const ReadEntry* tool = nullptr;
      for (const ReadEntry& item : entries) {
        if (ocicap::normalize_image_path(item.entry.name()) == "bin/tool") {
          tool = &item;
        }
      }
      REQUIRE(tool != nullptr);
      CHECK(tool->content == "tool");
      CHECK(tool->entry.xattr("security.capability") ==
            std::optional<std::string>(value));
      CHECK(tool->entry.xattr("user.note") ==
            std::optional<std::string>(std::string("a\0b", 3)));
    }
  }

  // TarEntry::xattrs() promises that the last record of a name wins, as in
  // Go's archive/tar (parsePAX stores records in a map in archive order),
  // which containerd and Docker extract layers with.
  TEST_CASE("keeps the last of duplicate xattr records") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer = store_pax_layer(layout,
                                       {{"SCHILY.xattr.user.a", "first"},
                                        {"SCHILY.xattr.user.b", "b"},
                                        {"SCHILY.xattr.user.a", "last"}},
                                       "tool");
    std::vector<ReadEntry> entries = read_all(layout, layer);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].content == "tool");
    CHECK(entries[0].entry.xattr("user.a") ==
          std::optional<std::string>("last"));
  }

  TEST_CASE("keeps xattr records in archive order") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer = store_pax_layer(
        layout,
        {{"SCHILY.xattr.user.z", "1"},
         {"SCHILY.xattr.security.capability", "2"},
         {"SCHILY.xattr.user.a", "3"},
         {"SCHILY.xattr.user.z", "4"}},
        "");
    const std::vector<Xattr> expected{
        {"user.z", "4"}, {"security.capability", "2"}, {"user.a", "3"}};
    LayerReader reader(layout, layer);
    REQUIRE(reader.next());
    CHECK(reader.entry().xattrs() == expected);
    TarEntry copy = reader.entry();
    TarEntry copy_of_copy = copy;
    TarEntry assigned;
    assigned = copy_of_copy;
    CHECK(copy.xattrs() == expected);
    CHECK(copy_of_copy.xattrs() == expected);
    CHECK(assigned.xattrs() == expected);
    CHECK(assigned.xattr("user.z") == std::optional<std::string>("4"));
    CHECK_FALSE(reader.next());
    reader.finish();
    std::vector<ReadEntry> entries = read_all(layout, layer);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].entry.xattrs() == expected);
  }

  TEST_CASE("reads holes of sparse files as zeros") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.file("layout"));
    std::string root = directory.file("rootfs");
    ocicap::make_directories(root);
    std::string sparse = root + "/sparse";
    REQUIRE(ocicap::test::run_command("truncate -s 1M " +
                                      ocicap::test::shell_quote(sparse) +
                                      " && printf tail >> " +
                                      ocicap::test::shell_quote(sparse)) == 0);
    std::string tar = directory.file("sparse.tar");
    REQUIRE(ocicap::test::run_command("tar --format=pax --sparse -C " +
                                      ocicap::test::shell_quote(root) +
                                      " -cf " + ocicap::test::shell_quote(tar) +
                                      " sparse") == 0);
    ImageLayer layer{
        ocicap::test::store_raw_blob(layout, ocicap::test::read_file(tar),
                                     "application/vnd.oci.image.layer.v1.tar"),
        ocicap::digest_of(ocicap::test::read_file(tar))};
    std::vector<ReadEntry> entries = read_all(layout, layer);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].content == std::string(1 << 20, '\0') + "tail");
  }

  TEST_CASE("finish checks an unread layer") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    LayerReader reader(layout, layer);
    CHECK_NOTHROW(reader.finish());
    CHECK(reader.compressed_bytes_read() == layer.descriptor.size);
    CHECK_NOTHROW(reader.finish());
  }

  TEST_CASE("skipping content still verifies") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::zstd);
    LayerReader reader(layout, layer);
    std::size_t count = 0;
    while (reader.next()) {
      ++count;
    }
    CHECK(count == sample_entries().size());
    CHECK_NOTHROW(reader.finish());
  }

  TEST_CASE("finish_blob_only verifies the digest") {
    for (Compression compression : all_compressions) {
      CAPTURE(compression_label(compression));
      TempDirectory directory;
      ImageLayout layout = ImageLayout::create(directory.path());
      ImageLayer layer =
          ocicap::test::write_layer(layout, sample_entries(), compression);
      LayerReader reader(layout, layer);
      REQUIRE(reader.next());
      CHECK_NOTHROW(reader.finish_blob_only());
      CHECK(reader.compressed_bytes_read() == layer.descriptor.size);
    }
  }

  TEST_CASE("finish_blob_only rejects a damaged tail") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    std::string path = layout.blob_path(layer.descriptor.digest);
    std::string blob = ocicap::test::read_file(path);
    // The last byte is part of the gzip trailer, which an early stop
    // never inflates: only the digest can catch the change.
    blob.back() = static_cast<char>(blob.back() ^ 0x01);
    ocicap::test::write_file(path, blob);
    LayerReader reader(layout, layer);
    REQUIRE(reader.next());
    std::string message = error_of([&] { reader.finish_blob_only(); });
    CAPTURE(message);
    CHECK(message.find("does not match its digest") != std::string::npos);
  }

  TEST_CASE("reports progress up to the blob size") {
    struct Recorder : ocicap::ReadProgress {
      std::int64_t last = 0;
      std::size_t calls = 0;
      const void* read = nullptr;
      std::size_t closed = 0;
      void layer_progress(const void* token, const Descriptor&,
                          std::int64_t bytes) override {
        CHECK(bytes >= last);
        CHECK((read == nullptr || read == token));
        read = token;
        last = bytes;
        ++calls;
      }
      void layer_closed(const void* token) override {
        CHECK(token == read);
        ++closed;
      }
    };
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    Recorder recorder;
    ocicap::set_read_progress(&recorder);
    CHECK_NOTHROW(read_whole_layer(layout, layer));
    ocicap::set_read_progress(nullptr);
    CHECK(recorder.calls > 0);
    CHECK(recorder.last == layer.descriptor.size);
    CHECK(recorder.closed == 1);
  }

  TEST_CASE("stops a read once its stop flag is set") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    std::atomic<bool> stop{false};
    LayerReader reader(layout, layer);
    reader.set_stop_flag(&stop);
    REQUIRE(reader.next());
    stop = true;
    std::string message = error_of([&] {
      while (reader.next()) {
      }
    });
    CAPTURE(message);
    // A stopped read ends without the digest check, whose failure would
    // otherwise be named first.
    CHECK(message.find("the read was stopped") != std::string::npos);
    CHECK(message.find("digest") == std::string::npos);
  }

  TEST_CASE("checks the diff ID only when asked to") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    layer.diff_id = ocicap::digest_of("another layer");
    CHECK_NOTHROW(read_whole_layer(layout, layer));
    DiffIdCheck check;
    CHECK_THROWS_AS(read_whole_layer(layout, layer), ocicap::Error);
  }

  TEST_CASE("names a wrong diff ID") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    ocicap::Digest actual = layer.diff_id;
    layer.diff_id = ocicap::digest_of("another layer");
    DiffIdCheck check;
    std::string message = error_of([&] { read_whole_layer(layout, layer); });
    CAPTURE(message);
    CHECK(message.find("layer " + layer.descriptor.digest.string()) !=
          std::string::npos);
    CHECK(message.find("diff ID " + layer.diff_id.string()) !=
          std::string::npos);
    CHECK(message.find(actual.string()) != std::string::npos);
  }

  TEST_CASE("names a wrong diff ID of a plain layer") {
    // A plain layer's diff ID equals its digest, so the reader hashes it
    // once; a config that names another diff ID must still fail, with or
    // without set_diff_id_check().
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::none);
    REQUIRE(layer.diff_id == layer.descriptor.digest);
    CHECK_NOTHROW(read_whole_layer(layout, layer));
    layer.diff_id = ocicap::digest_of("another layer");
    std::string message = error_of([&] { read_whole_layer(layout, layer); });
    CAPTURE(message);
    CHECK(message.find("diff ID " + layer.diff_id.string()) !=
          std::string::npos);
    CHECK(message.find(layer.descriptor.digest.string()) != std::string::npos);
  }

  TEST_CASE("writes xattrs in the order set") {
    for (Compression compression : all_compressions) {
      CAPTURE(compression_label(compression));
      TempDirectory directory;
      ImageLayout layout = ImageLayout::create(directory.path());
      const std::vector<Xattr> order{{"user.z", "1"},
                                     {"security.capability", "2"},
                                     {"user.a", "3"}};
      ImageLayer layer = ocicap::test::write_layer(
          layout, {ocicap::test::file_entry("bin/tool", "tool", order)},
          compression);
      std::vector<ReadEntry> entries = read_all(layout, layer);
      REQUIRE(entries.size() == 1);
      CHECK(entries[0].entry.xattrs() == order);
    }
  }

  // A docker save archive names a plain layer by path; its digest is the
  // config's diff ID, taken unchecked, and the reader seeks past content.
  TEST_CASE("reads a plain layer of a docker archive by seeking") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    layout.mark_docker_archive();
    std::vector<ocicap::test::EntrySpec> specs = sample_entries();
    ImageLayer layer =
        ocicap::test::write_layer(layout, specs, Compression::none);
    REQUIRE(layer.diff_id == layer.descriptor.digest);
    std::vector<ReadEntry> entries = read_all(layout, layer);
    REQUIRE(entries.size() == specs.size());
    for (std::size_t i = 0; i < specs.size(); ++i) {
      check_entry(entries[i], specs[i]);
    }
    // A read of the headers alone reaches the blob's end too, and finish()
    // has no digest to check.
    LayerReader reader(layout, layer);
    while (reader.next()) {
    }
    CHECK_NOTHROW(reader.finish());
    CHECK(reader.compressed_bytes_read() == layer.descriptor.size);
  }

  TEST_CASE("checks a docker archive's plain layer only when asked to") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    layout.mark_docker_archive();
    ImageLayer layer = ocicap::test::write_layer(
        layout, {ocicap::test::file_entry("etc/one", "one")},
        Compression::none);
    // Another tar under the same name: the file no longer matches the
    // diff ID that names it.
    ImageLayout scratch = ImageLayout::create(directory.path() + "/scratch");
    ImageLayer other = ocicap::test::write_layer(
        scratch, {ocicap::test::file_entry("etc/two", "two")},
        Compression::none);
    std::filesystem::copy_file(
        scratch.blob_path(other.descriptor.digest),
        layout.blob_path(layer.descriptor.digest),
        std::filesystem::copy_options::overwrite_existing);
    layer.descriptor.size = other.descriptor.size;
    std::vector<ReadEntry> entries = read_all(layout, layer);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].entry.name() == "etc/two");
    DiffIdCheck check;
    std::string message = error_of([&] { read_whole_layer(layout, layer); });
    CAPTURE(message);
    CHECK(message.find("not to its diff ID " + layer.diff_id.string()) !=
          std::string::npos);
  }

  TEST_CASE("names a truncated plain layer read by seeking") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    layout.mark_docker_archive();
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::none);
    std::filesystem::resize_file(layout.blob_path(layer.descriptor.digest),
                                 300 * 1024);
    std::string message = error_of([&] { read_whole_layer(layout, layer); });
    CAPTURE(message);
    CHECK(message.find("layer " + layer.descriptor.digest.string()) !=
          std::string::npos);
  }

  TEST_CASE("rejects a damaged header read by seeking") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    layout.mark_docker_archive();
    ImageLayer layer = ocicap::test::write_layer(
        layout,
        {ocicap::test::file_entry("etc/one", "one"),
         ocicap::test::file_entry("etc/two", "two")},
        Compression::none);
    // A wrong checksum in the second header: libarchive would skip the
    // entry and look for the next header.
    std::string path = layout.blob_path(layer.descriptor.digest);
    std::string bytes = ocicap::test::read_file(path);
    std::size_t header = bytes.find("etc/two");
    REQUIRE(header != std::string::npos);
    bytes.replace(header + 148, 7, "7777777");
    ocicap::test::write_file(path, bytes);
    std::string message = error_of([&] { read_whole_layer(layout, layer); });
    CAPTURE(message);
    CHECK(message.find("cannot read the entry after \"etc/one\"") !=
          std::string::npos);
  }

  TEST_CASE("names a corrupt gzip blob") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    std::string damaged = damaged_copy(layout, layer);
    ocicap::test::write_file(layout.blob_path(layer.descriptor.digest),
                             damaged);
    std::string message = error_of([&] { read_whole_layer(layout, layer); });
    CAPTURE(message);
    CHECK(message.find(layer.descriptor.digest.string()) != std::string::npos);
    CHECK(message.find("does not match its digest") != std::string::npos);
  }

  TEST_CASE("names a corrupt blob whose digest matches") {
    for (Compression compression : all_compressions) {
      CAPTURE(compression_label(compression));
      TempDirectory directory;
      ImageLayout layout = ImageLayout::create(directory.path());
      ImageLayer layer =
          ocicap::test::write_layer(layout, sample_entries(), compression);
      ImageLayer damaged{
          ocicap::test::store_raw_blob(layout, damaged_copy(layout, layer),
                                       layer.descriptor.media_type),
          layer.diff_id};
      std::string message =
          error_of([&] { read_whole_layer(layout, damaged); });
      CAPTURE(message);
      CHECK(message.find(damaged.descriptor.digest.string()) !=
            std::string::npos);
    }
  }

  TEST_CASE("names a truncated blob") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    std::string path = layout.blob_path(layer.descriptor.digest);
    std::string bytes = ocicap::test::read_file(path);
    ocicap::test::write_file(path, bytes.substr(0, bytes.size() / 2));
    std::string message = error_of([&] { read_whole_layer(layout, layer); });
    CAPTURE(message);
    CHECK(message.find("blob " + layer.descriptor.digest.string() + " has " +
                       std::to_string(bytes.size() / 2) +
                       " bytes but its descriptor declares " +
                       std::to_string(bytes.size())) != std::string::npos);
  }

  TEST_CASE("names a truncated blob whose digest matches") {
    for (Compression compression : all_compressions) {
      CAPTURE(compression_label(compression));
      TempDirectory directory;
      ImageLayout layout = ImageLayout::create(directory.path());
      ImageLayer layer =
          ocicap::test::write_layer(layout, sample_entries(), compression);
      std::string bytes =
          ocicap::test::read_file(layout.blob_path(layer.descriptor.digest));
      ImageLayer truncated{ocicap::test::store_raw_blob(
                               layout, bytes.substr(0, bytes.size() - 100),
                               layer.descriptor.media_type),
                           layer.diff_id};
      std::string message =
          error_of([&] { read_whole_layer(layout, truncated); });
      CAPTURE(message);
      CHECK(message.find(truncated.descriptor.digest.string()) !=
            std::string::npos);
    }
  }

  TEST_CASE("names a blob longer than its descriptor") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    std::string path = layout.blob_path(layer.descriptor.digest);
    ocicap::test::write_file(path, ocicap::test::read_file(path) + "extra");
    std::string message = error_of([&] { read_whole_layer(layout, layer); });
    CAPTURE(message);
    CHECK(message.find("blob " + layer.descriptor.digest.string()) !=
          std::string::npos);
    CHECK(message.find(std::to_string(layer.descriptor.size)) !=
          std::string::npos);
  }

  TEST_CASE("names a missing blob") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    std::string path = layout.blob_path(layer.descriptor.digest);
    ::unlink(path.c_str());
    CHECK(error_of([&] { LayerReader reader(layout, layer); }) ==
          "blob " + layer.descriptor.digest.string() + " not found: " + path +
              " is missing from the layout");
  }

  TEST_CASE("names the layer of an unsupported type") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    layer.descriptor.media_type =
        "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
    std::string message = error_of([&] { LayerReader reader(layout, layer); });
    CAPTURE(message);
    CHECK(message.find("unsupported layer media type \"" +
                       layer.descriptor.media_type + "\"") !=
          std::string::npos);
    CHECK(message.find(layer.descriptor.digest.string()) != std::string::npos);
  }

  TEST_CASE("rejects content compressed unlike its media type") {
    struct Case {
      Compression written;
      std::string media_type;
      std::string content;
    };
    for (const Case& item : std::vector<Case>{
             {Compression::gzip, "application/vnd.oci.image.layer.v1.tar+zstd",
              "gzip-compressed"},
             {Compression::zstd, "application/vnd.oci.image.layer.v1.tar+gzip",
              "zstd-compressed"},
             {Compression::none, "application/vnd.oci.image.layer.v1.tar+gzip",
              "not gzip-compressed"},
             {Compression::none, "application/vnd.oci.image.layer.v1.tar+zstd",
              "not zstd-compressed"},
         }) {
      CAPTURE(item.media_type);
      TempDirectory directory;
      ImageLayout layout = ImageLayout::create(directory.path());
      ImageLayer layer =
          ocicap::test::write_layer(layout, sample_entries(), item.written);
      layer.descriptor.media_type = item.media_type;
      std::string message = error_of([&] { read_whole_layer(layout, layer); });
      CAPTURE(message);
      CHECK(message.find("layer " + layer.descriptor.digest.string()) !=
            std::string::npos);
      CHECK(message.find("the content is " + item.content) !=
            std::string::npos);
    }
  }

  TEST_CASE("rejects a compressed blob labelled uncompressed") {
    TempDirectory directory;
    ImageLayout layout = ImageLayout::create(directory.path());
    ImageLayer layer =
        ocicap::test::write_layer(layout, sample_entries(), Compression::gzip);
    layer.descriptor.media_type = "application/vnd.oci.image.layer.v1.tar";
    std::string message = error_of([&] { read_whole_layer(layout, layer); });
    CAPTURE(message);
    CHECK(message.find(layer.descriptor.digest.string()) != std::string::npos);
  }
}
