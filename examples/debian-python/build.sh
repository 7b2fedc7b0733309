#!/bin/bash
# Build a Debian bookworm image with python3.11 from Debian's .deb files,
# and give /usr/bin/python3.11 CAP_IPC_LOCK with ocicap. Then prove that
# the capability works. Python run as uid 65534 locks more memory than
# its RLIMIT_MEMLOCK allows, which it cannot do in the untouched image.
#
# Usage: examples/debian-python/build.sh [OCICAP] [WORK_DIR]
#   OCICAP    the ocicap binary (default: build/ocicap in the repository)
#   WORK_DIR  where to put the .deb files, layouts and unpacked images;
#             kept afterwards. Default: a temporary directory that is
#             removed on exit.
#
# Needs root (umoci unpack restores xattrs, chroot, setpriv), apt-get
# with access to the Debian archive, dpkg-deb, GNU tar, umoci, skopeo,
# getcap and jq. Exit status: 0 when every check passed, 1 when one
# failed, 77 when the example cannot run here (not root, missing tool,
# apt-get download failed).
set -uo pipefail

repo_root=$(cd "$(dirname "$0")/../.." && pwd)
ocicap=${1:-$repo_root/build/ocicap}
keep_work_dir=no
if [[ $# -ge 2 ]]; then
    work_dir=$2
    keep_work_dir=yes
fi

# Debian packages that make up the image, by layer. The base layer has
# the C runtime and the libraries that python3.11 and its ctypes module
# link to. The python layer has the interpreter and its standard library.
base_packages=(libc6 libgcc-s1 zlib1g libexpat1 libssl3 libffi8)
python_packages=(libpython3.11-minimal python3.11-minimal python3-minimal
    libpython3.11-stdlib)

epoch=${SOURCE_DATE_EPOCH:-1700000000}
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
failures=0

skip() {
    echo "SKIP: $*"
    exit 77
}

step() {
    echo
    echo "== $*"
}

check() {
    local description=$1 expected=$2 actual=$3
    if [[ $expected == "$actual" ]]; then
        echo "ok - $description"
        return 0
    fi
    echo "FAIL - $description"
    echo "    expected: $expected"
    echo "    actual:   $actual"
    failures=$((failures + 1))
    return 1
}

# ---------------------------------------------------------------------
# Preconditions

[[ $EUID -eq 0 ]] || skip "needs root for umoci unpack, chroot and setpriv"
for tool in apt-get dpkg-deb tar umoci skopeo getcap jq chroot unshare \
    mount; do
    command -v "$tool" >/dev/null || skip "missing tool: $tool"
done
[[ -x $ocicap ]] ||
    { echo "FATAL: ocicap binary not found: $ocicap"; exit 1; }
ocicap=$(realpath "$ocicap")

if [[ $keep_work_dir == no ]]; then
    work_dir=$(mktemp -d -t ocicap-debian-python.XXXXXX)
    trap 'rm -rf "$work_dir"' EXIT
fi
mkdir -p "$work_dir"
work_dir=$(realpath "$work_dir")
chmod 0755 "$work_dir"
echo "work dir: $work_dir"

# ---------------------------------------------------------------------
step "download .deb files with apt-get"

deb_dir=$work_dir/debs
mkdir -p "$deb_dir"
# apt drops root to the _apt user for downloads when that user can write
# the target directory, and warns when it cannot.
if id _apt >/dev/null 2>&1; then
    chown _apt "$deb_dir"
fi
download() {
    (cd "$deb_dir" &&
        apt-get download "${base_packages[@]}" "${python_packages[@]}")
}
if ! download; then
    echo "apt-get download failed; updating the package lists once"
    apt-get update >/dev/null 2>&1 || true
    download || skip "apt-get download failed: no access to the Debian archive"
fi
ls -l "$deb_dir"

# ---------------------------------------------------------------------
step "extract the packages into two layer trees"

# Extracts PACKAGE... from deb_dir into ROOT, and merges /bin, /sbin,
# /lib and /lib64 into /usr as a bookworm system does (usrmerge). ROOT
# keeps the symlinks bin -> usr/bin and so on, and files land under usr/.
extract_packages() {
    local root=$1
    shift
    local staging=$work_dir/staging package deb top
    for package in "$@"; do
        rm -rf "$staging"
        mkdir -p "$staging"
        deb=$(ls "$deb_dir/${package}"_*.deb 2>/dev/null | head -n 1)
        [[ -n $deb ]] ||
            { echo "FATAL: no .deb for $package"; exit 1; }
        dpkg-deb -x "$deb" "$staging"
        for top in bin sbin lib lib64; do
            if [[ -d $staging/$top && ! -L $staging/$top ]]; then
                mkdir -p "$staging/usr/$top"
                cp -a "$staging/$top/." "$staging/usr/$top/"
                rm -rf "${staging:?}/$top"
            fi
        done
        cp -a "$staging/." "$root/"
    done
    rm -rf "$staging"
}

base_root=$work_dir/base-root
python_root=$work_dir/python-root
rm -rf "$base_root" "$python_root"
mkdir -p "$base_root"/{etc,tmp,proc,usr/bin,usr/sbin,usr/lib,usr/lib64}
for top in bin sbin lib lib64; do
    ln -s "usr/$top" "$base_root/$top"
done
chmod 1777 "$base_root/tmp"
cat >"$base_root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$base_root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
extract_packages "$base_root" "${base_packages[@]}"

mkdir -p "$python_root"
extract_packages "$python_root" "${python_packages[@]}"
ls -l "$python_root/usr/bin"

# ---------------------------------------------------------------------
step "build the OCI layout with umoci (two layers)"

# Writes a reproducible uncompressed tar of directory $1 to file $2.
make_layer_tar() {
    tar --create --file "$2" --directory "$1" \
        --format=pax --sort=name --mtime="@$epoch" \
        --owner=0 --group=0 --numeric-owner \
        --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
        .
}

image=$work_dir/image
rm -rf "$image"
make_layer_tar "$base_root" "$work_dir/base.tar"
make_layer_tar "$python_root" "$work_dir/python.tar"
umoci init --layout "$image"
umoci new --image "$image:app"
umoci raw add-layer --image "$image:app" --history.created "$created" \
    --history.created_by "debian bookworm: ${base_packages[*]}" \
    "$work_dir/base.tar"
umoci raw add-layer --image "$image:app" --history.created "$created" \
    --history.created_by "debian bookworm: ${python_packages[*]}" \
    "$work_dir/python.tar"
umoci config --image "$image:app" --no-history --created "$created" \
    --config.user 65534:65534 \
    --config.entrypoint /usr/bin/python3.11
umoci gc --layout "$image"
rm -f "$work_dir/base.tar" "$work_dir/python.tar"

untouched=$work_dir/untouched
rm -rf "$untouched"
cp -r "$image" "$untouched"
skopeo inspect "oci:$image:app" | jq '{Digest, Layers}'
layers_before=$(skopeo inspect "oci:$image:app" | jq '.Layers | length')

# ---------------------------------------------------------------------
step "ocicap set and get"

"$ocicap" set "oci:$image:app" cap_ipc_lock+eip /usr/bin/python3.11 |
    tee "$work_dir/set.out"
set_status=${PIPESTATUS[0]}
check "ocicap set exits 0" 0 "$set_status"
check "ocicap set prints the file and its caps" \
    "/usr/bin/python3.11 cap_ipc_lock=eip" "$(head -n 1 "$work_dir/set.out")"

"$ocicap" get "oci:$image:app" | tee "$work_dir/get.out"
check "ocicap get lists python3.11 only" \
    "/usr/bin/python3.11 cap_ipc_lock=eip" "$(cat "$work_dir/get.out")"

layers_after=$(skopeo inspect "oci:$image:app" | jq '.Layers | length')
check "skopeo inspect shows one more layer" \
    $((layers_before + 1)) "$layers_after"
if skopeo copy --quiet "oci:$image:app" "oci:$work_dir/copy:app"; then
    check "skopeo copy verifies every blob" 0 0
else
    check "skopeo copy verifies every blob" 0 1
fi

# ---------------------------------------------------------------------
step "umoci unpack and getcap"

bundle=$work_dir/bundle
untouched_bundle=$work_dir/untouched-bundle
rm -rf "$bundle" "$untouched_bundle"
umoci unpack --image "$image:app" "$bundle" >/dev/null
umoci unpack --image "$untouched:app" "$untouched_bundle" >/dev/null
chmod 0755 "$bundle" "$untouched_bundle"
(cd "$bundle/rootfs" && getcap -r .) | tee "$work_dir/getcap.out"
check "getcap on the unpacked image" \
    "./usr/bin/python3.11 cap_ipc_lock=eip" "$(cat "$work_dir/getcap.out")"
check "getcap on the untouched image lists nothing" \
    "" "$(cd "$untouched_bundle/rootfs" && getcap -r .)"

# ---------------------------------------------------------------------
step "run python3.11 as uid 65534 inside each unpacked image"

# The check prints CapPrm and CapEff from /proc/self/status, lowers the
# RLIMIT_MEMLOCK soft limit to 64 KiB and mlock()s a 4 MiB anonymous
# mapping. Without CAP_IPC_LOCK the kernel rejects a lock above the
# limit with ENOMEM. With it, the limit does not apply.
cat >"$work_dir/mlock_check.py" <<'EOF'
import ctypes
import mmap
import os
import resource
import sys

with open("/proc/self/status") as status:
    for line in status:
        if line.startswith(("CapPrm:", "CapEff:")):
            print(line.strip())

limit = 64 * 1024
size = 4 * 1024 * 1024
_, hard = resource.getrlimit(resource.RLIMIT_MEMLOCK)
resource.setrlimit(resource.RLIMIT_MEMLOCK, (limit, hard))

buffer = mmap.mmap(-1, size)
address = ctypes.addressof(ctypes.c_char.from_buffer(buffer))
libc = ctypes.CDLL("libc.so.6", use_errno=True)
libc.mlock.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
if libc.mlock(address, size) != 0:
    error = ctypes.get_errno()
    print(f"mlock of {size} bytes with RLIMIT_MEMLOCK {limit}: "
          f"failed: {os.strerror(error)}")
    sys.exit(1)
print(f"mlock of {size} bytes with RLIMIT_MEMLOCK {limit}: succeeded")
sys.exit(0)
EOF

# Runs the check with the rootfs of BUNDLE as root directory, as uid and
# gid 65534. The /proc mount lives in a private mount namespace, so it
# goes away with the command.
run_check() {
    local rootfs=$1/rootfs
    cp "$work_dir/mlock_check.py" "$rootfs/tmp/mlock_check.py"
    chmod 0644 "$rootfs/tmp/mlock_check.py"
    unshare --mount --propagation private -- sh -c '
        mount -t proc proc "$1/proc" &&
            exec chroot --userspec=65534:65534 "$1" \
                /usr/bin/python3.11 -I /tmp/mlock_check.py' sh "$rootfs"
}

echo "-- image with caps:"
run_check "$bundle" | tee "$work_dir/run.out"
run_status=${PIPESTATUS[0]}
echo "-- untouched image:"
run_check "$untouched_bundle" | tee "$work_dir/untouched-run.out"
untouched_status=${PIPESTATUS[0]}

check "python3.11 with caps: CapEff has CAP_IPC_LOCK only" \
    "CapEff:	0000000000004000" "$(grep CapEff "$work_dir/run.out")"
check "python3.11 with caps: mlock above RLIMIT_MEMLOCK succeeds" \
    0 "$run_status"
check "untouched python3.11: CapEff is empty" \
    "CapEff:	0000000000000000" "$(grep CapEff "$work_dir/untouched-run.out")"
check "untouched python3.11: mlock above RLIMIT_MEMLOCK fails" \
    1 "$untouched_status"

echo
if [[ $failures -ne 0 ]]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all checks passed"
