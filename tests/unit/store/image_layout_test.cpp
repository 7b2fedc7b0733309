#include "ocicap/image_layout.hpp"

#include "ocicap/error.hpp"
#include "support/image_builder.hpp"
#include "support/temp_directory.hpp"

#include <algorithm>
#include <doctest/doctest.h>
#include <filesystem>
#include <set>
#include <string>
#include <sys/stat.h>

using ocicap::BlobWriter;
using ocicap::Descriptor;
using ocicap::Digest;
using ocicap::Error;
using ocicap::ImageIndex;
using ocicap::ImageLayout;
using ocicap::test::read_file;
using ocicap::test::TempDirectory;
using ocicap::test::write_file;

namespace {

const std::string json_type = "application/vnd.oci.image.config.v1+json";

std::set<std::string> list_directory(const std::string& path) {
  std::set<std::string> names;
  for (const auto& item : std::filesystem::directory_iterator(path)) {
    names.insert(item.path().filename());
  }
  return names;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_ino;
}

// A layout in `directory` with index.json written, so open() accepts it.
ImageLayout make_layout(const std::string& directory) {
  ImageLayout layout = ImageLayout::create(directory);
  layout.write_index(ImageIndex::empty());
  return layout;
}

} // namespace

TEST_SUITE("ImageLayout") {
  TEST_CASE("create writes oci-layout and blobs") {
    TempDirectory directory;
    std::string path = directory.file("layout");
    ImageLayout layout = ImageLayout::create(path);
    CHECK(layout.path() == path);
    CHECK(read_file(path + "/oci-layout") ==
          R"({"imageLayoutVersion":"1.0.0"})");
    CHECK(ocicap::is_directory(path + "/blobs/sha256"));
    CHECK_FALSE(ocicap::path_exists(path + "/index.json"));
    CHECK(layout.index().manifests().empty());
    CHECK(ImageLayout::is_layout(path));
    CHECK_FALSE(ImageLayout::is_layout(directory.path()));
  }

  TEST_CASE("open reads a written index") {
    TempDirectory directory;
    ImageLayout created = make_layout(directory.path());
    Descriptor manifest = created.put_blob("{}", "application/x-test");
    ImageIndex index = created.index();
    index.set_ref("app", manifest);
    created.write_index(index);
    CHECK(created.index().manifests().size() == 1);

    ImageLayout opened = ImageLayout::open(directory.path());
    REQUIRE(opened.index().manifests().size() == 1);
    CHECK(opened.index().manifests()[0].digest == manifest.digest);
    CHECK(opened.index().manifests()[0].ref_name() ==
          std::optional<std::string>("app"));
  }

  TEST_CASE("open accepts whitespace in oci-layout") {
    TempDirectory directory;
    make_layout(directory.path());
    write_file(directory.file("oci-layout"),
               "{\n  \"imageLayoutVersion\": \"1.0.0\"\n}\n");
    CHECK_NOTHROW(ImageLayout::open(directory.path()));
  }

  TEST_CASE("open names a missing directory") {
    TempDirectory directory;
    std::string path = directory.file("missing");
    CHECK_THROWS_WITH_AS(
        ImageLayout::open(path),
        ("image layout " + path + " not found: no such directory").c_str(),
        Error);
  }

  TEST_CASE("open names a missing oci-layout") {
    TempDirectory directory;
    CHECK_THROWS_WITH_AS(ImageLayout::open(directory.path()),
                         (directory.path() + " is not an OCI image layout: " +
                          directory.path() + "/oci-layout is missing")
                             .c_str(),
                         Error);
  }

  TEST_CASE("open names a missing index.json") {
    TempDirectory directory;
    ImageLayout::create(directory.path());
    CHECK_THROWS_WITH_AS(ImageLayout::open(directory.path()),
                         (directory.path() + " is not an OCI image layout: " +
                          directory.path() + "/index.json is missing")
                             .c_str(),
                         Error);
  }

  TEST_CASE("open rejects another layout version") {
    TempDirectory directory;
    make_layout(directory.path());
    write_file(directory.file("oci-layout"),
               R"({"imageLayoutVersion":"2.0.0"})");
    CHECK_THROWS_WITH_AS(
        ImageLayout::open(directory.path()),
        ("unsupported " + directory.path() +
         "/oci-layout: expected {\"imageLayoutVersion\":\"1.0.0\"}, found "
         "\"{\\\"imageLayoutVersion\\\":\\\"2.0.0\\\"}\"")
            .c_str(),
        Error);
  }

  TEST_CASE("open names an invalid index.json") {
    TempDirectory directory;
    make_layout(directory.path());
    write_file(directory.file("index.json"), "{");
    CHECK_THROWS_WITH_AS(
        ImageLayout::open(directory.path()),
        ("invalid JSON in " + directory.path() + "/index.json").c_str(), Error);
  }

  TEST_CASE("blob_path follows the algorithm") {
    ImageLayout layout = ImageLayout::create(TempDirectory().path());
    Digest sha256 = ocicap::digest_of("x");
    Digest sha512 = ocicap::digest_of("x", ocicap::DigestAlgorithm::sha512);
    CHECK(layout.blob_path(sha256) ==
          layout.path() + "/blobs/sha256/" + sha256.encoded());
    CHECK(layout.blob_path(sha512) ==
          layout.path() + "/blobs/sha512/" + sha512.encoded());
  }

  TEST_CASE("put_blob stores content under its digest") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    std::string data("blob\0data", 9);
    Descriptor descriptor = layout.put_blob(data, json_type);
    CHECK(descriptor.media_type == json_type);
    CHECK(descriptor.size == 9);
    CHECK(descriptor.digest == ocicap::digest_of(data));
    CHECK(layout.has_blob(descriptor.digest));
    CHECK(read_file(layout.blob_path(descriptor.digest)) == data);
    CHECK(list_directory(directory.file("blobs/sha256")) ==
          std::set<std::string>{descriptor.digest.encoded()});
  }

  TEST_CASE("read_document verifies the blob") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    Descriptor descriptor = layout.put_blob(R"({"a":1})", json_type);
    CHECK(layout.read_document(descriptor) == R"({"a":1})");
  }

  TEST_CASE("read_document names a corrupt blob") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    Descriptor descriptor = layout.put_blob(R"({"a":1})", json_type);
    write_file(layout.blob_path(descriptor.digest), R"({"a":2})");
    CHECK_THROWS_WITH_AS(layout.read_document(descriptor),
                         ("blob " + descriptor.digest.string() +
                          " does not match its digest (content hashes to " +
                          ocicap::digest_of(R"({"a":2})").string() +
                          "): the blob is corrupt")
                             .c_str(),
                         Error);
  }

  TEST_CASE("read_document names a wrong size") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    Descriptor descriptor = layout.put_blob(R"({"a":1})", json_type);
    write_file(layout.blob_path(descriptor.digest), R"({"a":10})");
    CHECK_THROWS_WITH_AS(layout.read_document(descriptor),
                         ("blob " + descriptor.digest.string() +
                          " is larger than the 7 bytes its descriptor "
                          "declares")
                             .c_str(),
                         Error);
    write_file(layout.blob_path(descriptor.digest), "{}");
    CHECK_THROWS_WITH_AS(layout.read_document(descriptor),
                         ("blob " + descriptor.digest.string() +
                          " has 2 bytes but its descriptor declares 7")
                             .c_str(),
                         Error);
  }

  TEST_CASE("read_document rejects oversized documents") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    Descriptor descriptor = layout.put_blob("{}", json_type);
    descriptor.size = ocicap::max_document_size + 1;
    CHECK_THROWS_WITH_AS(layout.read_document(descriptor),
                         ("blob " + descriptor.digest.string() +
                          " declares 33554433 bytes, more than the 33554432 "
                          "allowed for a JSON document")
                             .c_str(),
                         Error);
  }

  TEST_CASE("open_blob names a missing blob") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    Descriptor descriptor{.media_type = json_type,
                          .digest = ocicap::digest_of("absent"),
                          .size = 6};
    CHECK_FALSE(layout.has_blob(descriptor.digest));
    std::string message = "blob " + descriptor.digest.string() +
                          " not found: " + layout.blob_path(descriptor.digest) +
                          " is missing from the layout";
    CHECK_THROWS_WITH_AS(layout.open_blob(descriptor), message.c_str(), Error);
    CHECK_THROWS_WITH_AS(layout.read_document(descriptor), message.c_str(),
                         Error);
  }

  TEST_CASE("reads blob ranges of another file") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.file("layout"));
    std::string document = R"({"a":1})";
    std::string archive = directory.file("archive");
    write_file(archive, "head" + document + "tail");
    Descriptor descriptor{.media_type = json_type,
                          .digest = ocicap::digest_of(document),
                          .size = static_cast<std::int64_t>(document.size())};
    auto file = std::make_shared<const ocicap::FileDescriptor>(
        ocicap::open_for_reading(archive));
    auto ranges = std::make_shared<ocicap::BlobRanges>();
    (*ranges)[descriptor.digest.string()] =
        ocicap::BlobRange{.file = file,
                          .offset = 4,
                          .size = descriptor.size,
                          .name = "\"doc\" in archive"};
    CHECK_FALSE(layout.has_blob(descriptor.digest));
    layout.set_blob_ranges(ranges);
    CHECK(layout.has_blob(descriptor.digest));
    CHECK(layout.blob_size(descriptor.digest) == descriptor.size);
    CHECK(layout.read_document(descriptor) == document);

    // The range ends the blob, so a longer descriptor gets too few bytes.
    Descriptor longer = descriptor;
    longer.size += 4;
    CHECK_THROWS_AS(layout.read_document(longer), Error);

    ImageLayout copy = make_layout(directory.file("copy"));
    copy.import_blob(layout, descriptor);
    CHECK(read_file(copy.blob_path(descriptor.digest)) == document);
  }

  TEST_CASE("import_blob hard links from another layout") {
    TempDirectory directory;
    ImageLayout source = make_layout(directory.file("source"));
    ImageLayout target = make_layout(directory.file("target"));
    Descriptor descriptor = source.put_blob("shared", json_type);
    target.import_blob(source, descriptor);
    CHECK(target.has_blob(descriptor.digest));
    CHECK(inode_of(source.blob_path(descriptor.digest)) ==
          inode_of(target.blob_path(descriptor.digest)));
    target.remove_new_blobs();
    CHECK_FALSE(target.has_blob(descriptor.digest));
    CHECK(source.has_blob(descriptor.digest));
  }

  TEST_CASE("import_blob keeps a blob that is present") {
    TempDirectory directory;
    ImageLayout source = make_layout(directory.file("source"));
    ImageLayout target = make_layout(directory.file("target"));
    Descriptor descriptor = source.put_blob("shared", json_type);
    target.put_blob("shared", json_type);
    target.write_index(target.index());
    target.import_blob(source, descriptor);
    CHECK(inode_of(source.blob_path(descriptor.digest)) !=
          inode_of(target.blob_path(descriptor.digest)));
    target.remove_new_blobs();
    CHECK(target.has_blob(descriptor.digest));
  }

  TEST_CASE("import_blob creates the algorithm directory") {
    TempDirectory directory;
    ImageLayout source = make_layout(directory.file("source"));
    ImageLayout target = make_layout(directory.file("target"));
    Digest digest = ocicap::digest_of("x", ocicap::DigestAlgorithm::sha512);
    ocicap::make_directories(directory.file("source/blobs/sha512"));
    write_file(source.blob_path(digest), "x");
    target.import_blob(source,
                       {.media_type = json_type, .digest = digest, .size = 1});
    CHECK(read_file(target.blob_path(digest)) == "x");
  }

  TEST_CASE("import_file links a file as a blob") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.file("layout"));
    std::string file = directory.file("layer.tar");
    write_file(file, "layer bytes");
    Digest digest = ocicap::digest_of("layer bytes");
    layout.import_file(file, digest);
    CHECK(layout.has_blob(digest));
    CHECK(inode_of(file) == inode_of(layout.blob_path(digest)));
    layout.import_file(file, digest);
    layout.remove_new_blobs();
    CHECK_FALSE(layout.has_blob(digest));
    CHECK(ocicap::path_exists(file));
  }

  TEST_CASE("import_file names a missing file") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.file("layout"));
    std::string file = directory.file("missing");
    CHECK_THROWS_WITH_AS(
        layout.import_file(file, ocicap::digest_of("x")),
        ("cannot open " + file + ": No such file or directory").c_str(), Error);
  }

  TEST_CASE("remove_new_blobs keeps blobs that existed") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    Descriptor old_blob = layout.put_blob("old", json_type);
    layout.write_index(layout.index());
    Descriptor again = layout.put_blob("old", json_type);
    Descriptor new_blob = layout.put_blob("new", json_type);
    layout.remove_new_blobs();
    CHECK(layout.has_blob(old_blob.digest));
    CHECK(again.digest == old_blob.digest);
    CHECK_FALSE(layout.has_blob(new_blob.digest));
  }

  TEST_CASE("write_index makes new blobs permanent") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    Descriptor blob = layout.put_blob("kept", json_type);
    layout.write_index(layout.index());
    layout.remove_new_blobs();
    CHECK(layout.has_blob(blob.digest));
  }

  TEST_CASE("copies share the list of new blobs") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    ImageLayout copy = layout;
    Descriptor blob = copy.put_blob("from the copy", json_type);
    layout.remove_new_blobs();
    CHECK_FALSE(layout.has_blob(blob.digest));
  }

  TEST_CASE("write_index replaces index.json") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    ImageIndex index = ImageIndex::empty();
    index.append(layout.put_blob("{}", json_type));
    layout.write_index(index);
    CHECK(read_file(directory.file("index.json")) == index.serialize());
    CHECK(layout.index().serialize() == index.serialize());
    CHECK(list_directory(directory.path()) ==
          std::set<std::string>{"blobs", "index.json", "oci-layout"});
  }

  TEST_CASE("check_writable passes on a writable layout") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    CHECK_NOTHROW(layout.check_writable());
  }
}

