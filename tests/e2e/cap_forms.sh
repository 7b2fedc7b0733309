#!/bin/bash
# Capability forms. --rootid writes revision 3 (vfs_ns_cap_data) as
# setcap -n does, and get shows its root ID as getcap -n does, with a
# warning. The kernel honours such a value only in a user namespace whose
# root is that host UID. Names are accepted in libcap's and the runtimes'
# forms, in any case, and printed in libcap's form.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/caps_lib.sh"
e2e_init "$@"
require_file_caps_on_exec

image=$WORK/image
copy_default_image "$image"
cp -r "$image" "$WORK/pristine"
pristine=$WORK/pristine

# Runs FILE as uid 1 of a new user namespace whose uids 0 and 1 are host
# uids ROOT and 100001, and prints its CapEff mask. A process running as
# host uid ROOT creates the namespace, so that it is root inside. Root
# outside writes the maps, each in one write as the kernel requires.
capeff_in_user_namespace() {
    local root=$1 file=$2 flag pid map
    flag=$(mktemp -u -p "$WORK" mapped.XXXXXX)
    setpriv --reuid "$root" --regid "$root" --clear-groups unshare --user \
        sh -c 'while [ ! -e "$0" ]; do sleep 0.05; done
               exec setpriv --reuid 1 --regid 1 --clear-groups "$1"' \
        "$flag" "$file" >"$WORK/userns.out" 2>&1 &
    pid=$!
    for _ in $(seq 200); do
        [[ $(readlink "/proc/$pid/ns/user") != $(readlink /proc/self/ns/user) ]] &&
            break
        sleep 0.02
    done
    map="0 $root 1
1 100001 1
"
    python3 -c 'import sys; open(sys.argv[1], "w").write(sys.argv[2])' \
        "/proc/$pid/uid_map" "$map" &&
        python3 -c 'import sys; open(sys.argv[1], "w").write(sys.argv[2])' \
            "/proc/$pid/gid_map" "$map" ||
        fatal "cannot write the user namespace maps of process $pid"
    touch "$flag"
    wait "$pid"
    awk '/^CapEff:/ { print $2 }' "$WORK/userns.out"
}

# ---------------------------------------------------------------------
echo "# --rootid writes revision 3"

namespaced=$WORK/namespaced
cp -r "$pristine" "$namespaced"
expect_success "set --rootid 1000" \
    set --rootid 1000 "oci:$namespaced:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "the result line shows the root ID" \
    "/usr/bin/capcheck cap_ipc_lock=eip [rootid=1000]" "$(set_output_files)"
assert_contains "set warns that other mappings ignore it" \
    "has a revision 3 capability for root ID 1000" "$OCICAP_STDERR"
assert_valid_layout "set --rootid" "$namespaced"
assert_eq "the layer holds a revision 3 value" \
    "e=1 p=0000000000004000 i=0000000000004000 rootid=1000" \
    "$(top_layer_caps "$namespaced" app /usr/bin/capcheck)"
probe=$WORK/probe
install_capcheck "$probe"
setcap -n 1000 cap_ipc_lock+eip "$probe" || fatal "setcap -n failed"
assert_eq "the value is the bytes setcap -n 1000 writes" \
    "$(python3 "$OCITOOL" caps-hex "$probe")" \
    "$(top_layer_entries "$namespaced" app |
        awk '$1 ~ /usr\/bin\/capcheck$/ { print $9 }')"

expect_success "get a revision 3 file" \
    get "oci:$namespaced:app" /usr/bin/capcheck
assert_eq "get shows the root ID as getcap -n does" \
    "/usr/bin/capcheck cap_ipc_lock=eip [rootid=1000]" "$OCICAP_STDOUT"
assert_contains "get warns about other mappings" \
    "ocicap: warning: /usr/bin/capcheck has a revision 3 capability for root ID 1000" \
    "$OCICAP_STDERR"
bundle=$(unpack_image "$namespaced" app)
assert_eq "getcap -n on the unpacked image agrees" "$OCICAP_STDOUT" \
    "$(cd "$bundle/rootfs" && getcap -n usr/bin/capcheck | sed 's#^#/#')"
expect_success "explain a revision 3 file" explain "oci:$namespaced:app"
assert_contains "explain warns about other mappings" \
    "the kernel honours it only in a user namespace whose root is host UID 1000" \
    "$OCICAP_STDOUT"

