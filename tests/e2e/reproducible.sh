#!/bin/bash
# ocicap set output is reproducible: the same input and arguments give
# the same manifest digest whatever the wall-clock time, time zone,
# umask, working directory and layout path. SOURCE_DATE_EPOCH, when set,
# gives the timestamps, so a different value gives a different digest.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

input=$WORK/input
copy_default_image "$input"
original_layers=$(layer_count "$input" app)
input_created=$(config_json "$input" app | jq -r .created)

# Copies the input to DIR and runs ocicap set on it with the environment
# assignments given before "--". Results are in the OCICAP_* variables.
set_on_copy() {
    local layout=$1
    shift
    local assignments=()
    while [[ $1 != -- ]]; do
        assignments+=("$1")
        shift
    done
    shift
    mkdir -p "$(dirname "$layout")"
    cp -r "$input" "$layout"
    echo "# \$ ${assignments[*]} ocicap set oci:$layout:app $*"
    (
        cd "$WORK" || exit 1
        env "${assignments[@]}" "$OCICAP" set "oci:$layout:app" "$@" \
            >"$WORK/ocicap.stdout" 2>"$WORK/ocicap.stderr"
    )
    OCICAP_STATUS=$?
    OCICAP_STDOUT=$(cat "$WORK/ocicap.stdout")
    OCICAP_STDERR=$(cat "$WORK/ocicap.stderr")
}

# Stores the last run's manifest digest in variable NAME, or a value that
# matches no digest if the run failed, and records the failure.
store_digest() {
    local description=$1 name=$2
    if [[ $OCICAP_STATUS -ne 0 ]]; then
        fail "$description: exit $OCICAP_STATUS"
        show stderr "$OCICAP_STDERR"
        printf -v "$name" 'failed-%s' "$description"
        return
    fi
    printf -v "$name" '%s' "$(set_output_digest)"
}

caps=(cap_net_raw,cap_net_admin=ep /usr/bin/capcheck /etc/passwd)

# ---------------------------------------------------------------------
echo "# same input, same arguments, different time and environment"

set_on_copy "$WORK/first" TZ=UTC -- "${caps[@]}"
store_digest "first run" first
sleep 1.1
set_on_copy "$WORK/deeper/path/second" TZ=Asia/Tokyo LC_ALL=C -- \
    "${caps[@]}"
store_digest "second run" second
assert_eq "same input gives the same manifest digest" "$first" "$second"
assert_eq "same input gives the same layer blob" \
    "$(top_layer_digest "$WORK/first" app)" \
    "$(top_layer_digest "$WORK/deeper/path/second" app)"
assert_eq "same input gives the same config" \
    "$(config_json "$WORK/first" app)" \
    "$(config_json "$WORK/deeper/path/second" app)"

saved_umask=$(umask)
umask 077
set_on_copy "$WORK/umask" TZ=UTC -- "${caps[@]}"
umask "$saved_umask"
store_digest "run with umask 077" umask_digest
assert_eq "umask does not change the digest" "$first" "$umask_digest"
assert_valid_layout "first run" "$WORK/first"

history_created=$(config_json "$WORK/first" app | jq -r '.history[-1].created')
assert_eq "new history entry takes the config's created time" \
    "$input_created" "$history_created"

# ---------------------------------------------------------------------
echo "# --output and --tag write the same manifest"

output=$WORK/output
run_ocicap set --output "oci:$output:app" "oci:$input:app" "${caps[@]}"
store_digest "--output run" output_digest
assert_eq "--output gives the same digest as in place" "$first" "$output_digest"
tagged=$WORK/tagged
cp -r "$input" "$tagged"
run_ocicap set --tag capped "oci:$tagged:app" "${caps[@]}"
store_digest "--tag run" tag_digest
assert_eq "--tag gives the same digest as in place" "$first" "$tag_digest"

# ---------------------------------------------------------------------
echo "# SOURCE_DATE_EPOCH"

set_on_copy "$WORK/epoch-a" SOURCE_DATE_EPOCH=1234567890 -- "${caps[@]}"
store_digest "run with SOURCE_DATE_EPOCH" epoch_a
sleep 1.1
set_on_copy "$WORK/epoch-b" SOURCE_DATE_EPOCH=1234567890 TZ=Asia/Tokyo -- \
    "${caps[@]}"
store_digest "second run with SOURCE_DATE_EPOCH" epoch_b
assert_ne "SOURCE_DATE_EPOCH changes the digest" "$first" "$epoch_a"
assert_eq "same SOURCE_DATE_EPOCH gives the same digest" "$epoch_a" "$epoch_b"
assert_valid_layout "SOURCE_DATE_EPOCH run" "$WORK/epoch-a"
assert_eq "new history entry takes SOURCE_DATE_EPOCH" \
    2009-02-13T23:31:30Z \
    "$(config_json "$WORK/epoch-a" app | jq -r '.history[-1].created')"

set_on_copy "$WORK/epoch-c" SOURCE_DATE_EPOCH=1234567891 -- "${caps[@]}"
store_digest "run with another SOURCE_DATE_EPOCH" epoch_c
assert_ne "another SOURCE_DATE_EPOCH gives another digest" "$epoch_a" "$epoch_c"

# A malformed value must not fall back to some other time silently
# (clang, for one, rejects a malformed SOURCE_DATE_EPOCH the same way).
# Times after 9999-12-31T23:59:59Z have no RFC 3339 form for `created`.
for bad_epoch in not-a-number 12abc 253402300800 9223372036854775807; do
    bad_layout=$WORK/bad-epoch-$bad_epoch
    set_on_copy "$bad_layout" "SOURCE_DATE_EPOCH=$bad_epoch" -- "${caps[@]}"
    check_error_result "SOURCE_DATE_EPOCH=$bad_epoch" "$bad_epoch"
    assert_eq "SOURCE_DATE_EPOCH=$bad_epoch leaves the layout unchanged" \
        "$(tree_fingerprint "$input")" "$(tree_fingerprint "$bad_layout")"
done

# ---------------------------------------------------------------------
echo "# chained runs"

for copy in chain-a chain-b; do
    layout=$WORK/$copy
    cp -r "$input" "$layout"
    run_ocicap set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
    run_ocicap set "oci:$layout:app" cap_net_raw+p /etc/passwd
    sleep 1.1
done
assert_eq "two chained runs give the same digest" \
    "$(ref_digest "$WORK/chain-a" app)" "$(ref_digest "$WORK/chain-b" app)"
assert_eq "chained runs add two layers" \
    $((original_layers + 2)) "$(layer_count "$WORK/chain-a" app)"

e2e_finish
