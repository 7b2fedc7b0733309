#!/bin/bash
# ocicap on archives: oci-archive:FILE[:REF], docker-archive:FILE[:NAME:TAG]
# (the classic docker save layout and the Docker 25 layout), a plain path
# whose kind is detected, and "-" for standard input and output.
# Every input archive is written by skopeo (or assembled from skopeo's
# output where skopeo 1.9 cannot write the layout), and every result is
# read back by skopeo, unpacked by umoci and checked with getcap and an
# exec as uid 65534. Writing in place must go through a temporary file
# and a rename, and a failed run must leave the archive as it was.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
require_file_caps_on_exec

# tmpfs mounts made by this script, unmounted before $WORK is removed.
MOUNTS=()
cleanup() {
    local mount_point
    for mount_point in "${MOUNTS[@]}"; do
        umount "$mount_point" 2>/dev/null
    done
    rm -rf "$WORK"
}
trap cleanup EXIT

# Mounts a tmpfs of SIZE kibibytes at new directory DIR. Returns 1 if
# the mount fails.
mount_small_tmpfs() {
    local directory=$1 size=$2
    make_dir "$directory"
    mount -t tmpfs -o "size=${size}k,mode=0755" tmpfs "$directory" ||
        return 1
    MOUNTS+=("$directory")
}

# Prints a checksum of FILE's content, mode and owner.
file_state() {
    stat --format '%a %u:%g %s' "$1"
    file_sha256 "$1"
}

# Prints the names in DIR that are neither in the list NAME... nor
# hidden, so a test can tell that no temporary file was left.
unexpected_files() {
    local directory=$1
    shift
    ls -A "$directory" | grep -v -x -F "$(printf '%s\n' "$@")"
}

# Runs ocicap ARGS... with standard input from INPUT and standard output
# to OUTPUT, setting OCICAP_STATUS and OCICAP_STDERR. OCICAP_STDOUT is
# left empty, because the output is a binary archive.
run_ocicap_stream() {
    local input=$1 output=$2
    shift 2
    echo "# \$ ocicap $(printf '%q ' "$@")<$(basename "$input") >$(basename "$output")"
    "$OCICAP" "$@" <"$input" >"$output" 2>"$WORK/ocicap.stderr"
    OCICAP_STATUS=$?
    OCICAP_STDOUT=""
    OCICAP_STDERR=$(cat "$WORK/ocicap.stderr")
}

# Checks the report of the last set run on the default image: one line
# for capcheck without a platform suffix (the image is single-platform),
# then the manifest digest.
check_set_report() {
    local description=$1 report=$2
    # Runtime advice lines, which precede the report on stderr, are skipped.
    report=$(grep -v -e '^ocicap: runtime: ' -e '^  ' <<<"$report")
    assert_eq "$description: report names capcheck" \
        "/usr/bin/capcheck cap_ipc_lock=eip" "$(head -n 1 <<<"$report")"
    assert_contains "$description: report ends with the digest" \
        "sha256:" "$(tail -n 1 <<<"$report")"
}

# ---------------------------------------------------------------------
# The Docker 25 archive

# Writes ARCHIVE in the layout that docker save writes from Docker 25
# (moby image/tarexport/save.go): an OCI image layout and the classic
# manifest.json side by side, both naming the same blobs, and no legacy
# <id>/ directories. Each TAG (NAME:TAG) gets one index.json entry with
# the io.containerd.image.name and org.opencontainers.image.ref.name
# annotations, and all TAGs go in one manifest.json entry.
#
# skopeo 1.9 writes only the classic layout, so the pieces come from a
# skopeo docker-archive: the layer tars (uncompressed, as Docker 25
# stores them), the config and the repositories file. Made by hand here:
# the OCI manifest, index.json, oci-layout, and manifest.json with its
# paths rewritten to blobs/sha256/HEX.
make_docker25_archive() {
    local archive=$1
    shift
    local classic=$WORK/docker25-classic.tar pieces layout
    rm -f "$classic"
    make_archive docker-archive "$classic" "$1"
    pieces=$(extract_archive "$classic")
    layout=$(mktemp -d -p "$WORK" docker25.XXXXXX)
    mkdir -p "$layout/blobs/sha256"

    local config_path config_hex layer_path layer_hex
    local layers='[]' layer_paths='[]'
    config_path=$(jq -r '.[0].Config' "$pieces/manifest.json")
    config_hex=$(file_sha256 "$pieces/$config_path")
    cp "$pieces/$config_path" "$layout/blobs/sha256/$config_hex"
    for layer_path in $(jq -r '.[0].Layers[]' "$pieces/manifest.json"); do
        layer_hex=$(file_sha256 "$pieces/$layer_path")
        cp "$pieces/$layer_path" "$layout/blobs/sha256/$layer_hex"
        layers=$(jq -c --arg digest "sha256:$layer_hex" \
            --argjson size "$(stat --format %s "$pieces/$layer_path")" \
            '. + [{mediaType: "application/vnd.oci.image.layer.v1.tar",
                   digest: $digest, size: $size}]' <<<"$layers")
        layer_paths=$(jq -c --arg path "blobs/sha256/$layer_hex" \
            '. + [$path]' <<<"$layer_paths")
    done

    local platform manifest manifest_hex
    platform=$(jq -c '{architecture, os}' \
        "$layout/blobs/sha256/$config_hex")
    manifest=$(jq -nc --arg digest "sha256:$config_hex" \
        --argjson size "$(stat --format %s "$layout/blobs/sha256/$config_hex")" \
        --argjson platform "$platform" --argjson layers "$layers" \
        '{schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: {mediaType: "application/vnd.oci.image.config.v1+json",
                   digest: $digest, size: $size, platform: $platform},
          layers: $layers}')
    printf '%s' "$manifest" >"$WORK/docker25-manifest.json"
    manifest_hex=$(file_sha256 "$WORK/docker25-manifest.json")
    cp "$WORK/docker25-manifest.json" "$layout/blobs/sha256/$manifest_hex"

    local tag entries='[]' tags
    for tag in "$@"; do
        entries=$(jq -c --arg digest "sha256:$manifest_hex" \
            --argjson size "$(stat --format %s "$WORK/docker25-manifest.json")" \
            --argjson platform "$platform" \
            --arg name "docker.io/library/$tag" --arg ref "${tag##*:}" \
            '. + [{mediaType: "application/vnd.oci.image.manifest.v1+json",
                   digest: $digest, size: $size, platform: $platform,
                   annotations: {"io.containerd.image.name": $name,
                                 "org.opencontainers.image.ref.name": $ref}}]' \
            <<<"$entries")
    done
    jq -nc --argjson manifests "$entries" \
        '{schemaVersion: 2,
          mediaType: "application/vnd.oci.image.index.v1+json",
          manifests: $manifests}' >"$layout/index.json"
    printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
    tags=$(printf '%s\n' "$@" | jq -R . | jq -sc .)
    jq -nc --arg config "blobs/sha256/$config_hex" --argjson tags "$tags" \
        --argjson layers "$layer_paths" \
        '[{Config: $config, RepoTags: $tags, Layers: $layers}]' \
        >"$layout/manifest.json"
    cp "$pieces/repositories" "$layout/repositories"
    chmod -R u+w "$layout"
    tar --create --file "$archive" --directory "$layout" --sort=name \
        --owner=0 --group=0 --numeric-owner --mtime=@0 \
        blobs index.json manifest.json oci-layout repositories ||
        fatal "tar could not pack $layout"
}

