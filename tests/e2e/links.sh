#!/bin/bash
# ocicap set and get on hard links and below symlinked directories.
#
# GNU tar stores the second name of a hard-linked file as a link entry
# with no data and no xattrs of its own, so ocicap must take both from
# the first entry, and give every name the capability, which belongs to
# the inode (hardlinks.sh tests that in depth). A file reached through a
# symlinked parent directory
# (/bin -> usr/bin, as in Debian) may be resolved or rejected, but the
# symlink must survive: a layer entry "bin/x" would turn /bin into a
# real directory for some extractors.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
require_file_caps_on_exec

image=$WORK/image
copy_default_image "$image"
links_root=$WORK/links
install_capcheck "$links_root/usr/bin/hard-a"
printf 'hard-a' >>"$links_root/usr/bin/hard-a"
ln "$links_root/usr/bin/hard-a" "$links_root/usr/bin/hard-b"
install_capcheck "$links_root/usr/bin/capped-c"
printf 'capped-c' >>"$links_root/usr/bin/capped-c"
setcap cap_net_raw+ep "$links_root/usr/bin/capped-c"
ln "$links_root/usr/bin/capped-c" "$links_root/usr/bin/capped-d"
ln -s usr/bin "$links_root/bin"
install_capcheck "$links_root/opt/app/v1/tool"
ln -s /opt/app/v1 "$links_root/opt/app/current"
add_layer "$image:app" "$links_root"
assert_valid_layout "test image" "$image"
cp -r "$image" "$WORK/pristine"
pristine=$WORK/pristine

assert_contains "test layer stores hard-b as a hard link" \
    "usr/bin/hard-b hardlink" "$(top_layer_entries "$image" app)"
hard_sha=$(file_sha256 "$links_root/usr/bin/hard-a")

# ---------------------------------------------------------------------
echo "# caps on a hard-linked pair in a lower layer"

expected_lower="/usr/bin/capped-c cap_net_raw=ep
/usr/bin/capped-d cap_net_raw=ep"
assert_eq "getcap on unpacked image lists both names" \
    "$expected_lower" "$(unpacked_getcap "$image" app)"
expect_success "get -r with hard-linked caps" get -r "oci:$image:app"
assert_eq "get -r lists both names of a hard-linked file" \
    "$expected_lower" "$(sort <<<"$OCICAP_STDOUT")"
expect_success "get the link name" get "oci:$image:app" /usr/bin/capped-d
assert_eq "get on the link name shows the caps" \
    "/usr/bin/capped-d cap_net_raw=ep" "$OCICAP_STDOUT"

# ---------------------------------------------------------------------
echo "# set on the link name of a hard-linked pair"

link_name=$WORK/link-name
cp -r "$pristine" "$link_name"
expect_success "set on hard link entry" \
    set "oci:$link_name:app" cap_ipc_lock+eip /usr/bin/hard-b
assert_valid_layout "set on hard link entry" "$link_name"
assert_eq "new layer holds hard-b with hard-a's bytes, and hard-a as a link" \
    "/usr/bin/hard-a hardlink 0o755 0 0 -
/usr/bin/hard-b file 0o755 0 0 $hard_sha" \
    "$(top_layer_files "$link_name" app)"
expected_link_name=$(unpacked_getcap "$link_name" app)
assert_contains "getcap on unpacked image shows hard-b" \
    "/usr/bin/hard-b cap_ipc_lock=eip" "$expected_link_name"
expect_success "get -r after set on hard-b" get -r "oci:$link_name:app"
assert_eq "get -r after set on hard-b matches getcap" \
    "$expected_link_name" "$(sort <<<"$OCICAP_STDOUT")"
bundle=$(unpack_image "$link_name" app)
assert_eq "hard-b run as uid 65534 has CAP_IPC_LOCK" \
    "$CAPEFF_IPC_LOCK" "$(exec_capeff "$bundle/rootfs/usr/bin/hard-b")"

# ---------------------------------------------------------------------
echo "# set on the first name of a hard-linked pair"

