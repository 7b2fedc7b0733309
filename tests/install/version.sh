#!/bin/bash
# Checks `ocicap --version`: the version of ocicap, then the versions of
# libarchive, libcap and OpenSSL that the binary runs with, not those it
# was built with. Where dpkg is installed, each library's line must name
# the upstream version of the Debian package that contains the shared
# object the binary loads. A copy of libcap under another file name, loaded
# through LD_LIBRARY_PATH, must change the libcap line.
#
# Usage: version.sh OCICAP PROJECT_VERSION
set -euo pipefail
source "$(dirname "$0")/lib.sh"

use_ocicap "${1-}"
project_version=${2:?usage: version.sh OCICAP PROJECT_VERSION}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

output=$("$OCICAP" --version)
mapfile -t lines <<<"$output"

# Checks that line $1 of the output matches the extended regex $2.
expect_line() {
    local index=$1 pattern=$2
    if [[ ${lines[index]-} =~ $pattern ]]; then
        pass "line $((index + 1)) matches $pattern"
    else
        fail "line $((index + 1)) matches $pattern"
        show "output" "$output"
    fi
}

if ((${#lines[@]} == 4)); then
    pass "--version prints 4 lines"
else
    fail "--version prints 4 lines"
    show "output" "$output"
fi
expect_line 0 "^ocicap ${project_version//./\\.}\$"
expect_line 1 '^libarchive [0-9]+\.[0-9]+\.[0-9]+( |$)'
expect_line 2 '^libcap [0-9]+\.[0-9]+$'
expect_line 3 '^OpenSSL [0-9]+\.[0-9]+\.[0-9]+'

# Prints the path that the dynamic loader resolves shared object $1 to.
loaded_path() {
    ldd "$OCICAP" | awk -v name="$1" '$1 == name && $2 == "=>" { print $3 }'
}

# Prints the upstream version of the Debian package that contains file $1:
# its version without the epoch and the Debian revision.
package_upstream_version() {
    local file=$1 package
    package=$(dpkg -S "$file" 2>/dev/null ||
        dpkg -S "$(realpath "$file")" 2>/dev/null) || return 1
    package=${package%%: *}
    dpkg-query -W -f '${Version}' "$package" |
        sed -e 's/^[0-9]*://' -e 's/-[^-]*$//'
}

# Checks that line $1 contains "$3 VERSION" where VERSION is the package
# version of the loaded shared object $2.
expect_package_version() {
    local index=$1 soname=$2 label=$3 path version
    path=$(loaded_path "$soname")
    if [[ -z $path ]]; then
        fail "$label: ocicap loads $soname"
        show "ldd" "$(ldd "$OCICAP")"
        return
    fi
    if ! version=$(package_upstream_version "$path"); then
        echo "note: no Debian package holds $path; $label is not compared"
        return
    fi
    local line=${lines[index]-}
    if [[ $line == "$label $version" || $line == "$label $version "* ]]; then
        pass "$label line names $version, the version of $path"
    else
        fail "$label line names $version, the version of $path"
        show "output" "$output"
    fi
}

if command -v dpkg-query >/dev/null && command -v ldd >/dev/null; then
    expect_package_version 1 libarchive.so.13 libarchive
    expect_package_version 2 libcap.so.2 libcap
    expect_package_version 3 libcrypto.so.3 OpenSSL
else
    echo "note: dpkg or ldd not installed; library versions not compared"
fi

# The same libcap under a made-up version in its file name.
libcap=$(loaded_path libcap.so.2)
if [[ -n $libcap ]]; then
    cp "$(realpath "$libcap")" "$work/libcap.so.2.999"
    ln -s libcap.so.2.999 "$work/libcap.so.2"
    relinked=$(LD_LIBRARY_PATH=$work "$OCICAP" --version)
    if grep -qx 'libcap 2.999' <<<"$relinked"; then
        pass "libcap line follows the libcap loaded at run time"
    else
        fail "libcap line follows the libcap loaded at run time"
        show "output with LD_LIBRARY_PATH=$work" "$relinked"
    fi
else
    echo "note: libcap is linked statically; the run-time check is left out"
fi

e2e_finish
