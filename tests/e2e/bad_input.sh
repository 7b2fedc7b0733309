#!/bin/bash
# ocicap rejects bad input: a broken layout, manifest, config or layer,
# a bad reference, a target that is not a regular file, a bad --output
# and a layout it may not write. Each failure must exit 1 with one
# stderr line that starts "ocicap: error: " and names the bad value, and
# must leave every byte of the layout as it was. Missing arguments are
# usage errors and exit 2.
#
# Each broken layout has exactly one fault: ocitool.py rewrites the
# digests and sizes above a changed blob so that nothing else is wrong.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"

# Copies the default image to a new directory named after CASE and
# prints its path.
new_case() {
    local layout=$WORK/cases/$1
    mkdir -p "$WORK/cases"
    copy_default_image "$layout"
    echo "$layout"
}

# Runs ocicap ARGS... and checks that it fails naming VALUE and leaves
# LAYOUT unchanged.
expect_rejected() {
    local description=$1 value=$2 layout=$3
    shift 3
    local before
    before=$(tree_fingerprint "$layout")
    expect_error "$description" "$value" "$@"
    assert_eq "$description: layout unchanged" \
        "$before" "$(tree_fingerprint "$layout")"
}

# Checks that get PATH, get -r and set PATH reject LAYOUT (ref app)
# naming VALUE. PATH defaults to /usr/bin/capcheck (layer 1); a fault in
# layer 0 needs a PATH that only layer 0 has, because ocicap reads layers
# from the top and stops at the first that decides every path. set runs
# last, so that a set that wrongly succeeds does not change what the get
# checks read.
expect_broken_layout() {
    local description=$1 value=$2 layout=$3 path=${4:-/usr/bin/capcheck}
    expect_rejected "get on $description" "$value" "$layout" \
        get "oci:$layout:app" "$path"
    expect_rejected "get -r on $description" "$value" "$layout" \
        get -r "oci:$layout:app"
    expect_rejected "set on $description" "$value" "$layout" \
        set "oci:$layout:app" cap_ipc_lock+eip "$path"
}

# Replaces layer INDEX of LAYOUT's app image with FILE and fixes the
# descriptor, manifest and index so that only FILE's contents are wrong.
# Prints the new layer digest.
replace_layer() {
    local layout=$1 index=$2 file=$3
    python3 "$OCITOOL" set-layer "$layout" app "$index" "$file" ||
        fatal "ocitool set-layer failed"
    manifest_json "$layout" app | jq -r ".layers[$index].digest"
}

# Prints the path of layer INDEX's blob in LAYOUT's app image.
layer_blob() {
    local layout=$1 index=$2
    blob_path "$layout" "$(manifest_json "$layout" app |
        jq -r ".layers[$index].digest")"
}

# Writes FILE's bytes with the byte at OFFSET inverted to OUTPUT. A
# negative OFFSET counts from the end.
flip_byte() {
    python3 - "$@" <<'EOF'
import sys
source, offset, output = sys.argv[1], int(sys.argv[2]), sys.argv[3]
data = bytearray(open(source, "rb").read())
data[offset] ^= 0xFF
open(output, "wb").write(data)
EOF
}

# ---------------------------------------------------------------------
echo "# image layout files"

layout=$(new_case no-oci-layout)
rm "$layout/oci-layout"
expect_broken_layout "missing oci-layout" oci-layout "$layout"

layout=$(new_case bad-oci-layout)
echo 'not json' >"$layout/oci-layout"
expect_broken_layout "malformed oci-layout" oci-layout "$layout"

layout=$(new_case oci-layout-version)
echo '{"imageLayoutVersion":"2.0.0"}' >"$layout/oci-layout"
expect_broken_layout "unsupported layout version" 2.0.0 "$layout"

layout=$(new_case no-index)
rm "$layout/index.json"
expect_broken_layout "missing index.json" index.json "$layout"

layout=$(new_case bad-index)
echo '{"schemaVersion":2,"manifests":[' >"$layout/index.json"
expect_broken_layout "malformed index.json" index.json "$layout"

