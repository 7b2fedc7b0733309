#!/bin/bash
# The Dockerfile migration example: Dockerfile.after must be
# Dockerfile.before without its setcap step, and the three routes of
# examples/dockerfile-migration/build.sh must give the file its
# capability.
#
# The example's Dockerfiles need docker.io and apt inside the build,
# which a test cannot reach, so the routes build a Dockerfile of the
# test's own: the default image plus one file, with capcheck in place of
# python3.11. The podman route runs with podman. The docker route runs
# with podman as its docker client, whose build, save, load and run
# take the same arguments. No buildx is available, so the buildx route
# runs with a docker stand-in that writes an OCI archive shaped as
# buildx writes it: an image index with the image and an attestation.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/examples_lib.sh"
e2e_init "$@"
example_trap

example_dir=$(dirname "$(example_file dockerfile-migration/build.sh)")
build_script=$example_dir/build.sh

# ---------------------------------------------------------------------
echo "# Dockerfile.before and Dockerfile.after"

# Prints the instruction lines of Dockerfile FILE, without comments.
instructions() {
    grep -v -e '^#' -e '^$' "$1"
}
removed=$(diff <(instructions "$example_dir/Dockerfile.before") \
    <(instructions "$example_dir/Dockerfile.after") | grep '^[<>]')
assert_eq "after is before without the setcap step" \
    "< RUN apt-get update && apt-get install -y libcap2-bin && setcap cap_ipc_lock+eip /usr/bin/python3.11" \
    "$removed"
assert_eq "both use the entrypoint python3.11" \
    'ENTRYPOINT ["/usr/bin/python3.11", "/app/app.py"]' \
    "$(grep ENTRYPOINT "$example_dir/Dockerfile.after")"
assert_command "app.py parses" python3 -c \
    'import ast, sys; ast.parse(open(sys.argv[1]).read())' "$example_dir/app.py"

# ---------------------------------------------------------------------
# The test's build context and the settings of every route.

context=$WORK/context
mkdir -p "$context"
echo "a file the build adds" >"$context/added.txt"
cat >"$context/Dockerfile" <<'EOF'
FROM localhost/ocicap-example/base:1
COPY added.txt /etc/added.txt
EOF
route_env=(OCICAP="$OCICAP" FILE=/usr/bin/capcheck
    DOCKERFILE="$context/Dockerfile" CONTEXT="$context")

# Runs build.sh ROUTE IMAGE with route_env and extra VAR=VALUE words
# given before ROUTE; keeps the status and output.
run_route() {
    local settings=()
    while [[ $1 == *=* ]]; do
        settings+=("$1")
        shift
    done
    env "${route_env[@]}" "${settings[@]}" \
        WORK_DIR="$(mktemp -d -p "$WORK" route.XXXXXX)" \
        bash "$build_script" "$@" >"$WORK/route.out" 2>&1
    ROUTE_STATUS=$?
    ROUTE_OUTPUT=$(cat "$WORK/route.out")
}

# Prints the capabilities of /usr/bin/capcheck in the podman image NAME.
podman_image_caps() {
    local archive
    archive=$(mktemp -u -p "$WORK" saved.XXXXXX.tar)
    podman save --quiet --format oci-archive --output "$archive" "$1" &&
        "$OCICAP" get "oci-archive:$archive" /usr/bin/capcheck
}

# ---------------------------------------------------------------------
echo "# podman and docker routes"

if podman_init; then
    podman_load_layout "$DEFAULT_IMAGE" app localhost/ocicap-example/base:1 ||
        fatal "podman cannot load the default image"

    run_route podman localhost/ocicap-example/app:podman
    assert_eq "podman route exits 0" 0 "$ROUTE_STATUS" ||
        show output "$ROUTE_OUTPUT"
    assert_contains "podman route: ocicap set the capability" \
        "/usr/bin/capcheck cap_ipc_lock=eip" "$ROUTE_OUTPUT"
    assert_contains "podman route: the container has CAP_IPC_LOCK" \
        "CapEff:	$CAPEFF_IPC_LOCK" "$ROUTE_OUTPUT"
    assert_eq "podman route: the loaded image has the capability" \
        "/usr/bin/capcheck cap_ipc_lock=eip" \
        "$(podman_image_caps localhost/ocicap-example/app:podman)"

    run_route DOCKER=podman docker localhost/ocicap-example/app:docker
    assert_eq "docker route (podman as docker) exits 0" 0 "$ROUTE_STATUS" ||
        show output "$ROUTE_OUTPUT"
    assert_contains "docker route: the container has CAP_IPC_LOCK" \
        "CapEff:	$CAPEFF_IPC_LOCK" "$ROUTE_OUTPUT"
    assert_eq "docker route: the loaded image has the capability" \
        "/usr/bin/capcheck cap_ipc_lock=eip" \
        "$(podman_image_caps localhost/ocicap-example/app:docker)"

    run_route FILE=/usr/bin/absent podman localhost/ocicap-example/app:bad
    assert_eq "podman route with a missing file fails (exit 1)" 1 \
        "$ROUTE_STATUS"
    assert_contains "the failure names the file" /usr/bin/absent \
        "$ROUTE_OUTPUT"
    assert_eq "the image that podman built stays without capabilities" "" \
        "$(podman_image_caps localhost/ocicap-example/app:bad 2>/dev/null)"