# Prints "TAG CONFIG LAYER..." for each tag in the manifest.json half of
# extracted docker archive DIR, with docker.io/library/ dropped.
docker_half_images() {
    jq -r '.[] | . as $image | (.RepoTags // [])[]
        | [., ($image.Config | sub("^blobs/sha256/"; "sha256:")),
           ($image.Layers[] | sub("^blobs/sha256/"; "sha256:"))]
        | join(" ")' "$1/manifest.json" |
        sed 's#^docker\.io/library/##' | sort
}

# Prints the same lines for the index.json half of DIR, from each
# entry's io.containerd.image.name and the manifest it points at.
oci_half_images() {
    local directory=$1 name digest
    jq -r '.manifests[]
        | [.annotations["io.containerd.image.name"], .digest] | join(" ")' \
        "$directory/index.json" |
        while read -r name digest; do
            echo "${name#docker.io/library/}" \
                "$(jq -r '[.config.digest, .layers[].digest] | join(" ")' \
                    "$(blob_path "$directory" "$digest")")"
        done | sort
}

# Checks a Docker 25 archive ARCHIVE after set: both halves name the
# same images under the same tags, the OCI half is a valid layout that
# umoci unpacks, and skopeo reads the same layers through both.
check_docker25_result() {
    local description=$1 archive=$2 tag=$3
    local extracted bundle
    extracted=$(extract_archive "$archive")
    assert_eq "$description: still a Docker 25 archive" \
        "blobs index.json manifest.json oci-layout repositories" \
        "$(archive_top_entries "$archive" | tr '\n' ' ' | sed 's/ $//')"
    assert_eq "$description: manifest.json and index.json agree" \
        "$(docker_half_images "$extracted")" "$(oci_half_images "$extracted")"
    assert_valid_layout "$description: OCI half" "$extracted"
    assert_eq "$description: umoci unpacks the OCI half with caps" \
        "/usr/bin/capcheck cap_ipc_lock=eip" \
        "$(unpacked_getcap "$extracted" "${tag##*:}")"
    assert_capped_skopeo_image "$description: docker-archive view" \
        "docker-archive:$archive:$tag" 3
    assert_eq "$description: skopeo sees the same layers in both views" \
        "$(skopeo inspect "docker-archive:$archive:$tag" | jq -c .Layers)" \
        "$(skopeo inspect "oci-archive:$archive:${tag##*:}" | jq -c .Layers)"
}

# ---------------------------------------------------------------------
# Inputs

inputs=$WORK/inputs
make_dir "$inputs"
make_archive oci-archive "$inputs/app.oci.tar" app
make_archive docker-archive "$inputs/app.docker.tar" app:1
make_docker25_archive "$inputs/app.docker25.tar" app:1
assert_command "skopeo reads the Docker 25 input as a docker archive" \
    skopeo inspect "docker-archive:$inputs/app.docker25.tar"
assert_command "skopeo reads the Docker 25 input as an OCI archive" \
    skopeo inspect "oci-archive:$inputs/app.docker25.tar:1"

# Copies input KIND (oci, docker or docker25) to app.tar in a new
# directory named after CASE and prints its path. The directory contains
# nothing else, so a test can tell whether a temporary file was left.
new_archive() {
    local kind=$1 name=$2
    make_dir "$WORK/cases/$name"
    cp "$inputs/app.$kind.tar" "$WORK/cases/$name/app.tar"
    echo "$WORK/cases/$name/app.tar"
}

# ---------------------------------------------------------------------
echo "# oci-archive in place"

archive=$(new_archive oci oci-in-place)
inode_before=$(inode_of "$archive")
if expect_success "set oci-archive in place" \
    set "oci-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck; then
    check_set_report "set oci-archive" "$OCICAP_STDOUT"
fi
assert_ne "oci-archive in place: replaced by rename (new inode)" \
    "$inode_before" "$(inode_of "$archive")"
assert_eq "oci-archive in place: no temporary file left" \
    "" "$(unexpected_files "$(dirname "$archive")" app.tar)"
assert_eq "oci-archive in place: still an OCI archive" \
    "blobs index.json oci-layout" \
    "$(archive_top_entries "$archive" | tr '\n' ' ' | sed 's/ $//')"
extracted=$(extract_archive "$archive")
assert_valid_layout "oci-archive in place" "$extracted"
assert_eq "oci-archive in place: ref app kept" \
    app "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' \
        "$extracted/index.json")"
assert_eq "oci-archive in place: umoci unpacks the extracted layout" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$(unpacked_getcap "$extracted" app)"
assert_capped_skopeo_image "oci-archive in place" "oci-archive:$archive:app" 3
expect_success "get oci-archive" get "oci-archive:$archive:app" \
    /usr/bin/capcheck
assert_eq "get oci-archive prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"

echo "# oci-archive --tag and --output"

archive=$(new_archive oci oci-tag)
expect_success "set --tag on oci-archive" set --tag capped \
    "oci-archive:$archive:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_capped_skopeo_image "oci-archive --tag" "oci-archive:$archive:capped" 3
assert_eq "oci-archive --tag: app keeps the old image" \
    2 "$(skopeo_image_layer_count "oci-archive:$archive:app")"

archive=$(new_archive oci oci-output)
before=$(file_state "$archive")
expect_success "set --output oci-archive from oci-archive" \
    set --output "oci-archive:$WORK/cases/oci-output-new.tar" \
    "oci-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "--output oci-archive leaves the input unchanged" \
    "$before" "$(file_state "$archive")"
assert_capped_skopeo_image "--output oci-archive" \
    "oci-archive:$WORK/cases/oci-output-new.tar:app" 3

expect_success "set --output oci: from oci-archive" \
    set --output "oci:$WORK/cases/oci-output-layout:app" \
    "oci-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
assert_valid_layout "--output oci: from oci-archive" \
    "$WORK/cases/oci-output-layout"
assert_capped_skopeo_image "--output oci: from oci-archive" \
    "oci:$WORK/cases/oci-output-layout:app" 3
assert_eq "--output oci: leaves the input unchanged" \
    "$before" "$(file_state "$archive")"

# ---------------------------------------------------------------------
echo "# oci-archive with two refs"

# podman save --format oci-archive writes a tar of an image layout, so a
# GNU tar of a skopeo-made layout with two refs is used in its place.
two_refs=$WORK/two-refs-layout
skopeo copy --quiet "oci:$DEFAULT_IMAGE:app" "oci:$two_refs:one" &&
    skopeo copy --quiet "oci:$DEFAULT_IMAGE:app" "oci:$two_refs:two" ||
    fatal "skopeo could not write $two_refs"
umoci config --image "$two_refs:two" --no-history \
    --config.label org.example.second=yes ||
    fatal "umoci config failed on $two_refs:two"
archive=$WORK/cases/two-refs.tar
tar --create --file "$archive" --directory "$two_refs" \
    blobs index.json oci-layout
before=$(file_state "$archive")
expect_error "set oci-archive with two refs and no REF" one \
    set "oci-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
assert_contains "oci-archive without REF: the hint keeps the transport" \
    "name one as oci-archive:$archive:REF" "$OCICAP_STDERR"
expect_error "get oci-archive with two refs and no REF" \
    "name one as oci-archive:$archive:REF" \
    get "oci-archive:$archive" /usr/bin/capcheck
expect_error "set oci-archive with an unknown REF" nosuch \
    set "oci-archive:$archive:nosuch" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "oci-archive REF errors leave the archive unchanged" \
    "$before" "$(file_state "$archive")"
expect_success "set oci-archive REF two" \
    set "oci-archive:$archive:two" cap_ipc_lock+eip /usr/bin/capcheck
assert_capped_skopeo_image "oci-archive REF two" "oci-archive:$archive:two" 3
assert_eq "oci-archive REF two: one unchanged" \
    2 "$(skopeo_image_layer_count "oci-archive:$archive:one")"

# ---------------------------------------------------------------------
echo "# classic docker-archive"

archive=$(new_archive docker docker-in-place)
inode_before=$(inode_of "$archive")
if expect_success "set docker-archive in place" \
    set "docker-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck; then
    check_set_report "set docker-archive" "$OCICAP_STDOUT"
fi
assert_ne "docker-archive in place: replaced by rename (new inode)" \
    "$inode_before" "$(inode_of "$archive")"
assert_eq "docker-archive in place: no temporary file left" \
    "" "$(unexpected_files "$(dirname "$archive")" app.tar)"
assert_contains "docker-archive in place: still has manifest.json" \
    manifest.json "$(archive_top_entries "$archive")"
assert_not_contains "docker-archive in place: no OCI layout added" \
    oci-layout "$(archive_top_entries "$archive")"
assert_eq "docker-archive in place: RepoTags kept" \
    '["docker.io/library/app:1"]' \
    "$(tar --extract --to-stdout --file "$archive" manifest.json |
        jq -c '.[0].RepoTags')"
assert_capped_skopeo_image "docker-archive in place" \
    "docker-archive:$archive:app:1" 3
expect_success "get docker-archive by NAME:TAG" \
    get "docker-archive:$archive:app:1" /usr/bin/capcheck
assert_eq "get docker-archive prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"

archive=$(new_archive docker docker-tag)
expect_success "set --tag NAME:TAG on docker-archive" \
    set --tag app:2 "docker-archive:$archive" cap_ipc_lock+eip \
    /usr/bin/capcheck
assert_eq "docker-archive --tag replaces RepoTags" '["app:2"]' \
    "$(tar --extract --to-stdout --file "$archive" manifest.json |
        jq -c '.[0].RepoTags')"
