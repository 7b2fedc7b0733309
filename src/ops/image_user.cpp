// The user of an image's config. config.User is "user", "uid",
// "user:group" or "uid:gid" (OCI image-spec config.md). Runtimes look names
// up in the image's /etc/passwd and /etc/group, whose lines are
// "name:password:uid:gid:..." and "name:password:gid:members".
#include "ocicap/runtime_advice.hpp"

#include "ocicap/error.hpp"
#include "ocicap/file.hpp"

#include <charconv>
#include <unistd.h>

namespace ocicap {
namespace {

const std::string passwd_path = "etc/passwd";
const std::string group_path = "etc/group";
// User databases are small; the cap keeps a hostile one from exhausting
// memory.
constexpr std::size_t max_database_size = 16 << 20;

std::optional<std::uint32_t> parse_id(std::string_view text) {
  std::uint32_t value = 0;
  auto [end, error] = std::from_chars(text.begin(), text.end(), value);
  if (text.empty() || error != std::errc() || end != text.end()) {
    return std::nullopt;
  }
  return value;
}

std::vector<std::string_view> split_fields(std::string_view line) {
  std::vector<std::string_view> fields;
  while (true) {
    std::size_t colon = line.find(':');
    fields.push_back(line.substr(0, colon));
    if (colon == std::string_view::npos) {
      return fields;
    }
    line.remove_prefix(colon + 1);
  }
}

// Returns the fields of the line whose first field is `name`.
std::optional<std::vector<std::string_view>>
find_entry(std::string_view database, std::string_view name) {
  while (!database.empty()) {
    std::size_t newline = database.find('\n');
    std::vector<std::string_view> fields =
        split_fields(database.substr(0, newline));
    if (fields.size() >= 3 && fields[0] == name) {
      return fields;
    }
    database.remove_prefix(newline == std::string_view::npos ? database.size()
                                                             : newline + 1);
  }
  return std::nullopt;
}

std::string read_content(const PathState& state) {
  if (state.status != PathState::Status::found || state.content == nullptr) {
    return "";
  }
  int fd = state.content->get();
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    throw_errno("cannot rewind a temporary file", errno);
  }
  std::string data;
  char buffer[65536];
  while (std::size_t n =
             read_fully(fd, buffer, sizeof buffer, "a temporary file")) {
    data.append(buffer, n);
    if (data.size() > max_database_size) {
      throw Error("the file exceeds the " +
                  std::to_string(max_database_size >> 20) +
                  " MiB limit for a user database");
    }
  }
  return data;
}

// The image's /etc/passwd and /etc/group, read only when a name needs them.
struct UserDatabases {
  std::string passwd;
  std::string group;
};

UserDatabases read_databases(const SourceImage& source,
                             ReadObserver* observer) {
  std::vector<std::string> paths = {passwd_path, group_path};
  PathResolver resolver(source.layout, image_layers(source), paths, paths);
  resolver.set_observer(observer);
  resolver.run();
  return {read_content(resolver.state(passwd_path)),
          read_content(resolver.state(group_path))};
}

void resolve_user_name(ImageUser& user, std::string_view name,
                       bool has_group, const UserDatabases& databases) {
  auto entry = find_entry(databases.passwd, name);
  if (!entry || entry->size() < 4 || !parse_id((*entry)[2])) {
    user.unresolved =
        "user " + std::string(name) + " is not in the image's /etc/passwd";
    return;
  }
  user.uid = parse_id((*entry)[2]);
  if (!has_group) {
    user.gid = parse_id((*entry)[3]);
  }
}

void resolve_group_name(ImageUser& user, std::string_view name,
                        const UserDatabases& databases) {
  auto entry = find_entry(databases.group, name);
  if (!entry || !parse_id((*entry)[2])) {
    user.unresolved += (user.unresolved.empty() ? "" : ", and ") +
                       ("group " + std::string(name) +
                        " is not in the image's /etc/group");
    return;
  }
  user.gid = parse_id((*entry)[2]);
}

} // namespace

ImageUser resolve_image_user(const SourceImage& source,
                             ReadObserver* observer) {
  ImageUser user{.text = source.config.user()};
  std::string_view text = user.text;
  std::size_t colon = text.find(':');
  std::string_view name = text.substr(0, colon);
  bool has_group = colon != std::string_view::npos;
  std::string_view group = has_group ? text.substr(colon + 1) : "";

  user.uid = name.empty() ? std::optional<std::uint32_t>(0) : parse_id(name);
  user.gid = parse_id(group);
  bool needs_passwd = !user.uid;
  bool needs_group = has_group && !group.empty() && !user.gid;
  if (needs_passwd || needs_group) {
    UserDatabases databases;
    try {
      databases = read_databases(source, observer);
    } catch (const Error& error) {
      user.unresolved = with_context(
          "the image's /etc/passwd and /etc/group cannot be read", error.what());
      user.read_error = error.what();
      return user;
    }
    if (needs_passwd) {
      resolve_user_name(user, name, has_group, databases);
    }
    if (needs_group) {
      resolve_group_name(user, group, databases);
    }
  }
  user.is_root = user.uid == std::optional<std::uint32_t>(0);
  return user;
}

} // namespace ocicap
