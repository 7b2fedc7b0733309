# Helpers for the end-to-end tests of links, removal, apply files,
# patterns, capability forms and runtime advice. Source it after lib.sh.

SPECLAYER=$E2E_DIR/speclayer.py

# Appends a layer to LAYOUT:REF whose entries are the lines of standard
# input, in order (see speclayer.py for the syntax).
add_spec_layer() {
    local image=$1 tar_file
    tar_file=$(mktemp -p "$WORK" spec-layer.XXXXXX.tar)
    python3 "$SPECLAYER" "$tar_file" "$TEST_EPOCH" ||
        fatal "speclayer.py could not write a layer for $image"
    umoci raw add-layer --image "$image" \
        --history.created "$TEST_CREATED" \
        --history.created_by "e2e spec layer" "$tar_file" ||
        fatal "umoci raw add-layer failed for $image"
    rm -f "$tar_file"
}

# Copies capcheck to FILE and appends TAG, so each copy has its own bytes.
install_tagged_capcheck() {
    local target=$1 tag=$2
    install_capcheck "$target"
    printf '%s' "$tag" >>"$target"
}

# Runs FILE ARGS as uid 65534 the way a container's process runs it: the
# extra setpriv options in the array SETPRIV_OPTIONS (--bounding-set,
# --no-new-privs) apply, and the exec happens from a shell that already
# runs as uid 65534 with no capabilities. setpriv itself keeps root's
# permitted set across its uid change, and no_new_privs only stops
# capabilities the process did not already have, so exec'ing FILE from
# setpriv directly would hide the effect of --no-new-privs.
run_as_container_process() {
    setpriv --reuid 65534 --regid 65534 --clear-groups \
        "${SETPRIV_OPTIONS[@]}" /bin/sh -c 'exec "$0" "$@"' "$@"
}

# Runs run_as_container_process FILE ARGS and keeps its exit status in
# EXEC_STATUS and its output in EXEC_OUTPUT.
run_exec() {
    EXEC_OUTPUT=$(run_as_container_process "$@" 2>&1)
    EXEC_STATUS=$?
}

# Prints the CapEff mask of FILE under run_as_container_process.
exec_capeff_with() {
    run_as_container_process "$@" 2>&1 | awk '/^CapEff:/ { print $2 }'
}

# Prints the CapPrm mask of FILE under run_as_container_process.
exec_capprm_with() {
    run_as_container_process "$@" 2>&1 | awk '/^CapPrm:/ { print $2 }'
}

# Prints the lines of the last run's stderr that start with PREFIX.
stderr_lines() {
    grep -F -- "$1" <<<"$OCICAP_STDERR"
}
