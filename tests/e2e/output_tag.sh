#!/bin/bash
# Where ocicap set writes its result: --output IMAGE (input untouched),
# --tag NEWREF (REF keeps the old image), and in place (REF moves to the
# new manifest). In every case the other images, the annotations and the
# image config must carry over unchanged.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
require_file_caps_on_exec

# Prints index.json's entry for REF as compact JSON.
index_entry() {
    local layout=$1 ref=$2
    jq -c --arg ref "$ref" '.manifests[]
        | select(.annotations["org.opencontainers.image.ref.name"] == $ref)' \
        "$layout/index.json"
}

# Prints how many index.json entries carry REF.
ref_entry_count() {
    local layout=$1 ref=$2
    jq --arg ref "$ref" '[.manifests[]
        | select(.annotations["org.opencontainers.image.ref.name"] == $ref)]
        | length' "$layout/index.json"
}

# Checks that LAYOUT:REF is the input's app image plus one layer in which
# /usr/bin/capcheck has cap_ipc_lock=eip, as seen by ocicap get, getcap,
# skopeo and an exec as uid 65534.
check_capped_image() {
    local description=$1 layout=$2 ref=$3
    local config manifest bundle

    assert_valid_layout "$description" "$layout"
    assert_eq "$description: one more layer" \
        $((original_layers + 1)) "$(skopeo_layer_count "$layout" "$ref")"
    assert_skopeo_copy "$description" "$layout" "$ref"

    expect_success "$description: get" get "oci:$layout:$ref" /usr/bin/capcheck
    assert_eq "$description: get shows the caps" \
        "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"
    assert_eq "$description: getcap on the unpacked image" \
        "/usr/bin/capcheck cap_ipc_lock=eip" \
        "$(unpacked_getcap "$layout" "$ref")"
    bundle=$(unpack_image "$layout" "$ref")
    assert_eq "$description: capcheck has CAP_IPC_LOCK as uid 65534" \
        "$CAPEFF_IPC_LOCK" "$(exec_capeff "$bundle/rootfs/usr/bin/capcheck")"
    rm -rf "$bundle"

    config=$(config_json "$layout" "$ref")
    manifest=$(manifest_json "$layout" "$ref")
    assert_eq "$description: config .config unchanged" \
        "$original_runtime_config" "$(jq -cS .config <<<"$config")"
    assert_eq "$description: config architecture and os unchanged" \
        "$original_platform" "$(jq -c '[.architecture, .os]' <<<"$config")"
    assert_eq "$description: config keeps the old diff IDs first" \
        "$original_diff_ids" \
        "$(jq -c ".rootfs.diff_ids[0:$original_layers]" <<<"$config")"
    assert_eq "$description: manifest keeps the old layers first" \
        "$original_layer_descriptors" \
        "$(jq -cS ".layers[0:$original_layers]" <<<"$manifest")"
    assert_eq "$description: manifest annotations unchanged" \
        "$original_manifest_annotations" \
        "$(jq -cS .annotations <<<"$manifest")"
    assert_eq "$description: history gains one entry" \
        $((original_history + 1)) "$(jq '.history | length' <<<"$config")"
}

# The input layout: "app" with a label, an environment variable and a
# manifest annotation, a second image "other", and an index annotation.
input=$WORK/input
copy_default_image "$input"
umoci config --image "$input:app" --no-history \
    --config.env GREETING=hello \
    --config.label org.example.label=kept \
    --manifest.annotation org.example.note=kept ||
    fatal "umoci config failed"
umoci config --image "$input:app" --tag other --no-history \
    --config.env OTHER=1 ||
    fatal "umoci config --tag other failed"
jq -c '.annotations = {"org.example.index-note": "kept"}' \
    "$input/index.json" >"$WORK/index.json" &&
    mv "$WORK/index.json" "$input/index.json" ||
    fatal "cannot add an index annotation"
umoci gc --layout "$input"
assert_valid_layout "input" "$input"

