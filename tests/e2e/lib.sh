# Shared helpers for the ocicap end-to-end tests. Source it from a test
# script, then call e2e_init "$@" first and e2e_finish last.
#
# Each test script takes the ocicap binary as its first argument
# (default: build/ocicap in the repository) and builds its images with
# umoci and GNU tar in a temporary directory that is removed on exit.
# Results go to stdout as "ok - ..." and "FAIL - ..." lines, closed by
# "N passed, N failed". Exit status: 0 if every check passed, 1 if any
# failed, 77 if the test cannot run here (not root, missing tool).
#
# The scripts need root because umoci unpack, setcap and mknod do, and
# because the exec checks drop to uid 65534 with setpriv.

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$E2E_DIR/../.." && pwd)
DEFAULT_IMAGE=$REPO_ROOT/testdata/default-image
OCITOOL=$E2E_DIR/ocitool.py

# Test images are stamped with this time so that they do not depend on
# when the test runs.
TEST_EPOCH=1700000000
TEST_CREATED=2023-11-14T22:13:20Z

# Capability masks as /proc/self/status prints them.
CAPEFF_NONE=0000000000000000
CAPEFF_IPC_LOCK=0000000000004000
CAPEFF_NET_RAW=0000000000002000

PASSED=0
FAILED=0

# ---------------------------------------------------------------------
# Set-up and results

skip() {
    echo "SKIP: $*"
    exit 77
}

# Aborts the script: for broken test set-up, not for product failures.
fatal() {
    echo "FATAL: $*"
    exit 1
}

pass() {
    PASSED=$((PASSED + 1))
    echo "ok - $*"
}

fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL - $*"
}

# Prints a labelled block of text, indented, for failure diagnostics.
show() {
    local label=$1 text=$2
    echo "    $label:"
    if [[ -z $text ]]; then
        echo "      (empty)"
    else
        sed 's/^/      /' <<<"$text"
    fi
}

e2e_init() {
    OCICAP=${1:-$REPO_ROOT/build/ocicap}
    if [[ $EUID -ne 0 ]]; then
        skip "needs root for umoci unpack, setcap, mknod and setpriv"
    fi
    if [[ ! -x $OCICAP ]]; then
        fatal "ocicap binary not found: $OCICAP (build it with" \
            "cmake -S . -B build && cmake --build build)"
    fi
    OCICAP=$(realpath "$OCICAP")

    local tool
    for tool in umoci skopeo jq getcap setcap setpriv tar gzip \
        sha256sum python3; do
        command -v "$tool" >/dev/null ||
            skip "missing tool: $tool"
    done
    tar --version | grep -q 'GNU tar' || skip "tar is not GNU tar"

    # ocicap must not pick up a timestamp from the caller's environment.
    unset SOURCE_DATE_EPOCH

    WORK=$(mktemp -d -t ocicap-e2e.XXXXXX)
    # uid 65534 must reach unpacked binaries and read-only layouts here.
    chmod 0755 "$WORK"
    trap 'rm -rf "$WORK"' EXIT
    echo "# ocicap: $OCICAP"
    echo "# work dir: $WORK"
}

e2e_finish() {
    echo "$PASSED passed, $FAILED failed"
    [[ $FAILED -eq 0 ]]
    exit
}

# ---------------------------------------------------------------------
# Assertions. Each records one pass or failure and returns 0 or 1.

assert_eq() {
    local description=$1 expected=$2 actual=$3
    if [[ $expected == "$actual" ]]; then
        pass "$description"
        return 0
    fi
    fail "$description"
    show expected "$expected"
    show actual "$actual"
    return 1
}

assert_ne() {
    local description=$1 unexpected=$2 actual=$3
    if [[ $unexpected != "$actual" ]]; then
        pass "$description"
        return 0
    fi
    fail "$description"
    show "unexpected value" "$actual"
    return 1
}

assert_contains() {
    local description=$1 needle=$2 haystack=$3
    if [[ $haystack == *"$needle"* ]]; then
        pass "$description"
        return 0
    fi
    fail "$description"
    show "expected to contain" "$needle"
    show actual "$haystack"
    return 1
}

