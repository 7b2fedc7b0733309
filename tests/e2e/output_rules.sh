#!/bin/bash
# Where a result goes. --output never changes the input and creates no
# directory but the layout it names, which gets the mode mkdir(1) would
# give. The result is named by the output's REF or NAME:TAG, else by the
# input's ref. A pipeline that changes nothing still passes its archive on.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

input=$WORK/input
copy_default_image "$input"
input_print=$(tree_fingerprint "$input")

# ---------------------------------------------------------------------
echo "# --output naming the input layout"

expect_error "--output is the input layout" "is the input image" \
    set --output "oci:$input" "oci:$input:app" cap_net_raw+ep \
    /usr/bin/capcheck
expect_error "--output is the input layout and ref" "is the input image" \
    set --output "oci:$input:app" "oci:$input:app" cap_net_raw+ep \
    /usr/bin/capcheck
assert_eq "the input is unchanged" "$input_print" "$(tree_fingerprint "$input")"

expect_success "--output to the input layout with a new ref" set -q \
    --output "oci:$input:hardened" "oci:$input:app" cap_net_raw+ep \
    /usr/bin/capcheck
assert_eq "app still names the old manifest" \
    "$(ref_digest "$DEFAULT_IMAGE" app)" "$(ref_digest "$input" app)"
assert_ne "hardened names a new manifest" "" "$(ref_digest "$input" hardened)"
rm -rf "$input"
copy_default_image "$input"

# ---------------------------------------------------------------------
echo "# a new --output layout"

expect_error "a missing parent directory" "does not exist" \
    set --output "oci:$WORK/missing/deep/out" "oci:$input:app" \
    cap_net_raw+ep /usr/bin/capcheck
assert_eq "no parent directory is created" "no" \
    "$([[ -e $WORK/missing ]] && echo yes || echo no)"

expect_success "--output without a ref" set -q --output "oci:$WORK/out1" \
    "oci:$input" cap_net_raw+ep /usr/bin/capcheck
assert_ne "the result is named by the input's ref" "" \
    "$(ref_digest "$WORK/out1" app)"
assert_eq "the new layout has mode 0755 under umask 022" 755 \
    "$(stat --format %a "$WORK/out1")"
assert_valid_layout "out1" "$WORK/out1"
assert_eq "no staging directory is left" "" \
    "$(find "$WORK" -maxdepth 1 -name '.ocicap-tmp-*')"

# ---------------------------------------------------------------------
echo "# --output archives take the output's ref"

make_archive oci-archive "$WORK/in.tar" app
make_archive docker-archive "$WORK/in-docker.tar" docker.io/library/app:1

expect_success "oci-archive --output with a ref" set -q \
    --output "oci-archive:$WORK/out.tar:newref" "oci-archive:$WORK/in.tar" \
    cap_net_raw+ep /usr/bin/capcheck
assert_command "skopeo reads the output by its new ref" \
    skopeo inspect "oci-archive:$WORK/out.tar:newref"

expect_success "docker-archive --output with NAME:TAG" set -q \
    --output "docker-archive:$WORK/out-docker.tar:new:tag" \
    "docker-archive:$WORK/in-docker.tar" cap_net_raw+ep /usr/bin/capcheck
assert_eq "RepoTags is the output's NAME:TAG" '["new:tag"]' \
    "$(tar --extract --to-stdout --file "$WORK/out-docker.tar" \
        manifest.json | jq -c '.[0].RepoTags')"

archive_sum=$(sha256sum <"$WORK/in.tar")
expect_error "--output is the input archive" "is the input archive" \
    set --output "oci-archive:$WORK/in.tar" "oci-archive:$WORK/in.tar" \
    cap_net_raw+ep /usr/bin/capcheck
assert_eq "the input archive is unchanged" "$archive_sum" \
    "$(sha256sum <"$WORK/in.tar")"

# ---------------------------------------------------------------------
echo "# a pipeline that changes nothing passes the archive on"

for transport in docker-archive oci-archive; do
    source_archive=$WORK/in.tar
    [[ $transport == docker-archive ]] && source_archive=$WORK/in-docker.tar
    echo "# \$ ocicap rm -q $transport:- /usr/bin/capcheck < $source_archive"
    "$OCICAP" rm -q "$transport:-" /usr/bin/capcheck <"$source_archive" \
        >"$WORK/piped.tar" 2>"$WORK/piped.err"
    assert_eq "$transport: rm without a change exits 0" 0 "$?"
    assert_command "$transport: stdout is an archive" \
        tar --list --file "$WORK/piped.tar"
    assert_command "$transport: skopeo reads the piped archive" \
        skopeo inspect "$transport:$WORK/piped.tar"
done

echo "# \$ SOURCE_DATE_EPOCH=253402300800 ocicap rm -q docker-archive:- ..."
SOURCE_DATE_EPOCH=253402300800 "$OCICAP" rm -q docker-archive:- \
    /usr/bin/capcheck <"$WORK/in-docker.tar" >"$WORK/piped.tar" \
    2>"$WORK/piped.err"
assert_eq "a bad SOURCE_DATE_EPOCH fails a pipeline without a change" 1 "$?"
assert_contains "the error names SOURCE_DATE_EPOCH" \
    "invalid SOURCE_DATE_EPOCH" "$(cat "$WORK/piped.err")"

e2e_finish