layout=$(new_case index-shape)
echo '{"schemaVersion":2,"manifests":{"digest":"x"}}' >"$layout/index.json"
expect_broken_layout "index.json with manifests not a list" \
    index.json "$layout"

layout=$(new_case bad-digest)
jq -c '.manifests[0].digest = "sha256:xyz"' "$DEFAULT_IMAGE/index.json" \
    >"$layout/index.json"
expect_broken_layout "index entry with invalid digest" sha256:xyz "$layout"

# ---------------------------------------------------------------------
echo "# manifest and config"

layout=$(new_case no-manifest)
manifest=$(ref_digest "$layout" app)
rm "$(blob_path "$layout" "$manifest")"
expect_broken_layout "missing manifest blob" "$manifest" "$layout"

layout=$(new_case bad-manifest)
echo '{"schemaVersion": 2, "config": ' >"$WORK/manifest.json"
python3 "$OCITOOL" set-manifest "$layout" app "$WORK/manifest.json"
expect_broken_layout "malformed manifest" "$(ref_digest "$layout" app)" \
    "$layout"

layout=$(new_case manifest-shape)
manifest_json "$layout" app | jq -c '.layers = "none"' >"$WORK/manifest.json"
python3 "$OCITOOL" set-manifest "$layout" app "$WORK/manifest.json"
expect_broken_layout "manifest with layers not a list" \
    "$(ref_digest "$layout" app)" "$layout"

layout=$(new_case no-config)
config=$(manifest_json "$layout" app | jq -r .config.digest)
rm "$(blob_path "$layout" "$config")"
expect_broken_layout "missing config blob" "$config" "$layout"

layout=$(new_case bad-config)
echo '{"architecture": "amd64", ' >"$WORK/config.json"
python3 "$OCITOOL" set-config "$layout" app "$WORK/config.json"
expect_broken_layout "malformed config" \
    "$(manifest_json "$layout" app | jq -r .config.digest)" "$layout"

layout=$(new_case config-shape)
config_json "$layout" app | jq -c 'del(.rootfs)' >"$WORK/config.json"
python3 "$OCITOOL" set-config "$layout" app "$WORK/config.json"
expect_broken_layout "config without rootfs" \
    "$(manifest_json "$layout" app | jq -r .config.digest)" "$layout"

layout=$(new_case config-digest)
config=$(manifest_json "$layout" app | jq -r .config.digest)
flip_byte "$(blob_path "$layout" "$config")" 10 "$WORK/config.flipped"
cp "$WORK/config.flipped" "$(blob_path "$layout" "$config")"
expect_broken_layout "config digest mismatch" "$config" "$layout"

# ---------------------------------------------------------------------
echo "# layer blobs"

# Layer 0 is the base tree and the only layer with /etc/passwd.
# /usr/bin/capcheck is in layer 1. A missing or wrongly sized blob is
# caught even in a layer that is not read; damaged content only in a
# layer that is read, so the content cases name /etc/passwd.
base_path=/etc/passwd
layout=$(new_case no-layer)
layer=$(manifest_json "$layout" app | jq -r '.layers[0].digest')
rm "$(layer_blob "$layout" 0)"
expect_broken_layout "missing layer blob" "$layer" "$layout"

layout=$(new_case layer-digest)
layer=$(manifest_json "$layout" app | jq -r '.layers[0].digest')
flip_byte "$(layer_blob "$layout" 0)" 100 "$WORK/layer.flipped"
cp "$WORK/layer.flipped" "$(layer_blob "$layout" 0)"
expect_broken_layout "layer digest mismatch" "$layer" "$layout" "$base_path"

layout=$(new_case layer-size)
layer=$(manifest_json "$layout" app | jq -r '.layers[0].digest')
size=$(manifest_json "$layout" app | jq '.layers[0].size')
python3 "$OCITOOL" edit-layer "$layout" app 0 "size=$((size + 1))"
expect_broken_layout "layer size mismatch" "$layer" "$layout"

layout=$(new_case layer-truncated)
layer=$(manifest_json "$layout" app | jq -r '.layers[1].digest')
truncate -s 1000 "$(layer_blob "$layout" 1)"
expect_broken_layout "truncated layer blob" "$layer" "$layout"

