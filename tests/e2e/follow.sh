#!/bin/bash
# ocicap set --follow (-L) and get -L: symbolic links resolved inside the
# image's merged root, never on the host. The image has relative and
# absolute links, a chain across two layers through a symlinked directory,
# a target reached through "..", /bin -> usr/bin, a loop, a dangling link,
# a link whose target an upper layer deleted, and a link to a path that
# exists only on the host. Each result is unpacked with umoci, read with
# getcap, and executed through the link as uid 65534.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/caps_lib.sh"
e2e_init "$@"
require_file_caps_on_exec

image=$WORK/image
copy_default_image "$image"

# Layer 3: link targets and most links.
links=$WORK/links
install_tagged_capcheck "$links/usr/local/bin/tool" local-tool
install_tagged_capcheck "$links/usr/local/bin/gone" gone
install_tagged_capcheck "$links/opt/app/v1/tool" v1-tool
make_dir "$links/usr/bin"
ln -s capcheck "$links/usr/bin/rel"
ln -s /usr/bin/capcheck "$links/usr/bin/abs"
ln -s ../../../../../usr/local/bin/tool "$links/usr/bin/up"
ln -s /opt/app/v1 "$links/opt/app/current"
ln -s usr/bin "$links/bin"
ln -s loop-b "$links/usr/bin/loop-a"
ln -s loop-a "$links/usr/bin/loop-b"
ln -s missing "$links/usr/bin/dangling"
ln -s chain2 "$links/usr/bin/chain1"
ln -s /usr/local/bin/gone "$links/usr/bin/gone-target"
ln -s /etc/hostname "$links/usr/bin/hostlink"
add_layer "$image:app" "$links"

# Layer 4: the second link of the chain, and a whiteout of a target.
add_spec_layer "$image:app" <<'EOF'
dir usr
dir usr/bin
symlink usr/bin/chain2 /opt/app/current/tool
dir usr/local
dir usr/local/bin
whiteout usr/local/bin/gone
EOF
assert_valid_layout "test image" "$image"
test -e /etc/hostname || fatal "the host has no /etc/hostname"
cp -r "$image" "$WORK/pristine"
pristine=$WORK/pristine

# ---------------------------------------------------------------------
echo "# without --follow a link is an error that names its target"

before=$(tree_fingerprint "$image")
expect_error "set on a symlink" '"capcheck"' \
    set "oci:$image:app" cap_ipc_lock+eip /usr/bin/rel
assert_contains "symlink error suggests --follow" --follow "$OCICAP_STDERR"
expect_error "set below a symlinked directory" '"usr/bin"' \
    set "oci:$image:app" cap_ipc_lock+eip /bin/capcheck
assert_contains "parent symlink error suggests --follow" --follow \
    "$OCICAP_STDERR"
run_ocicap get "oci:$image:app" /usr/bin/abs
assert_eq "get on a symlink: exit 1" 1 "$OCICAP_STATUS"
assert_contains "get on a symlink suggests --follow" --follow \
    "$OCICAP_STDERR"
assert_eq "rejected sets change nothing" "$before" "$(tree_fingerprint "$image")"

# ---------------------------------------------------------------------
echo "# --follow resolves each kind of link inside the image"

# REQUESTED RESOLVED CHAIN LINK VIA: LINK is the symlink followed first.
# VIA is yes when the host can exec through it, which is true only for
# relative links that stay inside the unpacked rootfs (absolute targets
# and ".." past the root resolve against the host's root outside a
# container).
while read -r requested resolved chain link via; do
    target=$(mktemp -d -u -p "$WORK" follow.XXXXXX)
    cp -r "$pristine" "$target"
    expect_success "set -L $requested" \
        set -L "oci:$target:app" cap_ipc_lock+eip "$requested" || continue
    assert_eq "set -L $requested names both paths" \
        "$resolved cap_ipc_lock=eip (link: ${chain//,/ -> })" \
        "$(set_output_files)"
    assert_valid_layout "set -L $requested" "$target"
    assert_eq "set -L $requested: getcap on the unpacked image" \
        "$resolved cap_ipc_lock=eip" "$(unpacked_getcap "$target" app)"
    bundle=$(unpack_image "$target" app)
    assert_command "set -L $requested keeps $link a link" \
        test -L "$bundle/rootfs$link"
    assert_command "set -L $requested keeps /bin a link" \
        test -L "$bundle/rootfs/bin"
    assert_eq "set -L $requested: $resolved has CAP_IPC_LOCK as uid 65534" \
        "$CAPEFF_IPC_LOCK" "$(exec_capeff "$bundle/rootfs$resolved")"
    if [[ $via == yes ]]; then
        assert_eq "set -L $requested: exec through the link has CAP_IPC_LOCK" \
            "$CAPEFF_IPC_LOCK" "$(exec_capeff "$bundle/rootfs$requested")"
    fi
    expect_success "get -L $requested" get -L "oci:$target:app" "$requested"
    assert_eq "get -L $requested shows the target's caps" \
        "$resolved cap_ipc_lock=eip" "$OCICAP_STDOUT"
