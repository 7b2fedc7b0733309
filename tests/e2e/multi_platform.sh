#!/bin/bash
# Multi-platform images. By default set changes every platform of an
# image index, each from its own layers, and --platform selects some. A
# path missing on one selected platform fails the whole command, which
# then writes nothing. The index keeps its other entries, platforms,
# annotations and order. Attestation manifests are never changed: set
# warns that they describe the old image and keeps or drops them as
# --attestations says. It warns once that signatures of the old index no
# longer apply.
#
# The input is built from two single-platform images made with umoci
# (linux/amd64, and linux/arm64/v8 with a layer of its own), joined into
# an index with buildx-style attestation manifests by ocitool.py, which
# computes every digest. Results are validated by ocitool.py, copied with
# skopeo copy --all, and each platform is copied out by skopeo and
# unpacked by umoci for getcap and an exec as uid 65534.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
require_file_caps_on_exec

# Copies layout SOURCE to a new directory named after CASE and prints
# its path.
new_case() {
    local source=$1 name=$2 layout=$WORK/cases/$2
    make_dir "$WORK/cases"
    cp -r "$source" "$layout" && chmod -R u+w "$layout" ||
        fatal "cannot copy $source"
    echo "$layout"
}

# Prints the image index that REF of LAYOUT points at.
index_document() {
    cat "$(blob_path "$1" "$(ref_digest "$1" "$2")")"
}

# Prints the index entry of LAYOUT:REF whose platform is PLATFORM
# (OS/ARCH[/VARIANT]) as compact JSON.
platform_entry() {
    local layout=$1 ref=$2 platform=$3
    index_document "$layout" "$ref" | jq -c --arg platform "$platform" \
        '.manifests[] | select(.platform
            | [.os, .architecture, .variant // empty] | join("/")
            | . == $platform)'
}

# Prints the attestation entries of the index LAYOUT:REF, one per line.
attestation_entries() {
    index_document "$1" "$2" | jq -c '.manifests[]
        | select(.annotations["vnd.docker.reference.type"]
                 == "attestation-manifest")'
}

# Copies platform ARCH[/VARIANT] of LAYOUT:REF to a new single-image
# layout with skopeo and prints its path.
copy_platform() {
    local layout=$1 ref=$2 architecture=$3 variant=$4 copy
    local options=(--override-os linux --override-arch "$architecture")
    [[ -n $variant ]] && options+=(--override-variant "$variant")
    copy=$(mktemp -d -u -p "$WORK" platform-copy.XXXXXX)
    skopeo copy --quiet "${options[@]}" "oci:$layout:$ref" \
        "oci:$copy:app" >&2 || return 1
    echo "$copy"
}

# Prints the content SHA-256 of /usr/bin/capcheck in the top layer of
# single-image layout LAYOUT:REF.
top_layer_capcheck_sha256() {
    top_layer_files "$1" "$2" | awk '$1 == "/usr/bin/capcheck" { print $6 }'
}