assert_capped_skopeo_image "docker-archive --tag" \
    "docker-archive:$archive:app:2" 3

# docker load rejects a RepoTags entry without a tag (moby
# image/tarexport/load.go: "invalid tag"), so --tag must be NAME:TAG.
archive=$(new_archive docker docker-bad-tag)
before=$(file_state "$archive")
run_ocicap set --tag app "docker-archive:$archive" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "set --tag without :TAG on docker-archive" NAME:TAG 2
assert_eq "--tag without :TAG leaves the archive unchanged" \
    "$before" "$(file_state "$archive")"

# A name with a space fits neither grammar, so it is a usage error, and
# adding :latest would not make it valid, so the error must not offer it.
# Capitals fit the OCI ref grammar but not Docker's lowercase names.
run_ocicap set --tag 'Bad Tag' "docker-archive:$archive" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "set --tag 'Bad Tag' on docker-archive" '"Bad Tag"' 2
assert_not_contains "--tag 'Bad Tag': no Bad Tag:latest advice" \
    "Bad Tag:latest" "$OCICAP_STDERR"
run_ocicap set --tag Bad:Tag "docker-archive:$archive" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "set --tag Bad:Tag on docker-archive" '"Bad:Tag"' 2
assert_contains "--tag Bad:Tag: the error gives a valid example" \
    "e.g. app:1" "$OCICAP_STDERR"
