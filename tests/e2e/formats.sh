#!/bin/bash
# Manifest, layer and digest formats: zstd layers, Docker schema 2 media
# types, sha512 digests, --compression, Docker schema 1, layer types that
# ocicap cannot read, and compression that does not match the media type.
# The inputs come from skopeo (zstd, Docker types, schema 1) or from
# ocitool.py (sha512, changed media types). ocitool.py validates each
# result. Where skopeo and umoci read the format, skopeo reads it back and
# umoci unpacks it for getcap and an exec as uid 65534.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
require_file_caps_on_exec
command -v zstd >/dev/null || skip "missing tool: zstd"

# Copies layout SOURCE to a new directory named after CASE and prints
# its path.
new_case() {
    local source=$1 name=$2 layout=$WORK/cases/$2
    make_dir "$WORK/cases"
    cp -r "$source" "$layout" && chmod -R u+w "$layout" ||
        fatal "cannot copy $source"
    echo "$layout"
}

# Prints the media types of the layers of LAYOUT:REF, one per line.
layer_types() {
    manifest_json "$1" "$2" | jq -r '.layers[].mediaType'
}

# Prints the first four bytes of the top layer blob of LAYOUT:REF in hex.
top_layer_magic() {
    head -c 4 "$(blob_path "$1" "$(top_layer_digest "$1" "$2")")" |
        od -An -tx1 | tr -d ' \n'
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

# Checks that LAYOUT:REF, whose layers umoci 0.4.7 cannot read, is a
# valid capped image: skopeo recompresses it with gzip into a new layout,
# which assert_capped_skopeo_image reads, unpacks and runs.
check_capped_via_gzip_copy() {
    local description=$1 layout=$2 layers=$3 copy
    copy=$(mktemp -d -u -p "$WORK" gzip-copy.XXXXXX)
    assert_command "$description: skopeo recompresses it with gzip" \
        skopeo copy --quiet --dest-compress-format gzip \
        "oci:$layout:app" "oci:$copy:app" || return 1
    assert_capped_skopeo_image "$description: gzip copy" "oci:$copy:app" \
        "$layers"
}

ZSTD_MAGIC=28b52ffd
GZIP_MAGIC=1f8b

# ---------------------------------------------------------------------
echo "# zstd layers"

# skopeo copy --dest-compress-format zstd recompresses every layer.
zstd_input=$WORK/zstd-input
skopeo copy --quiet --dest-compress-format zstd \
    "oci:$DEFAULT_IMAGE:app" "oci:$zstd_input:app" ||
    fatal "skopeo could not write a zstd image"
[[ $(layer_types "$zstd_input" app | sort -u) == \
    application/vnd.oci.image.layer.v1.tar+zstd ]] ||
    fatal "skopeo did not write zstd layers"

layout=$(new_case "$zstd_input" zstd)
expect_success "set on a zstd image" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "zstd image: new layer follows with zstd" \
    application/vnd.oci.image.layer.v1.tar+zstd \
    "$(layer_types "$layout" app | tail -n 1)"
assert_eq "zstd image: new layer starts with the zstd magic" \
    "$ZSTD_MAGIC" "$(top_layer_magic "$layout" app)"
assert_valid_layout "zstd image" "$layout"
assert_skopeo_copy "zstd image" "$layout" app
expect_success "get on the zstd result" get "oci:$layout:app" /usr/bin/capcheck
assert_eq "get on the zstd result prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"
# umoci 0.4.7 rejects zstd layers ("blob is not correct mediatype").
check_capped_via_gzip_copy "zstd image" "$layout" 3

echo "# --compression"

for compression in gzip none; do
    layout=$(new_case "$zstd_input" "zstd-to-$compression")
    expect_success "--compression $compression on a zstd image" \
        set --compression "$compression" "oci:$layout:app" \
        cap_ipc_lock+eip /usr/bin/capcheck
    expected_type=application/vnd.oci.image.layer.v1.tar
    [[ $compression == gzip ]] && expected_type+=+gzip
    assert_eq "--compression $compression: new layer type" \
        "$expected_type" "$(layer_types "$layout" app | tail -n 1)"
    assert_eq "--compression $compression: old layers stay zstd" \
        application/vnd.oci.image.layer.v1.tar+zstd \
        "$(layer_types "$layout" app | head -n 2 | sort -u)"
    assert_valid_layout "--compression $compression" "$layout"
    check_capped_via_gzip_copy "--compression $compression" "$layout" 3
done
assert_eq "--compression gzip: new layer starts with the gzip magic" \
    "$GZIP_MAGIC" "$(top_layer_magic "$WORK/cases/zstd-to-gzip" app | cut -c1-4)"
assert_ne "--compression none: new layer is not gzip" \
    "$GZIP_MAGIC" "$(top_layer_magic "$WORK/cases/zstd-to-none" app | cut -c1-4)"
assert_ne "--compression none: new layer is not zstd" \
    "$ZSTD_MAGIC" "$(top_layer_magic "$WORK/cases/zstd-to-none" app)"

layout=$(new_case "$DEFAULT_IMAGE" gzip-to-zstd)
expect_success "--compression zstd on a gzip image" \
    set --compression zstd "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
assert_eq "--compression zstd: new layer type" \
    application/vnd.oci.image.layer.v1.tar+zstd \
    "$(layer_types "$layout" app | tail -n 1)"
assert_eq "--compression zstd: new layer starts with the zstd magic" \
    "$ZSTD_MAGIC" "$(top_layer_magic "$layout" app)"
assert_valid_layout "--compression zstd" "$layout"
check_capped_via_gzip_copy "--compression zstd" "$layout" 3

layout=$(new_case "$DEFAULT_IMAGE" compression-usage)
expect_usage_error "--compression with an unknown value" \
    set --compression lz4 "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck

# ---------------------------------------------------------------------
echo "# Docker schema 2 media types"

# skopeo copy --format v2s2 to oci: writes Docker media types into the
# layout. skopeo 1.9 cannot read that layout back ("no descriptor found
# for reference") and umoci 0.4.7 neither ("descriptor does not point to
# ispec.MediaTypeImageManifest"), so the layout result is checked with
# ocitool.py and ocicap get. The runnable checks go through a
# docker-archive, which skopeo reads.
docker_input=$WORK/docker-input
skopeo copy --quiet --format v2s2 "oci:$DEFAULT_IMAGE:app" \
    "oci:$docker_input:app" ||
    fatal "skopeo could not write a Docker media type image"
[[ $(jq -r '.manifests[0].mediaType' "$docker_input/index.json") == \
    application/vnd.docker.distribution.manifest.v2+json ]] ||
    fatal "skopeo did not write a Docker manifest"

layout=$(new_case "$docker_input" docker-types)
expect_success "set on a Docker media type image" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "Docker types: index entry keeps the Docker manifest type" \
    application/vnd.docker.distribution.manifest.v2+json \
    "$(jq -r '.manifests[0].mediaType' "$layout/index.json")"
assert_eq "Docker types: manifest mediaType" \
    application/vnd.docker.distribution.manifest.v2+json \
    "$(manifest_json "$layout" app | jq -r .mediaType)"
assert_eq "Docker types: config type" \
    application/vnd.docker.container.image.v1+json \
    "$(manifest_json "$layout" app | jq -r .config.mediaType)"
assert_eq "Docker types: new layer type" \
    application/vnd.docker.image.rootfs.diff.tar.gzip \
    "$(layer_types "$layout" app | tail -n 1)"
assert_valid_layout "Docker types" "$layout"
expect_success "get on the Docker type result" \
    get "oci:$layout:app" /usr/bin/capcheck
assert_eq "get on the Docker type result prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"

layout=$(new_case "$docker_input" docker-types-none)
expect_success "--compression none on a Docker media type image" \
    set --compression none "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
assert_eq "Docker types --compression none: new layer type" \
    application/vnd.docker.image.rootfs.diff.tar \
    "$(layer_types "$layout" app | tail -n 1)"
assert_valid_layout "Docker types --compression none" "$layout"

layout=$(new_case "$docker_input" docker-types-zstd)
expect_rejected "--compression zstd on a Docker manifest" zstd "$layout" \
    set --compression zstd "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck

# A docker save archive is the usual Docker media type image.
make_dir "$WORK/archives"
make_archive docker-archive "$WORK/archives/app.tar" app:1
for compression in default gzip none; do
    archive=$WORK/archives/$compression.tar
    cp "$WORK/archives/app.tar" "$archive"
    options=()
    [[ $compression != default ]] && options=(--compression "$compression")
    expect_success "docker-archive with --compression $compression" \
        set "${options[@]}" "docker-archive:$archive" cap_ipc_lock+eip \
        /usr/bin/capcheck
    assert_capped_skopeo_image "docker-archive --compression $compression" \
        "docker-archive:$archive" 3
done

archive=$WORK/archives/zstd.tar
cp "$WORK/archives/app.tar" "$archive"
before=$(file_sha256 "$archive")
expect_error "--compression zstd on a docker-archive" zstd \
    set --compression zstd "docker-archive:$archive" cap_ipc_lock+eip \
    /usr/bin/capcheck
assert_eq "--compression zstd on a docker-archive leaves it unchanged" \
    "$before" "$(file_sha256 "$archive")"

# ---------------------------------------------------------------------
echo "# sha512 digests"

# ocitool.py rehash stores the layers, config and manifest again under
# blobs/sha512 and removes the sha256 copies. skopeo 1.9 cannot read such
# a layout, because it hashes the config with sha256 and compares ("does
# not match expected sha512:..."). umoci 0.4.7 cannot either ("unsupported
# algorithm"). So ocitool.py validates each result, then rehashes it to
# sha256 for skopeo, umoci and the exec, verifying every sha512 blob.
sha512_input=$(new_case "$DEFAULT_IMAGE" sha512-input)
python3 "$OCITOOL" rehash "$sha512_input" app sha512 ||
    fatal "ocitool rehash failed"
assert_valid_layout "sha512 input" "$sha512_input"
assert_eq "sha512 input has no sha256 blobs" \
    "" "$(ls -A "$sha512_input/blobs/sha256")"

layout=$(new_case "$sha512_input" sha512)
expect_success "set on a sha512 image" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_valid_layout "sha512 image" "$layout"
assert_eq "sha512 image: old layers keep their sha512 digests" \
    "sha512 sha512" \
    "$(manifest_json "$layout" app |
        jq -r '[.layers[0:2][].digest | split(":")[0]] | join(" ")')"
