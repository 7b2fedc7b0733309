#!/bin/bash
# The runtime advice of ocicap set (stderr) and ocicap explain (stdout),
# and the kernel facts behind it, proved on this machine's kernel. The
# unpacked binaries are exec'd as uid 65534 with the bounding set and
# no_new_privs that a container runtime would set:
#   - a file with the effective bit fails to exec with EPERM when the
#     bounding set lacks one of its permitted capabilities (Docker's
#     default set lacks cap_ipc_lock; drop ALL lacks everything);
#   - no_new_privs (allowPrivilegeEscalation: false) lets the exec succeed
#     without the capabilities;
#   - inheritable-only capabilities grant nothing to a plain exec;
#   - permitted without effective is granted but not effective;
#   - a root User gains nothing, and an unknown User is reported.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/caps_lib.sh"
e2e_init "$@"
require_file_caps_on_exec

# Docker's and containerd's default capability set, as setpriv names it.
DOCKER_DEFAULT_BOUNDING="-all,+chown,+dac_override,+fsetid,+fowner,+mknod,\
+net_raw,+setgid,+setuid,+setfcap,+setpcap,+net_bind_service,+sys_chroot,\
+kill,+audit_write"

image=$WORK/image
copy_default_image "$image"
extra=$WORK/extra
for name in raw inh bind; do
    install_tagged_capcheck "$extra/usr/bin/$name" "$name"
done
add_layer "$image:app" "$extra"
printf '%s\n' '/usr/bin/raw cap_net_raw=ep' '/usr/bin/inh cap_ipc_lock=i' \
    '/usr/bin/bind cap_net_bind_service=p' >"$WORK/others.txt"
expect_success "apply the other sets" apply -q "oci:$image:app" \
    "$WORK/others.txt"
cp -r "$image" "$WORK/before-set"

# ---------------------------------------------------------------------
echo "# set prints the advice on stderr"

expect_success "set cap_ipc_lock+eip" \
    set "oci:$image:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "stdout is the result only" "/usr/bin/capcheck cap_ipc_lock=eip" \
    "$(set_output_files)"
assert_contains "advice: add the capability" \
    "ocicap: runtime: cap_ipc_lock is not in Docker's and containerd's default capability set" \
    "$OCICAP_STDERR"
assert_contains "advice: the docker flag" "docker run --cap-add IPC_LOCK" \
    "$OCICAP_STDERR"
assert_contains "advice: EPERM without the bounding set" \
    "ocicap: runtime: /usr/bin/capcheck has the effective bit, so its exec fails with EPERM" \
    "$OCICAP_STDERR"
assert_contains "advice: no_new_privs" \
    "ocicap: runtime: no_new_privs keeps file capabilities from being gained" \
    "$OCICAP_STDERR"
for line in "runAsUser: 1000" "runAsGroup: 1000" "runAsNonRoot: true" \
    "allowPrivilegeEscalation: true" 'drop: ["ALL"]' 'add: ["IPC_LOCK"]'; do
    assert_contains "advice snippet: $line" "$line" "$OCICAP_STDERR"
done
expect_success "set -q" set -q "oci:$WORK/before-set:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
assert_eq "set -q prints no advice" "" "$OCICAP_STDERR"

# ---------------------------------------------------------------------
echo "# explain prints the advice for every file on stdout"

expect_success "explain" explain "oci:$image:app"
explanation=$OCICAP_STDOUT
assert_eq "explain prints nothing on stderr" "" "$OCICAP_STDERR"
assert_contains "explain names the user" "User: app (uid 1000, gid 1000)" \
    "$explanation"
for line in "/usr/bin/bind cap_net_bind_service=p" \
    "/usr/bin/capcheck cap_ipc_lock=eip" "/usr/bin/inh cap_ipc_lock=i" \
    "/usr/bin/raw cap_net_raw=ep"; do
    assert_contains "explain lists $line" "  $line" "$explanation"
done
assert_contains "explain: only IPC_LOCK is outside the default set" \
    "cap_ipc_lock is not in Docker's" "$explanation"
assert_contains "explain: raw fails without cap_net_raw in the bounding set" \
    "/usr/bin/raw has the effective bit, so its exec fails with EPERM (Operation not permitted) unless the container's bounding set holds cap_net_raw" \
    "$explanation"
assert_contains "explain: inheritable-only grants nothing" \
    "/usr/bin/inh has cap_ipc_lock only in its inheritable set, which grants nothing to a plain exec" \
    "$explanation"
assert_contains "explain: inheritable-only suggests +ep" \
    "use +ep (e.g. cap_ipc_lock+ep)" "$explanation"
assert_contains "explain: permitted without effective" \
    "/usr/bin/bind has cap_net_bind_service permitted but not effective" \
    "$explanation"
assert_contains "explain: no_new_privs" "allowPrivilegeEscalation: false" \
    "$explanation"
assert_contains "explain: the snippet adds what the files need" \
    'add: ["NET_BIND_SERVICE", "NET_RAW", "IPC_LOCK"]' "$explanation"
assert_contains "explain: the docker options" \
    "docker run --user 1000:1000 --cap-drop ALL --cap-add NET_BIND_SERVICE --cap-add NET_RAW --cap-add IPC_LOCK IMAGE" \
    "$explanation"

