#!/bin/bash
# ocicap get with no PATH and with -r lists every file with capabilities,
# whichever tool wrote them: GNU tar --xattrs from files set with setcap
# on the host, umoci repack of an unpacked rootfs, or ocicap itself. The
# list must match getcap -r on the image that umoci unpacks.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

image=$WORK/image
new_layout "$image" app

# Layer 1, from GNU tar: entries named "./usr/bin/...".
tar_root=$WORK/tar-layer
install_capcheck "$tar_root/usr/bin/pinger"
install_capcheck "$tar_root/usr/sbin/clockd"
install_capcheck "$tar_root/usr/lib/helper/bind"
install_capcheck "$tar_root/usr/bin/several"
install_capcheck "$tar_root/opt/plain"
install_capcheck "$tar_root/opt/recapped"
setcap cap_net_raw+ep "$tar_root/usr/bin/pinger"
setcap cap_sys_time+ep "$tar_root/usr/sbin/clockd"
setcap cap_net_bind_service+eip "$tar_root/usr/lib/helper/bind"
setcap 'cap_chown,cap_fowner=p cap_kill+i' "$tar_root/usr/bin/several"
setcap cap_chown+ep "$tar_root/opt/recapped"
add_layer "$image:app" "$tar_root"

# libcap chooses how to print a mixed set, so take its text from getcap.
several_caps=$(getcap "$tar_root/usr/bin/several" | cut -d ' ' -f 2-)

# Layer 2, from umoci repack: entries named "usr/bin/..." without "./".
bundle=$(unpack_image "$image" app) ||
    fatal "umoci unpack of the test image failed"
install_capcheck "$bundle/rootfs/usr/local/bin/admin"
setcap cap_sys_admin+ep "$bundle/rootfs/usr/local/bin/admin"
setcap cap_fowner+ep "$bundle/rootfs/opt/recapped"
umoci repack --image "$image:app" --history.created "$TEST_CREATED" \
    "$bundle" >/dev/null ||
    fatal "umoci repack failed"
assert_valid_layout "test image" "$image"

expected_before=$(sort <<EOF
/usr/bin/pinger cap_net_raw=ep
/usr/sbin/clockd cap_sys_time=ep
/usr/lib/helper/bind cap_net_bind_service=eip
/usr/bin/several $several_caps
/opt/recapped cap_fowner=ep
/usr/local/bin/admin cap_sys_admin=ep
EOF
)

# ---------------------------------------------------------------------
echo "# get lists caps from tar and umoci layers"

assert_eq "test image: getcap on unpacked image" \
    "$expected_before" "$(unpacked_getcap "$image" app)"

if expect_success "get with no path" get "oci:$image:app"; then
    assert_eq "get with no path lists every file with caps" \
        "$expected_before" "$(sort <<<"$OCICAP_STDOUT")"
fi
if expect_success "get -r" get -r "oci:$image:app"; then
    assert_eq "get -r lists every file with caps" \
        "$expected_before" "$(sort <<<"$OCICAP_STDOUT")"
fi

expect_success "get several paths" get "oci:$image:app" \
    /usr/bin/several /opt/plain usr/local/bin/admin
assert_eq "get several paths prints those with caps" \
    "/usr/bin/several $several_caps
/usr/local/bin/admin cap_sys_admin=ep" "$(sort <<<"$OCICAP_STDOUT")"

# ---------------------------------------------------------------------
echo "# get after ocicap adds and replaces caps"

expect_success "set on file without caps" \
    set "oci:$image:app" cap_ipc_lock+eip /opt/plain
expect_success "set on file with caps from umoci" \
    set "oci:$image:app" cap_net_admin+ep /usr/local/bin/admin
expect_success "set on file with caps from tar" \
    set "oci:$image:app" cap_net_raw+p /usr/bin/pinger
assert_valid_layout "after three sets" "$image"

expected_after=$(sort <<EOF
/usr/bin/pinger cap_net_raw=p
/usr/sbin/clockd cap_sys_time=ep
/usr/lib/helper/bind cap_net_bind_service=eip
/usr/bin/several $several_caps
/opt/recapped cap_fowner=ep
/usr/local/bin/admin cap_net_admin=ep
/opt/plain cap_ipc_lock=eip
EOF
)
assert_eq "after three sets: getcap on unpacked image" \
    "$expected_after" "$(unpacked_getcap "$image" app)"
