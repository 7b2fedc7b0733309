#!/bin/bash
# Installs what ocicap needs, builds it, and runs the main job on the image
# embedded in testdata/: give /usr/bin/capcheck the capability
# cap_ipc_lock+eip in a copy of the image, then read it back.
# When umoci is installed and this runs as root, it also unpacks the result
# and runs capcheck as uid 65534 to show the kernel granting the capability.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${OCICAP_BUILD_DIR:-$source_dir/build}

"$source_dir/scripts/install-deps.sh" build
"$source_dir/scripts/build.sh"
ocicap=$build_dir/ocicap

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT
cp -r "$source_dir/testdata/default-image" "$work_dir/image"

echo "\$ ocicap set oci:image:app cap_ipc_lock+eip /usr/bin/capcheck"
(cd "$work_dir" && "$ocicap" set oci:image:app cap_ipc_lock+eip \
    /usr/bin/capcheck)
echo "\$ ocicap get oci:image:app /usr/bin/capcheck"
(cd "$work_dir" && "$ocicap" get oci:image:app /usr/bin/capcheck)

if command -v umoci >/dev/null && [ "$(id -u)" -eq 0 ]; then
    echo "\$ umoci unpack, then capcheck as uid 65534"
    umoci unpack --image "$work_dir/image:app" "$work_dir/bundle" >/dev/null
    setpriv --reuid 65534 --regid 65534 --clear-groups \
        "$work_dir/bundle/rootfs/usr/bin/capcheck" --need ipc_lock
fi
