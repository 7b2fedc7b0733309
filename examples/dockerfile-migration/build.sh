#!/bin/bash
# Build Dockerfile.after and give python3.11 CAP_IPC_LOCK with ocicap,
# by one of three routes:
#   docker  docker build; docker save | ocicap set docker-archive:- ...;
#           docker load; then docker run to show the capability
#   podman  podman build; podman save --format oci-archive; ocicap set
#           oci-archive:...; podman load; then podman run
#   buildx  docker buildx build --output type=oci,dest=...; ocicap set
#           oci-archive:...; then skopeo copy to DESTINATION, if set
#
# Usage: examples/dockerfile-migration/build.sh ROUTE [IMAGE]
#   IMAGE        the image name (default localhost/python-app:after)
# Environment:
#   OCICAP       the ocicap binary (default: ocicap on PATH)
#   DOCKER       the docker client (default docker), PODMAN likewise
#   CAPS, FILE   the capability set and the file (default
#                cap_ipc_lock+eip and /usr/bin/python3.11)
#   DOCKERFILE   default Dockerfile.after beside this script
#   CONTEXT      the build context (default: this script's directory)
#   DESTINATION  buildx route: a skopeo reference to push the result to
#   WORK_DIR     where the archives go (default: a temporary directory,
#                removed on exit); the buildx route needs DESTINATION or
#                WORK_DIR
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
route=${1:-}
image=${2:-localhost/python-app:after}
ocicap=${OCICAP:-ocicap}
docker=${DOCKER:-docker}
podman=${PODMAN:-podman}
caps=${CAPS:-cap_ipc_lock+eip}
file=${FILE:-/usr/bin/python3.11}
dockerfile=${DOCKERFILE:-$here/Dockerfile.after}
context=${CONTEXT:-$here}
if [[ -n ${WORK_DIR:-} ]]; then
    work_dir=$WORK_DIR
    mkdir -p "$work_dir"
else
    work_dir=$(mktemp -d -t ocicap-migration.XXXXXX)
    trap 'rm -rf "$work_dir"' EXIT
fi

# The runtime options that the capability needs: IPC_LOCK in the
# bounding set. Everything else is dropped.
run_options=(--rm --cap-drop ALL --cap-add IPC_LOCK)

# docker save writes a docker-archive. ocicap reads it from stdin and
# writes the changed archive to stdout, which goes to a file first so
# that a failed ocicap run loads nothing.
route_docker() {
    "$docker" build --file "$dockerfile" --tag "$image" "$context"
    "$docker" save "$image" |
        "$ocicap" set docker-archive:- "$caps" "$file" >"$work_dir/out.tar"
    "$ocicap" get "docker-archive:$work_dir/out.tar" "$file"
    "$docker" load --input "$work_dir/out.tar"
    "$docker" run "${run_options[@]}" "$image"
}

# podman save --format oci-archive names the image in the archive, and
# ocicap changes the archive in place.
route_podman() {
    local archive=$work_dir/image.tar
    "$podman" build --file "$dockerfile" --tag "$image" "$context"
    rm -f "$archive"
    "$podman" save --format oci-archive --output "$archive" "$image"
    "$ocicap" set "oci-archive:$archive" "$caps" "$file"
    "$ocicap" get "oci-archive:$archive" "$file"
    "$podman" load --input "$archive"
    "$podman" run "${run_options[@]}" "$image"
}

# buildx writes an OCI archive without loading the image anywhere.
# Without --provenance=false it adds an attestation manifest, which
# ocicap keeps with a warning because it describes the image before the
# new layer.
route_buildx() {
    local archive=$work_dir/image.tar
    "$docker" buildx build --provenance=false --file "$dockerfile" \
        --tag "$image" --output "type=oci,dest=$archive" "$context"
    "$ocicap" set "oci-archive:$archive" "$caps" "$file"
    "$ocicap" get "oci-archive:$archive" "$file"
    if [[ -n ${DESTINATION:-} ]]; then
        skopeo copy "oci-archive:$archive" "$DESTINATION"
    fi
}

if [[ $route == buildx && -z ${DESTINATION:-} && -z ${WORK_DIR:-} ]]; then
    echo "build: the buildx route needs DESTINATION, to push the result," \
        "or WORK_DIR, to keep image.tar" >&2
    exit 2
fi

case $route in
    docker) route_docker ;;
    podman) route_podman ;;
    buildx) route_buildx ;;
    *)
        echo "usage: $0 docker|podman|buildx [IMAGE]" >&2
        exit 2
        ;;
esac