assert_not_contains() {
    local description=$1 needle=$2 haystack=$3
    if [[ $haystack != *"$needle"* ]]; then
        pass "$description"
        return 0
    fi
    fail "$description"
    show "expected not to contain" "$needle"
    show actual "$haystack"
    return 1
}

# Records a pass if the command succeeds, a failure with its output if not.
assert_command() {
    local description=$1 output
    shift
    if output=$("$@" 2>&1); then
        pass "$description"
        return 0
    fi
    fail "$description"
    show "command" "$*"
    show output "$output"
    return 1
}

# ---------------------------------------------------------------------
# Running ocicap. Results are in OCICAP_STATUS, OCICAP_STDOUT and
# OCICAP_STDERR.

run_ocicap() {
    echo "# \$ ocicap${*:+ $(printf '%q ' "$@")}"
    "$OCICAP" "$@" >"$WORK/ocicap.stdout" 2>"$WORK/ocicap.stderr"
    OCICAP_STATUS=$?
    OCICAP_STDOUT=$(cat "$WORK/ocicap.stdout")
    OCICAP_STDERR=$(cat "$WORK/ocicap.stderr")
}

# Runs ocicap as uid and gid 65534 with no supplementary groups.
run_ocicap_as_nobody() {
    echo "# \$ (uid 65534) ocicap${*:+ $(printf '%q ' "$@")}"
    setpriv --reuid 65534 --regid 65534 --clear-groups \
        "$OCICAP" "$@" >"$WORK/ocicap.stdout" 2>"$WORK/ocicap.stderr"
    OCICAP_STATUS=$?
    OCICAP_STDOUT=$(cat "$WORK/ocicap.stdout")
    OCICAP_STDERR=$(cat "$WORK/ocicap.stderr")
}

# Runs ocicap and checks that it exits 0. Returns 1 if it did not.
expect_success() {
    local description=$1
    shift
    run_ocicap "$@"
    if [[ $OCICAP_STATUS -eq 0 ]]; then
        pass "$description: exit 0"
        return 0
    fi
    fail "$description: exit $OCICAP_STATUS, expected 0"
    show stdout "$OCICAP_STDOUT"
    show stderr "$OCICAP_STDERR"
    return 1
}

# Checks the result of the last ocicap run for a failure: exit status
# STATUS (default 1; 2 for a usage error), empty stdout, and one stderr
# line that starts with "ocicap: error: " and contains VALUE.
check_error_result() {
    local description=$1 value=$2 status=${3:-1}
    local line_count
    line_count=$(printf '%s' "$OCICAP_STDERR" | grep -c '')

    assert_eq "$description: exit $status" "$status" "$OCICAP_STATUS"
    assert_eq "$description: one stderr line" 1 "$line_count"
    assert_eq "$description: stderr starts with ocicap: error:" \
        "ocicap: error: " "${OCICAP_STDERR:0:15}"
    assert_contains "$description: error names $value" \
        "$value" "$OCICAP_STDERR"
    assert_eq "$description: no stdout" "" "$OCICAP_STDOUT"
}

# Runs ocicap and checks for a failure that names VALUE (see
# check_error_result).
expect_error() {
    local description=$1 value=$2
    shift 2
    run_ocicap "$@"
    check_error_result "$description" "$value"
}

# Runs ocicap and checks for a usage error: exit status 2 and a message
# on stderr.
expect_usage_error() {
    local description=$1
    shift
    run_ocicap "$@"
    assert_eq "$description: exit 2" 2 "$OCICAP_STATUS"
    assert_ne "$description: message on stderr" "" "$OCICAP_STDERR"
}

# Prints the "PATH CAPS" lines of the last run's stdout: every line but
# the manifest digest.
set_output_files() {
    grep -v '^sha256:' <<<"$OCICAP_STDOUT"
}

# Prints the last line of the last run's stdout, which set makes the new
# manifest digest.
set_output_digest() {
    tail -n 1 <<<"$OCICAP_STDOUT"
}

# ---------------------------------------------------------------------
# Building test images

# Writes a reproducible uncompressed tar of directory ROOT to TAR,
# keeping security.capability xattrs as SCHILY.xattr PAX records.
make_layer_tar() {
    local root=$1 tar_file=$2
    tar --create --file "$tar_file" --directory "$root" \
        --format=pax --sort=name --mtime="@$TEST_EPOCH" \
        --owner=0 --group=0 --numeric-owner \
        --xattrs --xattrs-include=security.capability \
        --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
        .
}

