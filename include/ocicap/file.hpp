// File helpers: descriptors that close themselves, whole-file reads with a
// size cap, and files that appear under their final name only once complete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ocicap {

// Owned file descriptor, closed on destruction.
class FileDescriptor {
public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(FileDescriptor&& other) noexcept;
  FileDescriptor& operator=(FileDescriptor&& other) noexcept;
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void close();

private:
  int fd_ = -1;
};

// Opens `path` for reading; throws Error naming the path on failure.
FileDescriptor open_for_reading(const std::string& path);

// Reads up to `size` bytes, retrying short reads; returns bytes read, which is
// less than `size` only at end of file.
std::size_t read_fully(int fd, char* buffer, std::size_t size,
                       const std::string& path);

// Reads up to `size` bytes at `offset` without moving the file position,
// and retries short reads. Returns the bytes read, fewer than `size` only
// at the end of the file.
std::size_t read_fully_at(int fd, char* buffer, std::size_t size,
                          std::int64_t offset, const std::string& path);

// Writes all of `data`; throws Error naming `path` on failure.
void write_fully(int fd, std::string_view data, const std::string& path);

// Copies `length` bytes at `offset` of `source` to the position of
// `target`, which it advances. The kernel copies them (copy_file_range)
// where both files allow it; otherwise, as for a pipe, they go through a
// buffer. Throws Error naming `source_name` or `target_name`, and when
// `source` ends early.
void copy_file_bytes(int source, std::int64_t offset, std::int64_t length,
                     int target, const std::string& source_name,
                     const std::string& target_name);

// Reads a whole file that must not exceed `max_size` bytes. JSON documents
// are read this way, so a hostile size cannot exhaust memory.
std::string read_small_file(const std::string& path, std::size_t max_size);

bool path_exists(const std::string& path);

// The properties that set two versions of a file apart. A file replaced by
// rename has another inode, and one written in place another modification
// time. A new hard link changes none of them.
struct FileIdentity {
  std::uint64_t device = 0;
  std::uint64_t inode = 0;
  std::int64_t size = 0;
  std::int64_t modification_time_ns = 0;
  bool operator==(const FileIdentity&) const = default;
};

// Returns the identity of the file at `path`, not following a symbolic
// link, or nullopt when there is none.
std::optional<FileIdentity> file_identity(const std::string& path);

// Returns the size of the file at `path`; throws Error when it cannot.
std::int64_t file_size(const std::string& path);
bool is_directory(const std::string& path);

// Creates `path` and its missing parents with mode 0755.
void make_directories(const std::string& path);

// Flushes the directory entry table of `directory` to disk.
void sync_directory(const std::string& directory);

// The start of the name of every temporary file and staging directory
// ocicap creates next to what it writes.
inline constexpr std::string_view temporary_file_prefix = ".ocicap-tmp-";

// A file written under a temporary name, in the directory of its final path
// or another on its filesystem, and renamed over that path by commit(). Readers never see a partial file.
// Without commit() the destructor removes the temporary file.
class AtomicFile {
public:
  // The temporary file goes to `temporary_directory`, or by default to the
  // directory of `final_path`; both must be on one filesystem.
  explicit AtomicFile(std::string final_path,
                      const std::string& temporary_directory = "");
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  void write(std::string_view data);
  int fd() const { return fd_.get(); }
  const std::string& temporary_path() const { return temporary_path_; }

  // Returns whether the file was renamed into place, which stays true when
  // commit() then fails to sync the directory.
  bool committed() const { return committed_; }

  // Flushes the data, renames the file into place and syncs the directory.
  void commit();

  // Like commit(), but names the file `final_path` instead.
  void commit_as(const std::string& final_path);

  // Makes commit() give the file the permission bits and owner of the file
  // at `path` (the one it replaces) instead of 0666 less the umask. The
  // owner is kept only where the process may set it.
  void keep_attributes_of(const std::string& path);

  // Makes commit() rename without syncing the file and its directory: for
  // a file of a temporary directory, removed when the run ends, which a
  // crash may lose.
  void skip_sync() { sync_ = false; }

private:
  std::string final_path_;
  std::string temporary_path_;
  FileDescriptor fd_;
  bool committed_ = false;
  bool keep_attributes_ = false;
  bool sync_ = true;
  unsigned mode_ = 0;
  unsigned uid_ = 0;
  unsigned gid_ = 0;
};

// Replaces `path` with `data` through an AtomicFile.
void write_file_atomically(const std::string& path, std::string_view data);

// Hard-links `source` to `target`, or copies it where linking is not possible
// (another filesystem, or no permission). `target` appears atomically; a
// copy is written in `temporary_directory` first (see AtomicFile).
void link_or_copy_file(const std::string& source, const std::string& target,
                       const std::string& temporary_directory = "");

// Creates an unnamed temporary file under $TMPDIR (default /tmp) for
// content that must be kept between two passes; it vanishes when closed.
FileDescriptor create_spool_file();

// Returns the parent directory of `path` ("." for a bare name).
std::string parent_directory(const std::string& path);

} // namespace ocicap
