#include "ocicap/symlink_resolver.hpp"

#include "ocicap/error.hpp"
#include "support/image_builder.hpp"
#include "support/layer_stack.hpp"
#include "support/printers.hpp"

#include <doctest/doctest.h>
#include <string>
#include <vector>

using ocicap::Error;
using ocicap::ResolvedPath;
using ocicap::SymlinkResolver;
using ocicap::test::directory_entry;
using ocicap::test::EntrySpec;
using ocicap::test::file_entry;
using ocicap::test::LayerStack;
using ocicap::test::marker_entry;
using ocicap::test::symlink_entry;

namespace {

const std::string image = "oci:test:app";

ResolvedPath resolve(const LayerStack& stack, const std::string& path) {
  SymlinkResolver resolver(stack.layout, stack.layers, image);
  return resolver.resolve(path);
}

std::string error_of(const LayerStack& stack, const std::string& path) {
  try {
    resolve(stack, path);
  } catch (const Error& error) {
    return error.what();
  }
  return "(no Error thrown)";
}

std::vector<EntrySpec> usr_bin(std::vector<EntrySpec> files) {
  std::vector<EntrySpec> entries = {directory_entry("usr"),
                                    directory_entry("usr/bin")};
  entries.insert(entries.end(), files.begin(), files.end());
  return entries;
}

} // namespace

