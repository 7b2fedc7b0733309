#!/bin/bash
# Build testdata/default-image/, a small OCI image layout with one image
# tagged "app" that runs as a non-root user:
#   layer 1: /etc/passwd and /etc/group with user "app" (uid 1000),
#            empty /usr/bin, /tmp
#   layer 2: /usr/bin/capcheck, a static program built from capcheck.c
#            that prints CapPrm/CapEff and checks one capability
#   config:  User "app", Entrypoint ["/usr/bin/capcheck"]
#
# The layers are tar files written by GNU tar with sorted names, a fixed
# mtime and numeric root ownership, then added with `umoci raw add-layer`.
# All timestamps come from SOURCE_DATE_EPOCH (default 1700000000), so the
# same gcc, tar and umoci versions produce the same digests.
#
# Usage: testdata/make-default-image.sh [OUTPUT_DIR]
# Needs: gcc and libc6-dev (for the static libc.a), GNU tar, umoci, jq.
set -euo pipefail

script_dir=$(cd "$(dirname "$0")" && pwd)
output_dir=${1:-$script_dir/default-image}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-1700000000}
created=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%dT%H:%M:%SZ)

for tool in gcc tar umoci jq; do
    if ! command -v "$tool" >/dev/null; then
        echo "make-default-image: missing tool: $tool" >&2
        exit 1
    fi
done
if ! gcc -print-file-name=libc.a | grep -q /; then
    echo "make-default-image: static libc.a not found;" \
        "install libc6-dev" >&2
    exit 1
fi

work_dir=$(mktemp -d)
trap 'rm -rf "$work_dir"' EXIT

# Writes a reproducible uncompressed tar of directory $1 to file $2.
make_layer_tar() {
    tar --create --file "$2" --directory "$1" \
        --format=pax --sort=name --mtime="@$SOURCE_DATE_EPOCH" \
        --owner=0 --group=0 --numeric-owner \
        --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
        .
}

# Layer 1: the directory tree and the user database.
base_root=$work_dir/base
mkdir -p "$base_root/etc" "$base_root/usr/bin" "$base_root/tmp"
chmod 0755 "$base_root" "$base_root/etc" "$base_root/usr" \
    "$base_root/usr/bin"
chmod 1777 "$base_root/tmp"
cat >"$base_root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/usr/bin/capcheck
app:x:1000:1000:app:/tmp:/usr/bin/capcheck
nobody:x:65534:65534:nobody:/nonexistent:/usr/bin/capcheck
EOF
cat >"$base_root/etc/group" <<'EOF'
root:x:0:
app:x:1000:
nogroup:x:65534:
EOF
chmod 0644 "$base_root/etc/passwd" "$base_root/etc/group"
make_layer_tar "$base_root" "$work_dir/base.tar"

# Layer 2: the capcheck program.
app_root=$work_dir/app
mkdir -p "$app_root/usr/bin"
chmod 0755 "$app_root" "$app_root/usr" "$app_root/usr/bin"
gcc -static -Os -s -Wall -Wextra -o "$app_root/usr/bin/capcheck" \
    "$script_dir/capcheck.c"
chmod 0755 "$app_root/usr/bin/capcheck"
make_layer_tar "$app_root" "$work_dir/app.tar"

# The layout. umoci stamps `new` with the current time, so the config is
# rewritten with --created afterwards and unreferenced blobs are dropped.
image=$work_dir/layout
umoci init --layout "$image"
umoci new --image "$image:app"
umoci raw add-layer --image "$image:app" \
    --history.created "$created" \
    --history.created_by "make-default-image.sh: base tree" \
    "$work_dir/base.tar"
umoci raw add-layer --image "$image:app" \
    --history.created "$created" \
    --history.created_by "make-default-image.sh: capcheck" \
    "$work_dir/app.tar"
umoci config --image "$image:app" --no-history \
    --created "$created" \
    --config.user app \
    --config.entrypoint /usr/bin/capcheck \
    --config.workingdir /tmp
umoci gc --layout "$image"

rm -rf "$output_dir"
mkdir -p "$(dirname "$output_dir")"
cp -r "$image" "$output_dir"
chmod -R u=rwX,go=rX "$output_dir"

manifest_digest=$(jq -r '.manifests[0].digest' "$output_dir/index.json")
echo "make-default-image: wrote $output_dir (app: $manifest_digest," \
    "$(du -sk "$output_dir" | cut -f1) KiB)"