assert_eq "invalid docker-archive --tag values leave the archive unchanged" \
    "$before" "$(file_state "$archive")"

archive=$(new_archive docker docker-output)
before=$(file_state "$archive")
expect_success "set --output docker-archive from docker-archive" \
    set --output "docker-archive:$WORK/cases/docker-output-new.tar" \
    "docker-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
assert_capped_skopeo_image "--output docker-archive" \
    "docker-archive:$WORK/cases/docker-output-new.tar" 3
assert_eq "--output docker-archive leaves the input unchanged" \
    "$before" "$(file_state "$archive")"

# ---------------------------------------------------------------------
echo "# docker-archive with two images"

# docker save app:1 app:2 writes one manifest.json entry per image. skopeo
# 1.9 writes one image per archive, so two of its archives are merged by
# copying both sets of files and concatenating the manifest.json arrays.
# The second image has a config of its own, as two images in one archive
# always do.
merged=$WORK/two-images
first=$(extract_archive "$inputs/app.docker.tar")
second_layout=$WORK/second-layout
copy_default_image "$second_layout"
umoci config --image "$second_layout:app" --no-history \
    --config.label org.example.second=yes ||
    fatal "umoci config failed on $second_layout"
skopeo copy --quiet "oci:$second_layout:app" \
    "docker-archive:$WORK/second.tar:app:2" ||
    fatal "skopeo could not write $WORK/second.tar"
second=$(extract_archive "$WORK/second.tar")
cp -r "$first" "$merged"
cp -r "$second/." "$merged/"
jq -c -s '.[0] + .[1]' "$first/manifest.json" "$second/manifest.json" \
    >"$merged/manifest.json"
archive=$WORK/cases/two-images.tar
tar --create --file "$archive" --directory "$merged" --sort=name .
before=$(file_state "$archive")
expect_error "set docker-archive with two images and no NAME:TAG" \
    "app:2" set "docker-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
expect_error "set docker-archive with an unknown NAME:TAG" "app:3" \
    set "docker-archive:$archive:app:3" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "docker-archive NAME:TAG errors leave the archive unchanged" \
    "$before" "$(file_state "$archive")"
expect_success "set docker-archive NAME:TAG app:2" \
    set "docker-archive:$archive:app:2" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "docker-archive app:2 has the new layer" \
    3 "$(skopeo_image_layer_count "docker-archive:$archive:app:2")"

# ---------------------------------------------------------------------
echo "# Docker 25 docker-archive"

archive=$(new_archive docker25 docker25-in-place)
if expect_success "set Docker 25 archive in place" \
    set "docker-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck; then
    check_set_report "set Docker 25 archive" "$OCICAP_STDOUT"
fi
check_docker25_result "Docker 25 in place" "$archive" app:1
assert_eq "Docker 25 in place: index.json annotations kept" \
    '{"io.containerd.image.name":"docker.io/library/app:1","org.opencontainers.image.ref.name":"1"}' \
    "$(tar --extract --to-stdout --file "$archive" index.json |
        jq -cS '.manifests[0].annotations')"