original_app=$(ref_digest "$input" app)
original_other_entry=$(index_entry "$input" other)
original_layers=$(layer_count "$input" app)
original_runtime_config=$(config_json "$input" app | jq -cS .config)
original_platform=$(config_json "$input" app | jq -c '[.architecture, .os]')
original_diff_ids=$(config_json "$input" app | jq -c .rootfs.diff_ids)
original_history=$(config_json "$input" app | jq '.history | length')
original_layer_descriptors=$(manifest_json "$input" app | jq -cS .layers)
original_manifest_annotations=$(manifest_json "$input" app |
    jq -cS .annotations)
assert_contains "input manifest has the annotation" \
    org.example.note "$original_manifest_annotations"

cp -r "$input" "$WORK/pristine"
pristine=$WORK/pristine
input_fingerprint=$(tree_fingerprint "$input")

# ---------------------------------------------------------------------
echo "# --output to a new directory"

output=$WORK/output
if expect_success "set --output new dir" set --output "oci:$output" \
    "oci:$input:app" cap_ipc_lock+eip /usr/bin/capcheck; then
    assert_eq "--output prints the digest that app has in the output" \
        "$(ref_digest "$output" app)" "$(set_output_digest)"
fi
assert_eq "--output leaves the input unchanged" \
    "$input_fingerprint" "$(tree_fingerprint "$input")"
check_capped_image "--output new dir" "$output" app
expect_success "get on the input after --output" \
    get "oci:$input:app" /usr/bin/capcheck
assert_eq "input image still has no caps" "" "$OCICAP_STDOUT"

# ---------------------------------------------------------------------
echo "# --output to an existing empty directory"

empty_output=$WORK/empty-output
make_dir "$empty_output"
expect_success "set --output empty dir" \
    set --output "oci:$empty_output:app" \
    "oci:$input:app" cap_ipc_lock+eip /usr/bin/capcheck
check_capped_image "--output empty dir" "$empty_output" app
assert_eq "--output empty dir leaves the input unchanged" \
    "$input_fingerprint" "$(tree_fingerprint "$input")"

# ---------------------------------------------------------------------
echo "# --output with a ref of its own"

tagged_output=$WORK/tagged-output
if expect_success "set --output with ref" set \
    --output "oci:$tagged_output:capped" \
    "oci:$input:app" cap_ipc_lock+eip /usr/bin/capcheck; then
    assert_eq "--output with ref: capped has the printed digest" \
        "$(ref_digest "$tagged_output" capped)" "$(set_output_digest)"
fi
check_capped_image "--output with ref" "$tagged_output" capped
assert_eq "--output with ref leaves the input unchanged" \
    "$input_fingerprint" "$(tree_fingerprint "$input")"

# ---------------------------------------------------------------------
echo "# --tag in place"

tag_layout=$WORK/tag-in-place
cp -r "$pristine" "$tag_layout"
if expect_success "set --tag" set --tag capped \
    "oci:$tag_layout:app" cap_ipc_lock+eip /usr/bin/capcheck; then
    assert_eq "--tag: capped has the printed digest" \
        "$(ref_digest "$tag_layout" capped)" "$(set_output_digest)"
fi
assert_eq "--tag leaves app on the old manifest" \
    "$original_app" "$(ref_digest "$tag_layout" app)"
assert_eq "--tag leaves other unchanged" \
    "$original_other_entry" "$(index_entry "$tag_layout" other)"
assert_eq "--tag adds one index entry" 3 \
    "$(jq '.manifests | length' "$tag_layout/index.json")"
check_capped_image "--tag" "$tag_layout" capped
expect_success "get app after --tag" get "oci:$tag_layout:app" /usr/bin/capcheck
assert_eq "app still has no caps after --tag" "" "$OCICAP_STDOUT"
assert_eq "app still has its layers after --tag" \
    "$original_layers" "$(skopeo_layer_count "$tag_layout" app)"
