#!/bin/bash
# Crash safety: ocicap set is killed with SIGKILL at points spread over
# its whole run. After each kill the layout (or archive) must read as the
# old image or the new one, bit for bit, and skopeo must read it.
#
# fault_at_call.c, preloaded, counts the calls that change files (write,
# fsync, rename, link, unlink, mkdir, open with O_CREAT, ...) and raises
# SIGKILL just before call N. A first run counts the calls of a whole
# set; the killed runs then stop at every call, or at points spread
# evenly over the run plus every one of the last calls, where the blobs
# are renamed into place and index.json is replaced.
#
# Because the output is reproducible, the new image's index.json (or
# archive) is known from an undisturbed run, and "bit for bit" is a
# comparison of SHA-256 sums. Temporary files (.ocicap-tmp-*) that a kill
# leaves behind are allowed outside blobs/: they are counted and reported,
# and the checks show that they change nothing a reader sees and that the
# next set on the layout works and removes them.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
command -v cc >/dev/null || skip "missing tool: cc (to build fault_at_call.so)"

shim=$WORK/fault_at_call.so
cc -shared -fPIC -O2 -o "$shim" "$E2E_DIR/fault_at_call.c" -ldl ||
    fatal "cannot build fault_at_call.so"
# An ASan build must load its runtime first; it then runs after the shim,
# which is fine, so the order check is turned off.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
# SIGKILL leaves an archive's workspace behind: it goes to the work
# directory, which is removed at the end, not to the system's /tmp.
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"

RUNS=0
OLD_STATES=0
NEW_STATES=0
LEFTOVERS=0

# Prints the number of calls that `ocicap ARGS...` makes, run in a copy
# made by the PREPARE command (which gets the copy's path).
count_calls() {
    local count_file=$WORK/call-count
    rm -f "$count_file"
    OCICAP_FAULT_COUNT_FILE=$count_file LD_PRELOAD=$shim \
        "$OCICAP" "$@" >/dev/null 2>&1 || fatal "counting run failed: $*"
    cat "$count_file"
}

# Prints kill points for a run of TOTAL calls: SPREAD points evenly over
# the run and every one of the last TAIL calls, sorted and unique.
kill_points() {
    local total=$1 spread=$2 tail=$3 i
    {
        for ((i = 0; i < spread; i++)); do
            echo $((1 + i * (total - 1) / (spread > 1 ? spread - 1 : 1)))
        done
        for ((i = total - tail + 1; i <= total; i++)); do
            ((i >= 1)) && echo "$i"
        done
    } | sort -n -u
}

# Runs `ocicap ARGS...` and kills it at call N. Sets KILL_STATUS.
run_killed() {
    local n=$1
    shift
    # The braces take bash's "Killed" notice to /dev/null as well.
    { OCICAP_FAULT_AT=$n LD_PRELOAD=$shim "$OCICAP" "$@" >/dev/null 2>&1; } \
        2>/dev/null
    KILL_STATUS=$?
}

# Prints the number of files under DIR whose name starts .ocicap-tmp-.
count_leftovers() {
    find "$1" -name '.ocicap-tmp-*' | wc -l
}

# Checks LAYOUT after a killed run: index.json is byte for byte the old
# one (OLD_INDEX) or the new one (NEW_INDEX), the layout validates, and
# skopeo reads every blob of OLD_REF or NEW_REF, whichever the state has.
# Sets STATE to old or new.
check_killed_layout() {
    local description=$1 layout=$2 old_ref=$3 new_ref=$4
    local index_sum ref
    index_sum=$(file_sha256 "$layout/index.json")
    if [[ $index_sum == "$OLD_INDEX" ]]; then
        STATE=old
        ref=$old_ref
        OLD_STATES=$((OLD_STATES + 1))
    elif [[ $index_sum == "$NEW_INDEX" ]]; then
        STATE=new
        ref=$new_ref
        NEW_STATES=$((NEW_STATES + 1))
    else
        STATE=other
        fail "$description: index.json is neither the old nor the new one"
        show index.json "$(cat "$layout/index.json")"
        return
    fi
    # Strict: temporary files stay out of blobs/, so nothing there but
    # blobs named after their digest.
    assert_command "$description ($STATE): layout is valid" \
        python3 "$OCITOOL" validate "$layout"
    assert_command "$description ($STATE): skopeo inspect reads it" \
        skopeo inspect "oci:$layout:$ref"
    assert_skopeo_copy "$description ($STATE)" "$layout" "$ref"
    LEFTOVERS=$((LEFTOVERS + $(count_leftovers "$layout")))
}

