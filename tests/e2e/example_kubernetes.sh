#!/bin/bash
# The Kubernetes example: examples/kubernetes/deployment.yaml must carry
# the securityContext that ocicap explain advises for the image, and the
# pod it describes must get CAP_IPC_LOCK for python3.11.
#
# The image comes from examples/debian-python/build.sh, which downloads
# Debian packages. The pod is emulated on this kernel: setpriv sets the
# bounding set and no_new_privs that the runtime would set, then the
# image's python3.11 runs the pod's program as uid 65534. Where podman
# can run containers here, podman kube play also runs the Deployment
# itself, with runc.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/caps_lib.sh"
source "$(dirname "$0")/examples_lib.sh"
e2e_init "$@"
example_trap
require_file_caps_on_exec

python=$(yaml_python)
[[ -n $python ]] || skip "no python3 with the yaml module (python3-yaml)"
deployment=$(example_file kubernetes/deployment.yaml)
image_name=registry.example.com/ocicap/python-ipc-lock:1

# The default capability set of containerd and Docker, as setpriv names
# it. A pod without capabilities.add gets this bounding set.
RUNTIME_DEFAULT_BOUNDING="-all,+chown,+dac_override,+fsetid,+fowner,\
+mknod,+net_raw,+setgid,+setuid,+setfcap,+setpcap,+net_bind_service,\
+sys_chroot,+kill,+audit_write"
POD_BOUNDING=-all,+ipc_lock

# Prints FIELD=VALUE lines for the fields of the Deployment that the
# example is about, with lists and booleans as JSON.
deployment_fields() {
    "$python" - "$deployment" <<'EOF'
import json
import sys

import yaml

with open(sys.argv[1]) as stream:
    documents = list(yaml.safe_load_all(stream))
print("documents=%d" % len(documents))
deployment = documents[0]
pod = deployment["spec"]["template"]["spec"]
container = pod["containers"][0]
context = container.get("securityContext", {})
fields = {
    "kind": deployment["kind"],
    "containers": len(pod["containers"]),
    "image": container["image"],
    "pod.runAsNonRoot": pod["securityContext"].get("runAsNonRoot"),
    "pod.runAsUser": pod["securityContext"].get("runAsUser"),
    "pod.runAsGroup": pod["securityContext"].get("runAsGroup"),
    "container.runAsUser": context.get("runAsUser"),
    "allowPrivilegeEscalation": context.get("allowPrivilegeEscalation"),
    "drop": context.get("capabilities", {}).get("drop"),
    "add": context.get("capabilities", {}).get("add"),
}
for name, value in fields.items():
    print("%s=%s" % (name, json.dumps(value)))
EOF
}

# Prints the pod's program, args[0] of the container, without the loop
# at its end that keeps the pod running.
pod_program() {
    "$python" - "$deployment" <<'EOF'
import sys

import yaml

with open(sys.argv[1]) as stream:
    deployment = yaml.safe_load(stream)
program = deployment["spec"]["template"]["spec"]["containers"][0]["args"][0]
print(program.split("while True:")[0])
EOF
}

field() {
    grep "^$1=" <<<"$fields" | cut -d= -f2-
}

# ---------------------------------------------------------------------
echo "# deployment.yaml"

fields=$(deployment_fields) || fatal "cannot parse $deployment"
assert_eq "one YAML document" 1 "$(field documents)"
assert_eq "kind" '"Deployment"' "$(field kind)"
assert_eq "one container" 1 "$(field containers)"
assert_eq "image name" "\"$image_name\"" "$(field image)"
assert_eq "runAsNonRoot" true "$(field pod.runAsNonRoot)"
assert_eq "runAsUser is the image's uid 65534" 65534 "$(field pod.runAsUser)"
assert_eq "runAsGroup" 65534 "$(field pod.runAsGroup)"
assert_eq "no runAsUser in the container" null "$(field container.runAsUser)"
assert_eq "allowPrivilegeEscalation stays true" true \
    "$(field allowPrivilegeEscalation)"
