#!/bin/bash
# Hostile layers, made byte by byte by hostile_layer.py and tarcraft.py.
# The cases: names that climb out with "..", absolute names, names and
# PAX records of kilobytes to a mebibyte, declared sizes far beyond the
# data, hard links to missing or later names, symbolic link loops,
# duplicate entries, non-UTF-8 names, whiteout names with dots, a tar
# without end blocks and a 512 MiB gzip bomb.
#
# For each, ocicap either handles the entry as a container runtime would
# (a name is resolved inside the image root, as containerd and umoci do,
# the later of two entries wins, links are never followed on the host) or
# stops with exit 1 and one error line that names the layer and the entry.
# It never crashes, never writes outside the layout and $TMPDIR, never
# touches a host path that an image link names, and its peak RSS stays
# under a bound.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
command -v strace >/dev/null || skip "missing tool: strace"
[[ -x /usr/bin/time ]] || skip "missing tool: /usr/bin/time (GNU time)"
command -v zstd >/dev/null || skip "missing tool: zstd"

HOSTILE=$E2E_DIR/hostile_layer.py
# Peak RSS allowed for one run, in KiB. ocicap's buffers take a few MiB;
# the bound leaves room for the sanitizer build, whose runtime alone
# takes tens of MiB, but not for a 512 MiB file or a 1 TiB size in memory.
MAX_RSS_KIB=$((256 << 10))
# A path that an image symbolic link names; nothing may create or open it.
HOST_MARKER=/tmp/ocicap-hostile-marker

# Everything a run may write goes under $WORK/sandbox: the layouts and
# TMPDIR. strace records every path a run creates, writes, renames or
# removes, and check_contained compares them with the sandbox.
SANDBOX=$WORK/sandbox
make_dir "$SANDBOX/tmp"
export TMPDIR=$SANDBOX/tmp
rm -f "$HOST_MARKER"

# Creates layout NAME in the sandbox: the default image plus one layer
# made by hostile_layer.py CASE with COMPRESSION (default gzip). Prints
# the layout's path; LAYER is set to the new layer's digest.
hostile_layout() {
    local name=$1 case_name=$2 compression=${3:-gzip}
    local layout=$SANDBOX/$name
    copy_default_image "$layout"
    LAYER=$(python3 "$HOSTILE" append "$layout" app "$case_name" \
        --compression "$compression") ||
        fatal "hostile_layer.py could not add $case_name"
}

# Runs ocicap ARGS under strace and GNU time, with results in
# OCICAP_STATUS, OCICAP_STDOUT, OCICAP_STDERR, RUN_RSS_KIB and
# $WORK/strace.log.
run_watched() {
    echo "# \$ ocicap $(printf '%q ' "$@")"
    # LeakSanitizer does not work under ptrace, so a sanitizer build checks
    # leaks in the other tests only. A small quarantine keeps its RSS near
    # that of the normal build.
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:quarantine_size_mb=8 \
        /usr/bin/time -f '%M' -o "$WORK/time.out" \
        strace -f -qq -e trace=%file,%desc -e signal=none \
        -o "$WORK/strace.log" \
        "$OCICAP" "$@" >"$WORK/ocicap.stdout" 2>"$WORK/ocicap.stderr"
    OCICAP_STATUS=$?
    OCICAP_STDOUT=$(cat "$WORK/ocicap.stdout")
    OCICAP_STDERR=$(cat "$WORK/ocicap.stderr")
    RUN_RSS_KIB=$(tail -n 1 "$WORK/time.out")
}

# Prints the paths the last run_watched run created, wrote, renamed,
# linked or removed (from strace), one per line.
written_paths() {
    python3 - "$WORK/strace.log" <<'EOF'
import re
import sys

WRITE_FLAGS = ("O_WRONLY", "O_RDWR", "O_CREAT", "O_TRUNC", "O_TMPFILE")
paths = set()
for line in open(sys.argv[1], errors="replace"):
    call = re.search(r"\b(\w+)\((.*)", line)
    if not call or "= -1" in line:
        continue
    name, rest = call.groups()
    strings = re.findall(r'"((?:[^"\\]|\\.)*)"', rest)
    if name in ("open", "openat", "creat") and strings:
        if name == "creat" or any(flag in rest for flag in WRITE_FLAGS):
            paths.add(strings[0])
    elif name in ("rename", "renameat", "renameat2", "link", "linkat",
                  "symlink", "symlinkat", "unlink", "unlinkat", "mkdir",
                  "mkdirat", "rmdir", "truncate", "chmod", "fchmodat",
                  "chown", "fchownat", "setxattr", "lsetxattr"):
        paths.update(strings)
for path in sorted(paths):
    print(path)
EOF
}