TEST_SUITE("BlobWriter") {
  TEST_CASE("commit stores the blob under its digest") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    std::unique_ptr<BlobWriter> writer = layout.write_blob();
    writer->write("part one, ");
    writer->write("part two");
    CHECK(writer->size() == 18);
    Digest expected = ocicap::digest_of("part one, part two");
    CHECK(writer->digest() == expected);
    CHECK(writer->commit() == expected);
    CHECK(read_file(layout.blob_path(expected)) == "part one, part two");
    CHECK(list_directory(directory.file("blobs/sha256")) ==
          std::set<std::string>{expected.encoded()});
  }

  TEST_CASE("leaves nothing without commit") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    {
      std::unique_ptr<BlobWriter> writer = layout.write_blob();
      writer->write("abandoned");
    }
    CHECK(list_directory(directory.file("blobs/sha256")).empty());
  }

  TEST_CASE("rejects writes after the digest") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    std::unique_ptr<BlobWriter> writer = layout.write_blob();
    writer->write("a");
    writer->digest();
    CHECK_THROWS_WITH_AS(
        writer->write("b"),
        "internal error: blob written after its digest was taken", Error);
  }

  TEST_CASE("creates the blobs directory") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    std::filesystem::remove_all(directory.file("blobs"));
    std::unique_ptr<BlobWriter> writer = layout.write_blob();
    writer->write("x");
    Digest digest = writer->commit();
    CHECK(layout.has_blob(digest));
  }

  TEST_CASE("commit gives a readable mode") {
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    mode_t previous = ::umask(022);
    Descriptor blob = layout.put_blob("mode", json_type);
    ::umask(previous);
    struct stat st {};
    REQUIRE(::stat(layout.blob_path(blob.digest).c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0644);
  }
}

TEST_SUITE("BlobWriter temporary file") {
  TEST_CASE("writes outside blobs until commit") {
    // umoci gc fails on any name in blobs/sha256 that is not a digest, so
    // a run killed while writing must leave nothing there.
    TempDirectory directory;
    ImageLayout layout = make_layout(directory.path());
    std::unique_ptr<BlobWriter> writer = layout.write_blob();
    writer->write("in progress");
    CHECK(list_directory(directory.file("blobs/sha256")).empty());
    std::set<std::string> root = list_directory(directory.path());
    CHECK(std::count_if(root.begin(), root.end(), [](const std::string& name) {
            return name.starts_with(ocicap::temporary_file_prefix);
          }) == 1);

    Digest digest = writer->commit();
    CHECK(list_directory(directory.file("blobs/sha256")) ==
          std::set<std::string>{digest.encoded()});
    for (const std::string& name : list_directory(directory.path())) {
      CHECK_FALSE(name.starts_with(ocicap::temporary_file_prefix));
    }
  }
}