# Creates layout DIR holding one empty image tagged REF.
new_layout() {
    local layout=$1 ref=$2
    umoci init --layout "$layout" &&
        umoci new --image "$layout:$ref" &&
        umoci config --image "$layout:$ref" --no-history \
            --created "$TEST_CREATED" ||
        fatal "umoci could not create $layout:$ref"
}

# Appends the tree under directory ROOT as a new layer of LAYOUT:REF.
add_layer() {
    local image=$1 root=$2
    local tar_file
    tar_file=$(mktemp -p "$WORK" layer.XXXXXX.tar)
    make_layer_tar "$root" "$tar_file" ||
        fatal "tar could not pack $root"
    umoci raw add-layer --image "$image" \
        --history.created "$TEST_CREATED" \
        --history.created_by "e2e layer from $(basename "$root")" \
        "$tar_file" ||
        fatal "umoci raw add-layer failed for $image"
    rm -f "$tar_file"
}

# Writes ARCHIVE, a docker save archive (app:1) of the default image with
# one more layer that contains /opt/data.bin, BYTES bytes read from SOURCE.
make_large_docker_archive() {
    local archive=$1 bytes=$2 source=$3
    local layout=$archive.layout root=$archive.root
    copy_default_image "$layout"
    make_dir "$root/opt"
    head -c "$bytes" "$source" >"$root/opt/data.bin"
    add_layer "$layout:app" "$root"
    rm -rf "$root"
    skopeo copy --quiet "oci:$layout:app" "docker-archive:$archive:app:1" ||
        fatal "skopeo could not write $archive"
    rm -rf "$layout"
}

# Copies the committed default image (ref "app", /usr/bin/capcheck in
# the top layer) to DIR.
copy_default_image() {
    local layout=$1
    cp -r "$DEFAULT_IMAGE" "$layout" && chmod -R u+w "$layout" ||
        fatal "cannot copy $DEFAULT_IMAGE"
}

# Prints the path of the capcheck program, unpacked once from the
# default image.
capcheck_binary() {
    local bundle=$WORK/default-bundle
    if [[ ! -e $bundle ]]; then
        umoci unpack --image "$DEFAULT_IMAGE:app" "$bundle" >/dev/null ||
            fatal "umoci unpack of the default image failed"
    fi
    echo "$bundle/rootfs/usr/bin/capcheck"
}

# Creates directory DIR (and parents) with mode 0755.
make_dir() {
    mkdir -p "$@" && chmod 0755 "$@"
}

# Copies capcheck to FILE with mode 0755, creating parent directories.
install_capcheck() {
    local target=$1
    make_dir "$(dirname "$target")"
    cp "$(capcheck_binary)" "$target" && chmod 0755 "$target"
}

# ---------------------------------------------------------------------
# Reading layouts

blob_path() {
    local layout=$1 digest=$2
    echo "$layout/blobs/${digest%%:*}/${digest#*:}"
}

# Prints the manifest digest that REF points at in LAYOUT's index.json,
# or nothing if REF is not there.
ref_digest() {
    local layout=$1 ref=$2
    jq -r --arg ref "$ref" '.manifests[]
        | select(.annotations["org.opencontainers.image.ref.name"] == $ref)
        | .digest' "$layout/index.json"
}

manifest_json() {
    local layout=$1 ref=$2
    cat "$(blob_path "$layout" "$(ref_digest "$layout" "$ref")")"
}

config_json() {
    local layout=$1 ref=$2 config_digest
    config_digest=$(manifest_json "$layout" "$ref" | jq -r .config.digest)
    cat "$(blob_path "$layout" "$config_digest")"
}

layer_count() {
    manifest_json "$1" "$2" | jq '.layers | length'
}

top_layer_digest() {
    manifest_json "$1" "$2" | jq -r '.layers[-1].digest'
}

# Prints every tar entry of the top layer of LAYOUT:REF (see ocitool.py
# entries for the columns).
top_layer_entries() {
    local layout=$1 ref=$2
    python3 "$OCITOOL" entries "$layout" "$(top_layer_digest "$layout" "$ref")"
}