# Checks the last run_watched run: it wrote only below the sandbox (or
# /dev/null), never named the host marker, and stayed under the RSS bound.
check_contained() {
    local description=$1 outside
    outside=$(written_paths | grep -v -e "^$SANDBOX/" -e '^/dev/null$' \
        -e '^/dev/std' -e '^/proc/self/' || true)
    assert_eq "$description: writes nothing outside the layout and TMPDIR" \
        "" "$outside"
    assert_not_contained_marker "$description"
    if [[ $RUN_RSS_KIB -le $MAX_RSS_KIB ]]; then
        pass "$description: peak RSS $RUN_RSS_KIB KiB"
    else
        fail "$description: peak RSS $RUN_RSS_KIB KiB, more than $MAX_RSS_KIB"
    fi
    assert_eq "$description: TMPDIR left empty" "" "$(ls -A "$TMPDIR")"
}

assert_not_contained_marker() {
    local description=$1
    if grep -q "$HOST_MARKER" "$WORK/strace.log"; then
        fail "$description: touched the host path $HOST_MARKER"
        show strace "$(grep "$HOST_MARKER" "$WORK/strace.log")"
    else
        pass "$description: never touches $HOST_MARKER"
    fi
    assert_command "$description: $HOST_MARKER does not exist" \
        test ! -e "$HOST_MARKER"
}

# Runs ocicap ARGS and checks a clean failure: exit 1, one error line that
# names the layer (LAYER) and VALUE, and no change to LAYOUT.
expect_hostile_error() {
    local description=$1 layout=$2 value=$3
    shift 3
    local before
    before=$(tree_fingerprint "$layout")
    run_watched "$@"
    check_error_result "$description" "$value"
    assert_contains "$description: error names the layer" \
        "$LAYER" "$OCICAP_STDERR"
    assert_eq "$description: layout unchanged" \
        "$before" "$(tree_fingerprint "$layout")"
    check_contained "$description"
}

# Runs set on PATH of LAYOUT and checks that it succeeds, that the new
# top layer has PATH (canonical, no "..") with cap_ipc_lock, and that
# skopeo and umoci read the result.
expect_hostile_set() {
    local description=$1 layout=$2 path=$3
    run_watched set "oci:$layout:app" cap_ipc_lock+eip "$path"
    if ! assert_eq "$description: exit 0" 0 "$OCICAP_STATUS"; then
        show stderr "$OCICAP_STDERR"
        return
    fi
    check_contained "$description"
    assert_eq "$description: new layer has the file" \
        "e=1 p=0000000000004000 i=0000000000004000 rootid=0" \
        "$(top_layer_caps "$layout" app "$path")"
    assert_not_contains "$description: no .. in the new layer" \
        ".." "$(top_layer_entries "$layout" app | cut -d ' ' -f 1)"
    assert_valid_layout "$description" "$layout"
    assert_skopeo_copy "$description" "$layout" app
}

# Runs get -r on LAYOUT and checks the exit status and output.
expect_get_all() {
    local description=$1 layout=$2 expected=$3
    run_watched get -r "oci:$layout:app"
    assert_eq "$description: get -r exit 0" 0 "$OCICAP_STATUS"
    assert_eq "$description: get -r output" "$expected" "$OCICAP_STDOUT"
    check_contained "$description: get -r"
}

# ---------------------------------------------------------------------
echo "# names with .. and absolute names resolve inside the image root"

hostile_layout dot-dot dot-dot
layout=$SANDBOX/dot-dot
expect_get_all "dot-dot" "$layout" "/usr/bin/escape cap_net_raw=ep"
expect_hostile_set "dot-dot: ../../../usr/bin/escape" "$layout" \
    /usr/bin/escape
