#!/bin/bash
# ocicap set and rm on hard-linked files. A capability belongs to the
# inode, so every name of the file that the merged view still shows must
# get it: the new layer writes the file once and its other names as hard
# links to it. Names that an upper layer deleted (whiteout, opaque
# directory) or replaced must not come back. The links are made by GNU
# tar (every link names the first file) and by speclayer.py (a chain
# c -> b -> a); results are unpacked with umoci and checked with stat,
# getcap and an exec as uid 65534.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/caps_lib.sh"
e2e_init "$@"
require_file_caps_on_exec

image=$WORK/image
copy_default_image "$image"

# Layer 3, by GNU tar: a pair, and a file with five names.
lower=$WORK/lower
install_tagged_capcheck "$lower/usr/bin/pair-a" pair
ln "$lower/usr/bin/pair-a" "$lower/usr/bin/pair-b"
install_tagged_capcheck "$lower/opt/hid/a" hid
for name in b c v; do
    ln "$lower/opt/hid/a" "$lower/opt/hid/$name"
done
make_dir "$lower/srv/d"
ln "$lower/opt/hid/a" "$lower/srv/d/e"
add_layer "$image:app" "$lower"

# Layer 4, by speclayer.py: a chain of links, and what hides three names.
install_tagged_capcheck "$WORK/chain-file" chain
install_tagged_capcheck "$WORK/replacement" replacement
add_spec_layer "$image:app" <<EOF
dir usr
dir usr/bin
file usr/bin/chain-a $WORK/chain-file
hardlink usr/bin/chain-b usr/bin/chain-a
hardlink usr/bin/chain-c usr/bin/chain-b
dir opt
dir opt/hid
whiteout opt/hid/b
file opt/hid/c $WORK/replacement
dir srv
dir srv/d
whiteout srv/d/.wh..opq
EOF
assert_valid_layout "test image" "$image"
assert_contains "GNU tar stored pair-b as a hard link" \
    "usr/bin/pair-b hardlink" \
    "$(python3 "$OCITOOL" entries "$image" \
        "$(manifest_json "$image" app | jq -r '.layers[2].digest')")"
cp -r "$image" "$WORK/pristine"
pristine=$WORK/pristine

# Checks that the unpacked rootfs of LAYOUT:app has NAMES... as one inode
# with cap_ipc_lock=eip that uid 65534 gains on exec.
check_one_capped_inode() {
    local description=$1 layout=$2 bundle first name
    shift 2
    bundle=$(unpack_image "$layout" app)
    first=$(inode_of "$bundle/rootfs$1")
    for name in "$@"; do
        assert_eq "$description: $name is the same inode as $1" \
            "$first" "$(inode_of "$bundle/rootfs$name")"
        assert_eq "$description: $name has CAP_IPC_LOCK as uid 65534" \
            "$CAPEFF_IPC_LOCK" "$(exec_capeff "$bundle/rootfs$name")"
    done
}

# ---------------------------------------------------------------------
echo "# set on the second name of a GNU tar pair"

pair=$WORK/pair
cp -r "$pristine" "$pair"
expect_success "set on pair-b" \
    set "oci:$pair:app" cap_ipc_lock+eip /usr/bin/pair-b
assert_eq "output names the other name" \
    "/usr/bin/pair-b cap_ipc_lock=eip (hard links: /usr/bin/pair-a)" \
    "$(set_output_files)"
assert_valid_layout "set on pair-b" "$pair"
pair_sha=$(file_sha256 "$lower/usr/bin/pair-a")
assert_eq "new layer: the file once, then a hard link to it" \
    "/usr/bin/pair-a hardlink 0o755 0 0 -
/usr/bin/pair-b file 0o755 0 0 $pair_sha" "$(top_layer_files "$pair" app)"
assert_eq "the link entry carries no caps of its own" none \
    "$(top_layer_caps "$pair" app /usr/bin/pair-a)"
assert_eq "getcap shows both names" \
    "/usr/bin/pair-a cap_ipc_lock=eip
/usr/bin/pair-b cap_ipc_lock=eip" "$(unpacked_getcap "$pair" app)"
check_one_capped_inode "pair" "$pair" /usr/bin/pair-a /usr/bin/pair-b
expect_success "get -r after set on pair-b" get -r "oci:$pair:app"
assert_eq "get -r lists both names" \
    "/usr/bin/pair-a cap_ipc_lock=eip
/usr/bin/pair-b cap_ipc_lock=eip" "$OCICAP_STDOUT"
assert_skopeo_copy "set on pair-b" "$pair" app

# ---------------------------------------------------------------------
echo "# set on the last name of a chain c -> b -> a"

