#!/bin/bash
# The registry example: examples/registry/harden.sh against a registry
# of its own, Debian's docker-registry on a free port of 127.0.0.1 with
# its storage under the work directory. skopeo pushes the default image
# there, and the script hardens it in place and under a new tag. The
# images that the registry then serves are checked with skopeo inspect,
# ocicap get, and an exec of the unpacked capcheck as uid 65534.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/examples_lib.sh"
e2e_init "$@"
example_trap

for tool in docker-registry curl; do
    command -v "$tool" >/dev/null || skip "missing tool: $tool"
done
start_registry || fatal "$REGISTRY_UNAVAILABLE"
harden=$(example_file registry/harden.sh)

# Runs the example script with ARGS, the test's ocicap and capcheck.
run_harden() {
    env OCICAP="$OCICAP" FILES=/usr/bin/capcheck TLS_VERIFY=false \
        WORK_DIR="$(mktemp -d -p "$WORK" harden.XXXXXX)" \
        bash "$harden" "$@" >"$WORK/harden.out" 2>&1
    HARDEN_STATUS=$?
    HARDEN_OUTPUT=$(cat "$WORK/harden.out")
}

# Prints the capabilities of /usr/bin/capcheck in docker://IMAGE, read
# from a fresh copy.
served_caps() {
    local copy
    copy=$(mktemp -d -u -p "$WORK" served.XXXXXX)
    skopeo copy --quiet "docker://$1" "oci:$copy:app" &&
        "$OCICAP" get "oci:$copy:app" /usr/bin/capcheck
}

# ---------------------------------------------------------------------
echo "# push the default image to $REGISTRY"

source_image=$REGISTRY/ocicap/app:1.0
assert_command "skopeo pushes the default image" \
    skopeo copy --quiet "oci:$DEFAULT_IMAGE:app" "docker://$source_image"
layers_before=$(skopeo_image_layer_count "docker://$source_image")
digest_before=$(skopeo inspect "docker://$source_image" | jq -r .Digest)

# ---------------------------------------------------------------------
echo "# harden.sh SOURCE DESTINATION"

hardened_image=$REGISTRY/ocicap/app:1.0-caps
run_harden "$source_image" "$hardened_image"
assert_eq "harden.sh exits 0" 0 "$HARDEN_STATUS" || show output "$HARDEN_OUTPUT"
assert_contains "harden.sh prints the check" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$HARDEN_OUTPUT"
assert_eq "the destination has one more layer" $((layers_before + 1)) \
    "$(skopeo_image_layer_count "docker://$hardened_image")"
assert_eq "ocicap get on the destination" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$(served_caps "$hardened_image")"
assert_eq "the source is unchanged" "$digest_before" \
    "$(skopeo inspect "docker://$source_image" | jq -r .Digest)"
assert_capped_skopeo_image "the destination" "docker://$hardened_image" \
    $((layers_before + 1))

# ---------------------------------------------------------------------
echo "# harden.sh SOURCE, which moves the tag"

in_place_image=$REGISTRY/ocicap/app:2.0
skopeo copy --quiet "oci:$DEFAULT_IMAGE:app" "docker://$in_place_image" ||
    fatal "skopeo could not push $in_place_image"
run_harden "$in_place_image"
assert_eq "harden.sh SOURCE exits 0" 0 "$HARDEN_STATUS" ||
    show output "$HARDEN_OUTPUT"
assert_eq "the tag now names the hardened image" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "$(served_caps "$in_place_image")"
assert_ne "the tag's digest changed" "$digest_before" \
    "$(skopeo inspect "docker://$in_place_image" | jq -r .Digest)"

# ---------------------------------------------------------------------
echo "# failures"

run_harden "$REGISTRY/ocicap/missing:1"
assert_ne "a missing source image fails" 0 "$HARDEN_STATUS"
assert_contains "the failure names the image" "ocicap/missing" \
    "$HARDEN_OUTPUT"

# Runs the example script on the source image with a file it lacks.
run_harden_absent_file() {
    env OCICAP="$OCICAP" FILES=/usr/bin/absent TLS_VERIFY=false \
        WORK_DIR="$(mktemp -d -p "$WORK" harden.XXXXXX)" \
        bash "$harden" "$source_image" "$REGISTRY/ocicap/app:never" \
        >"$WORK/harden.out" 2>&1
}
run_harden_absent_file
assert_eq "a file missing from the image fails (exit 1)" 1 "$?"
assert_contains "the failure names the file" "/usr/bin/absent" \
    "$(cat "$WORK/harden.out")"
assert_command "nothing was pushed for the failed run" \
    bash -c "! skopeo inspect docker://$REGISTRY/ocicap/app:never"

assert_eq "harden.sh without arguments is a usage error" 2 \
    "$(bash "$harden" >/dev/null 2>&1; echo $?)"

e2e_finish