expect_hostile_set "dot-dot: usr/bin/../../../../etc/escape.conf" \
    "$layout" /etc/escape.conf
expect_error "dot-dot: symbolic link out of the root" \
    /usr/bin/dotdot-link set "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/dotdot-link

hostile_layout absolute absolute
layout=$SANDBOX/absolute
expect_get_all "absolute" "$layout" "/usr/bin/absolute cap_net_raw=ep"
expect_hostile_set "absolute: /usr/bin/absolute" "$layout" /usr/bin/absolute
expect_hostile_set "absolute: //usr//bin//slashes" "$layout" \
    /usr/bin/slashes
expect_error "absolute: link to /etc/shadow is not followed" \
    /usr/bin/absolute-link set "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/absolute-link

# ---------------------------------------------------------------------
echo "# long names and PAX records"

hostile_layout long-names long-names
layout=$SANDBOX/long-names
expect_hostile_set "long names: 4008-byte name" "$layout" \
    "/usr/bin/$(printf 'n%.0s' $(seq 1 4000))"
expect_hostile_set "long names: 6039-byte path of 30 components" "$layout" \
    "/$(printf 'd%.0s' $(seq 1 200))$(for _ in $(seq 2 30); do
        printf '/%s' "$(printf 'd%.0s' $(seq 1 200))"; done)/deep-file"
expect_hostile_set "long names: 3008-byte GNU long name" "$layout" \
    "/usr/bin/$(printf 'g%.0s' $(seq 1 3000))"

# libarchive 3.6 rejects a PAX or GNU header of more than 1 MiB; the
# error must still name the layer and the entry.
hostile_layout big-record big-record
layout=$SANDBOX/big-record
expect_hostile_error "PAX header over 1 MiB" "$layout" "first entry" \
    get -r "oci:$layout:app"
hostile_layout huge-pax-header huge-pax-header
layout=$SANDBOX/huge-pax-header
expect_hostile_error "PAX header declaring 8 GiB" "$layout" "first entry" \
    get -r "oci:$layout:app"

# ---------------------------------------------------------------------
echo "# declared sizes beyond the data"

for compression in gzip zstd none; do
    hostile_layout "huge-size-$compression" huge-size "$compression"
    layout=$SANDBOX/huge-size-$compression
    expect_hostile_error "1 TiB file in 100 bytes ($compression)" \
        "$layout" usr/bin/huge set "oci:$layout:app" cap_ipc_lock+eip \
        /usr/bin/before
done
hostile_layout huge-size-pax huge-size-pax
layout=$SANDBOX/huge-size-pax
expect_hostile_error "PAX size of 20 digits" "$layout" "first entry" \
    get -r "oci:$layout:app"

# ---------------------------------------------------------------------
echo "# hard links"

hostile_layout hard-links hard-links
layout=$SANDBOX/hard-links
expect_get_all "hard links" "$layout" "/usr/bin/good-link cap_net_raw=ep
/usr/bin/later cap_net_raw=ep"
for link in missing-link forward-link self-link outside-link \
    directory-link; do
    expect_hostile_error "hard link $link" "$layout" "/usr/bin/$link" \
        set "oci:$layout:app" cap_ipc_lock+eip "/usr/bin/$link"
done
# /usr/bin/later has three names here, and one of them, forward-link, is
# invalid; a set on any of them must name it (runtimes fail to extract it).
expect_hostile_error "valid hard link to a file with an invalid name" \
    "$layout" /usr/bin/forward-link set "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/good-link

# ---------------------------------------------------------------------
echo "# symbolic link loops and links to host paths"

hostile_layout symlink-loops symlink-loops
layout=$SANDBOX/symlink-loops
for path in /usr/bin/loop-a /usr/bin/loop-a/x /usr/bin/self /loopdir/x \
    /usr/bin/host-marker; do
    before=$(tree_fingerprint "$layout")
    run_watched set "oci:$layout:app" cap_ipc_lock+eip "$path"
    check_error_result "symbolic link $path" "$path"
    assert_eq "symbolic link $path: layout unchanged" \
        "$before" "$(tree_fingerprint "$layout")"
    check_contained "symbolic link $path"
