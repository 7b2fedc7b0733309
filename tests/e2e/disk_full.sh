#!/bin/bash
# A full filesystem and a read-only one. ocicap set must stop with one
# error line that names the problem, and leave the layout exactly as it
# was: the blobs it added removed, no temporary files, index.json
# untouched. A run with enough space must give the reproducible new image.
#
# Where the machine allows mounts (root with CAP_SYS_ADMIN), the layout
# sits on a small tmpfs that a filler file fills until N KiB are free, for
# N from 0 to more than the run needs. A read-only bind mount of a layout
# follows. Everywhere, fault_at_call.c (preloaded) makes the Nth call that
# changes a file fail with ENOSPC, EIO or EROFS, for every N of a run.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
command -v cc >/dev/null || skip "missing tool: cc (to build fault_at_call.so)"

shim=$WORK/fault_at_call.so
cc -shared -fPIC -O2 -o "$shim" "$E2E_DIR/fault_at_call.c" -ldl ||
    fatal "cannot build fault_at_call.so"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

MOUNTS=()
cleanup_mounts() {
    local mount_point
    for mount_point in "${MOUNTS[@]}"; do
        umount "$mount_point" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup_mounts EXIT

# The new index.json of the default image with cap_ipc_lock+eip on
# /usr/bin/capcheck, from an undisturbed run.
reference=$WORK/reference
copy_default_image "$reference"
"$OCICAP" set "oci:$reference:app" cap_ipc_lock+eip /usr/bin/capcheck \
    >/dev/null 2>&1 || fatal "undisturbed set failed"
NEW_INDEX=$(file_sha256 "$reference/index.json")
NEW_MANIFEST=$(ref_digest "$reference" app)
copy_default_image "$WORK/original"
ORIGINAL=$(tree_fingerprint "$WORK/original")

# Checks the outcome of a set on LAYOUT that may have failed: success with
# exactly the new index.json, or exit 1 with one error line containing
# MESSAGE and the layout exactly as the default image. A failure to sync
# the directory after index.json was renamed into place is the one error
# that leaves the new image: its message must state that, and the layout
# must be the new one, complete. Counts outcomes in SUCCEEDED, FAILED_CLEANLY
# and FAILED_AFTER_COMMIT.
check_outcome() {
    local description=$1 layout=$2 message=$3
    if [[ $OCICAP_STATUS -eq 0 ]]; then
        SUCCEEDED=$((SUCCEEDED + 1))
        assert_eq "$description: succeeded with the new index.json" \
            "$NEW_INDEX" "$(file_sha256 "$layout/index.json")"
        assert_valid_layout "$description" "$layout"
        return
    fi
    check_error_result "$description" "$message"
    if [[ $OCICAP_STDERR == *"index.json was replaced"* ]]; then
        FAILED_AFTER_COMMIT=$((FAILED_AFTER_COMMIT + 1))
        assert_eq "$description: failed after the commit, new index.json" \
            "$NEW_INDEX" "$(file_sha256 "$layout/index.json")"
        assert_valid_layout "$description: failed after the commit" "$layout"
        return
    fi
    FAILED_CLEANLY=$((FAILED_CLEANLY + 1))
    assert_eq "$description: layout unchanged" \
        "$ORIGINAL" "$(tree_fingerprint "$layout")"
}

# ---------------------------------------------------------------------
echo "# injected failures at every call that changes a file"

count_file=$WORK/call-count
copy_default_image "$WORK/count"
OCICAP_FAULT_COUNT_FILE=$count_file LD_PRELOAD=$shim "$OCICAP" set \
    "oci:$WORK/count:app" cap_ipc_lock+eip /usr/bin/capcheck >/dev/null ||
    fatal "counting run failed"
total=$(cat "$count_file")
echo "# $total counted calls"

SUCCEEDED=0
FAILED_CLEANLY=0
FAILED_AFTER_COMMIT=0
for fault in ENOSPC EIO EROFS; do
    case $fault in
        ENOSPC) message="No space left on device" ;;
        EIO) message="Input/output error" ;;
        EROFS) message="Read-only file system" ;;
    esac
    for n in $(seq 1 "$total"); do
        layout=$WORK/fault-$fault-$n
        copy_default_image "$layout"
        echo "# \$ OCICAP_FAULT=$fault OCICAP_FAULT_AT=$n ocicap set ..."
        OCICAP_FAULT=$fault OCICAP_FAULT_AT=$n LD_PRELOAD=$shim \
            "$OCICAP" set "oci:$layout:app" cap_ipc_lock+eip \
            /usr/bin/capcheck >"$WORK/ocicap.stdout" 2>"$WORK/ocicap.stderr"
        OCICAP_STATUS=$?
        OCICAP_STDOUT=$(cat "$WORK/ocicap.stdout")
        OCICAP_STDERR=$(cat "$WORK/ocicap.stderr")
        check_outcome "$fault at call $n" "$layout" "$message"
        rm -rf "$layout"
    done