assert_eq "--tag keeps the index annotation" \
    '{"org.example.index-note":"kept"}' \
    "$(jq -cS .annotations "$tag_layout/index.json")"

# ---------------------------------------------------------------------
echo "# in place"

in_place=$WORK/in-place
cp -r "$pristine" "$in_place"
if expect_success "set in place" \
    set "oci:$in_place:app" cap_ipc_lock+eip /usr/bin/capcheck; then
    assert_eq "in place: app points at the printed digest" \
        "$(ref_digest "$in_place" app)" "$(set_output_digest)"
fi
assert_ne "in place: app moved" "$original_app" "$(ref_digest "$in_place" app)"
assert_eq "in place: one app entry" 1 "$(ref_entry_count "$in_place" app)"
assert_eq "in place: other unchanged" \
    "$original_other_entry" "$(index_entry "$in_place" other)"
assert_eq "in place: two index entries" 2 \
    "$(jq '.manifests | length' "$in_place/index.json")"
assert_eq "in place: index annotation kept" \
    '{"org.example.index-note":"kept"}' \
    "$(jq -cS .annotations "$in_place/index.json")"
check_capped_image "in place" "$in_place" app

# ---------------------------------------------------------------------
echo "# in place without REF on a layout with one image"

single=$WORK/single
copy_default_image "$single"
single_app=$(ref_digest "$single" app)
expect_success "set without REF" \
    set "oci:$single" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "without REF: still one index entry" 1 \
    "$(jq '.manifests | length' "$single/index.json")"
assert_ne "without REF: app moved to the new manifest" \
    "$single_app" "$(ref_digest "$single" app)"
expect_success "get without REF" get "oci:$single" /usr/bin/capcheck
assert_eq "get without REF shows the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"
assert_valid_layout "without REF" "$single"

# ---------------------------------------------------------------------
echo "# --tag naming a ref that exists"

# Moving the ref or rejecting the request are both acceptable. Two index
# entries with one ref are not, because the ref would become ambiguous.
retag=$WORK/retag
cp -r "$pristine" "$retag"
retag_before=$(tree_fingerprint "$retag")
run_ocicap set --tag other "oci:$retag:app" cap_ipc_lock+eip /usr/bin/capcheck
if [[ $OCICAP_STATUS -eq 0 ]]; then
    pass "--tag other moves the existing ref"
    assert_eq "--tag other: one entry for other" 1 \
        "$(ref_entry_count "$retag" other)"
    assert_eq "--tag other: other has the printed digest" \
        "$(set_output_digest)" "$(ref_digest "$retag" other)"
    assert_eq "--tag other: app unchanged" \
        "$original_app" "$(ref_digest "$retag" app)"
    assert_valid_layout "--tag other" "$retag"
else
    check_error_result "--tag other rejected" other
    assert_eq "--tag other rejected: layout unchanged" \
        "$retag_before" "$(tree_fingerprint "$retag")"
fi

# ---------------------------------------------------------------------
echo "# invalid --tag values"

# An empty --tag would otherwise mean no --tag and change the input in
# place. The others fail the oci:DIR:REF grammar. Each is a usage error
# that names the value, quoted on one line, and leaves the layout as it is.
bad_tag_layout=$WORK/bad-tag
cp -r "$pristine" "$bad_tag_layout"
bad_tag_before=$(tree_fingerprint "$bad_tag_layout")
for bad_tag in '' 'bad tag' $'a\nb' '../../etc'; do
    run_ocicap set --tag "$bad_tag" "oci:$bad_tag_layout:app" \
        cap_ipc_lock+eip /usr/bin/capcheck
    check_error_result "--tag $(printf '%q' "$bad_tag")" \
        "\"${bad_tag//$'\n'/\\n}\"" 2
done
assert_eq "invalid --tag values leave the layout unchanged" \
    "$bad_tag_before" "$(tree_fingerprint "$bad_tag_layout")"

e2e_finish