layout=$(new_case gzip-truncated)
head -c 1000 "$(layer_blob "$layout" 1)" >"$WORK/layer.truncated"
layer=$(replace_layer "$layout" 1 "$WORK/layer.truncated")
expect_broken_layout "gzip stream cut short" "$layer" "$layout"

layout=$(new_case gzip-corrupt)
flip_byte "$(layer_blob "$layout" 1)" 5000 "$WORK/layer.corrupt"
layer=$(replace_layer "$layout" 1 "$WORK/layer.corrupt")
expect_broken_layout "corrupt deflate data" "$layer" "$layout"

# The gzip trailer is CRC-32 then ISIZE, so offset -8 is in the CRC.
layout=$(new_case gzip-crc)
flip_byte "$(layer_blob "$layout" 1)" -8 "$WORK/layer.crc"
layer=$(replace_layer "$layout" 1 "$WORK/layer.crc")
expect_broken_layout "gzip CRC mismatch" "$layer" "$layout"

# The runtime advice reads the user's /etc/passwd from layer 0, below the
# layer that decides capcheck. set does not need it, so a damaged layer 0
# gives a warning that names it.
layout=$(new_case gzip-crc-passwd)
flip_byte "$(layer_blob "$layout" 0)" -8 "$WORK/layer0.crc"
layer=$(replace_layer "$layout" 0 "$WORK/layer0.crc")
assert_eq "the default image names its user" "app" \
    "$(config_json "$layout" app | jq -r .config.User)"
expect_success "set with the user's layer damaged" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_contains "set with the user's layer damaged: warning" \
    "ocicap: warning: cannot read the user's /etc/passwd or /etc/group" \
    "$OCICAP_STDERR"
assert_contains "set with the user's layer damaged: warning names it" \
    "$layer" "$(grep '^ocicap: warning: ' <<<"$OCICAP_STDERR")"

layout=$(new_case not-gzip)
gzip -dc "$(layer_blob "$layout" 0)" >"$WORK/layer.tar"
layer=$(replace_layer "$layout" 0 "$WORK/layer.tar")
expect_broken_layout "plain tar under a gzip media type" "$layer" "$layout" \
    "$base_path"

layout=$(new_case gzip-not-tar)
head -c 4096 /dev/urandom | gzip -n >"$WORK/layer.random.gz"
layer=$(replace_layer "$layout" 0 "$WORK/layer.random.gz")
expect_broken_layout "gzip of bytes that are not a tar" "$layer" "$layout" \
    "$base_path"

# A valid gzip of a valid tar whose digest is not the config's diff ID.
# The blob matches its descriptor, so only --verify-diff-ids finds it.
layout=$(new_case diff-id)
diff_root=$WORK/diff-id-root
make_dir "$diff_root/etc"
echo "other" >"$diff_root/etc/other"
make_layer_tar "$diff_root" "$WORK/diff-id.tar"
gzip -n <"$WORK/diff-id.tar" >"$WORK/diff-id.tar.gz"
layer=$(replace_layer "$layout" 0 "$WORK/diff-id.tar.gz")
before=$(tree_fingerprint "$layout")
expect_success "get -r without --verify-diff-ids on a wrong diff ID" \
    get -r "oci:$layout:app"
assert_eq "get -r without --verify-diff-ids: layout unchanged" \
    "$before" "$(tree_fingerprint "$layout")"
expect_success "get -r with --verify-diff-ids=false on a wrong diff ID" \
    get -r --verify-diff-ids=false "oci:$layout:app"
expect_rejected "get with --verify-diff-ids on a wrong diff ID" \
    "$layer" "$layout" get --verify-diff-ids "oci:$layout:app" /etc/other
expect_rejected "get -r with --verify-diff-ids on a wrong diff ID" \
    "$layer" "$layout" get -r --verify-diff-ids "oci:$layout:app"
expect_rejected "set with --verify-diff-ids on a wrong diff ID" \
    "not to its diff ID" "$layout" \
    set --verify-diff-ids "oci:$layout:app" cap_ipc_lock+eip /etc/other