assert_eq "drop ALL" '["ALL"]' "$(field drop)"
assert_eq "add IPC_LOCK" '["IPC_LOCK"]' "$(field add)"
program=$(pod_program) || fatal "cannot read the pod's program"
assert_contains "the program locks memory" "libc.mlock" "$program"

# ---------------------------------------------------------------------
echo "# the image, from examples/debian-python/build.sh"

build_log=$WORK/debian-python.log
bash "$(example_file debian-python/build.sh)" "$OCICAP" "$WORK/debian-python" \
    >"$build_log" 2>&1
build_status=$?
if [[ $build_status -eq 77 ]]; then
    skip "examples/debian-python/build.sh: $(grep '^SKIP:' "$build_log")"
fi
[[ $build_status -eq 0 ]] ||
    fatal "examples/debian-python/build.sh failed: $(tail -n 5 "$build_log")"
image=$WORK/image
cp -r "$WORK/debian-python/untouched" "$image"
rm -rf "$WORK/debian-python"

expect_success "set as the README does" \
    set "oci:$image:app" cap_ipc_lock+eip /usr/bin/python3.11
expect_success "explain --json" explain --json "oci:$image:app"
advice=$OCICAP_STDOUT
for name in runAsUser runAsGroup runAsNonRoot; do
    assert_eq "explain's $name is the Deployment's" "$(field "pod.$name")" \
        "$(jq -c ".advice.kubernetes_security_context.$name" <<<"$advice")"
done
assert_eq "explain's allowPrivilegeEscalation is the Deployment's" \
    "$(field allowPrivilegeEscalation)" \
    "$(jq -c '.advice.kubernetes_security_context.allowPrivilegeEscalation' \
        <<<"$advice")"
assert_eq "explain's capabilities are the Deployment's" \
    "$(field drop) $(field add)" \
    "$(jq -c '.advice.kubernetes_security_context.capabilities |
        .drop, .add' <<<"$advice" | paste -sd ' ')"

bundle=$(unpack_image "$image" app) || fatal "umoci unpack failed"
python_in_image=$bundle/rootfs/usr/bin/python3.11

# ---------------------------------------------------------------------
echo "# the pod on this kernel, emulated with setpriv as uid 65534"

# The image's python3.11 is run in place, with the host's libc, which is
# Debian 12's as in the image.
SETPRIV_OPTIONS=(--bounding-set "$POD_BOUNDING")
run_exec "$python_in_image" -I -c "$program"
assert_eq "the pod's set: the program exits 0" 0 "$EXEC_STATUS"
assert_contains "the pod's set: CapEff has CAP_IPC_LOCK" \
    "CapEff:	$CAPEFF_IPC_LOCK" "$EXEC_OUTPUT"
assert_contains "the pod's set: mlock above RLIMIT_MEMLOCK succeeds" \
    "succeeded" "$EXEC_OUTPUT"

SETPRIV_OPTIONS=(--bounding-set -all)
run_exec "$python_in_image" -I -c "$program"
assert_eq "drop ALL without add: exec fails (126)" 126 "$EXEC_STATUS"
assert_contains "drop ALL without add: the error is EPERM" \
    "Operation not permitted" "$EXEC_OUTPUT"

SETPRIV_OPTIONS=(--bounding-set "$RUNTIME_DEFAULT_BOUNDING")
run_exec "$python_in_image" -I -c "$program"
assert_eq "no capabilities field (default set): exec fails (126)" 126 \
    "$EXEC_STATUS"
assert_contains "no capabilities field: the error is EPERM" \
    "Operation not permitted" "$EXEC_OUTPUT"

# A runtime that starts the process with an empty permitted set, as
# Docker 20.10.14 to 23.0 did for non-root users.
SETPRIV_OPTIONS=(--bounding-set "$POD_BOUNDING" --no-new-privs)
run_exec "$python_in_image" -I -c "$program"
assert_eq "allowPrivilegeEscalation false: the program fails (1)" 1 \
    "$EXEC_STATUS"
assert_contains "allowPrivilegeEscalation false: NoNewPrivs is set" \
    "NoNewPrivs:	1" "$EXEC_OUTPUT"
