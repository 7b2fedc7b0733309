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
#include <string>
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

struct ExtractedArchive {
  std::vector<ArchiveLink> links;
  // The compression of the archive file itself.
  media_type::Compression compression = media_type::Compression::none;
  // Up to ten names of its entries, for messages about what it contains.
  std::vector<std::string> sample_names;
};

// Extracts the tar stream on `fd` (plain, gzip or zstd) into `directory`.
// `source` names the archive in errors. A link whose target is not a
// regular file of the archive is an error.
ExtractedArchive extract_archive(int fd, const std::string& directory,
                                 const std::string& source);

// Writes `paths` (relative to `directory`, files only) as a tar stream to
// `fd`, compressed with `compression`, after an entry for each parent
// directory. A path that is one of `links` is written as that link; every
// other file gets mode 0644, owner 0:0 and modification time `mtime`.
void write_archive(int fd, const std::string& directory,
                   const std::vector<std::string>& paths,
                   const std::vector<ArchiveLink>& links,
                   media_type::Compression compression, std::int64_t mtime,
                   const std::string& target);

} // namespace ocicap