# In a docker save archive the layer digests are computed from the files,
# so a gzip layer file that does not match the config's diff ID is found
# without --verify-diff-ids.
docker_root=$WORK/docker-diff-id
skopeo copy --quiet "oci:$DEFAULT_IMAGE:app" \
    "docker-archive:$WORK/docker-diff-id.tar:app:1" ||
    fatal "skopeo could not write a docker archive"
make_dir "$docker_root"
tar --extract --file "$WORK/docker-diff-id.tar" --directory "$docker_root"
top_layer=$(jq -r '.[0].Layers[-1]' "$docker_root/manifest.json")
top_layer_file=$(realpath "$docker_root/$top_layer")
gzip -n <"$WORK/diff-id.tar" >"$top_layer_file"
tar --create --file "$WORK/docker-diff-id.tar" --directory "$docker_root" .
before=$(file_sha256 "$WORK/docker-diff-id.tar")
expect_error "get -r on a docker archive gzip layer with a wrong diff ID" \
    "not to its diff ID" get -r "docker-archive:$WORK/docker-diff-id.tar"
expect_error "set on a docker archive gzip layer with a wrong diff ID" \
    "not to its diff ID" \
    set "docker-archive:$WORK/docker-diff-id.tar" cap_ipc_lock+eip /etc/other
assert_eq "docker archive with a wrong diff ID: archive unchanged" \
    "$before" "$(file_sha256 "$WORK/docker-diff-id.tar")"

# A plain layer file is read by seeking, without hashing, so its wrong diff
# ID is found only with --verify-diff-ids. Without it, the archive ocicap
# writes keeps the layer as it was, and skopeo, which checks every layer's
# diff ID as it loads an archive, rejects it.
cp "$WORK/diff-id.tar" "$top_layer_file"
tar --create --file "$WORK/docker-plain-diff-id.tar" \
    --directory "$docker_root" .
before=$(file_sha256 "$WORK/docker-plain-diff-id.tar")
expect_error "set --verify-diff-ids on a plain docker layer with a wrong diff ID" \
    "not to its diff ID" set --verify-diff-ids \
    "docker-archive:$WORK/docker-plain-diff-id.tar" cap_ipc_lock+eip /etc/other
assert_eq "plain layer with a wrong diff ID, --verify-diff-ids: unchanged" \
    "$before" "$(file_sha256 "$WORK/docker-plain-diff-id.tar")"
expect_success "get -r on a plain docker layer with a wrong diff ID" \
    get -r "docker-archive:$WORK/docker-plain-diff-id.tar"
expect_success "set on a plain docker layer with a wrong diff ID" \
    set "docker-archive:$WORK/docker-plain-diff-id.tar" cap_ipc_lock+eip \
    /etc/other
if skopeo copy --quiet "docker-archive:$WORK/docker-plain-diff-id.tar" \
    "oci:$WORK/plain-diff-id-copy:x" 2>"$WORK/plain-diff-id-copy.stderr"; then
    fail "skopeo rejects the archive with the wrong diff ID"
else
    pass "skopeo rejects the archive with the wrong diff ID"
fi

# Two members of one name: tar readers differ on which one counts.
tar --create --file "$WORK/docker-dup.tar" --directory "$docker_root" \
    . manifest.json
before=$(file_sha256 "$WORK/docker-dup.tar")
expect_error "docker archive with two members of one name" \
    "two members named" \
    set "docker-archive:$WORK/docker-dup.tar" cap_ipc_lock+eip /etc/other
assert_eq "docker archive with two members of one name: unchanged" \
    "$before" "$(file_sha256 "$WORK/docker-dup.tar")"

layout=$(new_case media-type)
python3 "$OCITOOL" edit-layer "$layout" app 0 \
    mediaType=application/vnd.example.layer.v1.tar+unknown
expect_broken_layout "unsupported layer media type" \
    application/vnd.example.layer.v1.tar+unknown "$layout" "$base_path"