# Runs the undisturbed set again on a layout left in the old state and
# checks that it gives exactly the new image.
check_recovery() {
    local description=$1 layout=$2
    shift 2
    if [[ $STATE != old ]]; then
        return
    fi
    "$OCICAP" "$@" >/dev/null 2>&1
    assert_eq "$description: set after the kill gives the new index.json" \
        "$NEW_INDEX" "$(file_sha256 "$layout/index.json")"
    assert_eq "$description: set after the kill removes the leftovers" \
        0 "$(count_leftovers "$layout")"
}

# Kills `ocicap ARGS...` on copies of LAYOUT at the points kill_points
# TOTAL SPREAD TAIL gives, where TOTAL is the number of calls a whole run
# makes. @ in ARGS stands for the copy's path. The result is read as
# NEW_REF; OLD_REF names the image before.
kill_in_place() {
    local name=$1 layout=$2 old_ref=$3 new_ref=$4 spread=$5 tail=$6
    shift 6
    local reference=$WORK/$name-reference total n copy

    cp -a "$layout" "$reference"
    OLD_INDEX=$(file_sha256 "$layout/index.json")
    "$OCICAP" "${@//@/$reference}" >/dev/null 2>&1 ||
        fatal "$name: undisturbed run failed"
    NEW_INDEX=$(file_sha256 "$reference/index.json")

    copy=$WORK/$name-count
    cp -a "$layout" "$copy"
    total=$(count_calls "${@//@/$copy}")
    rm -rf "$copy"
    echo "# $name: $total counted calls"

    for n in $(kill_points "$total" "$spread" "$tail"); do
        copy=$WORK/$name-$n
        cp -a "$layout" "$copy"
        run_killed "$n" "${@//@/$copy}"
        RUNS=$((RUNS + 1))
        assert_eq "$name, call $n: killed" 137 "$KILL_STATUS"
        check_killed_layout "$name, call $n" "$copy" "$old_ref" "$new_ref"
        check_recovery "$name, call $n" "$copy" "${@//@/$copy}"
        rm -rf "$copy"
    done
}

# ---------------------------------------------------------------------
echo "# set in place on the default image, killed at every call"

original=$WORK/default
copy_default_image "$original"
kill_in_place in-place "$original" app app 1000 0 \
    set "oci:@:app" cap_ipc_lock+eip /usr/bin/capcheck

# ---------------------------------------------------------------------
echo "# set in place on a 6 MiB file, gzip written in many chunks"

large=$WORK/large
copy_default_image "$large"
large_root=$WORK/large-root
make_dir "$large_root/opt"
head -c $((6 << 20)) /dev/urandom >"$large_root/opt/large"
chmod 0755 "$large_root/opt/large"
add_layer "$large:app" "$large_root"
kill_in_place large "$large" app app 30 20 \
    set "oci:@:app" cap_net_raw+ep /opt/large

# ---------------------------------------------------------------------
echo "# set --tag, killed at 25 points"

kill_in_place tag "$original" app capped 15 10 \
    set --tag capped "oci:@:app" cap_ipc_lock+eip /usr/bin/capcheck

# ---------------------------------------------------------------------
echo "# set --output to a new layout, killed at 25 points"

# The new layout is staged in a .ocicap-tmp-* directory next to it and
# renamed into place, so after a kill it is absent or complete.
input_before=$(tree_fingerprint "$original")
reference=$WORK/output-reference
"$OCICAP" set --output "oci:$reference:app" "oci:$original:app" \
    cap_ipc_lock+eip /usr/bin/capcheck >/dev/null 2>&1 ||
    fatal "output: undisturbed run failed"