# --tag names the new image in both halves.
# Named as an OCI archive, a Docker 25 archive still gets its
# manifest.json updated, which docker load reads.
archive=$(new_archive docker25 docker25-as-oci)
expect_success "set Docker 25 archive as oci-archive:" \
    set "oci-archive:$archive:1" cap_ipc_lock+eip /usr/bin/capcheck
check_docker25_result "Docker 25 as oci-archive:" "$archive" app:1

archive=$(new_archive docker25 docker25-tag)
expect_success "set --tag on a Docker 25 archive" \
    set --tag app:2 "docker-archive:$archive" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_docker25_result "Docker 25 --tag" "$archive" app:2

# Two tags of one image: docker save writes one index.json entry per tag.
make_docker25_archive "$WORK/cases/docker25-two-tags.tar" app:1 app:latest
archive=$WORK/cases/docker25-two-tags.tar
expect_success "set on a Docker 25 archive with two tags" \
    set "docker-archive:$archive:app:1" cap_ipc_lock+eip /usr/bin/capcheck
check_docker25_result "Docker 25 with two tags" "$archive" app:latest

# With the containerd image store, Docker 25 and later point each
# index.json entry at an image index of the platform images and their
# attestations. manifest.json names the image of the daemon's platform.
# ocitool.py wraps the Docker 25 entry in such an index.
archive=$(new_archive docker25 containerd-store)
containerd=$(extract_archive "$archive")
python3 "$OCITOOL" nest-index "$containerd" 1 &&
    python3 "$OCITOOL" add-attestation "$containerd" 1 0 ||
    fatal "ocitool could not nest the Docker 25 index"
jq -c '.manifests[0].annotations += {"io.containerd.image.name":
    "docker.io/library/app:1"}' "$containerd/index.json" \
    >"$WORK/index.json" && mv "$WORK/index.json" "$containerd/index.json"
tar --create --file "$archive" --directory "$containerd" --sort=name \
    blobs index.json manifest.json oci-layout repositories
expect_success "set on a containerd-store docker archive" \
    set "docker-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
assert_capped_skopeo_image "containerd-store archive: docker-archive view" \
    "docker-archive:$archive:app:1" 3
expect_success "get the containerd-store archive's OCI half" \
    get --platform linux/amd64 "oci-archive:$archive:1" /usr/bin/capcheck
assert_eq "containerd-store archive: OCI half has the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"

archive=$(new_archive docker25 docker25-output)
before=$(file_state "$archive")
expect_success "set --output docker-archive from Docker 25" \
    set --output "docker-archive:$WORK/cases/docker25-output-new.tar" \
    "docker-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
check_docker25_result "--output from Docker 25" \
    "$WORK/cases/docker25-output-new.tar" app:1
assert_eq "--output from Docker 25 leaves the input unchanged" \
    "$before" "$(file_state "$archive")"

# ---------------------------------------------------------------------
echo "# plain paths"

for kind in oci docker docker25; do
    archive=$(new_archive "$kind" "plain-$kind")
    expect_success "set on a plain path to a $kind archive" \
        set "$archive" cap_ipc_lock+eip /usr/bin/capcheck
    expect_success "get on a plain path to a $kind archive" \
        get "$archive" /usr/bin/capcheck
    assert_eq "plain $kind archive: get prints the caps" \
        "/usr/bin/capcheck cap_ipc_lock=eip" "$OCICAP_STDOUT"
done
assert_eq "plain oci archive stays an OCI archive" \
    3 "$(skopeo_image_layer_count "oci-archive:$WORK/cases/plain-oci/app.tar")"
assert_eq "plain docker archive stays a docker archive" \
    3 "$(skopeo_image_layer_count \
        "docker-archive:$WORK/cases/plain-docker/app.tar")"

layout=$WORK/cases/plain-layout
copy_default_image "$layout"
expect_success "set on a plain path to a layout" \
    set "$layout" cap_ipc_lock+eip /usr/bin/capcheck
assert_valid_layout "plain layout" "$layout"
assert_capped_skopeo_image "plain layout" "oci:$layout:app" 3

# Paths that are no image: the error names the path, and the file is
# left as it was.
unknown=$WORK/unknown
make_dir "$unknown/dir"
head -c 4096 /dev/urandom >"$unknown/random.bin"
: >"$unknown/empty.tar"
tar --create --file "$unknown/other.tar" --directory "$REPO_ROOT" README.md
echo '{"imageLayoutVersion":"1.0.0"}' >"$unknown/oci-layout.json"
for name in dir random.bin empty.tar other.tar oci-layout.json; do
    before=$(tree_fingerprint "$unknown")
    expect_error "set on a plain path to $name" "$unknown/$name" \
        set "$unknown/$name" cap_ipc_lock+eip /usr/bin/capcheck
    expect_error "get on a plain path to $name" "$unknown/$name" \
        get "$unknown/$name"
    assert_eq "$name is left unchanged" \
        "$before" "$(tree_fingerprint "$unknown")"
done
expect_error "get on a tar with neither manifest.json nor index.json" \
    manifest.json get "$unknown/other.tar"
expect_error "get on a missing plain path" "$unknown/nosuch.tar" \
    get "$unknown/nosuch.tar"

# A transport that does not match the content names the right one.
expect_error "oci-archive: on a docker archive" docker-archive: \
    get "oci-archive:$inputs/app.docker.tar"
