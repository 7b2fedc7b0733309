#!/bin/bash
# Installs the Debian packages ocicap needs, skipping those already present.
#   scripts/install-deps.sh build   compiler, CMake and the libraries
#   scripts/install-deps.sh test    the above plus the tools the tests use
#                                   to check results independently
#   scripts/install-deps.sh bench   the build packages plus the tools
#                                   bench/run.sh times and plots with
#   scripts/install-deps.sh package the build packages plus what
#                                   `cpack -G DEB` needs to compute the
#                                   package's Depends
# Runs apt-get as root, through sudo when started as another user.
set -euo pipefail

build_packages=(
    cmake g++ make pkg-config
    libarchive-dev libcap-dev libssl-dev libisal-dev libzstd-dev
    libcli11-dev doctest-dev nlohmann-json3-dev
)
bench_packages=(
    hyperfine isal buildah umoci skopeo gnuplot-nox libcap2-bin jq time
    zstd tar python3
)
# dpkg-shlibdeps (dpkg-dev) and file(1) give the .deb its Depends.
package_packages=(dpkg-dev file)
# groff-base and man-db check the man pages for warnings.
test_packages=(
    umoci skopeo libcap2-bin util-linux jq python3 tar gzip zstd
    libc6-dev gcc coreutils strace time groff-base man-db
    "${package_packages[@]}"
    python3-yaml make curl docker-registry podman runc catatonit
)

case "${1:-build}" in
    build) wanted=("${build_packages[@]}") ;;
    test) wanted=("${build_packages[@]}" "${test_packages[@]}") ;;
    bench) wanted=("${build_packages[@]}" "${bench_packages[@]}") ;;
    package) wanted=("${build_packages[@]}" "${package_packages[@]}") ;;
    *)
        echo "usage: $0 build|test|bench|package" >&2
        exit 2
        ;;
esac

missing=()
for package in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null |
        grep -q 'install ok installed'; then
        missing+=("$package")
    fi
done
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    as_root=(sudo)
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -q
"${as_root[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