NEW_INDEX=$(file_sha256 "$reference/index.json")
parent=$WORK/output-count
make_dir "$parent"
total=$(count_calls set --output "oci:$parent/out:app" "oci:$original:app" \
    cap_ipc_lock+eip /usr/bin/capcheck)
echo "# output: $total counted calls"
output_absent=0
for n in $(kill_points "$total" 15 10); do
    parent=$WORK/output-$n
    make_dir "$parent"
    run_killed "$n" set --output "oci:$parent/out:app" "oci:$original:app" \
        cap_ipc_lock+eip /usr/bin/capcheck
    RUNS=$((RUNS + 1))
    assert_eq "output, call $n: killed" 137 "$KILL_STATUS"
    if [[ -e $parent/out ]]; then
        OLD_INDEX=none
        check_killed_layout "output, call $n" "$parent/out" app app
    else
        output_absent=$((output_absent + 1))
        pass "output, call $n: no layout at the output path"
    fi
    LEFTOVERS=$((LEFTOVERS + $(count_leftovers "$parent")))
    assert_eq "output, call $n: input unchanged" \
        "$input_before" "$(tree_fingerprint "$original")"
    rm -rf "$parent"
done
echo "# output: $output_absent runs left no layout"

# ---------------------------------------------------------------------
# An archive is rewritten to a temporary file next to it, then renamed
# over it, so it reads as the old archive or the new one.

# Kills set in place on an archive of TRANSPORT (oci-archive or
# docker-archive, written by skopeo from the default image) at the points
# kill_points TOTAL SPREAD TAIL gives. SUFFIX follows the file name in
# references (":app" or ":app:latest").
kill_archive() {
    local transport=$1 suffix=$2 spread=$3 tail=$4
    local directory=$WORK/$transport total n sum
    local old_archive new_archive
    make_dir "$directory"
    skopeo copy --quiet "oci:$original:app" \
        "$transport:$directory/old.tar$suffix" ||
        fatal "skopeo could not write the $transport"
    cp "$directory/old.tar" "$directory/new.tar"
    "$OCICAP" set "$transport:$directory/new.tar$suffix" cap_ipc_lock+eip \
        /usr/bin/capcheck >/dev/null 2>&1 ||
        fatal "$transport: undisturbed run failed"
    old_archive=$(file_sha256 "$directory/old.tar")
    new_archive=$(file_sha256 "$directory/new.tar")
    cp "$directory/old.tar" "$directory/count.tar"
    total=$(count_calls set "$transport:$directory/count.tar$suffix" \
        cap_ipc_lock+eip /usr/bin/capcheck)
    echo "# $transport: $total counted calls"

    for n in $(kill_points "$total" "$spread" "$tail"); do
        local copy=$WORK/$transport-$n
        make_dir "$copy"
        cp "$directory/old.tar" "$copy/image.tar"
        local image=$transport:$copy/image.tar$suffix
        run_killed "$n" set "$image" cap_ipc_lock+eip /usr/bin/capcheck
        RUNS=$((RUNS + 1))
        assert_eq "$transport, call $n: killed" 137 "$KILL_STATUS"
        sum=$(file_sha256 "$copy/image.tar")
        if [[ $sum == "$old_archive" ]]; then
            OLD_STATES=$((OLD_STATES + 1))
            pass "$transport, call $n: the old archive"
            "$OCICAP" set "$image" cap_ipc_lock+eip /usr/bin/capcheck \
                >/dev/null 2>&1
            local recovered
            recovered=$(file_sha256 "$copy/image.tar")
            assert_eq "$transport, call $n: set after the kill: new archive" \
                "$new_archive" "$recovered"
        elif [[ $sum == "$new_archive" ]]; then
            NEW_STATES=$((NEW_STATES + 1))
            pass "$transport, call $n: the new archive"
        else
            fail "$transport, call $n: neither the old nor the new archive"
        fi
        assert_command "$transport, call $n: skopeo inspect reads it" \
            skopeo inspect "$image"
        LEFTOVERS=$((LEFTOVERS + $(count_leftovers "$copy")))
        rm -rf "$copy"
    done
}

