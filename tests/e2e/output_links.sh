#!/bin/bash
# set --output to a layout on the same filesystem hard-links the blobs it
# shares with the input instead of copying them: every layer blob of the
# input image has the same inode in the output. The blobs ocicap writes
# (new layer, config, manifest) are new files.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

input=$WORK/input
output=$WORK/output
copy_default_image "$input"
umoci gc --layout "$input"

expect_success "set --output on the same filesystem" set \
    --output "oci:$output" "oci:$input:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_valid_layout "output" "$output"
assert_skopeo_copy "output" "$output" app

input_layers=$(manifest_json "$input" app | jq -r '.layers[].digest')
assert_ne "the input has layers" "" "$input_layers"
for digest in $input_layers; do
    assert_eq "layer ${digest:0:19} is a hard link of the input's blob" \
        "$(inode_of "$(blob_path "$input" "$digest")")" \
        "$(inode_of "$(blob_path "$output" "$digest")")"
done

new_layer=$(manifest_json "$output" app | jq -r '.layers[-1].digest')
assert_eq "the new layer exists only in the output" "no" \
    "$([[ -e $(blob_path "$input" "$new_layer") ]] && echo yes || echo no)"
assert_eq "the new layer has one name" "1" \
    "$(stat --format %h "$(blob_path "$output" "$new_layer")")"

e2e_finish