done
echo "# injected failures: $FAILED_CLEANLY failed cleanly," \
    "$FAILED_AFTER_COMMIT failed after the commit," \
    "$SUCCEEDED succeeded (the failing call was not needed)"
assert_command "most injected failures stop the run" \
    test "$FAILED_CLEANLY" -gt "$SUCCEEDED"

# ---------------------------------------------------------------------
echo "# a small tmpfs, filled to N KiB free"

small=$WORK/small
make_dir "$small"
if ! mount -t tmpfs -o size=2m,mode=0755 tmpfs "$small" 2>/dev/null; then
    echo "# mount -t tmpfs is not allowed here; tmpfs cases not run"
else
    MOUNTS+=("$small")
    SUCCEEDED=0
    FAILED_CLEANLY=0
    FAILED_AFTER_COMMIT=0
    # The set needs about 340 KiB: the new layer, config, manifest and
    # index.json. TMPDIR is elsewhere, so the content spool does not count.
    for free_kib in 0 4 8 64 128 256 300 320 330 336 340 344 348 352 360 \
        400 512; do
        rm -rf "${small:?}"/*
        layout=$small/layout
        copy_default_image "$layout"
        available=$(df --output=avail -k "$small" | tail -n 1)
        filler=$(((available - free_kib) * 1024))
        if [[ $filler -gt 0 ]]; then
            head -c "$filler" /dev/zero >"$small/filler" 2>/dev/null
        fi
        run_ocicap set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
        check_outcome "tmpfs with $free_kib KiB free" "$layout" \
            "No space left on device"
        assert_eq "tmpfs with $free_kib KiB free: no temporary files" "" \
            "$(find "$small" -name '.ocicap-tmp-*')"
    done
    echo "# tmpfs: $FAILED_CLEANLY failed cleanly, $SUCCEEDED succeeded"
    assert_command "a full tmpfs stops the run" test "$FAILED_CLEANLY" -gt 0
    assert_command "a tmpfs with room lets it finish" test "$SUCCEEDED" -gt 0

    echo "# --output on a full tmpfs"
    rm -rf "${small:?}"/*
    available=$(df --output=avail -k "$small" | tail -n 1)
    head -c $(((available - 64) * 1024)) /dev/zero >"$small/filler" 2>/dev/null
    run_ocicap set --output "oci:$small/out:app" "oci:$DEFAULT_IMAGE:app" \
        cap_ipc_lock+eip /usr/bin/capcheck
    check_error_result "--output on a full tmpfs" "No space left on device"
    assert_eq "--output on a full tmpfs: nothing left" "filler" \
        "$(ls -A "$small")"

    echo "# TMPDIR on a full tmpfs"
    rm -rf "${small:?}"/*
    layout=$WORK/tmpdir-full
    copy_default_image "$layout"
    available=$(df --output=avail -k "$small" | tail -n 1)
    head -c $(((available - 64) * 1024)) /dev/zero >"$small/filler" 2>/dev/null
    TMPDIR=$small run_ocicap set "oci:$layout:app" cap_ipc_lock+eip \
        /usr/bin/capcheck
    check_error_result "TMPDIR on a full tmpfs" "No space left on device"
    assert_eq "TMPDIR on a full tmpfs: layout unchanged" \
        "$ORIGINAL" "$(tree_fingerprint "$layout")"
    assert_eq "TMPDIR on a full tmpfs: nothing left in TMPDIR" "filler" \
        "$(ls -A "$small")"
fi

# ---------------------------------------------------------------------
echo "# a read-only bind mount"

read_only=$WORK/read-only
copy_default_image "$WORK/read-only-source"
make_dir "$read_only"
if ! mount --bind "$WORK/read-only-source" "$read_only" 2>/dev/null; then
    echo "# mount --bind is not allowed here; read-only cases not run"
else
    MOUNTS+=("$read_only")
    if ! mount -o remount,bind,ro "$read_only" 2>/dev/null; then
        echo "# read-only remount is not allowed here; cases not run"
    else
        for args in "" "--tag capped"; do
            # shellcheck disable=SC2086 # ARGS are words on purpose
            run_ocicap set $args "oci:$read_only:app" cap_ipc_lock+eip \
                /usr/bin/capcheck
            check_error_result "set ${args:+$args }on a read-only layout" \
                "Read-only file system"
            assert_contains "set ${args:+$args }on a read-only layout:" \
                "--output" "$OCICAP_STDERR"
            assert_eq "set ${args:+$args }on a read-only layout: unchanged" \
                "$ORIGINAL" "$(tree_fingerprint "$read_only")"
        done
        expect_success "get on a read-only layout" \
            get "oci:$read_only:app" /usr/bin/capcheck
        expect_success "set --output from a read-only layout" \
            set --output "oci:$WORK/from-read-only:app" \
            "oci:$read_only:app" cap_ipc_lock+eip /usr/bin/capcheck
        assert_eq "set --output from a read-only layout: the new image" \
            "$NEW_MANIFEST" "$(ref_digest "$WORK/from-read-only" app)"
    fi
fi

e2e_finish