chain=$WORK/chain
cp -r "$pristine" "$chain"
expect_success "set on chain-c" \
    set "oci:$chain:app" cap_ipc_lock+eip /usr/bin/chain-c
assert_eq "output names every other name of the chain" \
    "/usr/bin/chain-c cap_ipc_lock=eip (hard links: /usr/bin/chain-a, /usr/bin/chain-b)" \
    "$(set_output_files)"
assert_valid_layout "set on chain-c" "$chain"
assert_eq "every link entry names the written file" \
    "usr/bin/chain-c usr/bin/chain-c" \
    "$(top_layer_entries "$chain" app | awk '$2 == "hardlink" { print $8 }' |
        sort | tr '\n' ' ' | sed 's/ $//')"
check_one_capped_inode "chain" "$chain" /usr/bin/chain-a /usr/bin/chain-b \
    /usr/bin/chain-c

# ---------------------------------------------------------------------
echo "# names hidden by upper layers are not created again"

hidden=$WORK/hidden
cp -r "$pristine" "$hidden"
expect_success "set on a file with hidden names" \
    set "oci:$hidden:app" cap_ipc_lock+eip /opt/hid/a
assert_eq "output names only the visible name" \
    "/opt/hid/a cap_ipc_lock=eip (hard links: /opt/hid/v)" \
    "$(set_output_files)"
assert_valid_layout "set on hidden names" "$hidden"
assert_eq "new layer holds a and v only" \
    "/opt/hid/a file
/opt/hid/v hardlink" \
    "$(top_layer_files "$hidden" app | cut -d ' ' -f 1,2)"
assert_eq "getcap shows a and v only" \
    "/opt/hid/a cap_ipc_lock=eip
/opt/hid/v cap_ipc_lock=eip" "$(unpacked_getcap "$hidden" app)"
bundle=$(unpack_image "$hidden" app)
assert_command "whited-out /opt/hid/b stays deleted" \
    test ! -e "$bundle/rootfs/opt/hid/b"
assert_command "/srv/d/e under an opaque directory stays hidden" \
    test ! -e "$bundle/rootfs/srv/d/e"
assert_eq "replaced /opt/hid/c keeps the upper file" \
    "$(file_sha256 "$WORK/replacement")" \
    "$(file_sha256 "$bundle/rootfs/opt/hid/c")"
check_one_capped_inode "hidden" "$hidden" /opt/hid/a /opt/hid/v

# ---------------------------------------------------------------------
echo "# names of one file in one request"

both=$WORK/both
cp -r "$pristine" "$both"
expect_success "set on two names of one file" \
    set "oci:$both:app" cap_ipc_lock+eip /usr/bin/pair-a /usr/bin/pair-b
assert_eq "one line for the file" \
    "/usr/bin/pair-a cap_ipc_lock=eip (hard links: /usr/bin/pair-b)" \
    "$(set_output_files)"
before=$(tree_fingerprint "$pristine")
printf '/usr/bin/pair-a cap_ipc_lock=eip\n/usr/bin/pair-b cap_net_raw=ep\n' \
    >"$WORK/conflict.txt"
expect_error "different sets for two names" "conflicting changes" \
    apply "oci:$pristine:app" "$WORK/conflict.txt"
assert_eq "a conflict changes nothing" "$before" \
    "$(tree_fingerprint "$pristine")"

# ---------------------------------------------------------------------
echo "# removal covers every name"

expect_success "rm on the other name" rm "oci:$pair:app" /usr/bin/pair-a
assert_eq "rm names both" \
    "/usr/bin/pair-a removed (hard links: /usr/bin/pair-b)" \
    "$(set_output_files)"
assert_valid_layout "rm on a hard-linked pair" "$pair"
assert_eq "getcap shows no caps after rm" "" "$(unpacked_getcap "$pair" app)"
bundle=$(unpack_image "$pair" app)
assert_eq "rm keeps the names one inode" \
    "$(inode_of "$bundle/rootfs/usr/bin/pair-a")" \
    "$(inode_of "$bundle/rootfs/usr/bin/pair-b")"
assert_eq "pair-b runs without caps after rm" "$CAPEFF_NONE" \
    "$(exec_capeff "$bundle/rootfs/usr/bin/pair-b")"

# ---------------------------------------------------------------------
echo "# a dry run lists the names"

expect_success "dry run on chain-a" \
    set --dry-run "oci:$pristine:app" cap_ipc_lock+eip /usr/bin/chain-a
assert_contains "plan names the other names" \
    "(hard links: /usr/bin/chain-b, /usr/bin/chain-c)" "$OCICAP_STDOUT"
assert_eq "dry run writes nothing" "$before" "$(tree_fingerprint "$pristine")"

e2e_finish