expect_success "get on the sha512 result" get "oci:$layout:app" \
    /usr/bin/capcheck
assert_eq "get on the sha512 result prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"
python3 "$OCITOOL" rehash "$layout" app sha256 ||
    fatal "ocitool rehash back to sha256 failed"
assert_capped_skopeo_image "sha512 image rehashed to sha256" \
    "oci:$layout:app" 3

layout=$(new_case "$DEFAULT_IMAGE" sha512-diff-ids)
python3 "$OCITOOL" rehash "$layout" app sha512 --diff-ids ||
    fatal "ocitool rehash --diff-ids failed"
expect_success "set on an image with sha512 diff IDs" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_valid_layout "sha512 diff IDs" "$layout"
assert_eq "sha512 diff IDs: old diff IDs kept" "sha512 sha512" \
    "$(config_json "$layout" app |
        jq -r '[.rootfs.diff_ids[0:2][] | split(":")[0]] | join(" ")')"
expect_success "get -r on an image with sha512 diff IDs" \
    get -r "oci:$layout:app"
assert_eq "get -r on sha512 diff IDs prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"

# A sha512 blob is verified: one flipped byte in the capcheck layer.
layout=$(new_case "$sha512_input" sha512-corrupt)
layer=$(manifest_json "$layout" app | jq -r '.layers[1].digest')
python3 - "$(blob_path "$layout" "$layer")" <<'EOF'
import sys
path = sys.argv[1]
data = bytearray(open(path, "rb").read())
data[5000] ^= 0xFF
open(path, "wb").write(data)
EOF
expect_rejected "get on a corrupt sha512 layer" "$layer" "$layout" \
    get "oci:$layout:app" /usr/bin/capcheck