done
expect_get_all "symbolic links" "$layout" ""

# ---------------------------------------------------------------------
echo "# duplicate entries: the later entry wins"

hostile_layout duplicates duplicates
layout=$SANDBOX/duplicates
expect_get_all "duplicates" "$layout" "/usr/bin/dup cap_net_raw=ep"
expect_hostile_set "duplicate file" "$layout" /usr/bin/dup
assert_eq "duplicate file: the new layer has the later content" \
    "$(printf '#!/bin/sh\necho second\n' | sha256sum | cut -d ' ' -f 1)" \
    "$(top_layer_entries "$layout" app | awk '$1 ~ /usr\/bin\/dup$/ {
        print $7 }')"
expect_error "file then directory of one name" /usr/bin/dup-then-dir \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/dup-then-dir
expect_hostile_set "file then hard link of one name" "$layout" \
    /usr/bin/relinked
expect_hostile_set "hard link to an earlier file after a duplicate" \
    "$layout" /usr/bin/late-link

# ---------------------------------------------------------------------
echo "# names that are not UTF-8"

hostile_layout non-utf8 non-utf8
layout=$SANDBOX/non-utf8
expect_get_all "non-UTF-8" "$layout" "$(printf '/usr/bin/caf\xe9 cap_net_raw=ep
/usr/bin/\xc3\xbcn\xc3\xafcode cap_net_raw=ep')"
expect_hostile_set "Latin-1 name" "$layout" "$(printf '/usr/bin/caf\xe9')"
expect_hostile_set "UTF-8 name from a PAX record" "$layout" \
    "$(printf '/usr/bin/\xc3\xbcn\xc3\xafcode')"
expect_hostile_set "binary PAX name" "$layout" \
    "$(printf '/usr/bin/pax-\xe9')"

# A name with a newline, a blank or a pattern character fits no getcap
# line for apply: get leaves it out of its text and fails, naming it, so
# that get -r | apply cannot be fed a forged line; --json lists it.
hostile_layout forged-line forged-line
layout=$SANDBOX/forged-line
run_ocicap get -r "oci:$layout:app"
assert_eq "name with a newline: get -r exits 1" 1 "$OCICAP_STATUS"
assert_eq "name with a newline: no forged line on stdout" "" \
    "$OCICAP_STDOUT"
assert_contains "name with a newline: error names it quoted" \
    '"/etc/passwd cap_sys_admin=ep\nusr/bin/forged" has capabilities' \
    "$OCICAP_STDERR"
assert_contains "name with a blank: error names it" \
    '"/usr/bin/with space" has capabilities' "$OCICAP_STDERR"
assert_contains "name that apply reads as a pattern: error names it" \
    '"/usr/bin/*" has capabilities' "$OCICAP_STDERR"
run_ocicap get -r --json "oci:$layout:app"
assert_eq "names with blanks: get -r --json lists them" \
    '["/etc/passwd cap_sys_admin=ep\nusr/bin/forged","/usr/bin/*","/usr/bin/with space"]' \
    "$(jq -c '[.files[].path] | sort' <<<"$OCICAP_STDOUT")"

# ---------------------------------------------------------------------
echo "# whiteout names with dots, a tar without end blocks"

hostile_layout whiteout-tricks whiteout-tricks
layout=$SANDBOX/whiteout-tricks
expect_hostile_set "whiteouts of . and .." "$layout" /usr/bin/capcheck
hostile_layout no-end no-end
layout=$SANDBOX/no-end
expect_hostile_set "tar without end blocks" "$layout" /usr/bin/unterminated

# ---------------------------------------------------------------------
echo "# gzip bomb: 512 MiB of zeros in about 0.5 MiB"

hostile_layout bomb bomb
layout=$SANDBOX/bomb
assert_command "bomb layer is under 1 MiB" \
    test "$(stat -c %s "$(blob_path "$layout" "$LAYER")")" -lt $((1 << 20))
expect_get_all "bomb" "$layout" ""
expect_hostile_set "set below the bomb layer" "$layout" /usr/bin/capcheck

e2e_finish
