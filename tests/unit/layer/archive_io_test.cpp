#include "ocicap/archive_io.hpp"

#include "ocicap/error.hpp"
#include "ocicap/file.hpp"
#include "support/printers.hpp"
#include "support/temp_directory.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <doctest/doctest.h>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <set>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

using ocicap::ArchiveLink;
using ocicap::Error;
using ocicap::FileDescriptor;
using ocicap::media_type::Compression;
using ocicap::test::read_file;
using ocicap::test::TempDirectory;
using ocicap::test::write_file;

namespace {

// One entry of an archive a test writes with libarchive, which stores
// names and link targets exactly as given, "../" and "/" included.
struct RawEntry {
  std::string name;
  unsigned type = AE_IFREG;
  std::string content;
  std::string symlink;
  std::string hardlink;
};

void write_raw_archive(const std::string& path,
                       const std::vector<RawEntry>& entries) {
  archive* writer = archive_write_new();
  archive_write_set_format_pax_restricted(writer);
  REQUIRE(archive_write_open_filename(writer, path.c_str()) == ARCHIVE_OK);
  for (const RawEntry& item : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, item.name.c_str());
    archive_entry_set_filetype(entry, item.type);
    archive_entry_set_perm(entry, item.type == AE_IFDIR ? 0755 : 0644);
    if (!item.symlink.empty()) {
      archive_entry_set_symlink(entry, item.symlink.c_str());
    }
    if (!item.hardlink.empty()) {
      archive_entry_set_hardlink(entry, item.hardlink.c_str());
    }
    archive_entry_set_size(entry, static_cast<la_int64_t>(item.content.size()));
    REQUIRE(archive_write_header(writer, entry) == ARCHIVE_OK);
    if (!item.content.empty()) {
      archive_write_data(writer, item.content.data(), item.content.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(writer);
  archive_write_free(writer);
}

// Extracts the archive on `fd` into the new directory `out`, reading it in
// place where it can: files of `in_place_size` bytes or more stay in it.
ocicap::ExtractedArchive extract_into(int fd, const std::string& out,
                                      std::int64_t in_place_size) {
  ocicap::make_directories(out);
  return ocicap::extract_archive(fd, out, "test.tar", in_place_size);
}

ocicap::ExtractedArchive extract(const std::string& archive_path,
                                 const std::string& directory) {
  FileDescriptor fd = ocicap::open_for_reading(archive_path);
  ocicap::make_directories(directory);
  return ocicap::extract_archive(fd.get(), directory, "test.tar");
}

std::string error_of(const std::string& archive_path,
                     const std::string& directory) {
  try {
    extract(archive_path, directory);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no Error thrown)";
}

std::set<std::string> list_tree(const std::string& path) {
  std::set<std::string> names;
  for (const auto& item : std::filesystem::recursive_directory_iterator(path)) {
    names.insert(std::filesystem::relative(item.path(), path).generic_string());
  }
  return names;
}

ino_t inode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_ino;
}

struct ReadBack {
  std::string name;
  unsigned type;
  unsigned mode;
  std::int64_t mtime;
  std::string link;
  std::string content;
};

std::vector<ReadBack> read_archive(const std::string& path) {
  archive* reader = archive_read_new();
  archive_read_support_format_tar(reader);
  REQUIRE(archive_read_open_filename(reader, path.c_str(), 10240) ==
          ARCHIVE_OK);
  std::vector<ReadBack> entries;
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader, &entry) == ARCHIVE_OK) {
    const char* link = archive_entry_hardlink(entry);
    if (link == nullptr) {
      link = archive_entry_symlink(entry);
    }
    ReadBack item{archive_entry_pathname(entry),
                  archive_entry_filetype(entry),
                  archive_entry_perm(entry),
                  archive_entry_mtime(entry),
                  link ? link : "",
                  ""};
    char buffer[4096];
    la_ssize_t n;
    while ((n = archive_read_data(reader, buffer, sizeof buffer)) > 0) {
      item.content.append(buffer, static_cast<std::size_t>(n));
    }
    entries.push_back(item);
  }
  archive_read_free(reader);
  return entries;
}

} // namespace