else
    echo "# SKIP podman and docker routes: $PODMAN_UNAVAILABLE"
fi

# ---------------------------------------------------------------------
echo "# the docker route's pipeline on a skopeo docker-archive"

# docker save's format, written by skopeo, through the same command
# line the docker route runs.
skopeo copy --quiet "oci:$DEFAULT_IMAGE:app" \
    "docker-archive:$WORK/saved.tar:ocicap-example/app:1" ||
    fatal "skopeo could not write a docker-archive"
pipeline=$(grep -A1 'save "$image" |' "$build_script" |
    sed -n 's/^ *"\$ocicap" \(set docker-archive:- .*\) >.*/\1/p')
assert_eq "build.sh pipes docker save into ocicap set" \
    'set docker-archive:- "$caps" "$file"' "$pipeline"
"$OCICAP" set docker-archive:- cap_ipc_lock+eip /usr/bin/capcheck \
    <"$WORK/saved.tar" >"$WORK/out.tar" 2>"$WORK/pipeline.err"
assert_eq "ocicap set docker-archive:- exits 0" 0 "$?" ||
    show stderr "$(cat "$WORK/pipeline.err")"
assert_capped_skopeo_image "the piped docker-archive" \
    "docker-archive:$WORK/out.tar" 3

# ---------------------------------------------------------------------
echo "# buildx route, with a docker stand-in"

# An OCI archive as buildx writes it with attestations on: index.json
# names an image index with the image and its attestation manifest.
buildx_layout=$WORK/buildx-layout
copy_default_image "$buildx_layout"
python3 "$OCITOOL" make-index "$buildx_layout" app app=linux/amd64 &&
    python3 "$OCITOOL" add-attestation "$buildx_layout" app 0 ||
    fatal "ocitool could not make the buildx-shaped layout"
tar --create --file "$WORK/buildx.tar" --directory "$buildx_layout" . ||
    fatal "tar could not pack the buildx-shaped layout"

# The stand-in accepts only the command line that the route runs and
# writes the archive to the dest= of --output.
cat >"$WORK/bin-docker" <<EOF
#!/bin/bash
set -eu
[[ \$1 == buildx && \$2 == build ]] || { echo "docker stand-in: \$*" >&2; exit 2; }
output=\$(printf '%s\n' "\$@" | sed -n 's/^type=oci,dest=//p')
[[ -n \$output ]] || { echo "docker stand-in: no --output type=oci" >&2; exit 2; }
cp "$WORK/buildx.tar" "\$output"
EOF
chmod +x "$WORK/bin-docker"

run_route DOCKER="$WORK/bin-docker" DESTINATION="oci:$WORK/pushed:app" \
    buildx localhost/ocicap-example/app:buildx
assert_eq "buildx route exits 0" 0 "$ROUTE_STATUS" ||
    show output "$ROUTE_OUTPUT"
assert_contains "buildx route: ocicap keeps the attestation, with a warning" \
    "attestation" "$ROUTE_OUTPUT"
assert_capped_skopeo_image "the buildx route's push" "oci:$WORK/pushed:app" 3

assert_eq "buildx route without DESTINATION or WORK_DIR: usage error" 2 \
    "$(env "${route_env[@]}" DOCKER="$WORK/bin-docker" \
        bash "$build_script" buildx >/dev/null 2>&1; echo $?)"
assert_eq "build.sh without a route is a usage error" 2 \
    "$(bash "$build_script" >/dev/null 2>&1; echo $?)"

e2e_finish
