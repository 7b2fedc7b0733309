#include "ocicap/file.hpp"

#include "ocicap/error.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

namespace ocicap {

FileDescriptor::FileDescriptor(FileDescriptor&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)) {}

FileDescriptor& FileDescriptor::operator=(FileDescriptor&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

FileDescriptor::~FileDescriptor() { close(); }

void FileDescriptor::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

FileDescriptor open_for_reading(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw_errno("cannot open " + path, errno);
  }
  return FileDescriptor(fd);
}

namespace {

// Calls `read(done)`, which reads at most `size - done` bytes, until `size`
// bytes are read or the file ends. Retries EINTR and short reads.
template <typename Read>
std::size_t read_until_full(std::size_t size, const std::string& path,
                            Read read) {
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = read(done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw_errno("cannot read " + path, errno);
    }
    if (n == 0) {
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  return done;
}

} // namespace

std::size_t read_fully(int fd, char* buffer, std::size_t size,
                       const std::string& path) {
  return read_until_full(size, path, [&](std::size_t done) {
    return ::read(fd, buffer + done, size - done);
  });
}

std::size_t read_fully_at(int fd, char* buffer, std::size_t size,
                          std::int64_t offset, const std::string& path) {
  return read_until_full(size, path, [&](std::size_t done) {
    return ::pread(fd, buffer + done, size - done,
                   static_cast<off_t>(offset) + static_cast<off_t>(done));
  });
}

void copy_file_bytes(int source, std::int64_t offset, std::int64_t length,
                     int target, const std::string& source_name,
                     const std::string& target_name) {
  auto source_ended = [&] {
    throw Error("cannot read " + source_name + ": it ended " +
                std::to_string(length) + " bytes before the expected end");
  };
  bool in_kernel = true;
  std::vector<char> buffer;
  while (length > 0) {
    if (in_kernel) {
      off_t position = static_cast<off_t>(offset);
      ssize_t n = ::copy_file_range(
          source, &position, target, nullptr,
          static_cast<std::size_t>(std::min<std::int64_t>(length, 1 << 30)),
          0);
      if (n > 0) {
        offset += n;
        length -= n;
        continue;
      }
      if (n == 0) {
        source_ended();
      }
      if (errno == EINTR) {
        continue;
      }
      // A pipe, an O_APPEND file, a kernel or filesystem without the call:
      // the bytes go through a buffer instead.
      if (errno != EINVAL && errno != EXDEV && errno != ENOSYS &&
          errno != EOPNOTSUPP && errno != EBADF && errno != ETXTBSY) {
        throw_errno("cannot copy " + source_name + " to " + target_name,
                    errno);
      }
      in_kernel = false;
      buffer.resize(1 << 20);
    }
    std::size_t wanted = static_cast<std::size_t>(
        std::min<std::int64_t>(length, static_cast<std::int64_t>(
                                           buffer.size())));
    std::size_t n =
        read_fully_at(source, buffer.data(), wanted, offset, source_name);
    if (n == 0) {
      source_ended();
    }
    write_fully(target, std::string_view(buffer.data(), n), target_name);
    offset += static_cast<std::int64_t>(n);
    length -= static_cast<std::int64_t>(n);
  }
}

std::optional<FileIdentity> file_identity(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    return std::nullopt;
  }
  return FileIdentity{
      .device = static_cast<std::uint64_t>(st.st_dev),
      .inode = static_cast<std::uint64_t>(st.st_ino),
      .size = static_cast<std::int64_t>(st.st_size),
      .modification_time_ns =
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 +
          st.st_mtim.tv_nsec};
}

void write_fully(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      throw_errno("cannot write " + path, errno);
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string read_small_file(const std::string& path, std::size_t max_size) {
  FileDescriptor fd = open_for_reading(path);
  // The string grows with the file, so a small file does not cost
  // `max_size` bytes of memory.
  constexpr std::size_t chunk_size = 64 << 10;
  std::string data;
  for (;;) {
    std::size_t size = data.size();
    std::size_t wanted = std::min(chunk_size, max_size + 1 - size);
    data.resize(size + wanted);
    std::size_t n = read_fully(fd.get(), data.data() + size, wanted, path);
    data.resize(size + n);
    if (n < wanted || data.size() > max_size) {
      break;
    }
  }
  if (data.size() > max_size) {
    throw Error(path + " is larger than " + std::to_string(max_size) +
                " bytes, the maximum for this kind of file");
  }
  return data;
}

bool path_exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

std::int64_t file_size(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    throw_errno("cannot stat " + path, errno);
  }
  return st.st_size;
}