# A layer that no path needs is passed through unread, whatever its
# media type: set on a layer-1 file succeeds and keeps the layer as is.
expect_success "set above an unknown layer type" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "unknown layer type kept" \
    application/vnd.example.layer.v1.tar+unknown \
    "$(manifest_json "$layout" app | jq -r '.layers[0].mediaType')"

# ---------------------------------------------------------------------
echo "# image references"

layout=$(new_case refs)
expect_rejected "set unknown ref" nosuch "$layout" \
    set "oci:$layout:nosuch" cap_ipc_lock+eip /usr/bin/capcheck
expect_rejected "get unknown ref" nosuch "$layout" \
    get "oci:$layout:nosuch" /usr/bin/capcheck

umoci tag --image "$layout:app" second || fatal "umoci tag failed"
expect_rejected "set without ref on two images" "$layout" "$layout" \
    set "oci:$layout" cap_ipc_lock+eip /usr/bin/capcheck
expect_rejected "get without ref on two images" "$layout" "$layout" \
    get "oci:$layout" /usr/bin/capcheck

expect_error "set on missing layout" "$WORK/no-such-layout" \
    set "oci:$WORK/no-such-layout:app" cap_ipc_lock+eip /usr/bin/capcheck
expect_error "get on missing layout" "$WORK/no-such-layout" \
    get "oci:$WORK/no-such-layout:app"
expect_error "set on image without oci: transport" "docker://busybox" \
    set docker://busybox cap_ipc_lock+eip /usr/bin/capcheck
expect_rejected "set on image given as bare path" "$layout" "$layout" \
    set "$layout" cap_ipc_lock+eip /usr/bin/capcheck

# An archive transport on a directory names the transport that fits.
expect_rejected "oci-archive: on an image layout" "oci:$layout" "$layout" \
    set "oci-archive:$layout" cap_ipc_lock+eip /usr/bin/capcheck
expect_rejected "docker-archive: on an image layout" "oci:$layout" \
    "$layout" get "docker-archive:$layout"
mkdir -p "$WORK/plain-directory"
expect_error "oci-archive: on a plain directory" "is a directory" \
    get "oci-archive:$WORK/plain-directory"

# A control byte in a ref is escaped, so the error stays on one line.
expect_rejected "ref with a newline" '"app\nx"' "$layout" \
    get "oci:$layout:app
x"

# ---------------------------------------------------------------------
echo "# target paths"

special=$(new_case special-files)
special_lower=$WORK/special-lower
install_capcheck "$special_lower/usr/bin/gone"
ln -s capcheck "$special_lower/usr/bin/link"
ln -s /usr/bin/capcheck "$special_lower/usr/bin/absolute-link"
ln -s missing "$special_lower/usr/bin/dangling"
make_dir "$special_lower/usr/share/data" "$special_lower/dev" \
    "$special_lower/run"
mkfifo -m 0644 "$special_lower/run/fifo"
if mknod -m 0666 "$special_lower/dev/null" c 1 3; then
    have_device=yes
else
    have_device=no
    echo "# mknod failed, device case not run"
fi
add_layer "$special:app" "$special_lower"
special_upper=$WORK/special-upper
make_whiteout "$special_upper/usr/bin" gone
add_layer "$special:app" "$special_upper"

expect_rejected "set on missing file" /usr/bin/nope "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /usr/bin/nope
expect_rejected "get on missing file" /usr/bin/nope "$special" \
    get "oci:$special:app" /usr/bin/nope
expect_rejected "set on whited-out file" /usr/bin/gone "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /usr/bin/gone
expect_rejected "set on directory" /usr/share/data "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /usr/share/data
expect_rejected "set on root directory" / "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /
expect_rejected "set on relative symlink" /usr/bin/link "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /usr/bin/link
expect_rejected "set on absolute symlink" /usr/bin/absolute-link "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /usr/bin/absolute-link
expect_rejected "set on dangling symlink" /usr/bin/dangling "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /usr/bin/dangling
expect_rejected "set on fifo" /run/fifo "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /run/fifo
if [[ $have_device == yes ]]; then
    expect_rejected "set on character device" /dev/null "$special" \
        set "oci:$special:app" cap_ipc_lock+eip /dev/null
