#!/bin/bash
# ocicap set and get across layers that replace, delete and hide files.
# The cases are a file replaced in an upper layer, a whiteout (.wh.NAME)
# of a file and of a directory, an opaque directory (.wh..wh..opq), and a
# file that an upper layer creates again after a whiteout. Lower copies
# carry caps set with setcap on the host, so a merged view that leaks
# them shows up.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
require_file_caps_on_exec

# Copies capcheck to FILE and appends TAG, so each copy has its own bytes.
install_tagged_capcheck() {
    local target=$1 tag=$2
    install_capcheck "$target"
    printf '%s' "$tag" >>"$target"
}

image=$WORK/image
new_layout "$image" app

# Layer 1: every file exists, several with capabilities.
lower=$WORK/lower
install_tagged_capcheck "$lower/usr/bin/replaced" lower-replaced
install_tagged_capcheck "$lower/usr/bin/deleted" lower-deleted
install_tagged_capcheck "$lower/usr/bin/recreated" lower-recreated
install_tagged_capcheck "$lower/usr/bin/keep" lower-keep
install_tagged_capcheck "$lower/opt/data/old" lower-old
install_tagged_capcheck "$lower/opt/data/kept-name" lower-kept-name
install_tagged_capcheck "$lower/srv/olddir/tool" lower-tool
setcap cap_net_raw+ep "$lower/usr/bin/replaced"
setcap cap_sys_time+ep "$lower/usr/bin/deleted"
setcap cap_sys_time+ep "$lower/usr/bin/recreated"
setcap cap_ipc_lock+eip "$lower/usr/bin/keep"
setcap cap_chown+ep "$lower/opt/data/old"
setcap cap_chown+ep "$lower/opt/data/kept-name"
setcap cap_kill+ep "$lower/srv/olddir/tool"
add_layer "$image:app" "$lower"

# Layer 2: replace, delete and hide.
upper=$WORK/upper
install_tagged_capcheck "$upper/usr/bin/replaced" upper-replaced
make_whiteout "$upper/usr/bin" deleted
make_whiteout "$upper/usr/bin" recreated
make_whiteout "$upper/opt/data" .wh..opq
install_tagged_capcheck "$upper/opt/data/new" upper-new
install_tagged_capcheck "$upper/opt/data/kept-name" upper-kept-name
make_whiteout "$upper/srv" olddir
install_tagged_capcheck "$upper/srv/olddir/fresh" upper-fresh
add_layer "$image:app" "$upper"

# Layer 3: create a whited-out file again.
top=$WORK/top
install_tagged_capcheck "$top/usr/bin/recreated" top-recreated
add_layer "$image:app" "$top"

assert_valid_layout "test image" "$image"
cp -r "$image" "$WORK/pristine"
pristine=$WORK/pristine

# ---------------------------------------------------------------------
echo "# get on the merged view"

expect_success "get -r" get -r "oci:$image:app"
assert_eq "get -r lists only caps still visible" \
    "/usr/bin/keep cap_ipc_lock=eip" "$OCICAP_STDOUT"
assert_eq "getcap on the unpacked image agrees" \
    "/usr/bin/keep cap_ipc_lock=eip" "$(unpacked_getcap "$image" app)"

for path in /usr/bin/replaced /usr/bin/recreated /opt/data/kept-name \
    /opt/data/new /srv/olddir/fresh; do
    expect_success "get $path" get "oci:$image:app" "$path"
    assert_eq "get $path shows no caps from the lower copy" \
        "" "$OCICAP_STDOUT"
done

before=$(tree_fingerprint "$image")
for path in /usr/bin/deleted /opt/data/old /srv/olddir/tool; do
    expect_error "get hidden $path" "$path" get "oci:$image:app" "$path"
    expect_error "set hidden $path" "$path" \
        set "oci:$image:app" cap_ipc_lock+eip "$path"