expect_rejected "set on a corrupt sha512 layer" "$layer" "$layout" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck

# ---------------------------------------------------------------------
echo "# Docker schema 1"

schema1=$WORK/schema1
skopeo copy --quiet --format v2s1 "oci:$DEFAULT_IMAGE:app" \
    "oci:$schema1:app" ||
    fatal "skopeo could not write a schema 1 image"
schema1_digest=$(ref_digest "$schema1" app)
for command in get set; do
    arguments=("oci:$schema1:app" /usr/bin/capcheck)
    [[ $command == set ]] && arguments=(
        "oci:$schema1:app" cap_ipc_lock+eip /usr/bin/capcheck)
    expect_rejected "$command on a schema 1 image" "schema 1" "$schema1" \
        "$command" "${arguments[@]}"
    assert_contains "$command on a schema 1 image names the manifest" \
        "$schema1_digest" "$OCICAP_STDERR"
done

# ---------------------------------------------------------------------
echo "# layer types ocicap cannot read"

# Layer 0 contains /etc/passwd and layer 1 /usr/bin/capcheck, so a change
# to capcheck never needs layer 0, and a read of /etc/passwd needs both.
encrypted_type=application/vnd.oci.image.layer.v1.tar+gzip+encrypted
layout=$(new_case "$DEFAULT_IMAGE" encrypted-below)
python3 "$OCITOOL" edit-layer "$layout" app 0 "mediaType=$encrypted_type"
old_layer=$(manifest_json "$layout" app | jq -c '.layers[0]')
expect_rejected "get a file in an encrypted layer" "$encrypted_type" \
    "$layout" get "oci:$layout:app" /etc/passwd