fi
expect_rejected "set below a regular file" /etc/passwd/x "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /etc/passwd/x

# One bad path among good ones: no partial layer may be written.
expect_rejected "set with one missing path of two" /usr/bin/nope "$special" \
    set "oci:$special:app" cap_ipc_lock+eip /usr/bin/capcheck /usr/bin/nope

# ---------------------------------------------------------------------
echo "# capability text"

layout=$(new_case caps)
for caps in cap_bogus+ep cap_ipc_lock+x 'cap_ipc_lock+ep cap_net_raw+p'; do
    expect_rejected "set with caps [$caps]" "$caps" "$layout" \
        set "oci:$layout:app" "$caps" /usr/bin/capcheck
done

run_ocicap get docker-archive:- /usr/bin/capcheck <"$WORK"
check_error_result "a directory on standard input" \
    "standard input is a directory"
make_dir "$WORK/no-images"
echo '[]' >"$WORK/no-images/manifest.json"
tar --create --file "$WORK/no-images.tar" --directory "$WORK/no-images" \
    manifest.json
expect_error "a docker archive that lists no image" "lists none" \
    get -r "docker-archive:$WORK/no-images.tar"

# ---------------------------------------------------------------------
echo "# --output"

layout=$(new_case output-source)
not_layout=$WORK/not-a-layout
make_dir "$not_layout"
echo "keep me" >"$not_layout/notes.txt"
not_layout_before=$(tree_fingerprint "$not_layout")
expect_rejected "--output at non-empty directory" "$not_layout" "$layout" \
    set --output "oci:$not_layout:app" "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
assert_eq "--output at non-empty directory leaves it unchanged" \
    "$not_layout_before" "$(tree_fingerprint "$not_layout")"

echo "a file" >"$WORK/output-file"
expect_rejected "--output at regular file" "$WORK/output-file" "$layout" \
    set --output "oci:$WORK/output-file:app" "oci:$layout:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "--output at regular file leaves it unchanged" \
    "a file" "$(cat "$WORK/output-file")"

# An --output value without a transport, or with an empty path, is an
# invalid option value: a usage error.
before=$(tree_fingerprint "$layout")
run_ocicap set --output "$WORK/bare-output" "oci:$layout:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
check_error_result "--output without oci: transport" "$WORK/bare-output" 2
assert_command "--output without oci: transport creates nothing" \
    test ! -e "$WORK/bare-output"
run_ocicap set --output oci: "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "--output oci: with no path" '"oci:"' 2
assert_eq "bad --output values leave the layout unchanged" \
    "$before" "$(tree_fingerprint "$layout")"
run_ocicap apply docker-archive:- - </dev/null
check_error_result "apply with image and list both on stdin" \
    "standard input" 2

# A detected input names no ref, but its one image has one: --output with
# that ref is the input image itself.
copy_default_image "$WORK/own-ref"
before=$(tree_fingerprint "$WORK/own-ref")
run_ocicap set --output "oci:$WORK/own-ref:app" "$WORK/own-ref" \
    cap_ipc_lock+eip /usr/bin/capcheck
check_error_result "--output naming the input's own ref" "is the input image"
assert_eq "--output naming the input's own ref leaves it unchanged" \
    "$before" "$(tree_fingerprint "$WORK/own-ref")"

# ---------------------------------------------------------------------
echo "# layout that uid 65534 may read but not write"

read_only=$(new_case read-only)
chmod -R u+rwX,go+rX,go-w "$read_only"
read_only_before=$(tree_fingerprint "$read_only")

run_ocicap_as_nobody set "oci:$read_only:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "set in place as uid 65534" "$read_only"
assert_eq "set in place as uid 65534 leaves the layout unchanged" \
    "$read_only_before" "$(tree_fingerprint "$read_only")"

run_ocicap_as_nobody set --tag capped "oci:$read_only:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
check_error_result "set --tag as uid 65534" "$read_only"
assert_eq "set --tag as uid 65534 leaves the layout unchanged" \
    "$read_only_before" "$(tree_fingerprint "$read_only")"

