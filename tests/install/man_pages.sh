#!/bin/bash
# Checks the man pages against the binary. Every subcommand that
# `ocicap --help` lists has a page. Every option that `ocicap SUB --help`
# prints is described under OPTIONS in ocicap-SUB(1), or ocicap(1) for the
# top level, and every option named there or in the SYNOPSIS exists.
# man --warnings and groff -ww print no warning for any page.
#
# Usage: man_pages.sh OCICAP MAN_DIRECTORY
# MAN_DIRECTORY contains the pages that configure_file() wrote from man/.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

use_ocicap "${1-}"
man_dir=${2:?usage: man_pages.sh OCICAP MAN_DIRECTORY}

# Prints the lines of section $2 of roff page $1, with \- as - and font
# escapes removed.
section_text() {
    awk -v wanted="$2" '/^\.SH / { in_section = ($0 == ".SH " wanted); next }
                        in_section' "$1" |
        sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g'
}

# Prints the option names in the text on standard input, one a line, sorted.
option_names() {
    grep -oE '(^|[][ ,|])--?[A-Za-z][A-Za-z-]*' | sed 's/^[][ ,|]//' |
        sort -u || true
}

# Prints the tag lines of the OPTIONS section (the line after each .TP).
option_tags() {
    section_text "$1" OPTIONS |
        awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }'
}

check_page() {
    local page=$1 title=$2
    shift 2
    if [[ ! -f $page ]]; then
        fail "$title: page $page exists"
        return
    fi
    local help documented synopsis
    help=$(help_options "$@")
    documented=$(option_tags "$page" | option_names)
    compare_options "$title: OPTIONS match --help" "--help" "the page" \
        "$help" "$documented"

    synopsis=$(section_text "$page" SYNOPSIS | option_names)
    local unknown
    unknown=$(comm -13 <(echo "$help") <(echo "$synopsis") | sed '/^$/d')
    if [[ -z $unknown ]]; then
        pass "$title: SYNOPSIS names only options of --help"
    else
        fail "$title: SYNOPSIS names only options of --help"
        show "unknown options" "$unknown"
    fi

    if grep -q '@[A-Z_]*@' "$page"; then
        fail "$title: every @VARIABLE@ is replaced"
        show "left" "$(grep -n '@[A-Z_]*@' "$page")"
    else
        pass "$title: every @VARIABLE@ is replaced"
    fi
}

# Checks that `man --warnings` and `groff -ww` print nothing for page $1.
check_warnings() {
    local page=$1 title=$2 warnings
    if command -v man >/dev/null; then
        warnings=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -E UTF-8 \
            -l "$page" 2>&1 >/dev/null)
        if [[ -z $warnings ]]; then
            pass "$title: man --warnings prints nothing"
        else
            fail "$title: man --warnings prints nothing"
            show "warnings" "$warnings"
        fi
    else
        echo "note: man not installed (man-db); its check is left out"
    fi
    if command -v groff >/dev/null; then
        warnings=$(groff -ww -z -man -Tutf8 "$page" 2>&1)
        if [[ -z $warnings ]]; then
            pass "$title: groff -ww prints nothing"
        else
            fail "$title: groff -ww prints nothing"
            show "warnings" "$warnings"
        fi
    else
        echo "note: groff not installed (groff-base); its check is left out"
    fi
}

subcommands=$("$OCICAP" --help |
    awk '/^Subcommands:/ { in_list = 1; next } /^[^ ]/ { in_list = 0 }
         in_list && NF { print $1 }')
if [[ $subcommands == "$(printf '%s\n' "${SUBCOMMANDS[@]}")" ]]; then
    pass "ocicap --help lists set, rm, apply, get and explain"
else
    fail "ocicap --help lists set, rm, apply, get and explain"
    show "listed" "$subcommands"
fi

check_page "$man_dir/ocicap.1" "ocicap(1)"
check_warnings "$man_dir/ocicap.1" "ocicap(1)"
for command in $subcommands; do
    page=$man_dir/ocicap-$command.1
    check_page "$page" "ocicap-$command(1)" "$command"
    [[ -f $page ]] && check_warnings "$page" "ocicap-$command(1)"
    if section_text "$man_dir/ocicap.1" COMMANDS |
        grep -qx "\.B $command"; then
        pass "ocicap(1): COMMANDS describes $command"
    else
        fail "ocicap(1): COMMANDS describes $command"
    fi
done

e2e_finish