expect_rejected "get -r on an image with an encrypted layer" \
    "$encrypted_type" "$layout" get -r "oci:$layout:app"
expect_rejected "set a file in an encrypted layer" "$encrypted_type" \
    "$layout" set "oci:$layout:app" cap_ipc_lock+eip /etc/passwd
expect_success "set above an encrypted layer" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "encrypted layer passed through untouched" \
    "$old_layer" "$(manifest_json "$layout" app | jq -c '.layers[0]')"
assert_valid_layout "set above an encrypted layer" "$layout"

# Above the file, the encrypted layer must be read for whiteouts.
layout=$(new_case "$DEFAULT_IMAGE" encrypted-above)
python3 "$OCITOOL" edit-layer "$layout" app 1 "mediaType=$encrypted_type"
expect_rejected "set below an encrypted layer" "$encrypted_type" \
    "$layout" set "oci:$layout:app" cap_ipc_lock+eip /etc/passwd

# A non-distributable layer is often shipped without its blob.
nondistributable_type=application/vnd.oci.image.layer.nondistributable.v1.tar+gzip
layout=$(new_case "$DEFAULT_IMAGE" nondistributable)
python3 "$OCITOOL" edit-layer "$layout" app 0 \
    "mediaType=$nondistributable_type"
foreign_layer=$(manifest_json "$layout" app | jq -r '.layers[0].digest')
rm "$(blob_path "$layout" "$foreign_layer")"
old_layer=$(manifest_json "$layout" app | jq -c '.layers[0]')
expect_rejected "get a file in a missing non-distributable layer" \
    "$foreign_layer" "$layout" get "oci:$layout:app" /etc/passwd
expect_success "set --output above a missing non-distributable layer" \
    set --output "oci:$WORK/cases/nondistributable-output:app" \
    "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_valid_layout "--output above a non-distributable layer" \
    "$WORK/cases/nondistributable-output"
