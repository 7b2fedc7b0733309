#!/bin/bash
# Builds the Debian package with `cpack -G DEB` and checks its control
# fields and contents. Then it installs the package with dpkg -i, runs the
# installed /usr/bin/ocicap on a copy of testdata/default-image, checks
# that the man pages and the bash completion are in place, and removes the
# package with dpkg -r. An EXIT trap removes the package when a check
# fails midway, so the machine is left as it was.
#
# It needs root, and skips (exit 77) without it, when a tool is missing,
# or when an ocicap package or file is already installed, which it would
# replace.
#
# Usage: package.sh BUILD_DIRECTORY PROJECT_VERSION
set -euo pipefail
source "$(dirname "$0")/lib.sh"

build_dir=${1:?usage: package.sh BUILD_DIRECTORY PROJECT_VERSION}
project_version=${2:?usage: package.sh BUILD_DIRECTORY PROJECT_VERSION}
build_dir=$(realpath "$build_dir")

installed_files=(
    /usr/bin/ocicap
    /usr/share/bash-completion/completions/ocicap
)
for command in '' "${SUBCOMMANDS[@]/#/-}"; do
    installed_files+=("/usr/share/man/man1/ocicap$command.1")
done

[[ $EUID -eq 0 ]] || skip "needs root to install the package with dpkg"
for tool in cpack dpkg dpkg-deb dpkg-shlibdeps file flock; do
    command -v "$tool" >/dev/null ||
        skip "missing tool: $tool (scripts/install-deps.sh test installs it)"
done
[[ -f $build_dir/CPackConfig.cmake ]] ||
    fatal "$build_dir/CPackConfig.cmake not found: configure the build first"

# One run at a time on this machine, as the package is installed system-wide.
exec 9>/run/lock/ocicap-package-test.lock
flock 9

package_state() {
    dpkg-query -W -f '${db:Status-Abbrev}' ocicap 2>/dev/null || true
}

if [[ $(package_state) == i* ]]; then
    skip "the ocicap package is already installed; remove it to run this"
fi
for file in "${installed_files[@]}"; do
    [[ ! -e $file && ! -e $file.gz ]] ||
        skip "$file exists and dpkg -i would replace it"
done

