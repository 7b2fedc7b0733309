#include "ocicap/archive_io.hpp"

#include "ocicap/error.hpp"
#include "ocicap/file.hpp"
#include "ocicap/image_path.hpp"
#include "ocicap/layer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <fcntl.h>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

namespace ocicap {
namespace {

constexpr std::size_t copy_buffer_size = 256 << 10;

struct ArchiveReadFree {
  void operator()(archive* reader) const { archive_read_free(reader); }
};
struct ArchiveWriteFree {
  void operator()(archive* writer) const { archive_write_free(writer); }
};

std::string archive_message(archive* handle) {
  const char* message = archive_error_string(handle);
  return message ? message : "unknown libarchive error";
}

void extract_file(archive* reader, const std::string& path,
                  const std::string& source, const std::string& name) {
  make_directories(parent_directory(path));
  ::unlink(path.c_str());
  int fd = ::open(path.c_str(),
                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw_errno("cannot create " + path, errno);
  }
  FileDescriptor output(fd);
  std::vector<char> buffer(copy_buffer_size);
  for (;;) {
    la_ssize_t n = archive_read_data(reader, buffer.data(), buffer.size());
    if (n < 0) {
      throw Error("cannot read " + quote(name) + " from " + source + ": " +
                  archive_message(reader));
    }
    if (n == 0) {
      return;
    }
    write_fully(fd, std::string_view(buffer.data(), static_cast<std::size_t>(n)),
                path);
  }
}

// Returns the canonical archive path a link names.
std::string resolve_link(const ArchiveLink& link) {
  if (link.hard || link.target.starts_with("/")) {
    return normalize_image_path(link.target);
  }
  std::size_t slash = link.name.rfind('/');
  std::string directory =
      slash == std::string::npos ? "" : link.name.substr(0, slash);
  return normalize_image_path(directory + "/" + link.target);
}

// Makes each link a hard link to the file it names, or an entry of
// `unextracted` when that file was left in the archive. Links to links
// are resolved over several passes, up to a bound that also ends loops.
void materialize_links(const std::vector<ArchiveLink>& links,
                       const std::string& directory,
                       const std::string& source,
                       std::map<std::string, ArchiveMember>& unextracted) {
  std::vector<ArchiveLink> pending = links;
  for (int pass = 0; pass < 16 && !pending.empty(); ++pass) {
    std::vector<ArchiveLink> unresolved;
    for (const ArchiveLink& link : pending) {
      auto in_archive = unextracted.find(resolve_link(link));
      if (in_archive != unextracted.end()) {
        unextracted[link.name] = in_archive->second;
        continue;
      }
      std::string target = directory + "/" + resolve_link(link);
      std::string name = directory + "/" + link.name;
      struct stat st;
      if (::lstat(target.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
        unresolved.push_back(link);
        continue;
      }
      make_directories(parent_directory(name));
      ::unlink(name.c_str());
      if (::link(target.c_str(), name.c_str()) != 0) {
        throw_errno("cannot link " + name + " to " + target, errno);
      }
    }
    pending = std::move(unresolved);
  }
  if (!pending.empty()) {
    throw Error("archive " + source + " contains the link " +
                quote(pending.front().name) + " to " +
                quote(pending.front().target) +
                ", which is not a regular file of the archive");
  }
}

} // namespace

ExtractedArchive extract_archive(int fd, const std::string& directory,
                                 const std::string& source,
                                 std::int64_t in_place_size) {
  // Offsets of a file read in place count from where the reading starts.
  struct stat st;
  off_t base = -1;
  if (in_place_size >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    base = ::lseek(fd, 0, SEEK_CUR);
  }
  std::unique_ptr<archive, ArchiveReadFree> reader(archive_read_new());
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_filter_zstd(reader.get());
  archive_read_support_format_tar(reader.get());
  // libarchive skips the content of a regular file with lseek(), so the
  // members left in place are not read.
  if (archive_read_open_fd(reader.get(), fd, copy_buffer_size) != ARCHIVE_OK) {
    throw Error("cannot read archive " + source + ": " +
                archive_message(reader.get()));
  }
  archive_entry* entry = nullptr;
  ExtractedArchive result;
  std::vector<ArchiveLink>& links = result.links;
  // The member whose header was read last: its end is known only at the
  // next header, and with it where its data starts.
  std::optional<std::pair<std::string, ArchiveMember>> open_member;
  bool open_member_unextracted = false;
  bool first = true;
  // The names of the members that are not directories.
  std::set<std::string> member_names;
  for (;;) {
    int status = archive_read_next_header(reader.get(), &entry);
    // ARCHIVE_RETRY is a damaged header, which libarchive would skip to
    // look for the next one: a member would be lost, so it is an error.
    bool failed = status == ARCHIVE_RETRY || status < ARCHIVE_WARN;
    if (first) {
      first = false;
      result.in_place = base >= 0 &&
                        archive_filter_code(reader.get(), 0) ==
                            ARCHIVE_FILTER_NONE;
    }
    if (result.in_place && open_member && !failed) {
      // A header starts where the previous member's padding ends.
      ArchiveMember& member = open_member->second;
      member.end_offset = base + archive_read_header_position(reader.get());
      member.data_offset = member.end_offset - ((member.size + 511) / 512) * 512;
      if (member.data_offset < member.header_offset + 512) {
        throw Error("cannot locate " + quote(open_member->first) +
                    " in archive " + source + ": its header ends after " +
                    "its data would start");
      }
      if (open_member_unextracted) {
        result.unextracted[open_member->first] = member;
      }
      result.members.push_back(std::move(*open_member));
      open_member.reset();
    }
    if (status == ARCHIVE_EOF) {
      materialize_links(links, directory, source, result.unextracted);
      int filter = archive_filter_code(reader.get(), 0);
      result.compression = filter == ARCHIVE_FILTER_GZIP
                               ? media_type::Compression::gzip
                           : filter == ARCHIVE_FILTER_ZSTD
                               ? media_type::Compression::zstd
                               : media_type::Compression::none;
      return result;
    }
    if (failed) {
      throw Error("cannot read archive " + source + ": " +
                  archive_message(reader.get()) +
                  " (expected a tar file, as docker save or podman save "
                  "write)");
    }
    std::string name = archive_entry_pathname(entry);
    std::string canonical = normalize_image_path(name);
    if (result.sample_names.size() < 10) {
      result.sample_names.push_back(name);
    }
    TarEntry header(entry);
    if (result.in_place) {
      // A sparse file's size is that of its holes and data, not of what
      // the archive stores: such a member is extracted, and only its
      // whole range, headers included, is recorded.
      bool sparse = archive_entry_sparse_count(entry) > 0;
      bool regular = header.type() == EntryType::regular && !sparse;
      open_member.emplace(
          canonical,
          ArchiveMember{
              .header_offset =
                  base + archive_read_header_position(reader.get()),
              .size = regular ? header.size() : 0,
              .directory = header.type() == EntryType::directory});
      open_member_unextracted =
          regular && header.size() >= in_place_size &&
          canonical != "index.json" && canonical != "oci-layout";
    }
    if (canonical.empty() || header.type() == EntryType::directory) {
      make_directories(directory + "/" + canonical);
      continue;
    }
    if (!member_names.insert(canonical).second) {
      throw Error("archive " + source + " contains two members named " +
                  quote(name) + ", and readers differ on which one counts; "
                  "write the archive again with docker save, podman save "
                  "or skopeo copy");
    }
    if (header.type() == EntryType::symlink ||
        header.type() == EntryType::hardlink) {
      links.push_back({canonical, header.link_target(),
                       header.type() == EntryType::hardlink});
      continue;
    }
    if (header.type() != EntryType::regular) {
      throw Error("archive " + source + " contains " + quote(name) +
                  ", a " + std::string(entry_type_name(header.type())) +
                  ": image archives hold only regular files and directories");
    }
    if (result.in_place && open_member_unextracted) {
      continue;
    }
    extract_file(reader.get(), directory + "/" + canonical, source, name);
  }
}

void write_archive(int fd, const std::string& directory,
                   const std::vector<std::string>& paths,
                   const std::vector<ArchiveLink>& links,
                   media_type::Compression compression, std::int64_t mtime,
                   const std::string& target,
                   const std::set<std::string>& written_directories) {
  // Writes go through write_fully, so a failure keeps its errno text
  // ("No space left on device") instead of libarchive's "Write error".
  // The sink outlives `writer`, whose archive_write_free() still flushes
  // through it when an error leaves the archive open.
  struct Sink {
    int fd;
    std::string target;
    std::optional<Error> error;
  } sink{fd, target, std::nullopt};
  std::unique_ptr<archive, ArchiveWriteFree> writer(archive_write_new());
  archive_write_set_format_pax_restricted(writer.get());
  // libarchive's default block of 10 KiB makes one write(2) per 10 KiB of
  // a multi-GiB archive. Blocks of copy_buffer_size cut the system calls
  // 25-fold; with no padding of the last block the bytes are the same.
  archive_write_set_bytes_per_block(writer.get(),
                                    static_cast<int>(copy_buffer_size));
  archive_write_set_bytes_in_last_block(writer.get(), 1);
  if (compression == media_type::Compression::gzip) {
    archive_write_add_filter_gzip(writer.get());
    archive_write_set_filter_option(writer.get(), "gzip", "timestamp",
                                    nullptr);
  } else if (compression == media_type::Compression::zstd) {
    archive_write_add_filter_zstd(writer.get());
  }
  auto write_callback = [](archive*, void* data, const void* buffer,
                           std::size_t size) -> la_ssize_t {
    auto* out = static_cast<Sink*>(data);
    try {
      write_fully(out->fd,
                  std::string_view(static_cast<const char*>(buffer), size),
                  out->target);
      return static_cast<la_ssize_t>(size);
    } catch (const Error& error) {
      out->error = error;
      return -1;
    }
  };
  if (archive_write_open2(writer.get(), &sink, nullptr, write_callback,
                          nullptr, nullptr) != ARCHIVE_OK) {
    throw Error("cannot write archive " + target + ": " +
                archive_message(writer.get()));
  }
  auto check = [&](int status, const std::string& name) {
    if (status < ARCHIVE_WARN) {
      if (sink.error) {
        throw *sink.error;
      }
      throw Error("cannot write " + name + " to archive " + target + ": " +
                  archive_message(writer.get()));
    }
  };
  std::set<std::string> directories;
  for (const std::string& path : paths) {
    for (const std::string& ancestor : ancestors_of(path)) {
      if (!written_directories.contains(ancestor)) {
        directories.insert(ancestor);
      }
    }
  }
  for (const std::string& name : directories) {
    TarEntry entry = TarEntry::directory(name, 0755, mtime);
    check(archive_write_header(writer.get(), entry.get()), name);
  }
  std::map<std::string, const ArchiveLink*> link_names;
  for (const ArchiveLink& link : links) {
    link_names[link.name] = &link;
  }
  std::vector<char> buffer(copy_buffer_size);
  for (const std::string& name : paths) {
    auto link = link_names.find(name);
    if (link != link_names.end()) {
      TarEntry entry;
      archive_entry_set_pathname(entry.get(), name.c_str());
      archive_entry_set_perm(entry.get(), 0644);
      archive_entry_set_mtime(entry.get(), mtime, 0);
      if (link->second->hard) {
        archive_entry_set_filetype(entry.get(), AE_IFREG);
        archive_entry_set_hardlink(entry.get(), link->second->target.c_str());
      } else {
        archive_entry_set_filetype(entry.get(), AE_IFLNK);
        archive_entry_set_symlink(entry.get(), link->second->target.c_str());
      }
      check(archive_write_header(writer.get(), entry.get()), name);
      continue;
    }
    std::string path = directory + "/" + name;
    FileDescriptor input = open_for_reading(path);
    TarEntry entry;
    archive_entry_set_pathname(entry.get(), name.c_str());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_perm(entry.get(), 0644);
    archive_entry_set_mtime(entry.get(), mtime, 0);
    archive_entry_set_size(entry.get(), file_size(path));
    check(archive_write_header(writer.get(), entry.get()), name);
    while (std::size_t n = read_fully(input.get(), buffer.data(),
                                      buffer.size(), path)) {
      if (archive_write_data(writer.get(), buffer.data(), n) < 0) {
        check(ARCHIVE_FATAL, name);
      }
    }
  }
  check(archive_write_close(writer.get()), "the end of the archive");
}

} // namespace ocicap