TEST_SUITE("ArchiveIo") {
  TEST_CASE("extracts files GNU tar wrote") {
    TempDirectory directory;
    std::string source = directory.file("source");
    ocicap::make_directories(source + "/blobs/sha256");
    write_file(source + "/oci-layout", "layout");
    write_file(source + "/blobs/sha256/aa", std::string("bin\0ary", 7));
    struct Case {
      std::string option;
      Compression compression;
    };
    for (const Case& item : std::vector<Case>{{"", Compression::none},
                                              {"--gzip", Compression::gzip},
                                              {"--zstd", Compression::zstd}}) {
      CAPTURE(item.option);
      std::string tar = directory.file("archive" + item.option + ".tar");
      REQUIRE(ocicap::test::run_command(
                  "tar " + item.option + " -C " +
                  ocicap::test::shell_quote(source) + " -cf " +
                  ocicap::test::shell_quote(tar) + " .") == 0);
      std::string target = directory.file("out" + item.option);
      ocicap::ExtractedArchive extracted = extract(tar, target);
      CHECK(extracted.links.empty());
      CHECK(extracted.compression == item.compression);
      CHECK_FALSE(extracted.sample_names.empty());
      CHECK(read_file(target + "/oci-layout") == "layout");
      CHECK(read_file(target + "/blobs/sha256/aa") ==
            std::string("bin\0ary", 7));
    }
  }

  TEST_CASE("keeps names inside the directory") {
    TempDirectory directory;
    std::string tar = directory.file("evil.tar");
    write_raw_archive(tar, {{.name = "../../escape", .content = "1"},
                            {.name = "/absolute/file", .content = "2"},
                            {.name = "a/../../b", .content = "3"},
                            {.name = "./c/./d", .content = "4"}});
    std::string target = directory.file("out");
    extract(tar, target);
    CHECK(list_tree(target) == std::set<std::string>{"escape", "absolute",
                                                     "absolute/file", "b", "c",
                                                     "c/d"});
    CHECK(list_tree(directory.path()).size() == list_tree(target).size() + 2);
    CHECK(read_file(target + "/escape") == "1");
    CHECK(read_file(target + "/b") == "3");
  }

  TEST_CASE("turns links into hard links") {
    TempDirectory directory;
    std::string tar = directory.file("links.tar");
    write_raw_archive(tar,
                      {{.name = "layers/1/layer.tar", .content = "layer"},
                       {.name = "layers/2/layer.tar",
                        .type = AE_IFLNK,
                        .symlink = "../1/layer.tar"},
                       {.name = "absolute",
                        .type = AE_IFLNK,
                        .symlink = "/layers/1/layer.tar"},
                       {.name = "hard", .hardlink = "layers/1/layer.tar"},
                       {.name = "chain", .type = AE_IFLNK, .symlink = "hard"}});
    std::string target = directory.file("out");
    std::vector<ArchiveLink> links = extract(tar, target).links;
    REQUIRE(links.size() == 4);
    CHECK(links[0].name == "layers/2/layer.tar");
    CHECK(links[0].target == "../1/layer.tar");
    CHECK_FALSE(links[0].hard);
    CHECK(links[2].name == "hard");
    CHECK(links[2].hard);
    ino_t file = inode_of(target + "/layers/1/layer.tar");
    for (std::string name :
         {"layers/2/layer.tar", "absolute", "hard", "chain"}) {
      CAPTURE(name);
      struct stat st {};
      REQUIRE(::lstat((target + "/" + name).c_str(), &st) == 0);
      CHECK(S_ISREG(st.st_mode));
      CHECK(st.st_ino == file);
    }
  }

  TEST_CASE("locates members read in place") {
    TempDirectory directory;
    std::string tar = directory.file("in-place.tar");
    // A name over 100 bytes takes a PAX header, and so does a link target.
    std::string long_name = "blobs/" + std::string(120, 'l') + "/big";
    std::string big(70000, 'b');
    big[0] = 'B';
    write_raw_archive(tar,
                      {{.name = "blobs", .type = AE_IFDIR},
                       {.name = "small.json", .content = "{}"},
                       {.name = long_name, .content = big},
                       {.name = "odd", .content = std::string(4097, 'o')},
                       {.name = "link.tar",
                        .type = AE_IFLNK,
                        .symlink = long_name},
                       {.name = "empty", .content = ""}});
    // Reading starts after a prefix, as on standard input left mid-file,
    // and offsets count from the start of the file.
    constexpr std::int64_t prefix = 1536;
    std::string bytes = std::string(prefix, 'x') + read_file(tar);
    write_file(tar, bytes);
    FileDescriptor fd = ocicap::open_for_reading(tar);
    REQUIRE(::lseek(fd.get(), prefix, SEEK_SET) == prefix);
    std::string out = directory.file("out");
    ocicap::ExtractedArchive result = extract_into(fd.get(), out, 4096);
    REQUIRE(result.in_place);

    // Members tile the archive from where reading started, in order.
    REQUIRE(result.members.size() == 6);
    std::int64_t position = prefix;
    for (const auto& [name, member] : result.members) {
      CAPTURE(name);
      CHECK(member.header_offset == position);
      CHECK(member.end_offset >= member.data_offset + member.size);
      CHECK(member.end_offset % 512 == 0);
      position = member.end_offset;
    }
    CHECK(result.members[0].second.directory);
    CHECK_FALSE(result.members[1].second.directory);

    // Files of 4096 bytes or more stay in the archive, links included.
    CHECK(read_file(out + "/small.json") == "{}");
    CHECK_FALSE(ocicap::path_exists(out + "/" + long_name));
    CHECK_FALSE(ocicap::path_exists(out + "/link.tar"));
    REQUIRE(result.unextracted.size() == 3);
    const ocicap::ArchiveMember& member = result.unextracted.at(long_name);
    CHECK(bytes.substr(static_cast<std::size_t>(member.data_offset),
                       big.size()) == big);
    CHECK(result.unextracted.at("link.tar").data_offset ==
          member.data_offset);
    const ocicap::ArchiveMember& odd = result.unextracted.at("odd");
    CHECK(bytes.substr(static_cast<std::size_t>(odd.data_offset), 4097) ==
          std::string(4097, 'o'));
  }

  TEST_CASE("extracts a sparse member of an archive read in place") {
    TempDirectory directory;
    std::string source = directory.file("source");
    ocicap::make_directories(source);
    // 2 MiB with one byte of data: GNU tar -S stores the byte and a map.
    REQUIRE(std::system(("cd " + source + " && truncate -s 2M sparse && " +
                         "printf x >>sparse && tar -S -cf ../sparse.tar " +
                         "sparse")
                            .c_str()) == 0);
    FileDescriptor fd = ocicap::open_for_reading(directory.file("sparse.tar"));
    std::string out = directory.file("out");
    ocicap::ExtractedArchive result = extract_into(fd.get(), out, 4096);
    REQUIRE(result.in_place);
    CHECK(result.unextracted.empty());
    REQUIRE(result.members.size() == 1);
    CHECK(result.members[0].second.end_offset <= (1 << 20));
    std::string content = read_file(out + "/sparse");
    CHECK(content.size() == (2 << 20) + 1);
    CHECK(content.back() == 'x');
  }

  TEST_CASE("reads a pipe or a compressed archive whole") {
    TempDirectory directory;
    std::string tar = directory.file("whole.tar");
    write_raw_archive(tar, {{.name = "big", .content = std::string(9000, 'b')}});
    std::string gzip = directory.file("whole.tar.gz");
    REQUIRE(std::system(("gzip -c " + tar + " >" + gzip).c_str()) == 0);
    FileDescriptor compressed = ocicap::open_for_reading(gzip);
    std::string out = directory.file("gzip");
    ocicap::ExtractedArchive result = extract_into(compressed.get(), out, 100);
    CHECK_FALSE(result.in_place);
    CHECK(result.unextracted.empty());
    CHECK(read_file(out + "/big") == std::string(9000, 'b'));

    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    FileDescriptor read_end(pipe_fds[0]);
    {
      FileDescriptor write_end(pipe_fds[1]);
      std::string bytes = read_file(tar);
      REQUIRE(bytes.size() < 65536);
      ocicap::write_fully(write_end.get(), bytes, "pipe");
    }
    out = directory.file("pipe");
    result = extract_into(read_end.get(), out, 100);
    CHECK_FALSE(result.in_place);
    CHECK(read_file(out + "/big") == std::string(9000, 'b'));
  }

  TEST_CASE("rejects links to files outside the archive") {
    for (std::string link_target :
         {"../../../../etc/passwd", "/etc/passwd", "missing", "dir"}) {
      CAPTURE(link_target);
      TempDirectory directory;
      std::string tar = directory.file("link.tar");
      write_raw_archive(
          tar, {{.name = "dir", .type = AE_IFDIR},
                {.name = "link", .type = AE_IFLNK, .symlink = link_target}});
      CHECK(error_of(tar, directory.file("out")) ==
            "archive test.tar contains the link \"link\" to \"" + link_target +
                "\", which is not a regular file of the archive");
    }
  }

  TEST_CASE("rejects a loop of links") {
    TempDirectory directory;
    std::string tar = directory.file("loop.tar");
    write_raw_archive(tar, {{.name = "a", .type = AE_IFLNK, .symlink = "b"},
                            {.name = "b", .type = AE_IFLNK, .symlink = "a"}});
    std::string message = error_of(tar, directory.file("out"));
    CAPTURE(message);
    CHECK(message.ends_with(", which is not a regular file of the archive"));
  }

  TEST_CASE("rejects special files") {
    TempDirectory directory;
    std::string tar = directory.file("fifo.tar");
    write_raw_archive(tar, {{.name = "pipe", .type = AE_IFIFO}});
    CHECK(error_of(tar, directory.file("out")) ==
          "archive test.tar contains \"pipe\", a FIFO: image archives hold "
          "only regular files and directories");
  }

  TEST_CASE("rejects input that is not a tar") {
    TempDirectory directory;
    std::string path = directory.file("junk");
    write_file(path, std::string(4096, 'x'));
    std::string message = error_of(path, directory.file("out"));
    CAPTURE(message);
    CHECK(message.starts_with("cannot read archive test.tar: "));
  }

  TEST_CASE("rejects garbage between members") {
    for (std::int64_t in_place_size : {std::int64_t{-1}, std::int64_t{1}}) {
      CAPTURE(in_place_size);
      TempDirectory directory;
      std::string tar = directory.file("two.tar");
      write_raw_archive(tar, {{.name = "a", .content = "first"},
                              {.name = "b", .content = "second"}});
      // A block of garbage in place of the second header.
      std::string bytes = read_file(tar);
      std::size_t second = bytes.find("second") - 512;
      REQUIRE(bytes.compare(second, 1, "b") == 0);
      bytes.insert(second, std::string(512, 'A'));
      write_file(tar, bytes);
      std::string message;
      try {
        FileDescriptor fd = ocicap::open_for_reading(tar);
        if (in_place_size < 0) {
          extract(tar, directory.file("out"));
        } else {
          extract_into(fd.get(), directory.file("out"), in_place_size);
        }
      } catch (const Error& error) {
        message = error.what();
      }
      CAPTURE(message);
      CHECK(message.starts_with("cannot read archive test.tar: "));
    }
  }

  TEST_CASE("rejects two members of one name") {
    TempDirectory directory;
    std::string tar = directory.file("dup.tar");
    write_raw_archive(tar, {{.name = "f", .content = "first"},
                            {.name = "./f", .content = "second"}});
    std::string message = error_of(tar, directory.file("out"));
    CAPTURE(message);
    CHECK(message.find("contains two members named \"./f\"") !=
          std::string::npos);
  }

  TEST_CASE("write_archive writes files, directories and links") {
    TempDirectory directory;
    std::string source = directory.file("source");
    ocicap::make_directories(source + "/blobs/sha256");
    write_file(source + "/index.json", "{}");
    write_file(source + "/blobs/sha256/aa", "blob");
    std::string tar = directory.file("out.tar");
    {
      FileDescriptor fd(
          ::open(tar.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
      ocicap::write_archive(
          fd.get(), source,
          {"index.json", "blobs/sha256/aa", "old/layer.tar", "hard"},
          {{"old/layer.tar", "../blobs/sha256/aa", false},
           {"hard", "blobs/sha256/aa", true}},
          Compression::none, 1700000000, tar);
    }
    std::vector<ReadBack> entries = read_archive(tar);
    std::vector<std::string> names;
    for (const ReadBack& entry : entries) {
      names.push_back(entry.name);
      CHECK(entry.mtime == 1700000000);
    }
    CHECK(names == std::vector<std::string>{"blobs/", "blobs/sha256/", "old/",
                                            "index.json", "blobs/sha256/aa",
                                            "old/layer.tar", "hard"});
    CHECK(entries[3].content == "{}");
    CHECK(entries[3].mode == 0644);
    CHECK(entries[4].content == "blob");
    CHECK(entries[5].type == AE_IFLNK);
    CHECK(entries[5].link == "../blobs/sha256/aa");
    CHECK(entries[6].link == "blobs/sha256/aa");

    std::string target = directory.file("extracted");
    std::vector<ArchiveLink> links = extract(tar, target).links;
    CHECK(links.size() == 2);
    CHECK(read_file(target + "/old/layer.tar") == "blob");
    CHECK(read_file(target + "/hard") == "blob");
  }

  TEST_CASE("write_archive compresses on request") {
    TempDirectory directory;
    std::string source = directory.file("source");
    ocicap::make_directories(source);
    write_file(source + "/index.json", "{}");
    for (Compression compression : {Compression::gzip, Compression::zstd}) {
      std::string name(ocicap::media_type::compression_name(compression));
      CAPTURE(name);
      std::string tar = directory.file(name + ".tar");
      {
        FileDescriptor fd(
            ::open(tar.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
        ocicap::write_archive(fd.get(), source, {"index.json"}, {}, compression,
                              0, tar);
      }
      std::string target = directory.file("out-" + name);
      CHECK(extract(tar, target).compression == compression);
      CHECK(read_file(target + "/index.json") == "{}");
    }
  }

  TEST_CASE("write_archive names a missing file") {
    TempDirectory directory;
    std::string tar = directory.file("out.tar");
    FileDescriptor fd(
        ::open(tar.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    std::string missing = directory.path() + "/missing";
    CHECK_THROWS_WITH_AS(
        ocicap::write_archive(fd.get(), directory.path(), {"missing"}, {},
                              Compression::none, 0, tar),
        ("cannot open " + missing + ": No such file or directory").c_str(),
        Error);
  }
}