expect_error "docker-archive: on an OCI archive" oci-archive: \
    get "docker-archive:$inputs/app.oci.tar"
expect_error "oci: with standard input" oci-archive:- \
    get "oci:-"

archive=$(new_archive docker output-kind)
before=$(file_state "$archive")
expect_error "--output oci-archive from docker-archive" oci-archive \
    set --output "oci-archive:$WORK/cases/kind.tar" \
    "docker-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "--output of another kind leaves the input unchanged" \
    "$before" "$(file_state "$archive")"
assert_command "--output of another kind creates nothing" \
    test ! -e "$WORK/cases/kind.tar"

# ---------------------------------------------------------------------
echo "# standard input and output"

# skopeo 1.9 cannot read docker-archive:/dev/stdin from a pipe (it seeks
# in the file: "loading tar component manifest.json: archive/tar:
# invalid tar header"), so the stream goes to a file that skopeo reads.
for kind in docker oci; do
    transport=docker-archive
    [[ $kind == oci ]] && transport=oci-archive
    output=$WORK/stream-$kind.tar
    run_ocicap_stream "$inputs/app.$kind.tar" "$output" \
        set "$transport:-" cap_ipc_lock+eip /usr/bin/capcheck
    assert_eq "$transport:- set: exit 0" 0 "$OCICAP_STATUS"
    check_set_report "$transport:- set (report on stderr)" "$OCICAP_STDERR"
    assert_capped_skopeo_image "$transport:- result" "$transport:$output" 3
done
assert_eq "docker-archive:- keeps RepoTags" '["docker.io/library/app:1"]' \
    "$(tar --extract --to-stdout --file "$WORK/stream-docker.tar" \
        manifest.json | jq -c '.[0].RepoTags')"

run_ocicap_stream "$inputs/app.docker25.tar" "$WORK/stream-docker25.tar" \
    set docker-archive:- cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "Docker 25 through docker-archive:-: exit 0" 0 "$OCICAP_STATUS"
check_docker25_result "Docker 25 through docker-archive:-" \
    "$WORK/stream-docker25.tar" app:1

# One pipeline, as with docker save | ocicap set | docker load.
cat "$inputs/app.docker.tar" |
    "$OCICAP" set docker-archive:- cap_ipc_lock+eip /usr/bin/capcheck \
        2>"$WORK/pipeline.stderr" |
    "$OCICAP" get docker-archive:- /usr/bin/capcheck >"$WORK/pipeline.stdout"
assert_eq "pipeline set | get: every stage exits 0" "0 0 0" \
    "${PIPESTATUS[*]}"
assert_eq "pipeline set | get prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$(cat "$WORK/pipeline.stdout")"
check_set_report "pipeline set report on stderr" \
    "$(cat "$WORK/pipeline.stderr")"

# A file on standard input is read in place; a pipe on standard output
# takes the members copied from it through a buffer.
"$OCICAP" set docker-archive:- cap_ipc_lock+eip /usr/bin/capcheck \
    <"$inputs/app.docker.tar" 2>/dev/null |
    "$OCICAP" get docker-archive:- /usr/bin/capcheck >"$WORK/in-place.stdout"
assert_eq "file in, pipe out: both stages exit 0" "0 0" "${PIPESTATUS[*]}"
assert_eq "file in, pipe out: get prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$(cat "$WORK/in-place.stdout")"

# Read in place, the output keeps every member it does not replace, in
# order and with its own header: the input's listing without manifest.json
# starts the output's.
kept=$(tar --list --verbose --file "$inputs/app.docker.tar" |
    grep -v ' manifest.json$')
assert_eq "docker-archive:- read in place keeps the unchanged members" \
    "$kept" "$(tar --list --verbose --file "$WORK/stream-docker.tar" |
        head -n "$(wc -l <<<"$kept")")"

# A dry run of a pipeline keeps standard output empty, as the archive
# would go there, and prints its plan on standard error.
run_ocicap_stream "$inputs/app.docker.tar" "$WORK/dry-run.out" \
    set --dry-run docker-archive:- cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "dry run of docker-archive:-: exit 0" 0 "$OCICAP_STATUS"
assert_eq "dry run of docker-archive:-: nothing on stdout" 0 \
    "$(stat --format %s "$WORK/dry-run.out")"
assert_contains "dry run of docker-archive:-: plan on stderr" \
    "/usr/bin/capcheck" "$OCICAP_STDERR"

# A reader that exits early fails the write, not the process: the run
# exits 1 and removes its workspace, both when the archive is read in
# place and through a pipe.
make_dir "$WORK/early-tmp"
TMPDIR=$WORK/early-tmp "$OCICAP" set docker-archive:- cap_ipc_lock+eip \
    /usr/bin/capcheck <"$inputs/app.docker.tar" 2>"$WORK/early.stderr" |
    head -c 100 >/dev/null
assert_eq "reader exits early: exit 1" "1 0" "${PIPESTATUS[*]}"
assert_contains "reader exits early: error names standard output" \
    "cannot write standard output" "$(cat "$WORK/early.stderr")"
cat "$inputs/app.docker.tar" |
    TMPDIR=$WORK/early-tmp "$OCICAP" set docker-archive:- cap_ipc_lock+eip \
        /usr/bin/capcheck 2>/dev/null | true
assert_eq "reader exits early through a pipe: exit 1" "0 1 0" \
    "${PIPESTATUS[*]}"