assert_contains "allowPrivilegeEscalation false: CapEff is empty" \
    "CapEff:	$CAPEFF_NONE" "$EXEC_OUTPUT"
assert_contains "allowPrivilegeEscalation false: mlock fails" \
    "mlock failed" "$EXEC_OUTPUT"

# As root, exec gives every capability of the bounding set, file
# capabilities or not. The second run uses a copy without them.
plain_bundle=$(unpack_image "$image" app) || fatal "umoci unpack failed"
setcap -r "$plain_bundle/rootfs/usr/bin/python3.11" ||
    fatal "setcap -r failed"
for variant in with without; do
    python_to_run=$python_in_image
    [[ $variant == without ]] &&
        python_to_run=$plain_bundle/rootfs/usr/bin/python3.11
    output=$(setpriv --bounding-set "$POD_BOUNDING" \
        "$python_to_run" -I -c "$program" 2>&1)
    assert_contains "runAsUser 0, $variant file caps: CapEff is the set" \
        "CapEff:	$CAPEFF_IPC_LOCK" "$output"
done

# ---------------------------------------------------------------------
echo "# the Deployment, run by podman kube play"

# Prints the Deployment with CHANGE applied to the container's
# securityContext: no-add, no-capabilities or no-escalation.
deployment_variant() {
    "$python" - "$deployment" "$1" <<'EOF'
import sys

import yaml

with open(sys.argv[1]) as stream:
    deployment = yaml.safe_load(stream)
container = deployment["spec"]["template"]["spec"]["containers"][0]
context = container["securityContext"]
change = sys.argv[2]
if change == "no-add":
    del context["capabilities"]["add"]
elif change == "no-capabilities":
    del context["capabilities"]
elif change == "no-escalation":
    context["allowPrivilegeEscalation"] = False
sys.stdout.write(yaml.safe_dump(deployment))
EOF
}

# Plays FILE, waits up to 20 s for the container to print LINE, prints
# the output of podman kube play and the container's log, and removes
# the pod.
play_and_log() {
    local file=$1 line=$2 container=python-ipc-lock-pod-0-app
    local attempt log
    podman kube play --network none "$file" 2>&1
    for attempt in $(seq 100); do
        log=$(podman logs "$container" 2>&1)
        [[ $log == *"$line"* ]] && break
        sleep 0.2
    done
    echo "$log"
    podman kube down "$file" >/dev/null 2>&1
    podman pod rm --all --force >/dev/null 2>&1
}

if podman_init; then
    podman_load_layout "$image" app "$image_name" ||
        fatal "podman cannot load the image"

    log=$(play_and_log "$deployment" succeeded)
    assert_contains "kube play: CapEff has CAP_IPC_LOCK" \
        "CapEff:	$CAPEFF_IPC_LOCK" "$log"
    assert_contains "kube play: mlock succeeds" "succeeded" "$log"

    for change in no-add no-capabilities; do
        deployment_variant "$change" >"$WORK/$change.yaml" ||
            fatal "cannot write the $change variant"
        log=$(play_and_log "$WORK/$change.yaml" "not permitted")
        assert_contains "kube play, $change: exec fails with EPERM" \
            "exec /usr/bin/python3.11: operation not permitted" "$log"
    done

    # runc starts the process with the added capabilities in its
    # permitted set, and no_new_privs only keeps exec from raising the
    # permitted set above that, so the program keeps CAP_IPC_LOCK.
    deployment_variant no-escalation >"$WORK/no-escalation.yaml" ||
        fatal "cannot write the no-escalation variant"
    log=$(play_and_log "$WORK/no-escalation.yaml" succeeded)
    assert_contains "kube play, no-escalation: NoNewPrivs is set" \
        "NoNewPrivs:	1" "$log"
    assert_contains "kube play, no-escalation: runc keeps CAP_IPC_LOCK" \
        "CapEff:	$CAPEFF_IPC_LOCK" "$log"
else
    echo "# SKIP podman kube play: $PODMAN_UNAVAILABLE"
fi

e2e_finish
