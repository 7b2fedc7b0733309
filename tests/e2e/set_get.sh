#!/bin/bash
# ocicap set and get on files in lower and top layers, checked against
# real consumers: umoci unpack with getcap, running the unpacked program
# as uid 65534, skopeo copy and skopeo inspect.
#
# The image is the default image (capcheck in layer 2) plus a third layer
# with /usr/local/bin/topcheck, a copy of capcheck with different bytes.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
require_file_caps_on_exec

image=$WORK/image
copy_default_image "$image"
top_root=$WORK/top-layer
install_capcheck "$top_root/usr/local/bin/topcheck"
printf 'topcheck' >>"$top_root/usr/local/bin/topcheck"
add_layer "$image:app" "$top_root"

# Keep pristine copies for the cases that need an unchanged image.
cp -r "$image" "$WORK/pristine"
pristine=$WORK/pristine

original_digest=$(ref_digest "$image" app)
original_layers=$(layer_count "$image" app)
original_bundle=$(unpack_image "$image" app) ||
    fatal "umoci unpack of the test image failed"
original_listing=$(rootfs_listing "$original_bundle/rootfs")
capcheck_sha=$(file_sha256 "$original_bundle/rootfs/usr/bin/capcheck")
topcheck_sha=$(file_sha256 "$original_bundle/rootfs/usr/local/bin/topcheck")

assert_eq "capcheck without caps has empty CapEff" "$CAPEFF_NONE" \
    "$(exec_capeff "$original_bundle/rootfs/usr/bin/capcheck")"

# ---------------------------------------------------------------------
echo "# set on a file in a lower layer"

if expect_success "set lower-layer file" \
    set "oci:$image:app" cap_ipc_lock+eip /usr/bin/capcheck; then
    new_digest=$(set_output_digest)
    assert_eq "set prints path and caps" \
        "/usr/bin/capcheck cap_ipc_lock=eip" "$(set_output_files)"
    assert_eq "set prints the digest that app now points at" \
        "$(ref_digest "$image" app)" "$new_digest"
    assert_ne "app points at a new manifest" "$original_digest" "$new_digest"
fi

assert_valid_layout "lower-layer set" "$image"
assert_eq "lower-layer set adds one layer to the manifest" \
    $((original_layers + 1)) "$(layer_count "$image" app)"
assert_eq "skopeo inspect shows one more layer" \
    $((original_layers + 1)) "$(skopeo_layer_count "$image" app)"
assert_skopeo_copy "lower-layer set" "$image" app

assert_eq "new layer holds only capcheck, same mode, owner and bytes" \
    "/usr/bin/capcheck file 0o755 0 0 $capcheck_sha" \
    "$(top_layer_files "$image" app)"
assert_eq "new layer entry carries the capability xattr" \
    "e=1 p=0000000000004000 i=0000000000004000 rootid=0" \
    "$(top_layer_caps "$image" app /usr/bin/capcheck)"

if expect_success "get lower-layer file" \
    get "oci:$image:app" /usr/bin/capcheck; then
    assert_eq "get prints the caps in getcap format" \
        "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"
fi

assert_eq "umoci unpack and getcap show the same caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$(unpacked_getcap "$image" app)"

bundle=$(unpack_image "$image" app)
assert_eq "unpacked tree differs only in capabilities" \
    "$original_listing" "$(rootfs_listing "$bundle/rootfs")"
assert_eq "capcheck run as uid 65534 has CAP_IPC_LOCK effective" \
    "$CAPEFF_IPC_LOCK" "$(exec_capeff "$bundle/rootfs/usr/bin/capcheck")"
assert_command "capcheck --need ipc_lock succeeds as uid 65534" \
    setpriv --reuid 65534 --regid 65534 --clear-groups \
    "$bundle/rootfs/usr/bin/capcheck" --need ipc_lock
assert_eq "topcheck run as uid 65534 still has no caps" \
    "$CAPEFF_NONE" "$(exec_capeff "$bundle/rootfs/usr/local/bin/topcheck")"

# ---------------------------------------------------------------------
echo "# set on a file in the top layer of the original image"

expect_success "set top-layer file" \
    set "oci:$image:app" cap_net_raw+ep /usr/local/bin/topcheck
assert_eq "set prints path and caps" \
    "/usr/local/bin/topcheck cap_net_raw=ep" "$(set_output_files)"
assert_valid_layout "top-layer set" "$image"
assert_eq "second set adds a second layer" \
    $((original_layers + 2)) "$(skopeo_layer_count "$image" app)"
assert_eq "new layer holds only topcheck, same mode, owner and bytes" \
    "/usr/local/bin/topcheck file 0o755 0 0 $topcheck_sha" \
    "$(top_layer_files "$image" app)"

expected_all="/usr/bin/capcheck cap_ipc_lock=eip
/usr/local/bin/topcheck cap_net_raw=ep"
if expect_success "get with no path" get "oci:$image:app"; then
    assert_eq "get lists caps from both ocicap layers" \
        "$expected_all" "$(sort <<<"$OCICAP_STDOUT")"