# Prints a fingerprint of every file and directory under DIR (type, mode,
# name and content digest), to show that a failed run changed nothing.
tree_fingerprint() {
    local dir=$1
    (
        cd "$dir" || exit 1
        find . -printf '%y %m %p\n' | sort
        find . -type f -print0 | sort -z | xargs -0 -r sha256sum
    )
}

# Checks that LAYOUT passes ocitool.py validate.
assert_valid_layout() {
    local description=$1 layout=$2
    assert_command "$description: layout is valid" \
        python3 "$OCITOOL" validate "$layout"
}

# Checks that skopeo can copy LAYOUT:REF to a new layout, which makes it
# read every blob and verify its digest.
assert_skopeo_copy() {
    local description=$1 layout=$2 ref=$3
    local destination
    destination=$(mktemp -d -p "$WORK" skopeo-copy.XXXXXX)
    assert_command "$description: skopeo copy succeeds" \
        skopeo copy --quiet "oci:$layout:$ref" "oci:$destination:$ref"
}

# Prints the number of layers that skopeo inspect reports.
skopeo_layer_count() {
    local layout=$1 ref=$2
    skopeo inspect "oci:$layout:$ref" | jq '.Layers | length'
}

# Unpacks LAYOUT:REF with umoci into a new bundle and prints the
# bundle's path. The bundle is readable by uid 65534.
unpack_image() {
    local layout=$1 ref=$2 bundle
    bundle=$(mktemp -d -u -p "$WORK" bundle.XXXXXX)
    umoci unpack --image "$layout:$ref" "$bundle" >/dev/null 2>&1 || {
        echo "umoci unpack of $layout:$ref failed" >&2
        return 1
    }
    chmod 0755 "$bundle"
    echo "$bundle"
}

# Prints getcap -r output for the unpacked rootfs of LAYOUT:REF, with
# paths made absolute inside the image and lines sorted.
unpacked_getcap() {
    local layout=$1 ref=$2 bundle
    bundle=$(unpack_image "$layout" "$ref") || return 1
    (cd "$bundle/rootfs" && getcap -r .) | sed 's#^\./#/#' | sort
}

# Prints the CapEff mask of program FILE run with ARGS as uid 65534.
# FILE must print its /proc/self/status lines (capcheck does).
exec_capeff() {
    setpriv --reuid 65534 --regid 65534 --clear-groups "$@" 2>&1 |
        awk '/^CapEff:/ { print $2 }'
}

# Skips the test unless file capabilities take effect on exec here,
# which needs a mount without nosuid and a kernel that honours them.
require_file_caps_on_exec() {
    local probe=$WORK/probe-capcheck
    install_capcheck "$probe"
    setcap cap_ipc_lock+eip "$probe" ||
        skip "setcap does not work here"
    if [[ $(exec_capeff "$probe") != "$CAPEFF_IPC_LOCK" ]]; then
        skip "file capabilities do not take effect on exec in $WORK"
    fi
    rm -f "$probe"
}