# ---------------------------------------------------------------------
echo "# the kernel honours it only under that mapping"

assert_eq "on the host (no user namespace) capcheck gains nothing" \
    "$CAPEFF_NONE" "$(exec_capeff "$bundle/rootfs/usr/bin/capcheck")"
assert_eq "in a user namespace rooted at host uid 1000 it gains cap_ipc_lock" \
    "$CAPEFF_IPC_LOCK" \
    "$(capeff_in_user_namespace 1000 "$bundle/rootfs/usr/bin/capcheck")"
assert_eq "in a user namespace rooted at host uid 2000 it gains nothing" \
    "$CAPEFF_NONE" \
    "$(capeff_in_user_namespace 2000 "$bundle/rootfs/usr/bin/capcheck")"

plain=$WORK/plain
cp -r "$pristine" "$plain"
expect_success "set --rootid 0" \
    set --rootid 0 "oci:$plain:app" cap_ipc_lock+eip /usr/bin/capcheck
assert_eq "root ID 0 writes revision 2, the form without a root ID" \
    "e=1 p=0000000000004000 i=0000000000004000 rootid=0" \
    "$(top_layer_caps "$plain" app /usr/bin/capcheck)"
assert_eq "revision 2 prints no root ID" "/usr/bin/capcheck cap_ipc_lock=eip" \
    "$(set_output_files)"
# setcap -n reads octal and hexadecimal too (strtol base 0).
setcap -n 01750 cap_ipc_lock+eip "$probe" || fatal "setcap -n 01750 failed"
assert_contains "setcap -n 01750 means root ID 1000" "[rootid=1000]" \
    "$(getcap -n "$probe")"
for root_id in 01750 0x3e8; do
    octal=$WORK/rootid-$root_id
    cp -r "$pristine" "$octal"
    expect_success "set --rootid $root_id" set --rootid "$root_id" \
        "oci:$octal:app" cap_ipc_lock+eip /usr/bin/capcheck
    assert_eq "--rootid $root_id is root ID 1000, as for setcap -n" \
        "e=1 p=0000000000004000 i=0000000000004000 rootid=1000" \
        "$(top_layer_caps "$octal" app /usr/bin/capcheck)"
done
# An invalid option value is a usage error (exit 2).
run_ocicap set --rootid nobody "oci:$pristine:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "an invalid --rootid" "--rootid" 2
run_ocicap set --rootid 4294967296 "oci:$pristine:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "a --rootid beyond 32 bits" "4294967296" 2
# (uid_t)-1 maps to no user: setcap -n 4294967295 fails too.
run_ocicap set --rootid 4294967295 "oci:$pristine:app" cap_ipc_lock+eip \
    /usr/bin/capcheck
check_error_result "--rootid 4294967295, the invalid ID -1" "4294967295" 2

# ---------------------------------------------------------------------
echo "# capability names in every form"

setcap cap_ipc_lock+eip "$probe" || fatal "setcap failed"
expected_hex=$(python3 "$OCITOOL" caps-hex "$probe")
for text in IPC_LOCK+eip CAP_IPC_LOCK+eip ipc_lock+eip Cap_Ipc_Lock=eip \
    cap_ipc_lock+eip; do
    target=$(mktemp -d -u -p "$WORK" names.XXXXXX)
    cp -r "$pristine" "$target"
    expect_success "set $text" set "oci:$target:app" "$text" /usr/bin/capcheck
    assert_eq "set $text prints libcap's form" \
        "/usr/bin/capcheck cap_ipc_lock=eip" "$(set_output_files)"
    assert_eq "set $text writes what setcap cap_ipc_lock+eip writes" \
        "$expected_hex" "$(top_layer_entries "$target" app |
            awk '$1 ~ /usr\/bin\/capcheck$/ { print $9 }')"
done
# setcap (libcap 2.66) takes flags in lower case only.
if setcap cap_chown+EP "$probe" 2>/dev/null; then
    fatal "setcap accepted cap_chown+EP; the case below assumes it does not"
fi
expect_error "flags in upper case, which setcap rejects" '"cap_chown+EP"' \
    set "oci:$pristine:app" cap_chown+EP /usr/bin/capcheck
expect_error "an unknown runtime name" '"NOT_A_CAP+ep"' \
    set "oci:$pristine:app" NOT_A_CAP+ep /usr/bin/capcheck

e2e_finish
