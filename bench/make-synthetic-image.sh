#!/bin/bash
# Builds the synthetic benchmark image as an OCI layout with umoci: five
# gzip layers made by `umoci repack` from a root filesystem that changes
# between layers. The layers carry what a real build leaves behind: tens
# of thousands of small files, binaries of tens of MiB, whiteouts of
# deleted files and directories, and hard links.
#
# Usage: bench/make-synthetic-image.sh LAYOUT QUARTERS
#   LAYOUT    the directory to create (image reference LAYOUT:bench)
#   QUARTERS  1 to 4: the share of the small files and host directories
#             kept; 4 gives about 1 GiB uncompressed and 118,000 files.
#             The binaries (about 340 MiB) are the same at every size.
#
# The content is copied from this machine's /usr (Debian 12 with the
# packages that scripts/install-deps.sh and bench/run.sh install), so
# the image compresses like real software. Needs root (umoci unpack),
# umoci, GNU tar, coreutils.
set -euo pipefail

layout=$1
quarters=${2:-4}
work=$(mktemp -d -t ocicap-bench-image.XXXXXX)
trap 'rm -rf "$work"' EXIT
bundle=$work/bundle
rootfs=$bundle/rootfs

# Copies the regular files of host directory SRC whose index modulo 4 is
# below QUARTERS into the root filesystem, keeping their paths.
copy_share() {
    local src=$1
    find "$src" -type f -size -8M | LC_ALL=C sort |
        awk -v q="$quarters" '(NR % 4) < q' |
        tar -cf - --files-from=- 2>/dev/null | tar -xf - -C "$rootfs"
}

# Writes COUNT small text files of 2 KiB under DIR (relative to the
# root), cut from the C headers of /usr/include.
make_small_files() {
    local dir=$1 count=$2
    count=$((count * quarters / 4))
    [[ $count -le 99000 ]] || { echo "too many files: $count" >&2; exit 1; }
    mkdir -p "$rootfs/$dir"
    head -c $((count * 2048)) "$work/corpus" |
        (cd "$rootfs/$dir" && split -b 2048 -a 5 -d - part.)
    # 1000 files per directory, as package trees have: part.NN000 to
    # part.NN999 go to dNN.
    (cd "$rootfs/$dir" && for i in $(seq 0 $(((count - 1) / 1000))); do
        printf -v i %02d "$i"
        mkdir -p "d$i"
        mv -t "d$i" part.${i}???
    done)
}

install_binary() {
    install -D -m 0755 "$1" "$rootfs/$2"
}

repack() {
    umoci repack --refresh-bundle --image "$layout:bench" \
        --history.created_by "$1" \
        "$bundle" >/dev/null
}

find /usr/include -type f -name '*.h' | LC_ALL=C sort | xargs cat \
    >"$work/corpus"

rm -rf "$layout"
umoci init --layout "$layout"
umoci new --image "$layout:bench"
umoci unpack --image "$layout:bench" "$bundle" >/dev/null

# Layer 1: the base system. /usr/bin/bench-bottom exists in this layer only.
mkdir -p "$rootfs"/{etc,tmp,usr/bin,usr/lib,var/lib}
copy_share /usr/include
copy_share /usr/share/locale
make_small_files usr/share/bench/base 40000
install_binary /usr/bin/shellcheck usr/bin/bench-bottom
install_binary /usr/lib/x86_64-linux-gnu/libicudata.so.72.1 \
    usr/lib/bench/libicudata.so.72
install_binary /usr/bin/gdb usr/bin/bench-gdb
repack "base system"

# Layer 2: a runtime, with hard links between binaries.
copy_share /usr/lib/python3
copy_share /usr/share/doc
make_small_files usr/lib/bench/runtime 20000
install_binary /usr/bin/buildah usr/bin/bench-runtime
install_binary /usr/lib/x86_64-linux-gnu/libLLVM-15.so.1 \
    usr/lib/bench/libLLVM-15.so.1
ln "$rootfs/usr/bin/bench-runtime" "$rootfs/usr/bin/bench-runtime-alias"
ln "$rootfs/usr/bin/bench-runtime" "$rootfs/usr/libexec-bench-runtime"
repack "runtime"

# Layer 3: tools; deletes a locale directory and files of layer 1.
install_binary /usr/bin/x86_64-linux-gnu-lto-dump-12 usr/bin/bench-lto-dump
install_binary /usr/bin/skopeo usr/bin/bench-tools
install_binary /usr/lib/x86_64-linux-gnu/libLLVM-14.so.1 \
    usr/lib/bench/libLLVM-14.so.1
make_small_files opt/bench/tools 20000
rm -rf "$rootfs/usr/share/locale/fr" "$rootfs/usr/share/locale/de"
rm -f "$rootfs/usr/bin/bench-gdb"
find "$rootfs/usr/share/bench/base/d01" -name 'part.*0' -delete
repack "tools"

# Layer 4: libraries; replaces a binary of layer 2, adds hard links and
# deletes a directory of small files.
install_binary /usr/bin/ctest usr/bin/bench-runtime
install_binary /usr/bin/gdb usr/lib/bench/libtool-helper.so
ln "$rootfs/usr/lib/bench/libtool-helper.so" "$rootfs/usr/lib/bench/libhelper.so"
make_small_files usr/lib/bench/libs 15000
rm -rf "$rootfs/usr/lib/bench/runtime/d03"
repack "libraries"

# Layer 5: the application. /app/bin/server exists in this layer only.
install_binary /usr/bin/umoci app/bin/server
make_small_files app/static 1000
repack "application"

umoci gc --layout "$layout"
