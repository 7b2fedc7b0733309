#include "ocicap/merged_view.hpp"

#include "ocicap/error.hpp"
#include "support/image_builder.hpp"
#include "support/layer_stack.hpp"
#include "support/printers.hpp"
#include "support/temp_directory.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::Descriptor;
using ocicap::EntryType;
using ocicap::Error;
using ocicap::ImageLayer;
using ocicap::ImageLayout;
using ocicap::PathResolver;
using ocicap::PathState;
using ocicap::XattrMatch;
using ocicap::test::directory_entry;
using ocicap::test::EntrySpec;
using ocicap::test::file_entry;
using ocicap::test::hardlink_entry;
using ocicap::test::LayerStack;
using ocicap::test::marker_entry;
using ocicap::test::symlink_entry;
using ocicap::test::TempDirectory;
using Status = ocicap::PathState::Status;

namespace {

const std::string cap_name = "security.capability";

EntrySpec capable_file(std::string name, std::string value = "cap") {
  return file_entry(std::move(name), "binary", {{cap_name, value}});
}

std::string content_of(const PathState& state) {
  REQUIRE(state.content != nullptr);
  int fd = state.content->get();
  REQUIRE(::lseek(fd, 0, SEEK_SET) == 0);
  std::string content;
  char buffer[4096];
  for (;;) {
    std::size_t n = ocicap::read_fully(fd, buffer, sizeof buffer, "content");
    if (n == 0) {
      return content;
    }
    content.append(buffer, n);
  }
}

struct LayerRead {
  std::size_t layer;
  std::size_t layer_count;
  std::string digest;
  std::int64_t compressed_bytes;
};

struct RecordingObserver : ocicap::ReadObserver {
  std::vector<LayerRead> reads;
  void layer_read(std::size_t layer, std::size_t layer_count,
                  const Descriptor& descriptor, std::int64_t compressed_bytes,
                  double seconds) override {
    CHECK(seconds >= 0);
    reads.push_back(
        {layer, layer_count, descriptor.digest.string(), compressed_bytes});
  }
};

// Runs a resolver for `paths` with content kept for all of them.
PathResolver resolve(const LayerStack& stack,
                     const std::vector<std::string>& paths,
                     ocicap::ReadObserver* observer = nullptr) {
  PathResolver resolver(stack.layout, stack.layers, paths, paths);
  resolver.set_observer(observer);
  resolver.run();
  return resolver;
}

// Replaces the blob of layer `layer` with bytes that are not gzip.
void corrupt_layer(const LayerStack& stack, std::size_t layer) {
  ocicap::test::write_file(
      stack.layout.blob_path(stack.layers[layer].descriptor.digest),
      "not gzip");
}

// Returns the message of the Error that `body` throws, or "" if none.
template <typename Body> std::string error_message(Body&& body) {
  try {
    body();
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

std::vector<std::string> paths_of(const std::vector<XattrMatch>& matches) {
  std::vector<std::string> paths;
  for (const XattrMatch& match : matches) {
    paths.push_back(match.path);
  }
  return paths;
}

std::vector<EntrySpec> usr_bin(std::vector<EntrySpec> files) {
  std::vector<EntrySpec> entries = {directory_entry("usr"),
                                    directory_entry("usr/bin")};
  entries.insert(entries.end(), files.begin(), files.end());
  return entries;
}

} // namespace

TEST_SUITE("PathResolver") {
  TEST_CASE("finds a bottom layer file") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "bottom", {{"user.a", "1"}})}));
    stack.add({directory_entry("etc"), file_entry("etc/other", "")});
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    const PathState& state = resolver.state("usr/bin/x");
    REQUIRE(state.status == Status::found);
    CHECK(state.layer == 0);
    CHECK(state.entry.type() == EntryType::regular);
    CHECK(state.entry.xattr("user.a") == std::optional<std::string>("1"));
    CHECK(content_of(state) == "bottom");
    CHECK(resolver.state("usr").status == Status::found);
    CHECK(resolver.state("usr/bin").entry.type() == EntryType::directory);
  }

  TEST_CASE("takes a replaced file from above") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "old")}));
    EntrySpec replacement = file_entry("usr/bin/x", "new");
    replacement.mode = 0700;
    stack.add(usr_bin({replacement}));
    RecordingObserver observer;
    PathResolver resolver = resolve(stack, {"usr/bin/x"}, &observer);
    const PathState& state = resolver.state("usr/bin/x");
    REQUIRE(state.status == Status::found);
    CHECK(state.layer == 1);
    CHECK(state.entry.mode() == 0700);
    CHECK(content_of(state) == "new");
    REQUIRE(observer.reads.size() == 1);
    CHECK(observer.reads[0].layer == 1);
    CHECK(observer.reads[0].layer_count == 2);
    CHECK(observer.reads[0].digest ==
          stack.layers[1].descriptor.digest.string());
    CHECK(observer.reads[0].compressed_bytes ==
          stack.layers[1].descriptor.size);
  }

  TEST_CASE("reads lower layers for undecided ancestors") {
    LayerStack stack;
    stack.add(usr_bin({}));
    stack.add({file_entry("usr/bin/x", "top")});
    RecordingObserver observer;
    PathResolver resolver = resolve(stack, {"usr/bin/x"}, &observer);
    CHECK(resolver.state("usr/bin/x").layer == 1);
    CHECK(resolver.state("usr/bin").layer == 0);
    REQUIRE(observer.reads.size() == 2);
    CHECK(observer.reads[0].layer == 1);
    CHECK(observer.reads[1].layer == 0);
  }

  TEST_CASE("whiteout deletes a lower file") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "")}));
    stack.add(usr_bin({marker_entry("usr/bin/.wh.x")}));
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    const PathState& state = resolver.state("usr/bin/x");
    CHECK(state.status == Status::absent);
    CHECK(state.reason == "deleted by a whiteout in " + stack.label(1));
  }

  TEST_CASE("whiteout of a parent deletes the file") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "")}));
    stack.add({marker_entry(".wh.usr")});
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    const PathState& state = resolver.state("usr/bin/x");
    CHECK(state.status == Status::absent);
    CHECK(state.reason ==
          "its directory /usr was deleted by a whiteout in " + stack.label(1));
    CHECK(resolver.state("usr").status == Status::absent);
  }

  TEST_CASE("whiteout spares its own layer") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "old")}));
    stack.add(usr_bin(
        {marker_entry("usr/bin/.wh.x"), file_entry("usr/bin/x", "new")}));
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    const PathState& state = resolver.state("usr/bin/x");
    REQUIRE(state.status == Status::found);
    CHECK(state.layer == 1);
    CHECK(content_of(state) == "new");
  }

  TEST_CASE("opaque directory hides lower content") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "")}));
    stack.add(usr_bin({marker_entry("usr/bin/.wh..wh..opq")}));
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    const PathState& state = resolver.state("usr/bin/x");
    CHECK(state.status == Status::absent);
    CHECK(state.reason ==
          "hidden by the opaque directory /usr/bin in " + stack.label(1));
    CHECK(resolver.state("usr/bin").status == Status::found);
    CHECK(resolver.state("usr/bin").layer == 1);
  }

  TEST_CASE("opaque directory keeps its own layer's files") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "old")}));
    stack.add(usr_bin({marker_entry("usr/bin/.wh..wh..opq"),
                       file_entry("usr/bin/x", "new")}));
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    REQUIRE(resolver.state("usr/bin/x").status == Status::found);
    CHECK(content_of(resolver.state("usr/bin/x")) == "new");
  }

  TEST_CASE("opaque root hides every lower file") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "")}));
    stack.add({marker_entry(".wh..wh..opq")});
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    const PathState& state = resolver.state("usr/bin/x");
    CHECK(state.status == Status::absent);
    CHECK(state.reason ==
          "hidden by the opaque directory / in " + stack.label(1));
  }

  TEST_CASE("symlink parent blocks the path") {
    LayerStack stack;
    stack.add({directory_entry("usr"), directory_entry("usr/lib"),
               file_entry("usr/lib/x", ""), directory_entry("usr/bin"),
               file_entry("usr/bin/x", "")});
    stack.add({symlink_entry("usr/bin", "lib")});
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    const PathState& state = resolver.state("usr/bin/x");
    CHECK(state.status == Status::absent);
    CHECK(state.blocking_ancestor == "usr/bin");
    REQUIRE(state.blocking_entry.has_value());
    CHECK(state.blocking_entry->type() == EntryType::symlink);
    CHECK(state.blocking_entry->link_target() == "lib");
    CHECK(state.reason == "/usr/bin is a symbolic link in " + stack.label(1));
  }

  TEST_CASE("file parent blocks the path") {
    LayerStack stack;
    stack.add({directory_entry("a"), file_entry("a/x", "")});
    stack.add({file_entry("a", "now a file")});
    PathResolver resolver = resolve(stack, {"a/x"});
    const PathState& state = resolver.state("a/x");
    CHECK(state.status == Status::absent);
    CHECK(state.blocking_ancestor == "a");
    CHECK(state.reason == "/a is a regular file in " + stack.label(1));
  }

  TEST_CASE("hard link takes the earlier entry") {
    LayerStack stack;
    EntrySpec original = file_entry("usr/bin/x", "data", {{cap_name, "v"}});
    original.mode = 0751;
    original.uid = 7;
    stack.add(usr_bin({original, hardlink_entry("usr/bin/y", "usr/bin/x")}));
    PathResolver resolver = resolve(stack, {"usr/bin/y"});
    const PathState& state = resolver.state("usr/bin/y");
    REQUIRE(state.status == Status::found);
    CHECK(state.entry.type() == EntryType::regular);
    CHECK(state.entry.name() == "usr/bin/y");
    CHECK(state.entry.mode() == 0751);
    CHECK(state.entry.uid() == 7);
    CHECK(state.entry.xattr(cap_name) == std::optional<std::string>("v"));
    CHECK(content_of(state) == "data");
  }

  TEST_CASE("hard link follows a chain") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "data"),
                       hardlink_entry("usr/bin/y", "usr/bin/x"),
                       hardlink_entry("usr/bin/z", "./usr/bin/y")}));
    PathResolver resolver = resolve(stack, {"usr/bin/z"});
    const PathState& state = resolver.state("usr/bin/z");
    REQUIRE(state.status == Status::found);
    CHECK(state.entry.type() == EntryType::regular);
    CHECK(content_of(state) == "data");
  }

  TEST_CASE("lists the other names of a hard-linked file") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "data"),
                       hardlink_entry("usr/bin/y", "usr/bin/x"),
                       hardlink_entry("usr/bin/z", "usr/bin/y"),
                       file_entry("usr/bin/other", "o"),
                       hardlink_entry("usr/bin/w", "usr/bin/other")}));
    PathResolver resolver =
        resolve(stack, {"usr/bin/x", "usr/bin/z", "usr/bin/other"});
    CHECK(resolver.hard_link_names("usr/bin/x") ==
          std::vector<std::string>{"usr/bin/y", "usr/bin/z"});
    CHECK(resolver.hard_link_names("usr/bin/z") ==
          std::vector<std::string>{"usr/bin/x", "usr/bin/y"});
    CHECK(resolver.hard_link_names("usr/bin/other") ==
          std::vector<std::string>{"usr/bin/w"});
  }

  TEST_CASE("lists names only from the providing layer") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "old"),
                       hardlink_entry("usr/bin/y", "usr/bin/x")}));
    stack.add(usr_bin({file_entry("usr/bin/x", "new")}));
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    CHECK(resolver.state("usr/bin/x").layer == 1);
    CHECK(resolver.hard_link_names("usr/bin/x").empty());
  }

  TEST_CASE("lists no names for a file without links") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "x")}));
    CHECK(resolve(stack, {"usr/bin/x"}).hard_link_names("usr/bin/x").empty());
    CHECK(resolve(stack, {"usr/bin/gone"})
              .hard_link_names("usr/bin/gone")
              .empty());
  }

  TEST_CASE("rejects a forward hard link") {
    LayerStack stack;
    stack.add(usr_bin({hardlink_entry("usr/bin/y", "usr/bin/x"),
                       file_entry("usr/bin/x", "data")}));
    PathResolver resolver(stack.layout, stack.layers, {"usr/bin/y"});
    std::string message = error_message([&] { resolver.run(); });
    CAPTURE(message);
    CHECK(message.find(stack.label(0)) != std::string::npos);
    CHECK(message.find("hard link /usr/bin/y points to") != std::string::npos);
    CHECK(message.find("/usr/bin/x") != std::string::npos);
    CHECK(message.find("not an earlier entry of the same layer") !=
          std::string::npos);
  }

  TEST_CASE("last duplicate entry wins") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "first", {{cap_name, "v"}}),
                       file_entry("usr/bin/x", "second")}));
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    const PathState& state = resolver.state("usr/bin/x");
    REQUIRE(state.status == Status::found);
    CHECK_FALSE(state.entry.xattr(cap_name).has_value());
    CHECK(content_of(state) == "second");
  }

  TEST_CASE("entry below implies its directories") {
    LayerStack stack;
    stack.add({file_entry("usr/bin/x", "x")});
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    for (const std::string path : {"usr", "usr/bin"}) {
      CAPTURE(path);
      const PathState& state = resolver.state(path);
      REQUIRE(state.status == Status::found);
      CHECK(state.implied);
      CHECK(state.layer == 0);
      CHECK(state.entry.type() == EntryType::directory);
      CHECK(state.entry.mode() == 0755);
    }
  }

  TEST_CASE("implied directory takes a lower entry") {
    LayerStack stack;
    EntrySpec usr = directory_entry("usr");
    usr.mode = 0750;
    stack.add({usr});
    stack.add({file_entry("usr/x", "x")});
    PathResolver resolver = resolve(stack, {"usr/x"});
    const PathState& state = resolver.state("usr");
    REQUIRE(state.status == Status::found);
    CHECK_FALSE(state.implied);
    CHECK(state.layer == 0);
    CHECK(state.entry.mode() == 0750);
  }

  TEST_CASE("implied directory replaces a lower link") {
    LayerStack stack;
    stack.add({directory_entry("lib"), symlink_entry("usr", "lib")});
    stack.add({file_entry("usr/x", "x")});
    PathResolver resolver = resolve(stack, {"usr/x"});
    const PathState& state = resolver.state("usr");
    REQUIRE(state.status == Status::found);
    CHECK(state.implied);
    CHECK(state.layer == 1);
    CHECK(state.entry.type() == EntryType::directory);
  }

  TEST_CASE("implied directory survives its layer's whiteout") {
    LayerStack stack;
    stack.add({directory_entry("usr"), file_entry("usr/old", "o")});
    stack.add({marker_entry(".wh.usr"), file_entry("usr/new", "n")});
    PathResolver resolver = resolve(stack, {"usr/new", "usr/old"});
    const PathState& state = resolver.state("usr");
    REQUIRE(state.status == Status::found);
    CHECK(state.implied);
    CHECK(state.layer == 1);
    CHECK(resolver.state("usr/new").status == Status::found);
    CHECK(resolver.state("usr/old").status == Status::absent);
  }

  TEST_CASE("whiteout above hides an implied directory") {
    LayerStack stack;
    stack.add({file_entry("usr/bin/x", "x")});
    stack.add({marker_entry(".wh.usr")});
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    CHECK(resolver.state("usr").status == Status::absent);
    CHECK(resolver.state("usr/bin").status == Status::absent);
  }

  TEST_CASE("link above hides an implied directory") {
    LayerStack stack;
    stack.add({file_entry("usr/bin/x", "x")});
    stack.add({directory_entry("lib"), symlink_entry("usr", "lib")});
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    CHECK(resolver.state("usr").entry.type() == EntryType::symlink);
    CHECK(resolver.state("usr/bin").status == Status::absent);
    CHECK(resolver.state("usr/bin/x").status == Status::absent);
  }

  TEST_CASE("opaque marker implies its directory") {
    LayerStack stack;
    stack.add({marker_entry("opt/.wh..wh..opq")});
    PathResolver resolver = resolve(stack, {"opt"});
    REQUIRE(resolver.state("opt").status == Status::found);
    CHECK(resolver.state("opt").implied);
  }

  TEST_CASE("path no layer contains is absent") {
    LayerStack stack;
    stack.add(usr_bin({}));
    PathResolver resolver = resolve(stack, {"usr/bin/missing", "opt/x"});
    CHECK(resolver.state("usr/bin/missing").status == Status::absent);
    CHECK(resolver.state("usr/bin/missing").reason == "no layer contains it");
    CHECK(resolver.state("opt").reason == "no layer contains it");
  }

  TEST_CASE("keeps content only when requested") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "data")}));
    PathResolver resolver(stack.layout, stack.layers, {"usr/bin/x"});
    resolver.run();
    CHECK(resolver.state("usr/bin/x").status == Status::found);
    CHECK(resolver.state("usr/bin/x").content == nullptr);
  }

  TEST_CASE("rejects state of unrequested path") {
    LayerStack stack;
    stack.add(usr_bin({}));
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    CHECK_THROWS_WITH_AS(resolver.state("etc/x"),
                         "internal error: path /etc/x was not requested "
                         "from the resolver",
                         Error);
  }

  TEST_CASE("reads GNU tar ./ names") {
    LayerStack stack;
    std::string root = stack.directory.file("rootfs");
    ocicap::make_directories(root + "/usr/bin");
    ocicap::test::write_file(root + "/usr/bin/x", "from tar");
    ocicap::make_directories(stack.directory.path() + "/blobs/sha256");
    stack.layers.push_back(
        ocicap::test::write_gnu_tar_layer(stack.layout, root));
    PathResolver resolver = resolve(stack, {"usr/bin/x"});
    const PathState& state = resolver.state("usr/bin/x");
    REQUIRE(state.status == Status::found);
    CHECK(state.entry.name() == "./usr/bin/x");
    CHECK(content_of(state) == "from tar");
  }

  TEST_CASE("names the layer of a corrupt blob") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "data")}));
    corrupt_layer(stack, 0);
    PathResolver resolver(stack.layout, stack.layers, {"usr/bin/x"});
    std::string message = error_message([&] { resolver.run(); });
    CAPTURE(message);
    CHECK(message.starts_with(stack.label(0)));
  }

  TEST_CASE("drops a lower layer read ahead of need") {
    // Reads run ahead of the layer that decides the path. A lower layer
    // that turns out not to be needed must not fail the run, even when it
    // is corrupt.
    for (std::size_t parallel : {1, 2, 3}) {
      CAPTURE(parallel);
      LayerStack stack;
      stack.add(usr_bin({file_entry("usr/bin/x", "bottom")}));
      stack.add(usr_bin({file_entry("usr/bin/y", "middle")}));
      stack.add(usr_bin({file_entry("usr/bin/x", "top")}));
      corrupt_layer(stack, 0);
      RecordingObserver observer;
      PathResolver resolver(stack.layout, stack.layers, {"usr/bin/x"},
                            {"usr/bin/x"});
      resolver.set_observer(&observer);
      resolver.set_parallel_reads(parallel);
      REQUIRE_NOTHROW(resolver.run());
      const PathState& state = resolver.state("usr/bin/x");
      REQUIRE(state.status == Status::found);
      CHECK(state.layer == 2);
      CHECK(content_of(state) == "top");
      REQUIRE(observer.reads.size() == 1);
      CHECK(observer.reads[0].layer == 2);
    }
  }

  TEST_CASE("names the highest corrupt layer when reads run at once") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "bottom")}));
    stack.add(usr_bin({file_entry("usr/bin/y", "middle")}));
    stack.add(usr_bin({file_entry("usr/bin/z", "top")}));
    for (std::size_t layer : {0, 1}) {
      corrupt_layer(stack, layer);
    }
    PathResolver resolver(stack.layout, stack.layers, {"usr/bin/x"});
    resolver.set_parallel_reads(3);
    std::string message = error_message([&] { resolver.run(); });
    CAPTURE(message);
    CHECK(message.starts_with(stack.label(1)));
  }

  TEST_CASE("decides the same read serially and at once") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/a", "a0"),
                       file_entry("usr/bin/b", "b0"),
                       file_entry("usr/bin/c", "c0"), directory_entry("opt"),
                       file_entry("opt/d", "d0")}));
    stack.add(usr_bin({marker_entry("usr/bin/.wh.a"),
                       file_entry("usr/bin/b", "b1")}));
    stack.add({marker_entry("opt/.wh..wh..opq"), file_entry("opt/e", "e2"),
               hardlink_entry("usr/bin/f", "usr/bin/b")});
    stack.add({file_entry("usr/bin/c", "c3")});

    std::vector<std::string> paths = {"usr/bin/a", "usr/bin/b", "usr/bin/c",
                                      "opt/d",     "opt/e",     "usr/bin/g"};
    auto describe = [&](std::size_t parallel) {
      PathResolver resolver(stack.layout, stack.layers, paths, paths);
      resolver.set_parallel_reads(parallel);
      resolver.run();
      std::vector<std::string> lines;
      for (const std::string& path : paths) {
        const PathState& state = resolver.state(path);
        std::string line = path + " " +
                           std::to_string(static_cast<int>(state.status)) +
                           " " + std::to_string(state.layer) + " " +
                           state.reason;
        if (state.status == Status::found) {
          line += " " + content_of(state);
        }
        lines.push_back(line);
      }
      return lines;
    };

    std::vector<std::string> serial = describe(1);
    CHECK(serial[0].find("whiteout") != std::string::npos);
    CHECK(serial[1].ends_with("b1"));
    CHECK(serial[2].ends_with("c3"));
    CHECK(serial[3].find("opaque") != std::string::npos);
    CHECK(serial[4].ends_with("e2"));
    CHECK(serial[5].find("no layer contains it") != std::string::npos);
    CHECK(describe(2) == serial);
    CHECK(describe(4) == serial);
  }
}