# Checks that platform ARCH[/VARIANT] of LAYOUT:REF has LAYERS layers
# and a capped capcheck whose content is CONTENT_SHA256, as skopeo,
# umoci, getcap and an exec as uid 65534 see it.
check_capped_platform() {
    local description=$1 layout=$2 ref=$3 architecture=$4 variant=$5
    local layers=$6 content_sha256=$7 copy
    copy=$(copy_platform "$layout" "$ref" "$architecture" "$variant") || {
        fail "$description: skopeo copy of the platform failed"
        return 1
    }
    assert_capped_skopeo_image "$description" "oci:$copy:app" "$layers"
    assert_eq "$description: new layer holds this platform's capcheck" \
        "$content_sha256" "$(top_layer_capcheck_sha256 "$copy" app)"
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

# Prints the lines of the last run's stderr that contain TEXT.
stderr_lines_with() {
    grep -F -- "$1" <<<"$OCICAP_STDERR"
}

# ---------------------------------------------------------------------
# Input

# Two single-platform images in one layout, refs amd and arm. The arm
# image has a layer of its own with a different /usr/bin/capcheck (the
# same program with bytes appended, so that it still runs here) and a
# file that only it has.
refs=$WORK/refs
copy_default_image "$refs"
umoci config --image "$refs:app" --tag arm --architecture arm64 \
    --no-history || fatal "umoci config --architecture arm64 failed"
umoci tag --image "$refs:app" amd && umoci rm --image "$refs:app" ||
    fatal "umoci could not retag the amd64 image"
arm_root=$WORK/arm-root
install_capcheck "$arm_root/usr/bin/capcheck"
echo "arm64 build" >>"$arm_root/usr/bin/capcheck"
install_capcheck "$arm_root/usr/bin/only-arm"
add_layer "$refs:arm" "$arm_root"
amd_capcheck=$(file_sha256 "$(capcheck_binary)")
arm_capcheck=$(file_sha256 "$arm_root/usr/bin/capcheck")

input=$WORK/input
cp -r "$refs" "$input"
python3 "$OCITOOL" make-index "$input" app amd=linux/amd64 \
    arm=linux/arm64/v8 --annotation org.example.note=kept &&
    python3 "$OCITOOL" add-attestation "$input" app 0 &&
    python3 "$OCITOOL" add-attestation "$input" app 1 ||
    fatal "ocitool could not build the index"
assert_valid_layout "input" "$input"
assert_command "input: skopeo copy --all reads it" \
    skopeo copy --quiet --all "oci:$input:app" "oci:$WORK/input-copy:app"

input_index=$(index_document "$input" app)
input_index_digest=$(ref_digest "$input" app)
input_amd=$(platform_entry "$input" app linux/amd64)
input_arm=$(platform_entry "$input" app linux/arm64/v8)
input_attestations=$(attestation_entries "$input" app)
[[ $(grep -c '' <<<"$input_attestations") -eq 2 ]] ||
    fatal "the input has no two attestation manifests"

# ---------------------------------------------------------------------
echo "# every platform"

layout=$(new_case "$input" all)
if expect_success "set on every platform" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck; then
    assert_eq "set on every platform: one line per platform" \
        "/usr/bin/capcheck cap_ipc_lock=eip (linux/amd64)
/usr/bin/capcheck cap_ipc_lock=eip (linux/arm64/v8)" \
        "$(set_output_files)"
    assert_eq "set prints the new index digest" \
        "$(ref_digest "$layout" app)" "$(set_output_digest)"
fi
assert_ne "the index has a new digest" \
    "$input_index_digest" "$(ref_digest "$layout" app)"
assert_eq "index.json still has one entry, an image index" \
    application/vnd.oci.image.index.v1+json \
    "$(jq -r '.manifests[] | .mediaType' "$layout/index.json")"
assert_valid_layout "every platform" "$layout"
assert_command "every platform: skopeo copy --all reads it" \
    skopeo copy --quiet --all "oci:$layout:app" "oci:$WORK/all-copy:app"
new_index=$(index_document "$layout" app)
assert_eq "index keeps the order of its entries and their platforms" \
    "$(jq -c '[.manifests[].platform]' <<<"$input_index")" \
    "$(jq -c '[.manifests[].platform]' <<<"$new_index")"
assert_eq "index keeps its annotations" \
    '{"org.example.note":"kept"}' "$(jq -cS .annotations <<<"$new_index")"
assert_eq "index entries keep their annotations" \
    "$(jq -c '[.manifests[].annotations]' <<<"$input_index")" \
    "$(jq -c '[.manifests[].annotations]' <<<"$new_index")"
assert_eq "attestation entries kept as they were" \
    "$input_attestations" "$(attestation_entries "$layout" app)"
assert_ne "amd64 manifest changed" \
    "$(jq -r .digest <<<"$input_amd")" \
    "$(platform_entry "$layout" app linux/amd64 | jq -r .digest)"
assert_ne "arm64 manifest changed" \
    "$(jq -r .digest <<<"$input_arm")" \
    "$(platform_entry "$layout" app linux/arm64/v8 | jq -r .digest)"
check_capped_platform "every platform: amd64" "$layout" app amd64 "" 3 \
    "$amd_capcheck"
check_capped_platform "every platform: arm64" "$layout" app arm64 v8 4 \
    "$arm_capcheck"

assert_contains "stderr says attestations describe the old image" \
    "old image" "$(stderr_lines_with attestation)"
assert_eq "stderr warns once about signatures" 1 \
    "$(stderr_lines_with signature | grep -c '')"
assert_contains "the signature warning names the old index digest" \
    "$input_index_digest" "$(stderr_lines_with signature)"
# Runtime advice ("ocicap: runtime: " and its indented securityContext
# snippet) is the other kind of stderr output a set prints.
assert_eq "every stderr line is a warning or advice" "" \
    "$(grep -v -e '^ocicap: warning: ' -e '^ocicap: runtime: ' -e '^  ' \
        <<<"$OCICAP_STDERR")"

for platform in linux/amd64 linux/arm64/v8 linux/arm64; do
    expect_success "get --platform $platform" \
        get --platform "$platform" "oci:$layout:app" /usr/bin/capcheck
    assert_eq "get --platform $platform prints the caps" \
        "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"
done
expect_success "get -r --platform linux/arm64/v8" \
    get -r --platform linux/arm64/v8 "oci:$layout:app"
assert_eq "get -r --platform linux/arm64/v8 prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"
expect_error "get without --platform names the platforms" linux/arm64/v8 \
    get "oci:$layout:app" /usr/bin/capcheck
expect_error "get --platform of no image" linux/s390x \
    get --platform linux/s390x "oci:$layout:app" /usr/bin/capcheck
expect_error "get --platform of the attestations" unknown/unknown \
    get --platform unknown/unknown "oci:$layout:app" /usr/bin/capcheck
# A value that is no platform at all is a usage error (exit 2).
run_ocicap get --platform linux "oci:$layout:app" /usr/bin/capcheck
check_error_result "get --platform linux" '"linux"' 2
run_ocicap explain --platform linux/ "oci:$layout:app"
check_error_result "explain --platform linux/" '"linux/"' 2

# ---------------------------------------------------------------------
echo "# --platform"

for platform in linux/arm64 linux/arm64/v8; do
    layout=$(new_case "$input" "only-${platform//\//-}")
    if expect_success "set --platform $platform" set --platform "$platform" \
        "oci:$layout:app" cap_ipc_lock+eip /usr/bin/only-arm; then
        assert_eq "set --platform $platform: one line" \
            "/usr/bin/only-arm cap_ipc_lock=eip (linux/arm64/v8)" \
            "$(set_output_files)"
    fi
    assert_eq "set --platform $platform leaves amd64 as it was" \
        "$input_amd" "$(platform_entry "$layout" app linux/amd64)"
    assert_ne "set --platform $platform changes arm64" \
        "$input_arm" "$(platform_entry "$layout" app linux/arm64/v8)"
    assert_valid_layout "set --platform $platform" "$layout"
done
expect_success "get the arm64-only file after --platform" \
    get --platform linux/arm64 "oci:$layout:app" /usr/bin/only-arm
assert_eq "arm64-only file has the caps" \
    "/usr/bin/only-arm cap_ipc_lock=eip" "$OCICAP_STDOUT"

layout=$(new_case "$input" both-platforms)
expect_success "--platform twice" set --platform linux/amd64 \
    --platform linux/arm64/v8 "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
assert_eq "--platform twice changes both" 2 "$(set_output_files | grep -c '')"

layout=$(new_case "$input" platform-errors)
expect_rejected "--platform with a variant no image has" linux/arm64/v7 \
    "$layout" set --platform linux/arm64/v7 "oci:$layout:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
expect_rejected "--platform no image has" linux/s390x "$layout" \
    set --platform linux/s390x "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
# A value that is no platform at all is a usage error (exit 2).
before=$(tree_fingerprint "$layout")
run_ocicap set --platform bogus "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "--platform that is not OS/ARCH" bogus 2
assert_eq "--platform that is not OS/ARCH: layout unchanged" \
    "$before" "$(tree_fingerprint "$layout")"
expect_rejected "--platform of the attestations" unknown/unknown \
    "$layout" set --platform unknown/unknown "oci:$layout:app" \
    cap_ipc_lock+eip /usr/bin/capcheck

# A path that one selected platform lacks fails the whole command.
expect_rejected "a path only arm64 has, on every platform" linux/amd64 \
    "$layout" set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/only-arm
expect_rejected "a path only arm64 has, on both by --platform" \
    linux/amd64 "$layout" set --platform linux/amd64 \
    --platform linux/arm64 "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/only-arm

# --platform takes one value: IMAGE, CAPS and several PATHs follow it.
layout=$(new_case "$input" platform-paths)
if expect_success "--platform before two PATHs" set --platform linux/arm64 \
    "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck /usr/bin/only-arm
then
    assert_eq "--platform before two PATHs: both files changed" \
        "/usr/bin/capcheck cap_ipc_lock=eip (linux/arm64/v8)
/usr/bin/only-arm cap_ipc_lock=eip (linux/arm64/v8)" "$(set_output_files)"
fi
expect_success "get --platform before two PATHs" get --platform linux/arm64 \
    "oci:$input:app" /usr/bin/capcheck /usr/bin/only-arm

single=$(new_case "$DEFAULT_IMAGE" single)
expect_rejected "--platform other than a single image's config" \
    "a single image for linux/amd64" "$single" set --platform linux/arm64 \
    "oci:$single:app" cap_ipc_lock+eip /usr/bin/capcheck
# get must not read an amd64 image when asked for s390x, and its error
# names the platform the image has.
expect_error "get --platform on a single-platform image" "$single" \
    get --platform linux/s390x "oci:$single:app" /usr/bin/capcheck
assert_contains "get --platform linux/s390x names the config's platform" \
    "a single image for linux/amd64" "$OCICAP_STDERR"
# A single image has no index entry to select, so its config decides.
expect_success "get --platform of a single image's config" \
    get --platform linux/amd64 "oci:$single:app" /usr/bin/capcheck
expect_success "dry run --platform of a single image's config" \
    set --dry-run --platform linux/amd64 "oci:$single:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
expect_rejected "dry run --platform other than a single image's config" \
    linux/amd64 "$single" set --dry-run --platform linux/arm64 \
    "oci:$single:app" cap_ipc_lock+eip /usr/bin/capcheck

# Each --platform must match an image, not just one of them.
layout=$(new_case "$input" one-platform-missing)
expect_rejected "set --platform arm64 and s390x" linux/s390x "$layout" \
    set --platform linux/arm64 --platform linux/s390x \
    "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
expect_rejected "dry run --platform arm64 and s390x" linux/s390x "$layout" \
    set --dry-run --platform linux/arm64 --platform linux/s390x \
    "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_contains "dry run --platform s390x lists the platforms" \
    "(platforms: linux/amd64, linux/arm64/v8)" "$OCICAP_STDERR"

# ---------------------------------------------------------------------
echo "# --attestations"

layout=$(new_case "$input" drop)
expect_success "set --attestations drop" set --attestations drop \
    "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "--attestations drop removes both attestations" \
    "" "$(attestation_entries "$layout" app)"
assert_eq "--attestations drop keeps the images in order" \
    '[{"architecture":"amd64","os":"linux"},{"architecture":"arm64","os":"linux","variant":"v8"}]' \
    "$(index_document "$layout" app | jq -c '[.manifests[].platform]')"
assert_contains "stderr says the attestations were dropped" \
    dropped "$(stderr_lines_with attestation)"
assert_valid_layout "--attestations drop" "$layout"
assert_command "--attestations drop: skopeo copy --all reads it" \
    skopeo copy --quiet --all "oci:$layout:app" "oci:$WORK/drop-copy:app"

# The amd64 attestation still describes the unchanged amd64 image.
layout=$(new_case "$input" drop-arm)
expect_success "set --platform linux/arm64 --attestations drop" \
    set --platform linux/arm64 --attestations drop "oci:$layout:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "drop with --platform keeps the attestation of amd64" \
    "$(grep -F "$(jq -r .digest <<<"$input_amd")" <<<"$input_attestations")" \
    "$(attestation_entries "$layout" app)"

layout=$(new_case "$input" attestations-usage)
expect_usage_error "--attestations with an unknown value" \
    set --attestations remove "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck

# ---------------------------------------------------------------------
echo "# nested index"

layout=$(new_case "$input" nested)
python3 "$OCITOOL" nest-index "$layout" app || fatal "ocitool nest-index failed"
nested_digest=$(ref_digest "$layout" app)
if expect_success "set on a nested index" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck; then
    assert_eq "nested index: one line per platform" 2 \
        "$(set_output_files | grep -c '')"
fi
assert_valid_layout "nested index" "$layout"
assert_eq "nested index: stderr warns once about signatures" 1 \
    "$(stderr_lines_with signature | grep -c '')"
assert_contains "nested index: the warning names the outer index" \
    "$nested_digest" "$(stderr_lines_with signature)"
# skopeo 1.9 cannot copy an index inside an index ("Unexpectedly
# received a manifest list instead of a manifest for a single image"),
# so the inner index gets a ref of its own for skopeo to read.
inner=$(index_document "$layout" app | jq -c '.manifests[0]
    | .annotations = {"org.opencontainers.image.ref.name": "inner"}')
jq -c --argjson inner "$inner" '.manifests += [$inner]' \
    "$layout/index.json" >"$WORK/index.json" &&
    mv "$WORK/index.json" "$layout/index.json"
check_capped_platform "nested index: arm64" "$layout" inner arm64 v8 4 \
    "$arm_capcheck"
expect_success "get --platform on a nested index" \
    get --platform linux/amd64 "oci:$layout:app" /usr/bin/capcheck
assert_eq "get --platform on a nested index prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"

# ---------------------------------------------------------------------
echo "# Docker manifest list"

# ocitool.py builds the list from Docker schema 2 images that skopeo
# copy --format v2s2 writes. skopeo 1.9 and umoci 0.4.7 do not read
# Docker media types in an image layout, so ocitool.py and ocicap check
# the result.
docker_list=$WORK/docker-list
for ref in amd arm; do
    skopeo copy --quiet --format v2s2 "oci:$refs:$ref" \
        "oci:$docker_list:$ref" ||
        fatal "skopeo could not write $docker_list:$ref"
done
python3 "$OCITOOL" make-index --docker "$docker_list" app \
    amd=linux/amd64 arm=linux/arm64/v8 || fatal "ocitool make-index failed"
layout=$(new_case "$docker_list" docker-list)
expect_success "set on a Docker manifest list" \
    set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "Docker manifest list keeps its media type" \
    application/vnd.docker.distribution.manifest.list.v2+json \
    "$(index_document "$layout" app | jq -r .mediaType)"
assert_eq "Docker manifest list entries keep the Docker manifest type" \
    application/vnd.docker.distribution.manifest.v2+json \
    "$(index_document "$layout" app | jq -r '.manifests[].mediaType' |
        sort -u)"
assert_valid_layout "Docker manifest list" "$layout"
expect_success "get --platform on a Docker manifest list" \
    get --platform linux/arm64 "oci:$layout:app" /usr/bin/capcheck
assert_eq "get --platform on a Docker manifest list prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"

# ---------------------------------------------------------------------
echo "# schema 1 manifest in an index"

schema1_list=$WORK/schema1-list
skopeo copy --quiet "oci:$refs:amd" "oci:$schema1_list:amd" &&
    skopeo copy --quiet --format v2s1 "oci:$refs:arm" \
        "oci:$schema1_list:arm" ||
    fatal "skopeo could not write $schema1_list"
python3 "$OCITOOL" make-index "$schema1_list" app amd=linux/amd64 \
    arm=linux/arm64/v8 || fatal "ocitool make-index failed"
layout=$(new_case "$schema1_list" schema1-list)
expect_rejected "set on an index with a schema 1 manifest" "schema 1" \
    "$layout" set "oci:$layout:app" cap_ipc_lock+eip /usr/bin/capcheck
expect_success "set --platform past a schema 1 manifest" \
    set --platform linux/amd64 "oci:$layout:app" cap_ipc_lock+eip \
    /usr/bin/capcheck

# ---------------------------------------------------------------------
echo "# multi-platform archives"

archive=$WORK/multi.tar
skopeo copy --quiet --all "oci:$input:app" "oci-archive:$archive:app" ||
    fatal "skopeo could not write $archive"
cp "$archive" "$WORK/multi-stream.tar"
expect_success "set on a multi-platform oci-archive" \
    set "oci-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "multi-platform oci-archive: one line per platform" 2 \
    "$(set_output_files | grep -c '')"
extracted=$(extract_archive "$archive")
assert_valid_layout "multi-platform oci-archive" "$extracted"
check_capped_platform "multi-platform oci-archive: arm64" "$extracted" app \
    arm64 v8 4 "$arm_capcheck"

# Through standard input and output the warnings go to stderr only.
"$OCICAP" set oci-archive:- cap_ipc_lock+eip /usr/bin/capcheck \
    <"$WORK/multi-stream.tar" >"$WORK/multi-out.tar" 2>"$WORK/multi.stderr"
assert_eq "multi-platform oci-archive:-: exit 0" 0 "$?"
assert_eq "multi-platform oci-archive:-: one signature warning" 1 \
    "$(grep -c signature "$WORK/multi.stderr")"
extracted=$(extract_archive "$WORK/multi-out.tar")
assert_valid_layout "multi-platform oci-archive:-" "$extracted"
assert_command "multi-platform oci-archive:-: skopeo copy --all reads it" \
    skopeo copy --quiet --all "oci-archive:$WORK/multi-out.tar:app" \
    "oci:$WORK/multi-out-copy:app"

single=$(new_case "$DEFAULT_IMAGE" single-set)
expect_success "set --platform of a single image's config" \
    set --platform linux/amd64 "oci:$single:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
expect_success "get after set --platform on a single image" \
    get "oci:$single:app" /usr/bin/capcheck
assert_eq "the single image got the capability" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"

e2e_finish
