#!/bin/bash
# Shell-style patterns in set, --dry-run, and the --json documents of set,
# rm, apply and get. Patterns are matched against the merged view, so a
# file deleted by an upper layer does not match, and a pattern that
# matches nothing is an error. A dry run prints the plan and writes
# nothing. The JSON field names checked here are the ones the README
# documents.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/caps_lib.sh"
e2e_init "$@"
require_file_caps_on_exec

image=$WORK/image
copy_default_image "$image"
lower=$WORK/lower
for name in python3.11 python3.12 python3.13; do
    install_tagged_capcheck "$lower/usr/bin/$name" "$name"
done
ln -s python3.11 "$lower/usr/bin/python3"
install_tagged_capcheck "$lower/usr/bin/.python3.hidden" hidden
add_layer "$image:app" "$lower"
add_spec_layer "$image:app" <<'EOF'
dir usr
dir usr/bin
whiteout usr/bin/python3.13
EOF
assert_valid_layout "test image" "$image"
cp -r "$image" "$WORK/pristine"
pristine=$WORK/pristine

# ---------------------------------------------------------------------
echo "# a pattern matches files of the merged view"

matched=$WORK/matched
cp -r "$pristine" "$matched"
expect_success "set with a pattern" \
    set "oci:$matched:app" cap_ipc_lock+eip '/usr/bin/python3.*'
assert_eq "the pattern matches the visible files only" \
    "/usr/bin/python3.11 cap_ipc_lock=eip
/usr/bin/python3.12 cap_ipc_lock=eip" "$(set_output_files)"
assert_valid_layout "set with a pattern" "$matched"
assert_eq "getcap agrees" \
    "/usr/bin/python3.11 cap_ipc_lock=eip
/usr/bin/python3.12 cap_ipc_lock=eip" "$(unpacked_getcap "$matched" app)"
bundle=$(unpack_image "$matched" app)
assert_eq "python3.12 has CAP_IPC_LOCK as uid 65534" "$CAPEFF_IPC_LOCK" \
    "$(exec_capeff "$bundle/rootfs/usr/bin/python3.12")"

expect_success "a pattern that also matches a symlink" \
    set --dry-run "oci:$pristine:app" cap_ipc_lock+eip '/usr/bin/python*'
assert_contains "the symlink is skipped with a warning" \
    "/usr/bin/python3 matches \"/usr/bin/python*\" but is a symbolic link" \
    "$OCICAP_STDERR"
expect_success "the same pattern with --follow" \
    set --dry-run -L "oci:$pristine:app" cap_ipc_lock+eip '/usr/bin/python*'
assert_not_contains "no warning with --follow" "symbolic link" \
    "$OCICAP_STDERR"

before=$(tree_fingerprint "$pristine")
expect_error "a pattern that matches nothing" \
    'pattern "/usr/bin/ruby*" matches no regular file' \
    set "oci:$pristine:app" cap_ipc_lock+eip '/usr/bin/ruby*'
expect_error "a pattern that matches only a deleted file" \
    'pattern "/usr/bin/python3.13*" matches no regular file' \
    set "oci:$pristine:app" cap_ipc_lock+eip '/usr/bin/python3.13*'
assert_eq "unmatched patterns change nothing" "$before" \
    "$(tree_fingerprint "$pristine")"

# ---------------------------------------------------------------------
echo "# --dry-run prints the plan and writes nothing"

expect_success "dry run" \
    set --dry-run "oci:$pristine:app" cap_ipc_lock+eip /usr/bin/capcheck \
    '/usr/bin/python3.1?'
capcheck_size=$(stat --format %s "$(capcheck_binary)")
python_size=$(stat --format %s "$lower/usr/bin/python3.11")
app_layer=$(manifest_json "$pristine" app | jq -r '.layers[1].digest')
python_layer=$(manifest_json "$pristine" app | jq -r '.layers[2].digest')
assert_eq "the plan names each file, its layer and its size" \
    "/usr/bin/capcheck cap_ipc_lock=eip: $capcheck_size bytes from layer 2 ($app_layer)