# Prints "NAME TYPE MODE UID GID CONTENT-SHA256" for each non-directory entry
# of the top layer of LAYOUT:REF, with names made absolute, sorted.
top_layer_files() {
    top_layer_entries "$1" "$2" |
        awk '$2 != "dir" {
            name = $1
            sub(/^\.\//, "", name)
            sub(/^\//, "", name)
            print "/" name, $2, $3, $4, $5, $7
        }' | sort
}

# Prints "PATH TYPE MODE UID GID SIZE" for every file and directory of an
# unpacked rootfs, sorted, to compare two unpacked images.
rootfs_listing() {
    local rootfs=$1
    (cd "$rootfs" && find . -printf '%p %y %m %U %G %s\n' | sort)
}

# Prints the SHA-256 of FILE.
file_sha256() {
    sha256sum "$1" | cut -d ' ' -f 1
}

# Prints the decoded security.capability xattr (see ocitool.py
# decode-caps) of entry PATH in the top layer of LAYOUT:REF, or "none".
top_layer_caps() {
    local layout=$1 ref=$2 path=${3#/} hex
    hex=$(top_layer_entries "$layout" "$ref" |
        awk -v path="$path" '{
            name = $1
            sub(/^\.\//, "", name)
            sub(/^\//, "", name)
            if (name == path) print $9
        }')
    if [[ -z $hex || $hex == - ]]; then
        echo none
        return
    fi
    python3 "$OCITOOL" decode-caps "$hex"
}

# Appends a layer to LAYOUT:REF made of exactly the entries PATH... of
# directory ROOT, in the given order and without recursion, so a test
# can control where a whiteout sits in the tar stream.
add_ordered_layer() {
    local image=$1 root=$2
    shift 2
    local tar_file
    tar_file=$(mktemp -p "$WORK" layer.XXXXXX.tar)
    tar --create --file "$tar_file" --directory "$root" \
        --format=pax --no-recursion --mtime="@$TEST_EPOCH" \
        --owner=0 --group=0 --numeric-owner \
        --xattrs --xattrs-include=security.capability \
        --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
        "$@" ||
        fatal "tar could not pack $root"
    umoci raw add-layer --image "$image" \
        --history.created "$TEST_CREATED" \
        --history.created_by "e2e ordered layer from $(basename "$root")" \
        "$tar_file" ||
        fatal "umoci raw add-layer failed for $image"
    rm -f "$tar_file"
}

# Creates an empty whiteout file .wh.NAME (or the opaque marker
# .wh..wh..opq when NAME is .wh..opq) in directory DIR.
make_whiteout() {
    local dir=$1 name=$2
    make_dir "$dir"
    : >"$dir/.wh.$name"
    chmod 0644 "$dir/.wh.$name"
}

# ---------------------------------------------------------------------
# Archives and images that skopeo reads

# Writes the default image to ARCHIVE with skopeo copy, as TRANSPORT
# (oci-archive or docker-archive) under NAME (a ref, or NAME:TAG).
make_archive() {
    local transport=$1 archive=$2 name=$3
    skopeo copy --quiet "oci:$DEFAULT_IMAGE:app" \
        "$transport:$archive:$name" ||
        fatal "skopeo could not write $transport:$archive:$name"
}

# Extracts tar ARCHIVE into a new directory and prints its path.
extract_archive() {
    local archive=$1 directory
    directory=$(mktemp -d -p "$WORK" extracted.XXXXXX)
    chmod 0755 "$directory"
    tar --extract --file "$archive" --directory "$directory" ||
        fatal "tar could not extract $archive"
    echo "$directory"
}

# Prints the name of each top-level entry of tar ARCHIVE, sorted.
archive_top_entries() {
    tar --list --file "$1" | sed 's#^\./##; s#/.*##' | grep -v '^$' |
        sort -u
}

# Prints the inode number of FILE.
inode_of() {
    stat --format %i "$1"
}

# Checks that skopeo IMAGE (any transport skopeo reads) has LAYERS
# layers and /usr/bin/capcheck with cap_ipc_lock=eip: skopeo copies it
# to a new layout, which verifies every digest, then umoci unpacks that
# copy for getcap and for an exec of capcheck as uid 65534.
assert_capped_skopeo_image() {
    local description=$1 image=$2 layers=$3
    local copy bundle
    copy=$(mktemp -d -p "$WORK" skopeo-copy.XXXXXX)
    assert_command "$description: skopeo copy reads it" \
        skopeo copy --quiet "$image" "oci:$copy:app" || return 1
    assert_eq "$description: skopeo sees $layers layers" \
        "$layers" "$(skopeo_layer_count "$copy" app)"
    assert_eq "$description: getcap on the unpacked image" \
        "/usr/bin/capcheck cap_ipc_lock=eip" \
        "$(unpacked_getcap "$copy" app)"
    bundle=$(unpack_image "$copy" app) || {
        fail "$description: umoci unpack failed"
        return 1
    }
    assert_eq "$description: capcheck has CAP_IPC_LOCK as uid 65534" \
        "$CAPEFF_IPC_LOCK" "$(exec_capeff "$bundle/rootfs/usr/bin/capcheck")"
    rm -rf "$bundle" "$copy"
}

# Prints the number of layers skopeo inspect reports for skopeo IMAGE.
skopeo_image_layer_count() {
    skopeo inspect "$1" | jq '.Layers | length'
}