done
assert_eq "failed sets leave the layout unchanged" \
    "$before" "$(tree_fingerprint "$image")"

# ---------------------------------------------------------------------
echo "# set on files that upper layers replaced or created"

bundle=$(unpack_image "$pristine" app) ||
    fatal "umoci unpack of the test image failed"

# Each path must take the bytes of the copy that is visible in the merged
# view, which is the copy in the unpacked image.
for path in /usr/bin/replaced /usr/bin/recreated /opt/data/new \
    /opt/data/kept-name /srv/olddir/fresh; do
    visible_sha=$(file_sha256 "$bundle/rootfs$path")
    target=$(mktemp -d -u -p "$WORK" set.XXXXXX)
    cp -r "$pristine" "$target"

    expect_success "set $path" set "oci:$target:app" cap_ipc_lock+eip "$path"
    assert_valid_layout "set $path" "$target"
    assert_eq "set $path copies the visible file" \
        "$path file 0o755 0 0 $visible_sha" \
        "$(top_layer_files "$target" app)"

    expect_success "get $path after set" get "oci:$target:app" "$path"
    assert_eq "get $path after set" "$path cap_ipc_lock=eip" "$OCICAP_STDOUT"

    expected_all=$(printf '%s\n' "$path cap_ipc_lock=eip" \
        "/usr/bin/keep cap_ipc_lock=eip" | sort)
    expect_success "get -r after set $path" get -r "oci:$target:app"
    assert_eq "get -r after set $path" \
        "$expected_all" "$(sort <<<"$OCICAP_STDOUT")"
    assert_eq "getcap on unpacked image after set $path" \
        "$expected_all" "$(unpacked_getcap "$target" app)"

    target_bundle=$(unpack_image "$target" app)
    assert_eq "$path run as uid 65534 has CAP_IPC_LOCK" \
        "$CAPEFF_IPC_LOCK" "$(exec_capeff "$target_bundle/rootfs$path")"
done

# ---------------------------------------------------------------------
echo "# opaque marker after its sibling in the same layer"

# The opaque marker hides lower layers only, wherever it sits in the tar
# stream: files next to it in its own layer stay visible.
ordered=$WORK/ordered
new_layout "$ordered" app
ordered_lower=$WORK/ordered-lower
install_tagged_capcheck "$ordered_lower/opt/data/old" ordered-old
setcap cap_chown+ep "$ordered_lower/opt/data/old"
add_layer "$ordered:app" "$ordered_lower"
ordered_upper=$WORK/ordered-upper
install_tagged_capcheck "$ordered_upper/opt/data/new" ordered-new
setcap cap_net_raw+ep "$ordered_upper/opt/data/new"
make_whiteout "$ordered_upper/opt/data" .wh..opq
add_ordered_layer "$ordered:app" "$ordered_upper" \
    ./opt ./opt/data ./opt/data/new ./opt/data/.wh..wh..opq

expect_success "get -r with late opaque marker" get -r "oci:$ordered:app"
assert_eq "get -r keeps the sibling of a late opaque marker" \
    "/opt/data/new cap_net_raw=ep" "$OCICAP_STDOUT"
assert_eq "getcap on the unpacked image agrees" \
    "/opt/data/new cap_net_raw=ep" "$(unpacked_getcap "$ordered" app)"
expect_error "set on file hidden by late opaque marker" /opt/data/old \
    set "oci:$ordered:app" cap_ipc_lock+eip /opt/data/old
expect_success "set on sibling of late opaque marker" \
    set "oci:$ordered:app" cap_ipc_lock+eip /opt/data/new
expect_success "get sibling of late opaque marker" \
    get "oci:$ordered:app" /opt/data/new
assert_eq "get sibling of late opaque marker after set" \
    "/opt/data/new cap_ipc_lock=eip" "$OCICAP_STDOUT"
assert_valid_layout "late opaque marker" "$ordered"

e2e_finish
