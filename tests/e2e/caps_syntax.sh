#!/bin/bash
# ocicap set takes the CAPS text that setcap takes. For each text in the
# table, setcap on a host file is the reference.
#
# If setcap accepts the text, ocicap set must succeed. Then ocicap get and
# getcap on the unpacked image must print what getcap prints for the host
# file, and the layer xattr must decode to the same sets. Both files run
# as uid 65534 must get the same CapEff.
#
# If setcap rejects the text, ocicap set must fail with exit status 1 and
# an error that names the text, and leave the layout unchanged.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
require_file_caps_on_exec

caps_texts=(
    'cap_ipc_lock+eip'
    'cap_ipc_lock=eip'
    'cap_ipc_lock=ep'
    'cap_ipc_lock+p'
    'cap_ipc_lock+i'
    'cap_ipc_lock+ei'
    'cap_ipc_lock+e'
    'cap_net_raw,cap_net_admin=ep'
    'CAP_NET_RAW+ep'
    '14+ep'
    'cap_checkpoint_restore+ep'
    'cap_bpf,cap_perfmon=eip'
    'all=ep'
    'all=p'
    '='
    'cap_chown,cap_fowner=p cap_kill+i'
    'cap_sys_admin=ep cap_sys_admin-e'
    'cap_net_raw+ep cap_net_raw-ep'
    'cap_bogus+ep'
    'garbage'
    'cap_ipc_lock'
    'cap_ipc_lock+x'
    '99+ep'
    'cap_ipc_lock+ep cap_net_raw+p'
    'cap_ipc_lock=ep cap_net_raw+i'
    'cap_ipc_lock+ep,cap_net_raw+ep'
)

reference=$WORK/reference
case_number=0

for caps in "${caps_texts[@]}"; do
    case_number=$((case_number + 1))
    echo "# caps text [$caps]"
    layout=$WORK/case-$case_number
    copy_default_image "$layout"

    install_capcheck "$reference"
    if ! setcap "$caps" "$reference" 2>/dev/null; then
        before=$(tree_fingerprint "$layout")
        expect_error "set [$caps] rejected like setcap" "$caps" \
            set "oci:$layout:app" "$caps" /usr/bin/capcheck
        assert_eq "set [$caps] leaves the layout unchanged" \
            "$before" "$(tree_fingerprint "$layout")"
        continue
    fi

    expected_text=$(getcap "$reference" | cut -d ' ' -f 2-)
    expected_sets=$(python3 "$OCITOOL" decode-caps \
        "$(python3 "$OCITOOL" caps-hex "$reference")")
    expected_capeff=$(exec_capeff "$reference")

    expect_success "set [$caps] accepted like setcap" \
        set "oci:$layout:app" "$caps" /usr/bin/capcheck || continue
    assert_eq "set [$caps] prints the getcap text" \
        "/usr/bin/capcheck $expected_text" "$(set_output_files)"
    assert_valid_layout "set [$caps]" "$layout"
    assert_eq "set [$caps] writes the same sets as setcap" \
        "$expected_sets" "$(top_layer_caps "$layout" app /usr/bin/capcheck)"

    expect_success "get after set [$caps]" \
        get "oci:$layout:app" /usr/bin/capcheck
    assert_eq "get after set [$caps] prints the getcap text" \
        "/usr/bin/capcheck $expected_text" "$OCICAP_STDOUT"
    assert_eq "getcap on unpacked image after set [$caps]" \
        "/usr/bin/capcheck $expected_text" "$(unpacked_getcap "$layout" app)"

    bundle=$(unpack_image "$layout" app)
    assert_eq "set [$caps] gives the CapEff that setcap gives" \
        "$expected_capeff" "$(exec_capeff "$bundle/rootfs/usr/bin/capcheck")"
    rm -rf "$bundle" "$layout"
done

rm -f "$reference"
e2e_finish