assert_eq "reader exits early: TMPDIR left empty" "" \
    "$(ls -A "$WORK/early-tmp")"

# SIGTERM while the archive is read removes the workspace, and the run
# still dies of the signal. The archive arrives through a FIFO that stays
# open after its first 30000 bytes, so the run waits inside extraction.
make_dir "$WORK/term-tmp"
mkfifo "$WORK/term.fifo"
TMPDIR=$WORK/term-tmp "$OCICAP" set docker-archive:- cap_ipc_lock+eip \
    /usr/bin/capcheck <"$WORK/term.fifo" >/dev/null 2>&1 &
term_pid=$!
exec {term_fd}>"$WORK/term.fifo"
head -c 30000 "$inputs/app.docker.tar" >&"$term_fd"
for _ in $(seq 100); do
    [[ -n $(ls -A "$WORK/term-tmp") ]] && break
    sleep 0.1
done
assert_ne "SIGTERM case: the run made its workspace" "" \
    "$(ls -A "$WORK/term-tmp")"
kill -TERM "$term_pid"
wait "$term_pid"
term_status=$?
exec {term_fd}>&-
assert_eq "SIGTERM during extraction: dies of SIGTERM" 143 "$term_status"
assert_eq "SIGTERM during extraction: TMPDIR left empty" "" \
    "$(ls -A "$WORK/term-tmp")"

pipeline_output=$(cat "$inputs/app.oci.tar" |
    "$OCICAP" set - cap_ipc_lock+eip /usr/bin/capcheck 2>/dev/null |
    "$OCICAP" get - /usr/bin/capcheck)
assert_eq "pipeline with detected - prints the caps" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$pipeline_output"

run_ocicap_stream "$inputs/app.docker.tar" "$WORK/stream-error.tar" \
    set docker-archive:- cap_ipc_lock+eip /usr/bin/nope
check_error_result "docker-archive:- with a missing path" /usr/bin/nope
assert_eq "docker-archive:- with a missing path writes nothing" \
    0 "$(stat --format %s "$WORK/stream-error.tar")"

# Members are copied to a regular file on standard output while the
# layers are read. With >> the archive goes after what the file held, and
# a failed run truncates the file back to that.
printf 'earlier\n' >"$WORK/append.out"
"$OCICAP" set docker-archive:- cap_ipc_lock+eip /usr/bin/nope \
    <"$inputs/app.docker.tar" >>"$WORK/append.out" 2>/dev/null
assert_eq "failed run with >>: exit 1" 1 "$?"
assert_eq "failed run with >>: the file as it was" "earlier" \
    "$(cat "$WORK/append.out")"
"$OCICAP" set docker-archive:- cap_ipc_lock+eip /usr/bin/capcheck \
    <"$inputs/app.docker.tar" >>"$WORK/append.out" 2>/dev/null
assert_eq "run with >>: exit 0" 0 "$?"
tail -c +9 "$WORK/append.out" >"$WORK/append.tar"
assert_capped_skopeo_image "run with >>: the archive after the old bytes" \
    "docker-archive:$WORK/append.tar" 3

# An archive whose first member changes: the members copied ahead are
# all dropped and written again after it.
first_layout=$WORK/index-first
make_dir "$first_layout"
tar --extract --file "$inputs/app.oci.tar" --directory "$first_layout"
tar --create --file "$WORK/index-first.tar" --directory "$first_layout" \
    index.json oci-layout blobs
assert_eq "index.json is the first member of the test archive" index.json \
    "$(tar --list --file "$WORK/index-first.tar" | head -n 1)"
run_ocicap_stream "$WORK/index-first.tar" "$WORK/index-first-out.tar" \
    set oci-archive:- cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "index.json first, through oci-archive:-: exit 0" 0 \
    "$OCICAP_STATUS"
assert_capped_skopeo_image "index.json first, through oci-archive:-" \
    "oci-archive:$WORK/index-first-out.tar:app" 3
expect_success "index.json first, set in place" \
    set "oci-archive:$WORK/index-first.tar" cap_ipc_lock+eip \
    /usr/bin/capcheck
assert_capped_skopeo_image "index.json first, set in place" \
    "oci-archive:$WORK/index-first.tar:app" 3

run_ocicap_stream "$unknown/random.bin" "$WORK/stream-random.tar" \
    set - cap_ipc_lock+eip /usr/bin/capcheck
check_error_result "- with bytes that are no archive" "standard input"
assert_eq "- with bytes that are no archive writes nothing" \
    0 "$(stat --format %s "$WORK/stream-random.tar")"

# Through a pipe, the image is stored on disk once, so an image with a
# 24 MB file streams through with TMPDIR on a tmpfs of 1.5 times the
# archive size. From a file, its layers are read in place and TMPDIR needs
# a quarter of it: the new layer and the documents.
make_large_docker_archive "$WORK/big.tar" 24000000 /dev/urandom
big_kib=$(($(stat --format %s "$WORK/big.tar") / 1024))
if mount_small_tmpfs "$WORK/small-tmp" $((big_kib * 3 / 2)); then
    cat "$WORK/big.tar" |
        TMPDIR=$WORK/small-tmp "$OCICAP" set docker-archive:- \
            cap_ipc_lock+eip /usr/bin/capcheck >"$WORK/big-out.tar" \
            2>"$WORK/big.stderr"
    assert_eq "pipe with TMPDIR for 1.5 images: exit 0" 0 "${PIPESTATUS[1]}"
    assert_eq "pipe leaves TMPDIR empty" "" "$(ls -A "$WORK/small-tmp")"
    assert_capped_skopeo_image "pipe of a 24 MB image" \
        "docker-archive:$WORK/big-out.tar" 4