TEST_SUITE("ScanXattr") {
  TEST_CASE("lists files with the attribute by path") {
    LayerStack stack;
    stack.add({capable_file("b", "vb"), capable_file("a", "va"),
               file_entry("c", ""),
               EntrySpec{.name = "d",
                         .type = EntryType::directory,
                         .mode = 0755,
                         .xattrs = {{cap_name, "dir"}}},
               symlink_entry("e", "a")});
    std::vector<XattrMatch> matches =
        ocicap::scan_xattr(stack.layout, stack.layers, cap_name);
    REQUIRE(matches.size() == 2);
    CHECK(matches[0].path == "a");
    CHECK(matches[0].value == "va");
    CHECK(matches[0].layer == 0);
    CHECK(matches[1].path == "b");
    CHECK(matches[1].value == "vb");
  }

  TEST_CASE("upper file without the attribute replaces it") {
    LayerStack stack;
    stack.add(usr_bin({capable_file("usr/bin/x")}));
    stack.add(usr_bin({file_entry("usr/bin/x", "")}));
    CHECK(ocicap::scan_xattr(stack.layout, stack.layers, cap_name).empty());
  }

  TEST_CASE("upper file with the attribute adds it") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "")}));
    stack.add(usr_bin({capable_file("usr/bin/x", "top")}));
    std::vector<XattrMatch> matches =
        ocicap::scan_xattr(stack.layout, stack.layers, cap_name);
    REQUIRE(matches.size() == 1);
    CHECK(matches[0].path == "usr/bin/x");
    CHECK(matches[0].value == "top");
    CHECK(matches[0].layer == 1);
  }

  TEST_CASE("whiteout removes a file") {
    LayerStack stack;
    stack.add(usr_bin({capable_file("usr/bin/x"), capable_file("usr/bin/y")}));
    stack.add({marker_entry("usr/bin/.wh.x")});
    CHECK(paths_of(ocicap::scan_xattr(stack.layout, stack.layers, cap_name)) ==
          std::vector<std::string>{"usr/bin/y"});
  }

  TEST_CASE("whiteout of a directory removes its files") {
    LayerStack stack;
    stack.add(usr_bin({capable_file("usr/bin/x")}));
    stack.add({capable_file("usrx"), marker_entry(".wh.usr")});
    CHECK(paths_of(ocicap::scan_xattr(stack.layout, stack.layers, cap_name)) ==
          std::vector<std::string>{"usrx"});
  }

  TEST_CASE("whiteout spares its own layer") {
    LayerStack stack;
    stack.add(usr_bin({capable_file("usr/bin/x", "old")}));
    stack.add(usr_bin(
        {capable_file("usr/bin/x", "new"), marker_entry("usr/bin/.wh.x")}));
    std::vector<XattrMatch> matches =
        ocicap::scan_xattr(stack.layout, stack.layers, cap_name);
    REQUIRE(matches.size() == 1);
    CHECK(matches[0].value == "new");
  }

  TEST_CASE("opaque directory removes lower files only") {
    LayerStack stack;
    stack.add(usr_bin({capable_file("usr/bin/x"), capable_file("usr/y")}));
    stack.add(usr_bin(
        {marker_entry("usr/bin/.wh..wh..opq"), capable_file("usr/bin/z")}));
    CHECK(paths_of(ocicap::scan_xattr(stack.layout, stack.layers, cap_name)) ==
          std::vector<std::string>{"usr/bin/z", "usr/y"});
  }

  TEST_CASE("opaque root removes every lower file") {
    LayerStack stack;
    stack.add(usr_bin({capable_file("usr/bin/x"), capable_file("top")}));
    stack.add({marker_entry(".wh..wh..opq"), capable_file("new")});
    CHECK(paths_of(ocicap::scan_xattr(stack.layout, stack.layers, cap_name)) ==
          std::vector<std::string>{"new"});
  }

  TEST_CASE("lists hard links to matches") {
    LayerStack stack;
    stack.add(usr_bin({capable_file("usr/bin/x", "v"),
                       hardlink_entry("usr/bin/y", "usr/bin/x"),
                       hardlink_entry("usr/bin/z", "./usr/bin/y")}));
    std::vector<XattrMatch> matches =
        ocicap::scan_xattr(stack.layout, stack.layers, cap_name);
    CHECK(paths_of(matches) ==
          std::vector<std::string>{"usr/bin/x", "usr/bin/y", "usr/bin/z"});
    for (const XattrMatch& match : matches) {
      CHECK(match.value == "v");
    }
  }

  TEST_CASE("skips hard links to non-matches") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", ""),
                       hardlink_entry("usr/bin/y", "usr/bin/x")}));
    CHECK(ocicap::scan_xattr(stack.layout, stack.layers, cap_name).empty());
  }

  TEST_CASE("last duplicate entry wins") {
    LayerStack first_with;
    first_with.add({capable_file("x"), file_entry("x", "")});
    CHECK(ocicap::scan_xattr(first_with.layout, first_with.layers, cap_name)
              .empty());
    LayerStack last_with;
    last_with.add({file_entry("x", ""), capable_file("x", "last")});
    std::vector<XattrMatch> matches =
        ocicap::scan_xattr(last_with.layout, last_with.layers, cap_name);
    REQUIRE(matches.size() == 1);
    CHECK(matches[0].value == "last");
  }

  TEST_CASE("file replaced by a directory is removed") {
    LayerStack stack;
    stack.add({capable_file("a")});
    stack.add({directory_entry("a")});
    CHECK(ocicap::scan_xattr(stack.layout, stack.layers, cap_name).empty());
  }

  TEST_CASE("non-directory hides replaced directory") {
    for (const EntrySpec& replacement :
         {file_entry("a", ""), symlink_entry("a", "b")}) {
      CAPTURE(replacement.name);
      LayerStack stack;
      stack.add(
          {directory_entry("a"), capable_file("a/x"), capable_file("ab")});
      stack.add({replacement});
      CHECK(
          paths_of(ocicap::scan_xattr(stack.layout, stack.layers, cap_name)) ==
          std::vector<std::string>{"ab"});
    }
  }

  TEST_CASE("implied directory removes a lower file") {
    // Layer 1 has "tool/x" but no entry for "tool": a runtime creates the
    // directory, which replaces the file of layer 0.
    LayerStack stack;
    stack.add({capable_file("tool"), capable_file("other")});
    stack.add({capable_file("tool/x", "inner")});
    for (std::size_t parallel : {1, 2}) {
      CAPTURE(parallel);
      CHECK(paths_of(ocicap::scan_xattr(stack.layout, stack.layers, cap_name,
                                        nullptr, parallel)) ==
            std::vector<std::string>{"other", "tool/x"});
    }
  }

  TEST_CASE("whiteout implies its directory") {
    LayerStack stack;
    stack.add({capable_file("tool"), capable_file("other")});
    stack.add({marker_entry("tool/.wh.gone")});
    CHECK(paths_of(ocicap::scan_xattr(stack.layout, stack.layers, cap_name)) ==
          std::vector<std::string>{"other"});
  }

  TEST_CASE("upper directory entry keeps lower files") {
    LayerStack stack;
    stack.add({directory_entry("a"), capable_file("a/x")});
    stack.add({directory_entry("a")});
    std::vector<XattrMatch> matches =
        ocicap::scan_xattr(stack.layout, stack.layers, cap_name);
    REQUIRE(matches.size() == 1);
    CHECK(matches[0].path == "a/x");
    CHECK(matches[0].layer == 0);
  }

  TEST_CASE("reports each layer to the observer") {
    LayerStack stack;
    stack.add({capable_file("a")});
    stack.add({capable_file("b")});
    RecordingObserver observer;
    ocicap::scan_xattr(stack.layout, stack.layers, cap_name, &observer);
    REQUIRE(observer.reads.size() == 2);
    CHECK(observer.reads[0].layer == 0);
    CHECK(observer.reads[1].layer == 1);
    CHECK(observer.reads[1].layer_count == 2);
    CHECK(observer.reads[0].compressed_bytes ==
          stack.layers[0].descriptor.size);
  }

  TEST_CASE("merges the same read serially and at once") {
    // 45,000 entries with long names make the bottom layer's entry list
    // about 10 MB, over the memory budget, so it moves to a temporary file
    // and spans several of its buffers.
    LayerStack stack;
    std::string long_name(200, 'n');
    auto name = [&](int i) { return "many/" + long_name + std::to_string(i); };
    std::vector<EntrySpec> bottom = {directory_entry("many")};
    for (int i = 0; i < 45000; ++i) {
      std::string value =
          std::string("\x01\0\0\x02", 4) + std::to_string(i);
      bottom.push_back(i % 3 == 0 ? capable_file(name(i), value)
                                  : file_entry(name(i), ""));
    }
    stack.add(bottom);
    stack.add({marker_entry("many/.wh." + long_name + "0"),
               capable_file(name(1), "upper"),
               hardlink_entry("linked", name(1))});
    stack.add({file_entry(name(3), "")});
    auto render = [](const std::vector<XattrMatch>& matches) {
      std::vector<std::string> lines;
      for (const XattrMatch& match : matches) {
        lines.push_back(match.path + " " + std::to_string(match.layer) + " " +
                        ocicap::test::to_hex(match.value));
      }
      return lines;
    };
    std::vector<std::string> serial = render(
        ocicap::scan_xattr(stack.layout, stack.layers, cap_name, nullptr, 1));
    // 15,000 with the attribute: one deleted, one replaced without it, one
    // added in the middle layer with a hard link to it.
    CHECK(serial.size() == 15000);
    auto line_of = [&](const std::string& path) {
      for (const std::string& line : serial) {
        if (line.starts_with(path + " ")) {
          return line;
        }
      }
      return std::string();
    };
    CHECK(line_of(name(1)) ==
          name(1) + " 1 " + ocicap::test::to_hex("upper"));
    CHECK(line_of("linked") == "linked 1 " + ocicap::test::to_hex("upper"));
    CHECK(line_of(name(6)) ==
          name(6) + " 0 " +
              ocicap::test::to_hex(std::string("\x01\0\0\x02" "6", 5)));
    CHECK(line_of(name(0)).empty());
    CHECK(line_of(name(3)).empty());
    for (std::size_t parallel : {2, 3}) {
      CAPTURE(parallel);
      CHECK(render(ocicap::scan_xattr(stack.layout, stack.layers, cap_name,
                                      nullptr, parallel)) == serial);
    }

    // The move to a temporary file needs a writable TMPDIR, and its
    // failure names the directory.
    ocicap::test::ScopedEnvironment tmpdir("TMPDIR", "/nonexistent-tmpdir");
    std::string message = error_message([&] {
      ocicap::scan_xattr(stack.layout, stack.layers, cap_name, nullptr, 2);
    });
    CAPTURE(message);
    CHECK(message.find("cannot create a temporary file in "
                       "/nonexistent-tmpdir") != std::string::npos);
  }

  TEST_CASE("keeps small entry lists in memory") {
    // A small image needs no temporary directory.
    LayerStack stack;
    stack.add(usr_bin({capable_file("usr/bin/x", "a")}));
    stack.add(usr_bin({capable_file("usr/bin/y", "b")}));
    ocicap::test::ScopedEnvironment tmpdir("TMPDIR", "/nonexistent-tmpdir");
    for (std::size_t parallel : {1, 2}) {
      CAPTURE(parallel);
      CHECK(paths_of(ocicap::scan_xattr(stack.layout, stack.layers, cap_name,
                                        nullptr, parallel)) ==
            std::vector<std::string>{"usr/bin/x", "usr/bin/y"});
    }
  }

  TEST_CASE("names the lowest corrupt layer when reads run at once") {
    // The scans merge bottom up, so the lowest failing layer is reported,
    // as in a serial read.
    LayerStack stack;
    stack.add(usr_bin({capable_file("usr/bin/x")}));
    stack.add(usr_bin({capable_file("usr/bin/y")}));
    stack.add(usr_bin({capable_file("usr/bin/z")}));
    for (std::size_t layer : {1, 2}) {
      corrupt_layer(stack, layer);
    }
    std::string message = error_message([&] {
      ocicap::scan_xattr(stack.layout, stack.layers, cap_name, nullptr, 3);
    });
    CAPTURE(message);
    CHECK(message.starts_with(stack.label(1)));
  }

  TEST_CASE("names the layer of an unreadable blob") {
    LayerStack stack;
    stack.add({capable_file("a")});
    stack.add({capable_file("b")});
    stack.layers[1].descriptor.media_type =
        "application/vnd.oci.image.layer.v1.tar+gzip+encrypted";
    std::string message = error_message(
        [&] { ocicap::scan_xattr(stack.layout, stack.layers, cap_name); });
    CAPTURE(message);
    CHECK(message.find(stack.layers[1].descriptor.digest.string()) !=
          std::string::npos);
  }
}