bool is_directory(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

void make_directories(const std::string& path) {
  if (path.empty() || is_directory(path)) {
    return;
  }
  make_directories(parent_directory(path));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    throw_errno("cannot create directory " + path, errno);
  }
}

void sync_directory(const std::string& directory) {
  int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    throw_errno("cannot open directory " + directory, errno);
  }
  FileDescriptor owner(fd);
  if (::fsync(fd) != 0 && errno != EINVAL) {
    throw_errno("cannot sync directory " + directory, errno);
  }
}

FileDescriptor create_spool_file() {
  const char* tmpdir = std::getenv("TMPDIR");
  std::string directory = tmpdir && *tmpdir ? tmpdir : "/tmp";
  std::string pattern = directory + "/ocicap-spool-XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    int error = errno;
    // Another TMPDIR helps only with a missing or unwritable directory,
    // not with EMFILE or ENOSPC.
    bool directory_fault = error == ENOENT || error == ENOTDIR ||
                           error == EACCES || error == EROFS ||
                           error == EPERM;
    throw_errno("cannot create a temporary file in " + directory +
                    (directory_fault
                         ? " (set TMPDIR to a writable directory)"
                         : ""),
                error);
  }
  ::unlink(name.data());
  return FileDescriptor(fd);
}

std::string parent_directory(const std::string& path) {
  std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) {
    return ".";
  }
  if (slash == 0) {
    return "/";
  }
  return path.substr(0, slash);
}

AtomicFile::AtomicFile(std::string final_path,
                       const std::string& temporary_directory)
    : final_path_(std::move(final_path)) {
  std::string directory = temporary_directory.empty()
                              ? parent_directory(final_path_)
                              : temporary_directory;
  std::string pattern =
      directory + "/" + std::string(temporary_file_prefix) + "XXXXXX";
  std::vector<char> name(pattern.begin(), pattern.end());
  name.push_back('\0');
  int fd = ::mkostemp(name.data(), O_CLOEXEC);
  if (fd < 0) {
    throw_errno("cannot create a temporary file in " + directory, errno);
  }
  fd_ = FileDescriptor(fd);
  temporary_path_ = name.data();
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    fd_.close();
    ::unlink(temporary_path_.c_str());
  }
}

void AtomicFile::write(std::string_view data) {
  write_fully(fd_.get(), data, temporary_path_);
}

void AtomicFile::commit() { commit_as(final_path_); }

void AtomicFile::keep_attributes_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    throw_errno("cannot stat " + path, errno);
  }
  keep_attributes_ = true;
  mode_ = st.st_mode & 07777;
  uid_ = st.st_uid;
  gid_ = st.st_gid;
}

void AtomicFile::commit_as(const std::string& final_path) {
  // A new file's mode follows the umask; mkostemp creates 0600.
  mode_t mask = ::umask(0);
  ::umask(mask);
  mode_t mode = keep_attributes_ ? mode_ : 0666 & ~mask;
  if (keep_attributes_ && ::fchown(fd_.get(), uid_, gid_) != 0 &&
      errno != EPERM) {
    throw_errno("cannot set the owner of " + temporary_path_, errno);
  }
  if (::fchmod(fd_.get(), mode) != 0) {
    throw_errno("cannot set the mode of " + temporary_path_, errno);
  }
  if (sync_ && ::fsync(fd_.get()) != 0) {
    throw_errno("cannot sync " + temporary_path_, errno);
  }
  fd_.close();
  if (::rename(temporary_path_.c_str(), final_path.c_str()) != 0) {
    throw_errno("cannot rename " + temporary_path_ + " to " + final_path,
                errno);
  }
  committed_ = true;
  if (sync_) {
    sync_directory(parent_directory(final_path));
  }
}

void write_file_atomically(const std::string& path, std::string_view data) {
  AtomicFile file(path);
  file.write(data);
  file.commit();
}

void link_or_copy_file(const std::string& source, const std::string& target,
                       const std::string& temporary_directory) {
  if (::link(source.c_str(), target.c_str()) == 0) {
    return;
  }
  if (errno == EEXIST) {
    return;
  }
  FileDescriptor input = open_for_reading(source);
  AtomicFile output(target, temporary_directory);
  std::vector<char> buffer(1 << 20);
  for (;;) {
    std::size_t n = read_fully(input.get(), buffer.data(), buffer.size(),
                               source);
    if (n == 0) {
      break;
    }
    output.write(std::string_view(buffer.data(), n));
  }
  output.commit();
}

} // namespace ocicap