fi
assert_eq "umoci unpack and getcap list the same files" \
    "$expected_all" "$(unpacked_getcap "$image" app)"

bundle=$(unpack_image "$image" app)
assert_eq "topcheck run as uid 65534 has CAP_NET_RAW effective" \
    "$CAPEFF_NET_RAW" "$(exec_capeff "$bundle/rootfs/usr/local/bin/topcheck")"
assert_eq "capcheck keeps CAP_IPC_LOCK from the earlier layer" \
    "$CAPEFF_IPC_LOCK" "$(exec_capeff "$bundle/rootfs/usr/bin/capcheck")"
assert_skopeo_copy "top-layer set" "$image" app

# ---------------------------------------------------------------------
echo "# set replaces caps that an earlier ocicap layer added"

expect_success "set new caps on capcheck" \
    set "oci:$image:app" cap_net_raw+p /usr/bin/capcheck
expect_success "get capcheck after replacing caps" \
    get "oci:$image:app" /usr/bin/capcheck
assert_eq "get shows only the new caps, like setcap" \
    "/usr/bin/capcheck cap_net_raw=p" "$OCICAP_STDOUT"
assert_eq "getcap on the unpacked image agrees" \
    "/usr/bin/capcheck cap_net_raw=p
/usr/local/bin/topcheck cap_net_raw=ep" "$(unpacked_getcap "$image" app)"

# ---------------------------------------------------------------------
echo "# get on a file without capabilities"

if expect_success "get file without caps" get "oci:$image:app" /etc/passwd; then
    assert_eq "get prints nothing, like getcap" "" "$OCICAP_STDOUT"
fi

# ---------------------------------------------------------------------
echo "# several paths in one set, spelled three ways"

several=$WORK/several
cp -r "$pristine" "$several"
caps=cap_net_raw,cap_net_admin=ep
expected_several="/etc/passwd cap_net_admin,cap_net_raw=ep
/usr/bin/capcheck cap_net_admin,cap_net_raw=ep
/usr/local/bin/topcheck cap_net_admin,cap_net_raw=ep"

expect_success "set on three paths" set "oci:$several:app" "$caps" \
    /usr/bin/capcheck usr/local/bin/topcheck ./etc/passwd
assert_eq "set prints one absolute path per file" \
    "$expected_several" "$(set_output_files | sort)"
assert_valid_layout "set on three paths" "$several"
assert_eq "three paths go into one new layer" \
    $((original_layers + 1)) "$(skopeo_layer_count "$several" app)"
assert_eq "new layer holds the three files" 3 \
    "$(top_layer_files "$several" app | wc -l)"

for spelling in /usr/bin/capcheck usr/bin/capcheck ./usr/bin/capcheck; do
    expect_success "get $spelling" get "oci:$several:app" "$spelling"
    assert_eq "get $spelling prints the absolute path" \
        "/usr/bin/capcheck cap_net_admin,cap_net_raw=ep" "$OCICAP_STDOUT"
done
assert_eq "getcap on the unpacked image agrees" \
    "$expected_several" "$(unpacked_getcap "$several" app)"
assert_skopeo_copy "set on three paths" "$several" app

# ---------------------------------------------------------------------
echo "# one file named three ways in one set"

same_file=$WORK/same-file
cp -r "$pristine" "$same_file"
run_ocicap set "oci:$same_file:app" cap_ipc_lock+eip \
    /usr/bin/capcheck usr/bin/capcheck ./usr/bin/capcheck
if [[ $OCICAP_STATUS -eq 0 ]]; then
    pass "set accepts one file named three ways"
    assert_eq "new layer holds the file once" \
        "/usr/bin/capcheck file 0o755 0 0 $capcheck_sha" \
        "$(top_layer_files "$same_file" app)"
    assert_valid_layout "one file named three ways" "$same_file"
else
    # Rejecting the duplicate is also acceptable, as a plain error.
    check_error_result "set rejects one file named three ways" \
        usr/bin/capcheck
fi

# ---------------------------------------------------------------------
echo "# paths with .. components"

# ".." must never reach the tar entry name: a consumer that extracts it
# would write outside the rootfs. Resolving inside the image or rejecting
# the path are both acceptable.
for spelling in /usr/bin/../bin/capcheck ../../usr/bin/capcheck; do
    dotdot=$(mktemp -d -p "$WORK" dotdot.XXXXXX)
    rmdir "$dotdot"
    cp -r "$pristine" "$dotdot"
    run_ocicap set "oci:$dotdot:app" cap_ipc_lock+eip "$spelling"
    if [[ $OCICAP_STATUS -eq 0 ]]; then
        assert_eq "set $spelling writes /usr/bin/capcheck" \
            "/usr/bin/capcheck file 0o755 0 0 $capcheck_sha" \
            "$(top_layer_files "$dotdot" app)"
        assert_not_contains "set $spelling writes no .. entry" \
            ".." "$(top_layer_entries "$dotdot" app | cut -d ' ' -f 1)"
    else
        check_error_result "set $spelling rejected" "$spelling"
    fi
done

e2e_finish