done <<'EOF'
/usr/bin/rel /usr/bin/capcheck /usr/bin/rel,/usr/bin/capcheck /usr/bin/rel yes
/usr/bin/abs /usr/bin/capcheck /usr/bin/abs,/usr/bin/capcheck /usr/bin/abs no
/usr/bin/up /usr/local/bin/tool /usr/bin/up,/usr/local/bin/tool /usr/bin/up no
/usr/bin/chain1 /opt/app/v1/tool /usr/bin/chain1,/usr/bin/chain2,/opt/app/current/tool,/opt/app/v1/tool /usr/bin/chain1 no
/bin/capcheck /usr/bin/capcheck /bin/capcheck,/usr/bin/capcheck /bin yes
/opt/app/current/tool /opt/app/v1/tool /opt/app/current/tool,/opt/app/v1/tool /opt/app/current no
EOF

# ---------------------------------------------------------------------
echo "# links that do not resolve are reported with their chain"

before=$(tree_fingerprint "$image")
expect_error "set -L on a loop" \
    "symbolic links form a loop: /usr/bin/loop-a -> /usr/bin/loop-b -> /usr/bin/loop-a" \
    set -L "oci:$image:app" cap_ipc_lock+eip /usr/bin/loop-a
expect_error "set -L on a dangling link" \
    "dangling symbolic link /usr/bin/dangling -> /usr/bin/missing" \
    set -L "oci:$image:app" cap_ipc_lock+eip /usr/bin/dangling
expect_error "set -L on a link to a deleted file" \
    "/usr/bin/gone-target -> /usr/local/bin/gone: /usr/local/bin/gone not found (deleted by a whiteout" \
    set -L "oci:$image:app" cap_ipc_lock+eip /usr/bin/gone-target
expect_error "set -L never reads the host's root" \
    "dangling symbolic link /usr/bin/hostlink -> /etc/hostname" \
    set -L "oci:$image:app" cap_ipc_lock+eip /usr/bin/hostlink
run_ocicap get -L "oci:$image:app" /usr/bin/loop-b
assert_eq "get -L on a loop: exit 1" 1 "$OCICAP_STATUS"
assert_contains "get -L on a loop names the chain" \
    "/usr/bin/loop-b -> /usr/bin/loop-a -> /usr/bin/loop-b" "$OCICAP_STDERR"
assert_eq "failed sets change nothing" "$before" "$(tree_fingerprint "$image")"

# ---------------------------------------------------------------------
echo "# JSON names the chain"

json_image=$WORK/json
cp -r "$pristine" "$json_image"
expect_success "set -L --json" \
    set -L --json "oci:$json_image:app" cap_ipc_lock+eip /usr/bin/chain1
assert_eq "JSON path is the file changed" /opt/app/v1/tool \
    "$(jq -r '.files[0].path' <<<"$OCICAP_STDOUT")"
assert_eq "JSON requested is the path given" /usr/bin/chain1 \
    "$(jq -r '.files[0].requested' <<<"$OCICAP_STDOUT")"
assert_eq "JSON link_chain lists every step" \
    "/usr/bin/chain1 /usr/bin/chain2 /opt/app/current/tool /opt/app/v1/tool" \
    "$(jq -r '.files[0].link_chain | join(" ")' <<<"$OCICAP_STDOUT")"

# ---------------------------------------------------------------------
echo "# directories that no tar entry names are walked like real ones"

# tar and the image spec let a layer leave out the entries of parent
# directories: this one-layer image has no usr/ or usr/bin/ entry.
implicit=$WORK/implicit
new_layout "$implicit" app
add_spec_layer "$implicit:app" <<SPEC
file usr/bin/prog $(capcheck_binary)
symlink x usr/bin/prog
symlink bin usr/bin
SPEC
assert_valid_layout "image without directory entries" "$implicit"
for requested in /usr/bin/prog /x /bin/prog; do
    target=$(mktemp -d -u -p "$WORK" implicit.XXXXXX)
    cp -r "$implicit" "$target"
    expect_success "set -L $requested without directory entries" \
        set -L "oci:$target:app" cap_chown+ep "$requested" || continue
    assert_eq "set -L $requested changes /usr/bin/prog" \
        "/usr/bin/prog cap_chown=ep" \
        "$(set_output_files | cut -d' ' -f1,2)"
    assert_valid_layout "set -L $requested result" "$target"
    expect_success "get -L $requested without directory entries" \
        get -L "oci:$target:app" "$requested"
    assert_eq "get -L $requested prints the target" \
        "/usr/bin/prog cap_chown=ep" "$OCICAP_STDOUT"
done
expect_error "set -L on a dangling link without directory entries" \
    "/usr/bin/nope not found (no layer contains it)" \
    set -L "oci:$implicit:app" cap_chown+ep /bin/nope

e2e_finish
