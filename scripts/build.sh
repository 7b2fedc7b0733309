#!/bin/bash
# Configures and builds ocicap in build/ (or $OCICAP_BUILD_DIR).
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${OCICAP_BUILD_DIR:-$source_dir/build}

cmake -S "$source_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "$@" >/dev/null
cmake --build "$build_dir" -j "$(nproc)"
