#!/bin/bash
# ocicap apply reads capability lines in getcap's output format from a
# file or standard input and applies them all in one new layer; ocicap get
# prints that format, so get > caps.txt then apply round-trips, root IDs
# included. Results are checked with umoci + getcap -n and an exec as uid
# 65534.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/caps_lib.sh"
e2e_init "$@"
require_file_caps_on_exec

# Builds LAYOUT:app, the default image plus /usr/bin/{ping,lock,clock,ns}.
make_image() {
    local layout=$1 root
    root=$(mktemp -d -p "$WORK" apply-root.XXXXXX)
    copy_default_image "$layout"
    for name in ping lock clock ns; do
        install_tagged_capcheck "$root/usr/bin/$name" "$name"
    done
    add_layer "$layout:app" "$root"
}

image=$WORK/image
make_image "$image"
cp -r "$image" "$WORK/pristine"
pristine=$WORK/pristine
layers=$(layer_count "$pristine" app)

# ---------------------------------------------------------------------
echo "# a list with comments, blank lines and each form"

cat >"$WORK/caps.txt" <<'EOF'
# capabilities for the app image

/usr/bin/ping cap_net_raw=ep
   # an indented comment
/usr/bin/lock	IPC_LOCK+eip
/usr/bin/clock = cap_sys_time+ep
/usr/bin/ns cap_chown=ep [rootid=1000]
EOF
expect_success "apply a list" apply "oci:$image:app" "$WORK/caps.txt"
assert_eq "apply prints each file" \
    "/usr/bin/clock cap_sys_time=ep
/usr/bin/lock cap_ipc_lock=eip
/usr/bin/ns cap_chown=ep [rootid=1000]
/usr/bin/ping cap_net_raw=ep" "$(set_output_files)"
assert_valid_layout "apply" "$image"
assert_eq "apply adds one layer for every file" "$((layers + 1))" \
    "$(layer_count "$image" app)"
assert_eq "the layer holds the four files" 4 \
    "$(top_layer_files "$image" app | wc -l)"
bundle=$(unpack_image "$image" app)
assert_eq "getcap -n on the unpacked image" \
    "/usr/bin/clock cap_sys_time=ep
/usr/bin/lock cap_ipc_lock=eip
/usr/bin/ns cap_chown=ep [rootid=1000]
/usr/bin/ping cap_net_raw=ep" \
    "$(cd "$bundle/rootfs" && getcap -n -r . | sed 's#^\./#/#' | sort)"
assert_eq "lock has CAP_IPC_LOCK as uid 65534" "$CAPEFF_IPC_LOCK" \
    "$(exec_capeff "$bundle/rootfs/usr/bin/lock")"
assert_eq "ping has CAP_NET_RAW as uid 65534" "$CAPEFF_NET_RAW" \
    "$(exec_capeff "$bundle/rootfs/usr/bin/ping")"
assert_contains "history records the command" "ocicap apply $WORK/caps.txt" \
    "$(config_json "$image" app | jq -r '.history[-1].created_by')"

# ---------------------------------------------------------------------
echo "# get > caps.txt, then apply to another image"

expect_success "get -r the changed image" get -r "oci:$image:app"
printf '%s\n' "$OCICAP_STDOUT" >"$WORK/round-trip.txt"
other=$WORK/other
make_image "$other"
expect_success "apply get's output" apply "oci:$other:app" \
    "$WORK/round-trip.txt"
expect_success "get -r the other image" get -r "oci:$other:app"
assert_eq "get output round-trips" "$(cat "$WORK/round-trip.txt")" \
    "$OCICAP_STDOUT"
assert_eq "top layers carry the same attributes" \
    "$(top_layer_entries "$image" app | awk '{ print $1, $9 }' | sort)" \
    "$(top_layer_entries "$other" app | awk '{ print $1, $9 }' | sort)"

# ---------------------------------------------------------------------
echo "# standard input"

from_stdin=$WORK/stdin
cp -r "$pristine" "$from_stdin"
echo "# \$ ocicap apply oci:$from_stdin:app - <<< /usr/bin/ping cap_net_raw=ep"
stdin_output=$("$OCICAP" apply "oci:$from_stdin:app" - \
    <<<"/usr/bin/ping cap_net_raw=ep" 2>/dev/null)
assert_eq "apply - reads standard input" "/usr/bin/ping cap_net_raw=ep" \
    "$(grep -v '^sha256:' <<<"$stdin_output")"
assert_eq "getcap after apply -" "/usr/bin/ping cap_net_raw=ep" \
    "$(unpacked_getcap "$from_stdin" app)"

# ---------------------------------------------------------------------
echo "# invalid lists change nothing"

before=$(tree_fingerprint "$pristine")
printf '/usr/bin/ping cap_net_raw=ep\n\n/usr/bin/lock bogus+ep\n' \
    >"$WORK/bad-caps.txt"
expect_error "a bad capability names the line" "$WORK/bad-caps.txt:3:" \
    apply "oci:$pristine:app" "$WORK/bad-caps.txt"
printf '/usr/bin/ping\n' >"$WORK/no-caps.txt"
expect_error "a line without caps names the line" \
    "$WORK/no-caps.txt:1: missing capabilities" \
    apply "oci:$pristine:app" "$WORK/no-caps.txt"
printf '# nothing\n' >"$WORK/empty.txt"
expect_error "a list without files" "lists no files" \
    apply "oci:$pristine:app" "$WORK/empty.txt"
expect_error "a missing list" "$WORK/missing.txt" \
    apply "oci:$pristine:app" "$WORK/missing.txt"
printf '/usr/bin/nothing cap_net_raw=ep\n' >"$WORK/missing-file.txt"
expect_error "a list naming a missing file names the line" \
    "$WORK/missing-file.txt:1: /usr/bin/nothing not found" \
    apply "oci:$pristine:app" "$WORK/missing-file.txt"
printf '/usr/bin/ping cap_net_raw=ep\n/usr/bin/no*.so cap_kill=ep\n' \
    >"$WORK/missing-pattern.txt"
expect_error "a pattern matching nothing names the line" \
    "$WORK/missing-pattern.txt:2: pattern" \
    apply "oci:$pristine:app" "$WORK/missing-pattern.txt"
assert_eq "invalid lists change nothing" "$before" \
    "$(tree_fingerprint "$pristine")"

e2e_finish