echo "# set in place on an oci-archive, killed at 30 points"
kill_archive oci-archive :app 20 10

echo "# set in place on a docker-archive, killed at 20 points"
kill_archive docker-archive :app:latest 12 8

# ---------------------------------------------------------------------
echo "# docker-archive:- to a file on standard output, SIGTERM during the copy"

# The members are copied to standard output while the layers are read.
# SIGTERM must leave the file as it was, or with the whole new archive
# after it, and no workspace in TMPDIR. The shim sends it before a given
# call of copy_file_range, so that the copy of the 200 MB layer, in pieces
# of 16 MiB, is under way when the signal arrives.
make_large_docker_archive "$WORK/term.tar" 200000000 /dev/zero
"$OCICAP" set -q docker-archive:- cap_ipc_lock+eip /usr/bin/capcheck \
    <"$WORK/term.tar" >"$WORK/term-new.tar" 2>/dev/null ||
    fatal "the undisturbed run on term.tar failed"
term_new=$(file_sha256 "$WORK/term-new.tar")
make_dir "$WORK/term-tmp"
printf 'before\n' >"$WORK/term-before"
for n in 1 2 4 8; do
    cp "$WORK/term-before" "$WORK/term-out.tar"
    TMPDIR=$WORK/term-tmp OCICAP_TERM_AT_COPY=$n LD_PRELOAD=$shim \
        "$OCICAP" set -q docker-archive:- cap_ipc_lock+eip /usr/bin/capcheck \
        <"$WORK/term.tar" >>"$WORK/term-out.tar" 2>/dev/null
    assert_eq "SIGTERM at copy $n: dies of SIGTERM" 143 "$?"
    if cmp -s "$WORK/term-before" "$WORK/term-out.tar"; then
        pass "SIGTERM at copy $n: the file as it was"
    elif cmp -s -n 7 "$WORK/term-before" "$WORK/term-out.tar" &&
        [[ $(tail -c +8 "$WORK/term-out.tar" | sha256sum | cut -c 1-64) == \
            "$term_new" ]]; then
        pass "SIGTERM at copy $n: the file, then the new archive"
    else
        fail "SIGTERM at copy $n: $(stat --format %s "$WORK/term-out.tar")" \
            "bytes, neither the old file nor the old file and the archive"
    fi
done
# Written in place, the archive goes to a temporary file next to it, which
# the signal removes.
make_dir "$WORK/term-in-place"
for n in 1 4; do
    cp "$WORK/term.tar" "$WORK/term-in-place/app.tar"
    TMPDIR=$WORK/term-tmp OCICAP_TERM_AT_COPY=$n LD_PRELOAD=$shim \
        "$OCICAP" set -q "docker-archive:$WORK/term-in-place/app.tar" \
        cap_ipc_lock+eip /usr/bin/capcheck 2>/dev/null
    assert_eq "SIGTERM at copy $n in place: dies of SIGTERM" 143 "$?"
    assert_eq "SIGTERM at copy $n in place: no temporary file left" \
        app.tar "$(ls -A "$WORK/term-in-place")"
    assert_command "SIGTERM at copy $n in place: the archive as it was" \
        cmp -s "$WORK/term.tar" "$WORK/term-in-place/app.tar"
done
assert_eq "SIGTERM runs left no workspace in TMPDIR" "" \
    "$(ls -A "$WORK/term-tmp")"
rm -rf "$WORK"/term*.tar "$WORK/term-in-place"

# ---------------------------------------------------------------------
echo "# $RUNS killed runs: $OLD_STATES read as the old image," \
    "$NEW_STATES as the new one; $LEFTOVERS leftover temporary files"
assert_command "at least 50 killed runs" test "$RUNS" -ge 50
assert_command "kills before the commit left the old image" \
    test "$OLD_STATES" -gt 0
assert_command "kills after the commit left the new image" \
    test "$NEW_STATES" -gt 0

e2e_finish
