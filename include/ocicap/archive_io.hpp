// Image archives as plain tar files: `docker save` output and OCI layouts
// packed with tar. Every name is made canonical (no absolute names, ".."
// clamped at the root) and files are created with O_NOFOLLOW in a
// directory ocicap just made, so an archive cannot write outside it.
// Symbolic and hard links, which docker save writes for its legacy
// per-layer directories, are never created as links on disk: each becomes
// a hard link to the regular file it names inside the archive, and is
// recorded so that packing writes it back as the same kind of link.
#pragma once

#include "ocicap/media_type.hpp"

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace ocicap {

// A link entry of an archive, by canonical name.
struct ArchiveLink {
  std::string name;
  // The target as stored: relative to the link's directory for a symbolic
  // link, relative to the archive root for a hard link.
  std::string target;
  bool hard = false;
};

// The position of one member's bytes in an archive file.
struct ArchiveMember {
  // The first header block, extended headers (PAX, GNU long names) included.
  std::int64_t header_offset = 0;
  std::int64_t data_offset = 0;
  std::int64_t size = 0;
  // The end of the data's padding to a whole 512-byte block.
  std::int64_t end_offset = 0;
  bool directory = false;
};

struct ExtractedArchive {
  std::vector<ArchiveLink> links;
  // The compression of the archive file itself.
  media_type::Compression compression = media_type::Compression::none;
  // Up to ten names of its entries, for messages about what it contains.
  std::vector<std::string> sample_names;
  // Whether the archive was read in place (see extract_archive()).
  bool in_place = false;
  // When read in place: every member by canonical name, in archive order.
  std::vector<std::pair<std::string, ArchiveMember>> members;
  // When read in place: the regular files left in the archive file, by
  // canonical name. A link to one of them is listed under its own name too
  // and is not made on disk.
  std::map<std::string, ArchiveMember> unextracted;
};

// Extracts the tar stream on `fd` (plain, gzip or zstd) into `directory`.
// `source` names the archive in errors. A link whose target is not a
// regular file of the archive is an error.
//
// A plain tar in a regular file is read in place when `in_place_size` is
// not negative. Regular files of `in_place_size` bytes or more then stay
// in it, skipped with a seek, and the result locates every member. The documents
// an image layout opens by path (index.json and oci-layout at the top) and
// sparse files are always extracted.
ExtractedArchive extract_archive(int fd, const std::string& directory,
                                 const std::string& source,
                                 std::int64_t in_place_size = -1);

// Writes `paths` (relative to `directory`, files only) as a tar stream to
// `fd`, compressed with `compression`, after an entry for each parent
// directory not in `written_directories`. A path that is one of `links` is
// written as that link; every other file gets mode 0644, owner 0:0 and
// modification time `mtime`.
void write_archive(int fd, const std::string& directory,
                   const std::vector<std::string>& paths,
                   const std::vector<ArchiveLink>& links,
                   media_type::Compression compression, std::int64_t mtime,
                   const std::string& target,
                   const std::set<std::string>& written_directories = {});

} // namespace ocicap