TEST_SUITE("SymlinkResolver") {
  TEST_CASE("keeps a path without links") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "x")}));
    ResolvedPath resolved = resolve(stack, "usr/bin/x");
    CHECK(resolved.path == "usr/bin/x");
    CHECK(resolved.chain == std::vector<std::string>{"/usr/bin/x"});
    CHECK_FALSE(resolved.followed_link());
  }

  TEST_CASE("follows a relative target") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/python3.11", "py"),
                       symlink_entry("usr/bin/python3", "python3.11")}));
    ResolvedPath resolved = resolve(stack, "usr/bin/python3");
    CHECK(resolved.path == "usr/bin/python3.11");
    CHECK(resolved.chain == std::vector<std::string>{"/usr/bin/python3",
                                                     "/usr/bin/python3.11"});
  }

  TEST_CASE("follows an absolute target inside the image") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/real", "r"),
                       symlink_entry("usr/bin/abs", "/usr/bin/real")}));
    CHECK(resolve(stack, "usr/bin/abs").path == "usr/bin/real");
  }

  TEST_CASE("follows a chain across layers") {
    LayerStack stack;
    stack.add(usr_bin({symlink_entry("usr/bin/a", "b")}));
    stack.add(usr_bin({symlink_entry("usr/bin/b", "../lib/c")}));
    stack.add({directory_entry("usr"), directory_entry("usr/lib"),
               file_entry("usr/lib/c", "c")});
    ResolvedPath resolved = resolve(stack, "usr/bin/a");
    CHECK(resolved.path == "usr/lib/c");
    CHECK(resolved.chain == std::vector<std::string>{
                                "/usr/bin/a", "/usr/bin/b", "/usr/lib/c"});
  }

  TEST_CASE("clamps .. at the image root") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "x"),
                       symlink_entry("usr/bin/up", "../../../../../usr/bin/x")}));
    CHECK(resolve(stack, "usr/bin/up").path == "usr/bin/x");
  }

  TEST_CASE("resolves .. from where a link leads, not lexically") {
    // /x -> /opt/app, and /opt/app/tool -> ../shared/tool: the kernel
    // reaches /opt/shared/tool, where /x/../shared/tool would give
    // /shared/tool.
    LayerStack stack;
    stack.add({directory_entry("opt"), directory_entry("opt/app"),
               directory_entry("opt/shared"),
               file_entry("opt/shared/tool", "t"),
               symlink_entry("opt/app/tool", "../shared/tool"),
               symlink_entry("x", "/opt/app"), directory_entry("shared"),
               file_entry("shared/tool", "wrong")});
    CHECK(resolve(stack, "x/tool").path == "opt/shared/tool");
  }

  TEST_CASE("resolves a symlinked parent directory") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/x", "x")}));
    stack.add({symlink_entry("bin", "usr/bin")});
    ResolvedPath resolved = resolve(stack, "bin/x");
    CHECK(resolved.path == "usr/bin/x");
    CHECK(resolved.chain ==
          std::vector<std::string>{"/bin/x", "/usr/bin/x"});
  }

  TEST_CASE("does not follow the host root") {
    // An absolute target names the image root: /etc/passwd of the host
    // must not be reached.
    LayerStack stack;
    stack.add({symlink_entry("passwd", "/etc/passwd")});
    CHECK(error_of(stack, "passwd") ==
          "resolving /passwd in " + image +
              ": dangling symbolic link /passwd -> /etc/passwd: /etc not "
              "found (no layer contains it)");
  }

  TEST_CASE("reports a loop with its chain") {
    LayerStack stack;
    stack.add(usr_bin({symlink_entry("usr/bin/a", "b"),
                       symlink_entry("usr/bin/b", "/usr/bin/a")}));
    CHECK(error_of(stack, "usr/bin/a") ==
          "resolving /usr/bin/a in " + image +
              ": symbolic links form a loop: /usr/bin/a -> /usr/bin/b -> "
              "/usr/bin/a");
  }

  TEST_CASE("reports a link to itself") {
    LayerStack stack;
    stack.add({symlink_entry("self", "self")});
    CHECK(error_of(stack, "self") ==
          "resolving /self in " + image +
              ": symbolic links form a loop: /self -> /self");
  }

  TEST_CASE("stops after 40 links") {
    // Each link adds a component, so no state repeats.
    LayerStack stack;
    stack.add({symlink_entry("grow", "grow/x")});
    std::string message = error_of(stack, "grow");
    CAPTURE(message);
    CHECK(message.starts_with("resolving /grow in " + image +
                              ": more than 40 symbolic links: /grow -> "
                              "/grow/x -> /grow/x/x"));
  }

  TEST_CASE("reports a dangling link") {
    LayerStack stack;
    stack.add(usr_bin({symlink_entry("usr/bin/a", "missing")}));
    CHECK(error_of(stack, "usr/bin/a") ==
          "resolving /usr/bin/a in " + image +
              ": dangling symbolic link /usr/bin/a -> /usr/bin/missing: "
              "/usr/bin/missing not found (no layer contains it)");
  }

  TEST_CASE("reports a target deleted by a whiteout") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/real", "r"),
                       symlink_entry("usr/bin/a", "real")}));
    stack.add(usr_bin({marker_entry("usr/bin/.wh.real")}));
    std::string message = error_of(stack, "usr/bin/a");
    CAPTURE(message);
    CHECK(message.starts_with("resolving /usr/bin/a in " + image +
                              ": dangling symbolic link /usr/bin/a -> "
                              "/usr/bin/real: /usr/bin/real not found "
                              "(deleted by a whiteout in layer sha256:"));
  }

  TEST_CASE("reports a missing path without a link") {
    LayerStack stack;
    stack.add(usr_bin({}));
    CHECK(error_of(stack, "usr/bin/nope") ==
          "resolving /usr/bin/nope in " + image +
              ": /usr/bin/nope not found (no layer contains it)");
  }

  TEST_CASE("reports a file used as a directory") {
    LayerStack stack;
    stack.add({file_entry("f", "f"), symlink_entry("l", "f/x")});
    CHECK(error_of(stack, "l") ==
          "resolving /l in " + image +
              ": /f is a regular file, not a directory (/l -> /f/x)");
  }

  TEST_CASE("follows a link to the root") {
    LayerStack stack;
    stack.add({symlink_entry("root", "/")});
    ResolvedPath resolved = resolve(stack, "root");
    CHECK(resolved.path.empty());
    CHECK(resolved.chain == std::vector<std::string>{"/root", "/"});
  }

  TEST_CASE("takes the upper layer's link") {
    LayerStack stack;
    stack.add(usr_bin({file_entry("usr/bin/old", "o"),
                       file_entry("usr/bin/new", "n"),
                       symlink_entry("usr/bin/cur", "old")}));
    stack.add(usr_bin({symlink_entry("usr/bin/cur", "new")}));
    CHECK(resolve(stack, "usr/bin/cur").path == "usr/bin/new");
  }

  TEST_CASE("walks directories no entry names") {
    // tar and the image spec let a layer leave out parent directories.
    LayerStack stack;
    stack.add({file_entry("usr/bin/prog", "p"),
               symlink_entry("x", "usr/bin/prog"),
               symlink_entry("bin", "usr/bin")});
    CHECK(resolve(stack, "usr/bin/prog").path == "usr/bin/prog");
    CHECK(resolve(stack, "x").path == "usr/bin/prog");
    ResolvedPath resolved = resolve(stack, "bin/prog");
    CHECK(resolved.path == "usr/bin/prog");
    CHECK(resolved.chain ==
          std::vector<std::string>{"/bin/prog", "/usr/bin/prog"});
    CHECK(resolve(stack, "usr/../usr/bin/prog").path == "usr/bin/prog");
  }

  TEST_CASE("reports a dangling link in an implied directory") {
    LayerStack stack;
    stack.add({file_entry("usr/bin/prog", "p"),
               symlink_entry("usr/bin/a", "missing")});
    CHECK(error_of(stack, "usr/bin/a") ==
          "resolving /usr/bin/a in " + image +
              ": dangling symbolic link /usr/bin/a -> /usr/bin/missing: "
              "/usr/bin/missing not found (no layer contains it)");
  }

  TEST_CASE("reports a loop in an implied directory") {
    LayerStack stack;
    stack.add({symlink_entry("usr/bin/a", "b"),
               symlink_entry("usr/bin/b", "a")});
    CHECK(error_of(stack, "usr/bin/a") ==
          "resolving /usr/bin/a in " + image +
              ": symbolic links form a loop: /usr/bin/a -> /usr/bin/b -> "
              "/usr/bin/a");
  }

  TEST_CASE("formats a chain") {
    CHECK(ocicap::format_link_chain({"/a", "/b", "/c"}) == "/a -> /b -> /c");
    CHECK(ocicap::format_link_chain({"/a"}) == "/a");
  }
}