else
    echo "# mount -t tmpfs failed, disk use of a stream not checked"
fi
# Past a file size limit (ulimit -f) a write fails with EFBIG instead of
# killing the run, which takes back what it wrote to standard output.
printf 'earlier\n' >"$WORK/limited.out"
(
    ulimit -f $((big_kib / 2))
    "$OCICAP" set docker-archive:- cap_ipc_lock+eip /usr/bin/capcheck \
        <"$WORK/big.tar" >>"$WORK/limited.out" 2>"$WORK/limited.stderr"
)
assert_eq "past ulimit -f: exit 1" 1 "$?"
assert_contains "past ulimit -f: error names standard output" \
    "cannot write standard output" "$(cat "$WORK/limited.stderr")"
assert_eq "past ulimit -f: the file as it was" "earlier" \
    "$(cat "$WORK/limited.out")"

if mount_small_tmpfs "$WORK/quarter-tmp" $((big_kib / 4)); then
    TMPDIR=$WORK/quarter-tmp run_ocicap_stream "$WORK/big.tar" \
        "$WORK/big-in-place.tar" set docker-archive:- cap_ipc_lock+eip \
        /usr/bin/capcheck
    assert_eq "file read in place with TMPDIR for 1/4 image: exit 0" 0 \
        "$OCICAP_STATUS"
    [[ $OCICAP_STATUS -eq 0 ]] || show stderr "$OCICAP_STDERR"
    assert_eq "file read in place leaves TMPDIR empty" "" \
        "$(ls -A "$WORK/quarter-tmp")"
    assert_capped_skopeo_image "file of a 24 MB image read in place" \
        "docker-archive:$WORK/big-in-place.tar" 4
else
    echo "# mount -t tmpfs failed, disk use of a stream not checked"
fi

# ---------------------------------------------------------------------
echo "# writing in place"

# No room for the new archive beside the old one: the rename never
# happens, and the old archive and its directory stay as they were.
if mount_small_tmpfs "$WORK/full" 800; then
    cp "$inputs/app.oci.tar" "$WORK/full/app.tar"
    before=$(file_state "$WORK/full/app.tar")
    expect_error "set in place on a full file system" "$WORK/full/app.tar" \
        set "oci-archive:$WORK/full/app.tar" cap_ipc_lock+eip \
        /usr/bin/capcheck
    assert_eq "full file system: archive unchanged" \
        "$before" "$(file_state "$WORK/full/app.tar")"
    assert_eq "full file system: no temporary file left" \
        "" "$(unexpected_files "$WORK/full" app.tar)"
else
    echo "# mount -t tmpfs failed, full file system case not run"
fi

# A failed run leaves the archive and its directory as they were.
archive=$(new_archive docker failed-run)
before=$(tree_fingerprint "$(dirname "$archive")")
expect_error "set in place with a missing path" /usr/bin/nope \
    set "docker-archive:$archive" cap_ipc_lock+eip /usr/bin/nope
assert_eq "failed run leaves the directory unchanged" \
    "$before" "$(tree_fingerprint "$(dirname "$archive")")"

# The archive keeps its mode and owner.
archive=$(new_archive oci keeps-mode)
chmod 0640 "$archive"
chown 65534:65534 "$archive"
expect_success "set in place on a 0640 archive owned by 65534" \
    set "oci-archive:$archive" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "in place keeps mode and owner" "640 65534:65534" \
    "$(stat --format '%a %u:%g' "$archive")"

# A symbolic link to an archive stays a link, and its target changes.
archive=$(new_archive oci link-target)
link=$(dirname "$archive")/link.tar
ln -s app.tar "$link"
expect_success "set in place through a symbolic link" \
    set "oci-archive:$link" cap_ipc_lock+eip /usr/bin/capcheck
assert_command "the symbolic link is still a link" test -L "$link"
assert_eq "the link target has the new image" \
    3 "$(skopeo_image_layer_count "oci-archive:$archive")"

# docker load reads gzip-compressed archives, so users keep them that
# way. The result must be an archive of the same kind, still compressed.
compressed=$WORK/cases/app.docker.tar.gz
gzip -n <"$inputs/app.docker.tar" >"$compressed"
expect_success "set in place on a gzip-compressed docker archive" \
    set "docker-archive:$compressed" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "gzip-compressed archive stays gzip-compressed" 1f8b \
    "$(head -c 2 "$compressed" | od -An -tx1 | tr -d ' \n')"

# uid 65534 may read the archive but not write its directory.
archive=$(new_archive oci read-only)
chmod 0644 "$archive"
chmod 0755 "$(dirname "$archive")"
before=$(file_state "$archive")
run_ocicap_as_nobody set "oci-archive:$archive" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "set in place in an unwritable directory" "$archive"
assert_eq "unwritable directory: archive unchanged" \
    "$before" "$(file_state "$archive")"
run_ocicap_as_nobody get "oci-archive:$archive" /usr/bin/capcheck
assert_eq "get as uid 65534 on a read-only archive: exit 0" \
    0 "$OCICAP_STATUS"

e2e_finish