locked_parent=$WORK/locked-parent
make_dir "$locked_parent"
run_ocicap_as_nobody set --output "oci:$locked_parent/out:app" \
    "oci:$read_only:app" cap_ipc_lock+eip /usr/bin/capcheck
check_error_result "--output in unwritable directory" "$locked_parent"
assert_eq "--output in unwritable directory creates nothing" \
    "" "$(ls -A "$locked_parent")"

# Reading needs no write access: get and set --output elsewhere work.
run_ocicap_as_nobody get "oci:$read_only:app" /usr/bin/capcheck
assert_eq "get as uid 65534 on a read-only layout: exit 0" \
    0 "$OCICAP_STATUS"
nobody_dir=$WORK/nobody-dir
make_dir "$nobody_dir"
chown 65534:65534 "$nobody_dir"
run_ocicap_as_nobody set --output "oci:$nobody_dir/out:app" \
    "oci:$read_only:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "set --output as uid 65534 from a read-only layout: exit 0" \
    0 "$OCICAP_STATUS"
assert_valid_layout "set --output as uid 65534" "$nobody_dir/out"
assert_eq "set --output as uid 65534 leaves the input unchanged" \
    "$read_only_before" "$(tree_fingerprint "$read_only")"

# A limit on processes that leaves no thread to start gives an error that
# names the limit. RLIMIT_NPROC does not bind root, hence uid 65534.
# LeakSanitizer needs a thread of its own at exit, so under AddressSanitizer
# it is turned off for this run.
echo "# \$ (uid 65534, prlimit --nproc=1) ocicap get oci:$read_only:app"
setpriv --reuid 65534 --regid 65534 --clear-groups prlimit --nproc=1 \
    env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    "$OCICAP" get "oci:$read_only:app" /usr/bin/capcheck \
    >"$WORK/ocicap.stdout" 2>"$WORK/ocicap.stderr"
OCICAP_STATUS=$?
OCICAP_STDOUT=$(cat "$WORK/ocicap.stdout")
OCICAP_STDERR=$(cat "$WORK/ocicap.stderr")
check_error_result "get with no thread left to start" "ulimit -u"

# ---------------------------------------------------------------------
echo "# usage errors"

layout=$(new_case usage)
expect_usage_error "no arguments"
expect_usage_error "unknown subcommand" frobnicate
assert_contains "unknown subcommand: the error names it" \
    'unknown command "frobnicate"' "$OCICAP_STDERR"
assert_contains "unknown subcommand: the error lists the commands" \
    "set, rm, apply, get and explain" "$OCICAP_STDERR"
expect_usage_error "set without arguments" set
expect_usage_error "set without caps" set "oci:$layout:app"
expect_usage_error "set without path" set "oci:$layout:app" cap_ipc_lock+eip
expect_usage_error "get without image" get
expect_usage_error "unknown option" set --bogus "oci:$layout:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
expect_usage_error "--output without value" set "oci:$layout:app" \
    cap_ipc_lock+eip /usr/bin/capcheck --output
# An empty value, as an unset shell variable gives, must not read as no
# --output and change the image in place.
expect_usage_error "empty --output" set --output "" "oci:$layout:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
assert_contains "empty --output: the error names the option" \
    "--output" "$OCICAP_STDERR"
expect_usage_error "empty --rootid" set --rootid "" "oci:$layout:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
assert_contains "empty --rootid: the error names the option" \
    'invalid --rootid ""' "$OCICAP_STDERR"
# The option value is checked before the positional arguments.
expect_usage_error "bad --rootid before bad caps" set --rootid app \
    "oci:$layout:app" not-caps /usr/bin/capcheck
assert_contains "bad --rootid before bad caps: the error names --rootid" \
    'invalid --rootid "app"' "$OCICAP_STDERR"
assert_eq "usage errors leave the layout unchanged" \
    "$(tree_fingerprint "$DEFAULT_IMAGE")" "$(tree_fingerprint "$layout")"

run_ocicap --help
assert_eq "--help: exit 0" 0 "$OCICAP_STATUS"
assert_contains "--help names the set subcommand" set "$OCICAP_STDOUT"

e2e_finish