/usr/bin/python3.11 cap_ipc_lock=eip: $python_size bytes from layer 3 ($python_layer)
/usr/bin/python3.12 cap_ipc_lock=eip: $python_size bytes from layer 3 ($python_layer)
dry run: 3 files, $((capcheck_size + 2 * python_size)) bytes to copy into a new layer of oci:$pristine:app; nothing written" \
    "$OCICAP_STDOUT"
assert_eq "a dry run writes nothing" "$before" "$(tree_fingerprint "$pristine")"
expect_success "dry run to a new --output" \
    set --dry-run -o "oci:$WORK/never/made" "oci:$pristine:app" \
    cap_ipc_lock+eip /usr/bin/capcheck
assert_command "a dry run creates no --output" test ! -e "$WORK/never"
expect_error "a dry run fails where a run would" /usr/bin/nothing \
    set --dry-run "oci:$pristine:app" cap_ipc_lock+eip /usr/bin/nothing

# ---------------------------------------------------------------------
echo "# --json documents"

json=$WORK/json
cp -r "$pristine" "$json"
expect_success "set --json" \
    set --json "oci:$json:app" cap_ipc_lock+eip '/usr/bin/python3.1?'
document=$OCICAP_STDOUT
assert_command "set --json prints one JSON document" jq -e . <<<"$document"
assert_eq "set --json fields" \
    "set oci:$json:app false $(ref_digest "$json" app)" \
    "$(jq -r '[.command, .image, .dry_run, .digest] | join(" ")' \
        <<<"$document")"
assert_contains "set --json destination" "oci:$json" \
    "$(jq -r .destination <<<"$document")"
assert_eq "set --json files" \
    "/usr/bin/python3.11 /usr/bin/python3.1? set cap_ipc_lock=eip 2 $python_layer $python_size
/usr/bin/python3.12 /usr/bin/python3.1? set cap_ipc_lock=eip 2 $python_layer $python_size" \
    "$(jq -r '.files[] | [.path, .requested, .action, .capabilities,
        .source_layer, .source_layer_digest, .size] | join(" ")' <<<"$document")"
assert_eq "set --json advice" "IPC_LOCK bounding_set" \
    "$(jq -r '[.advice.not_in_default[0], .advice.items[1].kind] | join(" ")' \
        <<<"$document")"
assert_eq "set --json prints no advice text" "" \
    "$(stderr_lines "ocicap: runtime:")"

expect_success "rm --json" rm --json "oci:$json:app" /usr/bin/python3.11
assert_eq "rm --json fields" "rm remove null null" \
    "$(jq -r '[.command, .files[0].action, .files[0].capabilities,
        .advice] | map(tostring) | join(" ")' <<<"$OCICAP_STDOUT")"

printf '/usr/bin/capcheck cap_chown=ep [rootid=7]\n' >"$WORK/list.txt"
expect_success "apply --json --dry-run" \
    apply --json --dry-run "oci:$json:app" "$WORK/list.txt"
assert_eq "apply --json fields" "apply true 7 cap_chown=ep" \
    "$(jq -r '[.command, .dry_run, .files[0].rootid,
        .files[0].capabilities] | map(tostring) | join(" ")' \
        <<<"$OCICAP_STDOUT")"

expect_success "get --json" get --json "oci:$json:app" /usr/bin/python3.12
assert_eq "get --json fields" \
    "/usr/bin/python3.12 cap_ipc_lock=eip true cap_ipc_lock cap_ipc_lock null" \
    "$(jq -r '.files[0] | [.path, .capabilities, .effective,
        (.permitted | join(",")), (.inheritable | join(",")), .rootid] |
        map(tostring) | join(" ")' <<<"$OCICAP_STDOUT")"
run_ocicap get --json "oci:$json:app" /usr/bin/nothing
assert_eq "get --json with a missing path: exit 1" 1 "$OCICAP_STATUS"
assert_eq "get --json lists the error" 1 \
    "$(jq '.errors | length' <<<"$OCICAP_STDOUT")"

e2e_finish
