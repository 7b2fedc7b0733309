# Shared helpers for the tests of what `cmake --install` and the Debian
# package ship: man pages, bash completion, --version and the package.
# They report as the end-to-end tests of tests/e2e/lib.sh do, with
# "ok - ..." and "FAIL - ..." lines closed by "N passed, N failed". The
# exit status is 0 if every check passed, 1 if any failed, and 77 if the
# test cannot run here.

INSTALL_TEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# skip, fatal, pass, fail, show, e2e_finish, REPO_ROOT and DEFAULT_IMAGE.
source "$INSTALL_TEST_DIR/../e2e/lib.sh"

# The subcommands that `ocicap --help` lists.
SUBCOMMANDS=(set rm apply get explain)

# Sets OCICAP to the absolute path of binary $1, or aborts.
use_ocicap() {
    [[ -n ${1-} && -x $1 ]] || fatal "ocicap binary not found: ${1-}"
    OCICAP=$(realpath "$1")
}

# Prints the options that `ocicap [SUBCOMMAND] --help` lists, one a line,
# sorted: each name in the first column of the "Options:" section, where
# CLI11 writes "-o,--output TEXT".
help_options() {
    "$OCICAP" "$@" --help |
        awk '/^Options:/ { in_options = 1; next }
             /^[^ ]/ { in_options = 0 }
             in_options && $1 ~ /^-/ { print $1 }' |
        tr ',' '\n' | sort -u
}

# Checks that two sorted lists of options agree, naming what each lacks.
# $1 describes the case, $2 and $3 name the lists, $4 and $5 are the lists.
compare_options() {
    local what=$1 left_name=$2 right_name=$3 left=$4 right=$5
    local only_left only_right
    only_left=$(comm -23 <(echo "$left") <(echo "$right"))
    only_right=$(comm -13 <(echo "$left") <(echo "$right"))
    if [[ -z $only_left && -z $only_right && -n $left ]]; then
        pass "$what"
        return
    fi
    fail "$what"
    show "in $left_name only" "$only_left"
    show "in $right_name only" "$only_right"
}
