#!/bin/bash
# Makes the seed corpora of the fuzz targets in OUTPUT_DIR/TARGET/, from
# the committed default image and from small images built here with umoci
# and GNU tar. Usage: tests/fuzz/make-seeds.sh OUTPUT_DIR
#
# Seeds are kept small (layer seeds under 64 KiB) so that libFuzzer mutates
# headers rather than file content. Without umoci, or when not root (setcap
# needs root), the umoci-built seeds are left out with a message.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 OUTPUT_DIR" >&2
    exit 2
fi
output=$1
source_dir=$(cd "$(dirname "$0")/../.." && pwd)
default_image=$source_dir/testdata/default-image
work=$(mktemp -d -t ocicap-seeds.XXXXXX)
trap 'rm -rf "$work"' EXIT

for target in fuzz_image_index fuzz_manifest fuzz_image_config \
    fuzz_layer_tar fuzz_layer_gzip fuzz_layer_zstd fuzz_vfs_cap_data; do
    mkdir -p "$output/$target"
done

# Sorts the blobs of LAYOUT into the corpora by media type: documents as
# they are, layers uncompressed as tar seeds (content cut to 512 bytes)
# and compressed again as gzip and zstd seeds.
add_layout() {
    local layout=$1 name=$2
    python3 "$source_dir/tests/fuzz/seed_tool.py" split-layout \
        "$layout" "$output" "$name"
}

# ---------------------------------------------------------------------
# The committed default image.
add_layout "$default_image" default

# ---------------------------------------------------------------------
# Small images built with umoci, with whiteouts, an opaque directory,
# hard and symbolic links and a file capability.
if command -v umoci >/dev/null && [[ $EUID -eq 0 ]]; then
    layout=$work/layout
    created=2023-11-14T22:13:20Z
    umoci init --layout "$layout" >/dev/null
    umoci new --image "$layout:seed" >/dev/null
    umoci config --image "$layout:seed" --created "$created" \
        --config.user 65534 --config.env PATH=/usr/bin \
        --config.label org.example=seed --os linux --architecture amd64 \
        >/dev/null

    add_tree() {
        local root=$1
        tar --create --file "$work/layer.tar" --directory "$root" \
            --format=pax --sort=name --mtime=@1700000000 \
            --owner=0 --group=0 --numeric-owner \
            --xattrs --xattrs-include=security.capability .
        umoci raw add-layer --image "$layout:seed" \
            --history.created "$created" "$work/layer.tar" >/dev/null
    }

    lower=$work/lower
    mkdir -p "$lower/usr/bin" "$lower/etc/conf.d" "$lower/opt/data"
    printf '#!/bin/sh\necho tool\n' >"$lower/usr/bin/tool"
    chmod 0755 "$lower/usr/bin/tool"
    ln "$lower/usr/bin/tool" "$lower/usr/bin/tool-link"
    ln -s tool "$lower/usr/bin/tool-symlink"
    echo "setting=1" >"$lower/etc/conf.d/a.conf"
    echo "data" >"$lower/opt/data/file"
    if command -v setcap >/dev/null; then
        setcap cap_net_raw+ep "$lower/usr/bin/tool" || true
    fi
    add_tree "$lower"

    upper=$work/upper
    mkdir -p "$upper/etc/conf.d" "$upper/opt/data" "$upper/usr/bin"
    : >"$upper/etc/conf.d/.wh.a.conf"
    : >"$upper/opt/data/.wh..wh..opq"
    echo "new" >"$upper/opt/data/new-file"
    echo "replaced" >"$upper/usr/bin/tool-symlink"
    add_tree "$upper"

    umoci tag --image "$layout:seed" second >/dev/null
    add_layout "$layout" umoci
else
    echo "make-seeds: umoci-built seeds left out (needs umoci and root)" >&2
fi

# ---------------------------------------------------------------------
# Hand-made inputs for what the tools above do not write: nested and
# multi-platform indexes, Docker media types, PAX edge cases, and every
# security.capability revision.
python3 "$source_dir/tests/fuzz/seed_tool.py" hand-made "$output"

count=$(find "$output" -type f | wc -l)
echo "make-seeds: $count seeds in $output"
