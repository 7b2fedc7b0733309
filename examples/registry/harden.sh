#!/bin/bash
# Give files of an image in a registry file capabilities with ocicap, and
# push the result. skopeo copies the image to a local OCI layout, where
# ocicap adds its layer. skopeo copies it back under the destination
# name, and ocicap get checks the image that the registry now serves.
#
# Usage: examples/registry/harden.sh SOURCE [DESTINATION]
#   SOURCE       image in the registry, e.g. registry.example.com/app:1.0
#   DESTINATION  where to push the result (default: SOURCE, which moves
#                the tag to the new image)
# Environment:
#   CAPS         capability set in setcap's syntax (default cap_ipc_lock+eip)
#   FILES        space-separated paths in the image
#                (default /usr/bin/python3.11)
#   OCICAP       the ocicap binary (default: ocicap on PATH)
#   TLS_VERIFY   false to reach a registry over plain HTTP or with a
#                certificate that does not verify (default true)
#   WORK_DIR     where the layouts go (default: a temporary directory,
#                removed on exit)
# Registry credentials come from skopeo's usual places, e.g.
# `skopeo login` or ${XDG_RUNTIME_DIR}/containers/auth.json.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 ]]; then
    echo "usage: $0 SOURCE [DESTINATION]" >&2
    exit 2
fi
source_image=$1
destination_image=${2:-$1}
caps=${CAPS:-cap_ipc_lock+eip}
read -r -a files <<<"${FILES:-/usr/bin/python3.11}"
ocicap=${OCICAP:-ocicap}
tls_verify=${TLS_VERIFY:-true}

if [[ -n ${WORK_DIR:-} ]]; then
    work_dir=$WORK_DIR
    mkdir -p "$work_dir"
else
    work_dir=$(mktemp -d -t ocicap-registry.XXXXXX)
    trap 'rm -rf "$work_dir"' EXIT
fi
layout=$work_dir/image
check_layout=$work_dir/check

echo "== copy docker://$source_image to $layout"
skopeo copy --src-tls-verify="$tls_verify" \
    "docker://$source_image" "oci:$layout:app"

echo "== ocicap set $caps ${files[*]}"
"$ocicap" set "oci:$layout:app" "$caps" "${files[@]}"

echo "== copy the result to docker://$destination_image"
skopeo copy --dest-tls-verify="$tls_verify" \
    "oci:$layout:app" "docker://$destination_image"

# The check reads what the registry serves, not the local layout: its
# capabilities must be those that ocicap set here.
echo "== check: ocicap get on a fresh copy of docker://$destination_image"
"$ocicap" get "oci:$layout:app" "${files[@]}" >"$work_dir/expected.txt"
skopeo copy --src-tls-verify="$tls_verify" \
    "docker://$destination_image" "oci:$check_layout:app"
"$ocicap" get "oci:$check_layout:app" "${files[@]}" | tee "$work_dir/served.txt"
if ! diff -u "$work_dir/expected.txt" "$work_dir/served.txt"; then
    echo "harden: $destination_image does not have the capabilities set" >&2
    exit 1
fi
