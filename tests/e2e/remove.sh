#!/bin/bash
# ocicap rm and set -r remove a file's capabilities in a new layer, as
# setcap -r does. A file without capabilities is reported and left alone.
# ocicap set on a file that has capabilities replaces them, as setcap
# does. Each result is checked with umoci + getcap and an exec as uid
# 65534.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/caps_lib.sh"
e2e_init "$@"
require_file_caps_on_exec

image=$WORK/image
copy_default_image "$image"
lower=$WORK/lower
install_tagged_capcheck "$lower/usr/bin/raw" raw
install_tagged_capcheck "$lower/usr/bin/lock" lock
install_tagged_capcheck "$lower/usr/bin/plain" plain
setcap cap_net_raw+ep "$lower/usr/bin/raw"
setcap cap_ipc_lock+eip "$lower/usr/bin/lock"
add_layer "$image:app" "$lower"
assert_valid_layout "test image" "$image"
cp -r "$image" "$WORK/pristine"
pristine=$WORK/pristine
layers=$(layer_count "$pristine" app)

# ---------------------------------------------------------------------
echo "# rm and set -r remove the attribute"

for form in rm set-r; do
    target=$WORK/$form
    cp -r "$pristine" "$target"
    if [[ $form == rm ]]; then
        expect_success "rm" rm "oci:$target:app" /usr/bin/raw /usr/bin/lock
    else
        expect_success "set -r" set -r "oci:$target:app" /usr/bin/raw \
            /usr/bin/lock
    fi
    assert_eq "$form: one line per file" \
        "/usr/bin/lock removed
/usr/bin/raw removed" "$(set_output_files)"
    assert_eq "$form: no runtime advice for removals" "" "$OCICAP_STDERR"
    assert_valid_layout "$form" "$target"
    assert_eq "$form adds one layer" "$((layers + 1))" \
        "$(layer_count "$target" app)"
    assert_eq "$form: new layer carries the files without the attribute" \
        "none none" "$(top_layer_caps "$target" app /usr/bin/raw) $(
            top_layer_caps "$target" app /usr/bin/lock)"
    assert_eq "$form: getcap shows no caps" "" \
        "$(unpacked_getcap "$target" app)"
    expect_success "$form: get" get -r "oci:$target:app"
    assert_eq "$form: get -r shows no caps" "" "$OCICAP_STDOUT"
    bundle=$(unpack_image "$target" app)
    assert_eq "$form: lock runs without CAP_IPC_LOCK" "$CAPEFF_NONE" \
        "$(exec_capeff "$bundle/rootfs/usr/bin/lock")"
    assert_eq "$form keeps the content" \
        "$(file_sha256 "$lower/usr/bin/raw")" \
        "$(file_sha256 "$bundle/rootfs/usr/bin/raw")"
done

# ---------------------------------------------------------------------
echo "# a file without capabilities is reported and left alone"

before=$(tree_fingerprint "$pristine")
expect_success "rm on a file without caps" \
    rm "oci:$pristine:app" /usr/bin/plain
assert_eq "rm without caps prints the unchanged digest" \
    "$(ref_digest "$pristine" app)" "$OCICAP_STDOUT"
assert_contains "rm without caps warns" \
    "ocicap: warning: /usr/bin/plain in oci:$pristine:app has no capabilities; left unchanged" \
    "$OCICAP_STDERR"
assert_eq "rm without caps writes nothing" "$before" \
    "$(tree_fingerprint "$pristine")"

mixed=$WORK/mixed
cp -r "$pristine" "$mixed"
expect_success "rm on one file with and one without caps" \
    rm "oci:$mixed:app" /usr/bin/plain /usr/bin/raw
assert_eq "only the file with caps is changed" "/usr/bin/raw removed" \
    "$(set_output_files)"
assert_contains "the other is reported" "/usr/bin/plain in oci:$mixed:app" \
    "$OCICAP_STDERR"
assert_eq "new layer holds only raw" "/usr/bin/raw" \
    "$(top_layer_files "$mixed" app | cut -d ' ' -f 1)"

expect_usage_error "set -r with --rootid" set -r --rootid 5 \
    "oci:$pristine:app" /usr/bin/raw
expect_usage_error "rm without a path" rm "oci:$pristine:app"

# ---------------------------------------------------------------------
echo "# set replaces existing capabilities"

replaced=$WORK/replaced
cp -r "$pristine" "$replaced"
expect_success "set on a file with caps" \
    set "oci:$replaced:app" cap_ipc_lock+eip /usr/bin/raw
expect_success "get after replacing" get "oci:$replaced:app" /usr/bin/raw
assert_eq "get shows the new set" "/usr/bin/raw cap_ipc_lock=eip" \
    "$OCICAP_STDOUT"
assert_eq "getcap shows the new set only" \
    "/usr/bin/lock cap_ipc_lock=eip
/usr/bin/raw cap_ipc_lock=eip" "$(unpacked_getcap "$replaced" app)"
bundle=$(unpack_image "$replaced" app)
assert_eq "raw now runs with CAP_IPC_LOCK and without CAP_NET_RAW" \
    "$CAPEFF_IPC_LOCK" "$(exec_capeff "$bundle/rootfs/usr/bin/raw")"

e2e_finish