expect_success "explain --json" explain --json "oci:$image:app"
assert_eq "explain --json kinds" \
    "add_capability not_effective bounding_set inheritable_only bounding_set no_new_privs" \
    "$(jq -r '[.advice.items[].kind] | join(" ")' <<<"$OCICAP_STDOUT")"
assert_eq "explain --json securityContext adds" "NET_BIND_SERVICE NET_RAW IPC_LOCK" \
    "$(jq -r '.advice.kubernetes_security_context.capabilities.add | join(" ")' \
        <<<"$OCICAP_STDOUT")"
assert_eq "explain --json user" "app 1000 false" \
    "$(jq -r '.advice.user | [.user, .uid, .is_root] | map(tostring) | join(" ")' \
        <<<"$OCICAP_STDOUT")"

# ---------------------------------------------------------------------
echo "# the kernel agrees"

bundle=$(unpack_image "$image" app)
bin=$bundle/rootfs/usr/bin

SETPRIV_OPTIONS=()
run_exec "$bin/capcheck" --need ipc_lock
assert_eq "capcheck gains cap_ipc_lock with a full bounding set" 0 \
    "$EXEC_STATUS"

SETPRIV_OPTIONS=(--bounding-set "$DOCKER_DEFAULT_BOUNDING")
run_exec "$bin/capcheck"
assert_eq "Docker's default bounding set: capcheck exits 126 (EPERM)" 126 \
    "$EXEC_STATUS"
assert_contains "Docker's default bounding set: the exec fails with EPERM" \
    "Operation not permitted" "$EXEC_OUTPUT"
run_exec "$bin/raw" --need net_raw
assert_eq "Docker's default bounding set: raw gains cap_net_raw" 0 \
    "$EXEC_STATUS"

SETPRIV_OPTIONS=(--bounding-set -all)
run_exec "$bin/raw"
assert_eq "drop ALL: raw's exec fails with EPERM" 126 "$EXEC_STATUS"
assert_contains "drop ALL: the error is EPERM" "Operation not permitted" \
    "$EXEC_OUTPUT"
run_exec "$bin/bind"
assert_eq "drop ALL: bind, without the effective bit, still runs" 0 \
    "$EXEC_STATUS"
assert_eq "drop ALL: bind gets no permitted capability" "$CAPEFF_NONE" \
    "$(exec_capprm_with "$bin/bind")"

SETPRIV_OPTIONS=(--bounding-set -all,+ipc_lock)
run_exec "$bin/capcheck" --need ipc_lock
assert_eq "drop ALL, add IPC_LOCK (the snippet): capcheck gains it" 0 \
    "$EXEC_STATUS"

SETPRIV_OPTIONS=(--no-new-privs)
run_exec "$bin/capcheck"
assert_eq "no_new_privs: capcheck still runs" 0 "$EXEC_STATUS"
assert_eq "no_new_privs: capcheck gains nothing" "$CAPEFF_NONE" \
    "$(exec_capeff_with "$bin/capcheck")"

SETPRIV_OPTIONS=(--inh-caps -all)
assert_eq "inheritable-only: inh gains nothing" "$CAPEFF_NONE" \
    "$(exec_capeff_with "$bin/inh")"
SETPRIV_OPTIONS=()
assert_eq "permitted only: bind has cap_net_bind_service permitted" \
    0000000000000400 "$(exec_capprm_with "$bin/bind")"
assert_eq "permitted only: but not effective" "$CAPEFF_NONE" \
    "$(exec_capeff_with "$bin/bind")"

# ---------------------------------------------------------------------
echo "# root and unknown users"

for user in root 0:0; do
    rooted=$(mktemp -d -u -p "$WORK" root-user.XXXXXX)
    cp -r "$WORK/before-set" "$rooted"
    umoci config --image "$rooted:app" --no-history --config.user "$user" ||
        fatal "umoci config failed"
    expect_success "set on an image run as $user" \
        set "oci:$rooted:app" cap_ipc_lock+eip /usr/bin/capcheck
    assert_contains "User $user: set notes root gains nothing" \
        "ocicap: runtime: the image runs as root (User \"$user\"): file capabilities add nothing" \
        "$OCICAP_STDERR"
    assert_not_contains "User $user: no runAsUser in the snippet" \
        "runAsUser:" "$OCICAP_STDERR"
done

ghost=$WORK/ghost
cp -r "$WORK/before-set" "$ghost"
umoci config --image "$ghost:app" --no-history --config.user ghost ||
    fatal "umoci config failed"
expect_success "explain an image whose user is unknown" \
    explain "oci:$ghost:app"
assert_contains "explain reports the unknown user" \
    "the config's User \"ghost\" could not be resolved to numeric IDs: user ghost is not in the image's /etc/passwd" \
    "$OCICAP_STDOUT"

empty=$WORK/empty
copy_default_image "$empty"
expect_success "explain an image without capabilities" explain "oci:$empty:app"
assert_contains "explain says no file has capabilities" \
    "no file in the image has capabilities" "$OCICAP_STDOUT"
assert_contains "without capabilities no_new_privs may stay on" \
    "allowPrivilegeEscalation: false" "$OCICAP_STDOUT"
assert_not_contains "without capabilities escalation is not advised" \
    "allowPrivilegeEscalation: true" "$OCICAP_STDOUT"

e2e_finish