if expect_success "get -r after three sets" get -r "oci:$image:app"; then
    assert_eq "get -r after three sets" \
        "$expected_after" "$(sort <<<"$OCICAP_STDOUT")"
fi
if expect_success "get after three sets" get "oci:$image:app"; then
    assert_eq "get after three sets" \
        "$expected_after" "$(sort <<<"$OCICAP_STDOUT")"
fi

# ---------------------------------------------------------------------
echo "# get on a revision 3 (namespaced) capability xattr"

# setcap -n 1000 writes revision 3 with root ID 1000. getcap without -n
# prints it like a revision 2 value; get prints the root ID as getcap -n
# does, and must match it.
v3_image=$WORK/v3-image
new_layout "$v3_image" app
v3_root=$WORK/v3-layer
install_capcheck "$v3_root/usr/bin/nsping"
if setcap -n 1000 cap_net_raw+ep "$v3_root/usr/bin/nsping"; then
    add_layer "$v3_image:app" "$v3_root"
    expected_v3=$(unpacked_getcap "$v3_image" app)
    assert_eq "getcap prints the revision 3 value" \
        "/usr/bin/nsping cap_net_raw=ep" "$expected_v3"
    bundle=$(unpack_image "$v3_image" app)
    expected_v3=$(cd "$bundle/rootfs" && getcap -n -r . | sed 's#^\./#/#')
    assert_eq "getcap -n prints the root ID" \
        "/usr/bin/nsping cap_net_raw=ep [rootid=1000]" "$expected_v3"
    expect_success "get revision 3 xattr" get -r "oci:$v3_image:app"
    assert_eq "get prints a revision 3 value like getcap -n" \
        "$expected_v3" "$OCICAP_STDOUT"
else
    echo "# setcap -n is not supported here, revision 3 case not run"
fi

# ---------------------------------------------------------------------
echo "# --verbose prints a line per layer and a total"

# Layers are read several at once, so the total is the wall-clock span of
# the reads, which is at most the sum of the per-layer times.
if expect_success "get -v" get -v "oci:$image:app"; then
    assert_eq "get -v prints the same matches" "$expected_after" \
        "$(sort <<<"$OCICAP_STDOUT")"
    count=$(layer_count "$image" app)
    expected_lines=$(manifest_json "$image" app | jq -r --arg count "$count" \
        '.layers | to_entries[]
         | "\(.key + 1)/\($count) \(.value.digest): \(.value.size) bytes"')
    actual_lines=$(grep -E '^ocicap: read layer ' <<<"$OCICAP_STDERR" |
        sed -E 's/^ocicap: read layer //; s/ in [0-9.]+ s$//')
    assert_eq "get -v names every layer with its size, bottom first" \
        "$expected_lines" "$actual_lines"
    total_bytes=$(manifest_json "$image" app | jq '[.layers[].size] | add')
    summary=$(grep -E '^ocicap: read [0-9]+ layers: ' <<<"$OCICAP_STDERR")
    assert_contains "get -v totals the layers and bytes" \
        "read $count layers: $total_bytes bytes in " "$summary"
    sum_of_layers=$(grep -oE ' in [0-9.]+ s$' <<<"$OCICAP_STDERR" |
        awk '{ sum += $2 } END { printf "%.3f", sum }')
    total_seconds=$(grep -oE 'bytes in [0-9.]+ s' <<<"$summary" |
        awk '{ print $3 }')
    assert_command "get -v total is at most the sum of the layer times" \
        awk -v total="$total_seconds" -v sum="$sum_of_layers" \
        'BEGIN { exit !(total > 0 && total <= sum + 0.002) }'
fi

# ---------------------------------------------------------------------
echo "# on a terminal, output starts on a clean line after the progress"

# script(1) gives ocicap a pseudo-terminal, so the progress line is drawn.
# Every drawn line ("... of N MiB") must be erased ("\r\033[K") before
# the next output, or that output lands on it.
if command -v script >/dev/null; then
    for command in "get -r" explain; do
        typescript=$(script -qc "$OCICAP $command oci:$image:app" /dev/null)
        assert_contains "$command on a terminal draws the progress" \
            "MiB" "$typescript"
        left_on_line=$(grep -aoP 'MiB(?!\r\e\[K)' <<<"$typescript")
        assert_eq "$command erases the progress line before printing" \
            "" "$left_on_line"
    done
else
    echo "# script(1) is missing, terminal case not run"
fi

e2e_finish