expect_success "set above a missing non-distributable layer" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "non-distributable layer passed through untouched" \
    "$old_layer" "$(manifest_json "$layout" app | jq -c '.layers[0]')"
assert_valid_layout "set above a non-distributable layer" "$layout"

# Docker's name for the same thing is a foreign layer.
foreign_type=application/vnd.docker.image.rootfs.foreign.diff.tar.gzip
layout=$(new_case "$docker_input" docker-foreign)
python3 "$OCITOOL" edit-layer "$layout" app 0 "mediaType=$foreign_type"
foreign_layer=$(manifest_json "$layout" app | jq -r '.layers[0].digest')
rm "$(blob_path "$layout" "$foreign_layer")"
expect_success "set --output above a missing Docker foreign layer" \
    set --output "oci:$WORK/cases/docker-foreign-output:app" \
    "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
expect_success "set above a missing Docker foreign layer" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "Docker foreign layer passed through untouched" \
    "$foreign_type" "$(layer_types "$layout" app | head -n 1)"
assert_valid_layout "set above a Docker foreign layer" "$layout"

# ---------------------------------------------------------------------
echo "# compression that does not match the media type"

# Layer 1 (capcheck) as a plain tar and as zstd, with the same diff ID.
layer1=$(manifest_json "$DEFAULT_IMAGE" app | jq -r '.layers[1].digest')
gzip -dc "$(blob_path "$DEFAULT_IMAGE" "$layer1")" >"$WORK/layer1.tar"
zstd --quiet -19 "$WORK/layer1.tar" -o "$WORK/layer1.tar.zst"

# Each case: a name, the blob (gzip is the original), the media type.
oci_layer=application/vnd.oci.image.layer.v1.tar
while read -r name blob media_type; do
    layout=$(new_case "$DEFAULT_IMAGE" "mismatch-$name")
    if [[ $blob != gzip ]]; then
        python3 "$OCITOOL" set-layer "$layout" app 1 "$WORK/$blob" ||
            fatal "ocitool set-layer failed"
    fi
    python3 "$OCITOOL" edit-layer "$layout" app 1 "mediaType=$media_type"
    layer=$(manifest_json "$layout" app | jq -r '.layers[1].digest')
    expect_rejected "get on $name" "$layer" "$layout" \
        get "oci:$layout:app" /usr/bin/capcheck
    assert_contains "get on $name names the media type" "media type" \
        "$OCICAP_STDERR"
    expect_rejected "set on $name" "$layer" "$layout" \
        set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
done <<EOF
zstd-as-gzip layer1.tar.zst $oci_layer+gzip
gzip-as-zstd gzip $oci_layer+zstd
gzip-as-tar gzip $oci_layer
zstd-as-tar layer1.tar.zst $oci_layer
tar-as-zstd layer1.tar $oci_layer+zstd
tar-as-gzip layer1.tar $oci_layer+gzip
EOF

# The error names the layer once, not once per level of context.
layout=$WORK/cases/mismatch-gzip-as-zstd
layer=$(manifest_json "$layout" app | jq -r '.layers[1].digest')
run_ocicap get "oci:$layout:app" /usr/bin/capcheck
assert_eq "mismatch error names the layer once" 1 \
    "$(grep -o "$layer" <<<"$OCICAP_STDERR" | grep -c '')"

# The same layer under its right media type is read.
layout=$(new_case "$DEFAULT_IMAGE" zstd-layer1)
python3 "$OCITOOL" set-layer "$layout" app 1 "$WORK/layer1.tar.zst"
python3 "$OCITOOL" edit-layer "$layout" app 1 "mediaType=$oci_layer+zstd"
expect_success "get on a zstd layer among gzip layers" \
    get "oci:$layout:app" /usr/bin/capcheck
expect_success "set on a zstd layer among gzip layers" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "mixed layers: new layer follows the top layer's zstd" \
    "$oci_layer+zstd" "$(layer_types "$layout" app | tail -n 1)"
assert_valid_layout "mixed gzip and zstd layers" "$layout"

e2e_finish