# The new layer writes hard-a and hard-b as a link to it, so the two
# names stay one inode and both have the caps.
first_name=$WORK/first-name
cp -r "$pristine" "$first_name"
expect_success "set on hard link target" \
    set "oci:$first_name:app" cap_ipc_lock+eip /usr/bin/hard-a
expected_first_name=$(unpacked_getcap "$first_name" app)
assert_contains "getcap on unpacked image: hard-b has the caps" \
    "/usr/bin/hard-b cap_ipc_lock=eip" "$expected_first_name"
expect_success "get hard-b after set on hard-a" \
    get "oci:$first_name:app" /usr/bin/hard-b
assert_eq "get hard-b after set on hard-a shows the caps, like getcap" \
    "/usr/bin/hard-b cap_ipc_lock=eip" "$OCICAP_STDOUT"
expect_success "get -r after set on hard-a" get -r "oci:$first_name:app"
assert_eq "get -r after set on hard-a matches getcap" \
    "$expected_first_name" "$(sort <<<"$OCICAP_STDOUT")"

# ---------------------------------------------------------------------
echo "# paths below symlinked directories"

# Each spelling and the path it resolves to inside the image.
for pair in /bin/capcheck:/usr/bin/capcheck \
    /opt/app/current/tool:/opt/app/v1/tool; do
    spelling=${pair%%:*}
    resolved=${pair#*:}
    target=$(mktemp -d -u -p "$WORK" symlink-parent.XXXXXX)
    cp -r "$pristine" "$target"
    run_ocicap set "oci:$target:app" cap_ipc_lock+eip "$spelling"
    if [[ $OCICAP_STATUS -ne 0 ]]; then
        check_error_result "set $spelling rejected" "$spelling"
        continue
    fi
    pass "set $spelling resolved the symlinked parent"
    assert_valid_layout "set $spelling" "$target"
    bundle=$(unpack_image "$target" app)
    assert_command "set $spelling keeps /bin a symlink" \
        test -L "$bundle/rootfs/bin"
    assert_command "set $spelling keeps /opt/app/current a symlink" \
        test -L "$bundle/rootfs/opt/app/current"
    assert_eq "set $spelling: getcap on unpacked image" \
        "$resolved cap_ipc_lock=eip" "$(unpacked_getcap "$target" app)"
done

# ---------------------------------------------------------------------
echo "# a layer's file below a lower layer's symbolic link"

# Layer 0 has the directory /c and the link /a -> c. Layer 1 has the entry
# a/new but no entry for a, so a runtime resolves a through the link.
# The new layer must imply a the same way: a directory entry for a would
# replace the link and hide /c's files under /a.
linked=$WORK/linked-parent
new_layout "$linked" app
linked_lower=$WORK/linked-lower
make_dir "$linked_lower/c"
printf 'x\n' >"$linked_lower/c/x"
ln -s c "$linked_lower/a"
add_layer "$linked:app" "$linked_lower"
linked_upper=$WORK/linked-upper
make_dir "$linked_upper/a"
printf 'new\n' >"$linked_upper/a/new"
add_ordered_layer "$linked:app" "$linked_upper" a/new
bundle=$(unpack_image "$linked" app) || fatal "umoci unpack failed"
listing_before=$(rootfs_listing "$bundle/rootfs")
if expect_success "set below a lower link" \
    set "oci:$linked:app" cap_net_raw+ep /a/new; then
    assert_eq "set below a lower link: no entry for the link's path" "" \
        "$(top_layer_entries "$linked" app | awk '$1 ~ /^(\.\/)?a\/?$/')"
    bundle=$(unpack_image "$linked" app) || fatal "umoci unpack failed"
    assert_command "set below a lower link: /a is still a link" \
        test -L "$bundle/rootfs/a"
    assert_eq "set below a lower link: the unpacked tree is unchanged" \
        "$listing_before" "$(rootfs_listing "$bundle/rootfs")"
    assert_contains "set below a lower link: getcap sees the capability" \
        "cap_net_raw=ep" "$(unpacked_getcap "$linked" app)"
fi

e2e_finish
