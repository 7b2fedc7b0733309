#include "ocicap/layer.hpp"

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <sys/stat.h>
#include <utility>

namespace ocicap {

std::string_view entry_type_name(EntryType type) {
  switch (type) {
  case EntryType::regular:
    return "regular file";
  case EntryType::directory:
    return "directory";
  case EntryType::symlink:
    return "symbolic link";
  case EntryType::hardlink:
    return "hard link";
  case EntryType::character_device:
    return "character device";
  case EntryType::block_device:
    return "block device";
  case EntryType::fifo:
    return "FIFO";
  case EntryType::other:
    break;
  }
  return "special file";
}

std::string libarchive_version() { return archive_version_details(); }

TarEntry::TarEntry() : entry_(archive_entry_new()) {}

namespace {

// Returns the attributes of `entry` in libarchive's listing order.
std::vector<Xattr> listed_xattrs(archive_entry* entry) {
  std::vector<Xattr> listed;
  archive_entry_xattr_reset(entry);
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  while (archive_entry_xattr_next(entry, &name, &value, &size) ==
         ARCHIVE_OK) {
    listed.emplace_back(name,
                        std::string(static_cast<const char*>(value), size));
  }
  return listed;
}

// Copies `source` with its attributes listed in the same order. libarchive
// lists an entry's attributes newest first, as the tar reader and
// archive_entry_xattr_add_entry() add them, but archive_entry_clone()
// copies them in listing order, each added first, which reverses the list.
archive_entry* clone_entry(archive_entry* source) {
  archive_entry* copy = archive_entry_clone(source);
  if (copy == nullptr || archive_entry_xattr_count(source) == 0) {
    return copy;
  }
  std::vector<Xattr> listed = listed_xattrs(source);
  archive_entry_xattr_clear(copy);
  for (auto item = listed.rbegin(); item != listed.rend(); ++item) {
    archive_entry_xattr_add_entry(copy, item->first.c_str(),
                                  item->second.data(), item->second.size());
  }
  return copy;
}

} // namespace

TarEntry::TarEntry(archive_entry* entry) : entry_(clone_entry(entry)) {}

TarEntry::TarEntry(const TarEntry& other)
    : entry_(clone_entry(other.entry_)) {}

TarEntry& TarEntry::operator=(const TarEntry& other) {
  if (this != &other) {
    archive_entry* copy = clone_entry(other.entry_);
    if (owned_) {
      archive_entry_free(entry_);
    }
    entry_ = copy;
    owned_ = true;
  }
  return *this;
}

TarEntry::TarEntry(TarEntry&& other) noexcept
    : entry_(std::exchange(other.entry_, archive_entry_new())),
      owned_(std::exchange(other.owned_, true)) {}

TarEntry& TarEntry::operator=(TarEntry&& other) noexcept {
  std::swap(entry_, other.entry_);
  std::swap(owned_, other.owned_);
  return *this;
}

TarEntry::~TarEntry() {
  if (owned_) {
    archive_entry_free(entry_);
  }
}

TarEntry::TarEntry(archive_entry* entry, bool owned)
    : entry_(entry), owned_(owned) {}

TarEntry TarEntry::view(archive_entry* entry) { return TarEntry(entry, false); }

TarEntry TarEntry::directory(const std::string& path, unsigned mode,
                             std::int64_t mtime) {
  TarEntry entry;
  archive_entry_set_pathname(entry.entry_, path.c_str());
  archive_entry_set_filetype(entry.entry_, AE_IFDIR);
  archive_entry_set_perm(entry.entry_, mode);
  archive_entry_set_uid(entry.entry_, 0);
  archive_entry_set_gid(entry.entry_, 0);
  archive_entry_set_mtime(entry.entry_, mtime, 0);
  return entry;
}

std::string TarEntry::name() const {
  const char* name = archive_entry_pathname(entry_);
  return name ? name : "";
}

EntryType TarEntry::type() const {
  if (archive_entry_hardlink(entry_) != nullptr) {
    return EntryType::hardlink;
  }
  switch (archive_entry_filetype(entry_)) {
  case AE_IFREG:
    return EntryType::regular;
  case AE_IFDIR:
    return EntryType::directory;
  case AE_IFLNK:
    return EntryType::symlink;
  case AE_IFCHR:
    return EntryType::character_device;
  case AE_IFBLK:
    return EntryType::block_device;
  case AE_IFIFO:
    return EntryType::fifo;
  default:
    return EntryType::other;
  }
}

std::int64_t TarEntry::size() const { return archive_entry_size(entry_); }
unsigned TarEntry::mode() const { return archive_entry_perm(entry_); }
std::int64_t TarEntry::uid() const { return archive_entry_uid(entry_); }
std::int64_t TarEntry::gid() const { return archive_entry_gid(entry_); }

std::string TarEntry::link_target() const {
  const char* target = archive_entry_hardlink(entry_);
  if (target == nullptr) {
    target = archive_entry_symlink(entry_);
  }
  return target ? target : "";
}

std::vector<Xattr> TarEntry::xattrs() const {
  // libarchive 3.6 lists attributes newest first (see clone_entry), so the
  // list is reversed into archive order. A repeated name keeps its place
  // and its last value, as Go's archive/tar (and so containerd and Docker)
  // would apply it.
  std::vector<Xattr> raw = listed_xattrs(entry_);
  std::vector<Xattr> result;
  for (auto item = raw.rbegin(); item != raw.rend(); ++item) {
    auto existing = std::find_if(
        result.begin(), result.end(),
        [&](const Xattr& kept) { return kept.first == item->first; });
    if (existing != result.end()) {
      existing->second = item->second;
    } else {
      result.push_back(*item);
    }
  }
  return result;
}

std::optional<std::string> TarEntry::xattr(std::string_view name) const {
  for (const Xattr& item : xattrs()) {
    if (item.first == name) {
      return item.second;
    }
  }
  return std::nullopt;
}

void TarEntry::set_name(const std::string& name) {
  archive_entry_set_pathname(entry_, name.c_str());
}

void TarEntry::set_xattr(const std::string& name, const std::string& value) {
  std::vector<Xattr> items = xattrs();
  bool replaced = false;
  for (Xattr& item : items) {
    if (item.first == name) {
      item.second = value;
      replaced = true;
    }
  }
  if (!replaced) {
    items.emplace_back(name, value);
  }
  replace_xattrs(items);
}

void TarEntry::remove_xattr(const std::string& name) {
  std::vector<Xattr> items = xattrs();
  std::erase_if(items, [&](const Xattr& item) { return item.first == name; });
  replace_xattrs(items);
}

void TarEntry::replace_xattrs(const std::vector<Xattr>& xattrs) {
  archive_entry_xattr_clear(entry_);
  // Added in archive order; libarchive lists them newest first, which
  // xattrs() turns back.
  for (const Xattr& item : xattrs) {
    archive_entry_xattr_add_entry(entry_, item.first.c_str(),
                                  item.second.data(), item.second.size());
  }
}

void TarEntry::make_regular_file(std::int64_t size) {
  archive_entry_set_hardlink(entry_, nullptr);
  archive_entry_set_filetype(entry_, AE_IFREG);
  archive_entry_sparse_clear(entry_);
  archive_entry_set_size(entry_, size);
}

void TarEntry::make_hard_link(const std::string& target) {
  archive_entry_set_filetype(entry_, AE_IFREG);
  archive_entry_sparse_clear(entry_);
  archive_entry_set_size(entry_, 0);
  archive_entry_xattr_clear(entry_);
  archive_entry_set_hardlink(entry_, target.c_str());
}

} // namespace ocicap
