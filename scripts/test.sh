#!/bin/bash
# Installs what the tests need, builds ocicap and runs the whole suite:
# doctest unit tests and end-to-end tests that check results with umoci,
# getcap, skopeo and the kernel. Tests that need root skip when not root.
# Extra arguments go to ctest, e.g. scripts/test.sh -R e2e.whiteouts
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${OCICAP_BUILD_DIR:-$source_dir/build}

"$source_dir/scripts/install-deps.sh" test
"$source_dir/scripts/build.sh"
ctest --test-dir "$build_dir" --output-on-failure --timeout 1200 "$@"
