#!/bin/bash
# Checks the bash completion in completion/ocicap.bash: it is sourced into
# this shell, and _ocicap runs on command lines split into COMP_WORDS the
# way bash splits them (at whitespace, and around ":" and "="). Each case
# checks COMPREPLY, and whether "no space after" was asked with compopt.
# The option lists are checked against `ocicap SUB --help`.
#
# Usage: completion.sh OCICAP
set -euo pipefail
source "$(dirname "$0")/lib.sh"

use_ocicap "${1-}"
completion=$REPO_ROOT/completion/ocicap.bash

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/img/blobs" "$work/plain-dir"
cp "$DEFAULT_IMAGE/index.json" "$DEFAULT_IMAGE/oci-layout" "$work/img/"
touch "$work/archive.tar" "$work/caps.txt"
cd "$work"

set +eu
source "$completion"
set -eu

# Replaces the builtin, which only works while readline runs a completion.
compopt() {
    [[ $* == *"-o nospace"* ]] && nospace=1
    return 0
}

# Runs the completion for `line`, with the cursor at its end.
complete_line() {
    local line=$1 token words=()
    read -ra words <<<"$line"
    [[ $line == *' ' ]] && words+=('')
    COMP_WORDS=()
    for token in "${words[@]}"; do
        if [[ -z $token ]]; then
            COMP_WORDS+=('')
        fi
        while [[ -n $token ]]; do
            [[ $token =~ ^([:=]+|[^:=]+)(.*)$ ]]
            COMP_WORDS+=("${BASH_REMATCH[1]}")
            token=${BASH_REMATCH[2]}
        done
    done
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE=$line
    COMP_POINT=${#line}
    COMPREPLY=()
    nospace=0
    _ocicap
}

# Checks that completing `line` offers exactly the candidates given.
expect_exactly() {
    local line=$1
    shift
    complete_line "$line"
    local got expected
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sort)
    expected=$(printf '%s\n' "$@" | sort)
    if [[ $got == "$expected" ]]; then
        pass "'$line' offers $*"
    else
        fail "'$line' offers $*"
        show "COMPREPLY" "$got"
    fi
}

# Checks that completing `line` offers at least the candidates given.
expect_some() {
    local line=$1 candidate missing=()
    shift
    complete_line "$line"
    for candidate in "$@"; do
        printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$candidate" ||
            missing+=("$candidate")
    done
    if ((${#missing[@]} == 0)); then
        pass "'$line' offers $*"
    else
        fail "'$line' offers $*"
        show "missing" "${missing[*]}"
        show "COMPREPLY" "$(printf '%s\n' "${COMPREPLY[@]}")"
    fi
}

expect_nothing() {
    complete_line "$1"
    if ((${#COMPREPLY[@]} == 0)); then
        pass "'$1' offers nothing"
    else
        fail "'$1' offers nothing"
        show "COMPREPLY" "$(printf '%s\n' "${COMPREPLY[@]}")"
    fi
}

# Checks the nospace request of the last completion: $1 is 1 or 0.
expect_nospace() {
    local what=$2
    if [[ $nospace == "$1" ]]; then
        pass "$what"
    else
        fail "$what"
    fi
}

# Subcommands and options.
expect_exactly 'ocicap ' set rm apply get explain
expect_exactly 'ocicap e' explain
expect_exactly 'ocicap --v' --version
for command in "${SUBCOMMANDS[@]}"; do
    complete_line "ocicap $command -"
    compare_options "options of $command match --help" "--help" \
        "the completion" "$(help_options "$command")" \
        "$(printf '%s\n' "${COMPREPLY[@]}" | sort -u)"
done
expect_exactly 'ocicap set --ro' --rootid
expect_exactly 'ocicap get --re' --recursive

# Option values, after a space and after "=".
expect_exactly 'ocicap set --compression ' gzip zstd none
expect_exactly 'ocicap rm --attestations d' drop
expect_exactly 'ocicap set --compression=z' zstd
expect_some 'ocicap set -o ' oci: oci-archive: docker-archive:
expect_nothing 'ocicap set --tag '

# Image references: transports, host paths after them, refs of a layout.
expect_some 'ocicap get ' oci: oci-archive: docker-archive: img/ \
    archive.tar
expect_nospace 1 "'ocicap get ' asks for no space after oci:"
expect_exactly 'ocicap get oci-' oci-archive:
expect_exactly 'ocicap get oci:' img/ plain-dir/
expect_exactly 'ocicap get oci:i' img/
expect_exactly 'ocicap get oci:img:' app
expect_exactly 'ocicap get oci:img:a' app
expect_exactly 'ocicap get oci-archive:ar' archive.tar
expect_exactly 'ocicap explain docker-archive:c' caps.txt

# CAPS: names, the runtime form, operators and flags.
expect_exactly 'ocicap set oci:img:app cap_ipc_l' cap_ipc_lock
expect_nospace 1 "a capability name asks for no space after it"
expect_exactly 'ocicap set oci:img:app cap_ipc_lock' cap_ipc_lock \
    cap_ipc_lock+ cap_ipc_lock= cap_ipc_lock,
expect_some 'ocicap set oci:img:app cap_ipc_lock+e' cap_ipc_lock+ep \
    cap_ipc_lock+eip
expect_nospace 0 "flags after an operator ask for a space after them"
expect_some 'ocicap set oci:img:app cap_ipc_lock=' ep eip
expect_exactly 'ocicap set oci:img:app cap_net_raw,cap_net_ad' \
    cap_net_raw,cap_net_admin
expect_exactly 'ocicap set oci:img:app IPC_L' IPC_LOCK
expect_exactly 'ocicap set oci:img:app CAP_IPC_L' CAP_IPC_LOCK
expect_some 'ocicap set --platform linux/amd64 oci:img:app cap_sys_ad' \
    cap_sys_admin
expect_nothing 'ocicap set -q oci:img:app cap_ipc_lock+ep /usr/bin/x c'

# Positions that take no CAPS: set -r, rm, apply's list, explain.
expect_nothing 'ocicap set -r oci:img:app c'
expect_nothing 'ocicap set -qr oci:img:app c'
expect_nothing 'ocicap rm oci:img:app c'
expect_exactly 'ocicap apply oci:img:app c' caps.txt
expect_nothing 'ocicap explain oci:img:app c'
expect_nothing 'ocicap get -- -'

# Capability names come from capsh when it is installed, else from the
# completion's own list, which must then name the same capabilities.
fallback=$(
    PATH=/nonexistent
    unset _ocicap_capability_cache
    _ocicap_capability_names
)
if [[ $fallback == *cap_chown* && $fallback == *cap_checkpoint_restore* ]]
then
    pass "without capsh, names run from cap_chown to cap_checkpoint_restore"
else
    fail "without capsh, names run from cap_chown to cap_checkpoint_restore"
    show "names" "$fallback"
fi
if command -v capsh >/dev/null; then
    unset _ocicap_capability_cache
    from_capsh=$(_ocicap_capability_names | tr ' ' '\n' | sort)
    missing=$(comm -23 <(tr ' ' '\n' <<<"$fallback" | sort) \
        <(echo "$from_capsh"))
    if [[ -z $missing ]]; then
        pass "libcap (capsh) knows every name of the fallback list"
    else
        fail "libcap (capsh) knows every name of the fallback list"
        show "unknown to capsh" "$missing"
    fi
else
    echo "note: capsh not installed (libcap2-bin); its check is left out"
fi

e2e_finish