work=$(mktemp -d)
installed=0
cleanup() {
    if ((installed)); then
        echo "cleanup: removing the ocicap package"
        dpkg -r ocicap >/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# Runs dpkg with the arguments given, retrying while another dpkg or apt
# holds the dpkg lock, for up to 5 minutes.
run_dpkg() {
    local attempt log=$work/dpkg.log
    for ((attempt = 0; attempt < 60; attempt++)); do
        if DEBIAN_FRONTEND=noninteractive dpkg "$@" >"$log" 2>&1; then
            return 0
        fi
        grep -q 'lock' "$log" || break
        sleep 5
    done
    cat "$log"
    return 1
}

# Build.
if cpack -G DEB -B "$work/package" --config "$build_dir/CPackConfig.cmake" \
    >"$work/cpack.log" 2>&1; then
    pass "cpack -G DEB builds a package"
else
    fail "cpack -G DEB builds a package"
    show "cpack output" "$(tail -30 "$work/cpack.log")"
    e2e_finish
fi
debs=("$work"/package/*.deb)
deb=${debs[0]}
if ((${#debs[@]} == 1)) && [[ -f $deb ]] &&
    [[ $(basename "$deb") == ocicap_${project_version}_*.deb ]]; then
    pass "one package, named ocicap_${project_version}_ARCH.deb"
else
    fail "one package, named ocicap_${project_version}_ARCH.deb"
    show "packages" "$(ls "$work/package")"
    e2e_finish
fi

# Control fields.
field() {
    dpkg-deb -f "$deb" "$1"
}
expect_field() {
    local name=$1 pattern=$2 value
    value=$(field "$name")
    if [[ $value =~ $pattern ]]; then
        pass "$name: $value"
    else
        fail "$name matches $pattern"
        show "$name" "$value"
    fi
}
expect_field Package '^ocicap$'
expect_field Version "^${project_version//./\\.}\$"
expect_field Section '^devel$'
expect_field Maintainer '^[^<>]+ <[^<>@ ]+@[^<>@ ]+>$'
expect_field Description '^set Linux file capabilities in OCI container images'
depends=$(field Depends)
for library in libarchive13 libcap2 libssl3 libisal2 libzstd1 libc6 \
    libstdc\\+\\+6 libgcc-s1; do
    if [[ $depends =~ (^|, )$library( |,|$) ]]; then
        pass "Depends names $library"
    else
        fail "Depends names $library"
        show "Depends" "$depends"
    fi
done
if [[ -z $(field Homepage) ]]; then
    pass "no Homepage field"
else
    fail "no Homepage field"
fi

# Contents.
contents=$(dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\.||')
for file in "${installed_files[@]}"; do
    if grep -qxF "$file" <<<"$contents"; then
        pass "package holds $file"
    else
        fail "package holds $file"
        show "contents" "$contents"
    fi
done

# Install and use.
if run_dpkg -i "$deb"; then
    installed=1
    pass "dpkg -i installs the package"
else
    fail "dpkg -i installs the package"
    e2e_finish
fi

version=$(/usr/bin/ocicap --version | head -1)
if [[ $version == "ocicap $project_version" ]]; then
    pass "/usr/bin/ocicap --version prints ocicap $project_version"
else
    fail "/usr/bin/ocicap --version prints ocicap $project_version"
    show "output" "$(/usr/bin/ocicap --version 2>&1)"
fi

cp -r "$DEFAULT_IMAGE" "$work/image"
if (cd "$work" && /usr/bin/ocicap set -q oci:image:app cap_ipc_lock+eip \
    /usr/bin/capcheck >"$work/set.out" 2>&1); then
    pass "installed ocicap set changes a copy of testdata/default-image"
else
    fail "installed ocicap set changes a copy of testdata/default-image"
    show "output" "$(cat "$work/set.out")"
fi
got=$(cd "$work" && /usr/bin/ocicap get oci:image:app /usr/bin/capcheck 2>&1)
if [[ $got == "/usr/bin/capcheck cap_ipc_lock=eip" ]]; then
    pass "installed ocicap get reads the capability back"
else
    fail "installed ocicap get reads the capability back"
    show "output" "$got"
fi

for file in "${installed_files[@]}"; do
    if [[ -f $file ]]; then
        pass "$file is installed"
    else
        fail "$file is installed"
    fi
done
if command -v man >/dev/null; then
    for command in '' "${SUBCOMMANDS[@]/#/-}"; do
        found=$(man -w "ocicap$command" 2>&1 || true)
        if [[ $found == /usr/share/man/man1/ocicap$command.1* ]]; then
            pass "man -w ocicap$command finds the installed page"
        else
            fail "man -w ocicap$command finds the installed page"
            show "man -w" "$found"
        fi
    done
fi
registered=$(bash -c 'source /usr/share/bash-completion/completions/ocicap &&
    complete -p ocicap' 2>&1 || true)
if [[ $registered == "complete -F _ocicap ocicap" ]]; then
    pass "the installed completion registers _ocicap for ocicap"
else
    fail "the installed completion registers _ocicap for ocicap"
    show "complete -p ocicap" "$registered"
fi

# Remove.
if run_dpkg -r ocicap; then
    installed=0
    pass "dpkg -r removes the package"
else
    fail "dpkg -r removes the package"
fi
state=$(package_state)
if [[ -z $state || $state == [pu]n* ]]; then
    pass "dpkg lists ocicap as not installed"
else
    fail "dpkg lists ocicap as not installed"
    show "status" "$state"
fi
left=()
for file in "${installed_files[@]}"; do
    [[ -e $file ]] && left+=("$file")
done
if ((${#left[@]} == 0)); then
    pass "no installed file is left"
else
    fail "no installed file is left"
    show "left" "${left[*]}"
fi

e2e_finish
