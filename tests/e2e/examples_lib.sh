# Helpers for the tests of the examples in examples/. Source it after
# lib.sh and call e2e_init first: the helpers use WORK and OCICAP.
#
# Podman runs with its own storage, run directory and configuration
# under WORK, so the tests neither see nor change the images of other
# users of the machine. example_cleanup removes its pods, containers and
# mounts and stops the registry that start_registry started.

EXAMPLES_DIR=$REPO_ROOT/examples
REGISTRY_PID=

# Replaces the EXIT trap of e2e_init with one that also stops what the
# helpers started.
example_trap() {
    trap 'example_cleanup; rm -rf "$WORK"' EXIT
}

example_cleanup() {
    if [[ -n ${CONTAINERS_STORAGE_CONF:-} ]]; then
        podman pod rm --all --force >/dev/null 2>&1
        podman rm --all --force >/dev/null 2>&1
        # Pods leave a /dev/shm mount in the run directory.
        grep -o " $WORK/[^ ]*" /proc/mounts | sort -r |
            xargs -r -n 1 umount -l 2>/dev/null
    fi
    if [[ -n $REGISTRY_PID ]]; then
        kill "$REGISTRY_PID" 2>/dev/null
        wait "$REGISTRY_PID" 2>/dev/null
    fi
}

# Prints a python3 that can import yaml (PyYAML), or nothing.
yaml_python() {
    local python
    for python in python3 /usr/bin/python3; do
        if "$python" -c 'import yaml' 2>/dev/null; then
            echo "$python"
            return
        fi
    done
}

# Prints the file of an example, failing the test set-up when missing.
example_file() {
    local path=$EXAMPLES_DIR/$1
    [[ -e $path ]] || fatal "example file missing: $path"
    echo "$path"
}

# ---------------------------------------------------------------------
# Podman

# Points podman at storage and configuration under WORK. Returns 1 and
# sets PODMAN_UNAVAILABLE to the reason when podman cannot work here, so
# the caller decides whether that skips the test or a part of it.
podman_init() {
    local tool
    for tool in podman runc; do
        if ! command -v "$tool" >/dev/null; then
            PODMAN_UNAVAILABLE="missing tool: $tool"
            return 1
        fi
    done
    mkdir -p "$WORK/podman"
    export CONTAINERS_STORAGE_CONF=$WORK/podman/storage.conf
    export CONTAINERS_CONF=$WORK/podman/containers.conf
    cat >"$CONTAINERS_STORAGE_CONF" <<EOF
[storage]
driver = "vfs"
graphroot = "$WORK/podman/storage"
runroot = "$WORK/podman/run"
EOF
    # runc, because crun 1.8 rejects hosts whose cgroup v2 hierarchy has
    # controllers next to v1. Podman's default RLIMIT_NOFILE and
    # RLIMIT_NPROC are above the hard limits of many CI hosts, and the
    # runtime fails when it cannot raise them.
    cat >"$CONTAINERS_CONF" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]
[engine]
runtime = "runc"
EOF
    if ! podman info >"$WORK/podman/info.txt" 2>&1; then
        PODMAN_UNAVAILABLE="podman info failed:"
        PODMAN_UNAVAILABLE+=" $(tail -n 1 "$WORK/podman/info.txt")"
        return 1
    fi
}

# Loads the image LAYOUT:REF into podman's storage as NAME.
podman_load_layout() {
    local layout=$1 ref=$2 name=$3
    local archive
    archive=$(mktemp -u -p "$WORK" load.XXXXXX.tar)
    skopeo copy --quiet "oci:$layout:$ref" "oci-archive:$archive:$name" &&
        podman load --quiet --input "$archive" >/dev/null
    local status=$?
    rm -f "$archive"
    return $status
}

# ---------------------------------------------------------------------
# A local registry

# Starts the docker-registry of Debian on a free port of 127.0.0.1, with
# its storage under WORK, and sets REGISTRY to HOST:PORT. From then on
# the skopeo of this shell reaches it over plain HTTP: skopeo becomes a
# function that passes a registries.conf marking it insecure (skopeo
# 1.9 reads no environment variable for that file).
# Returns 1 and sets REGISTRY_UNAVAILABLE to the reason when the
# registry does not respond.
start_registry() {
    local port config
    port=$(python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])')
    REGISTRY=127.0.0.1:$port
    config=$WORK/registry/config.yml
    mkdir -p "$WORK/registry/storage"
    cat >"$config" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $WORK/registry/storage
http:
  addr: $REGISTRY
EOF
    docker-registry serve "$config" >"$WORK/registry/log.txt" 2>&1 &
    REGISTRY_PID=$!

    REGISTRIES_CONF=$WORK/registry/registries.conf
    cat >"$REGISTRIES_CONF" <<EOF
[[registry]]
location = "$REGISTRY"
insecure = true
EOF
    local attempt
    for attempt in $(seq 50); do
        if curl --silent --fail "http://$REGISTRY/v2/" >/dev/null; then
            skopeo() {
                command skopeo --registries-conf "$REGISTRIES_CONF" "$@"
            }
            return 0
        fi
        kill -0 "$REGISTRY_PID" 2>/dev/null || break
        sleep 0.1
    done
    REGISTRY_UNAVAILABLE="docker-registry did not respond on $REGISTRY:"
    REGISTRY_UNAVAILABLE+=" $(tail -n 3 "$WORK/registry/log.txt")"
    return 1
}
