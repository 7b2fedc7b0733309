#!/bin/bash
# Times ocicap against the umoci route, the buildah route and the
# decompression limit on realistic images, and writes the results.
#
# Usage: bench/run.sh [--quick]
#   --quick   one size of the synthetic image and 3 runs per command
#
# Environment:
#   OCICAP     the binary to time (default: build/ocicap, built first)
#   BENCH_DIR  images, scratch space and raw results (default
#              /var/tmp/ocicap-bench; needs about 6 GiB of disk, and a
#              tmpfs of up to 14 GiB of memory is mounted in it)
#   RUNS       timed runs per command (default 5; peers get RUNS_PEER)
#   RUNS_PEER  timed runs of the umoci and buildah routes (default 1:
#              one route takes minutes on the 1 GiB image)
#
# Needs root (umoci unpack, setcap, buildah). Installs its tools with
# scripts/install-deps.sh bench. Writes bench/results/results.md, the
# raw hyperfine JSON and docs/benchmarks/time.svg. Not part of ctest.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
quick=no
[[ ${1:-} == --quick ]] && quick=yes
bench_dir=${BENCH_DIR:-/var/tmp/ocicap-bench}
runs=${RUNS:-5}
runs_peer=${RUNS_PEER:-1}
[[ $quick == yes ]] && runs=3
results=$repo/bench/results
raw=$bench_dir/raw
scratch=$bench_dir/scratch
mkdir -p "$bench_dir" "$results" "$raw" "$scratch" "$repo/docs/benchmarks"

# umoci's bundle and buildah's vfs storage (five full copies of the root
# filesystem) live on a tmpfs: deleting them from disk between runs took
# minutes, and memory only makes the peers faster.
tmpfs=$bench_dir/tmpfs
mkdir -p "$tmpfs"
if ! mountpoint -q "$tmpfs"; then
    mount -t tmpfs -o size=14g,mode=0755 ocicap-bench "$tmpfs"
fi

"$repo/scripts/install-deps.sh" bench
if [[ -z ${OCICAP:-} ]]; then
    "$repo/scripts/build.sh" >/dev/null
    OCICAP=$repo/build/ocicap
fi
ocicap=$(realpath "$OCICAP")
cap=cap_net_raw+ep

# shellcheck source=bench/lib.sh
source "$repo/bench/lib.sh"

# ---------------------------------------------------------------------
# Images

sizes=(4 1)
[[ $quick == yes ]] && sizes=(4)
for quarters in "${sizes[@]}"; do
    image=$bench_dir/synthetic-$quarters
    if [[ ! -e $image/index.json ]]; then
        echo "bench: building $image" >&2
        "$repo/bench/make-synthetic-image.sh" "$image" "$quarters"
    fi
done
synthetic=$bench_dir/synthetic-4
if [[ ! -e $bench_dir/synthetic-zstd/index.json ]]; then
    skopeo copy --quiet --dest-compress-format zstd \
        "oci:$synthetic:bench" "oci:$bench_dir/synthetic-zstd:bench"
fi
if [[ ! -e $bench_dir/synthetic.docker.tar ]]; then
    skopeo copy --quiet "oci:$synthetic:bench" \
        "docker-archive:$bench_dir/synthetic.docker.tar:bench:latest"
fi
python=$bench_dir/python/untouched
if [[ ! -e $python/index.json ]]; then
    echo "bench: building the Debian python example" >&2
    "$repo/examples/debian-python/build.sh" "$ocicap" "$bench_dir/python" \
        >"$bench_dir/python.log" 2>&1 ||
        echo "bench: examples/debian-python/build.sh failed, see" \
            "$bench_dir/python.log" >&2
    # The cases name every image's reference "bench".
    [[ -e $python/index.json ]] && umoci tag --image "$python:app" bench
fi

# ---------------------------------------------------------------------
# Cases (bench/lib.sh describes the tools and results.tsv)

: >"$raw/results.tsv"
record_machine >"$results/machine.txt"

# synthetic image, gzip layers
synthetic_cases() {
    local image=$1 tag=$2 tools=$3
    case_set "$tag set top" "$image" /app/bin/server "$tools"
    case_set "$tag set bottom" "$image" /usr/bin/bench-bottom "$tools"
    case_get "$tag get" "$image" "$tools"
}

synthetic_cases "$synthetic" "1 GiB" "ocicap,limit,umoci,buildah"
case_pipeline "1 GiB docker-archive:-" "$bench_dir/synthetic.docker.tar" \
    /usr/bin/bench-bottom "ocicap,limit,umoci,buildah"
if [[ -e $python/index.json ]]; then
    case_set "python set" "$python" /usr/bin/python3.11 \
        "ocicap,limit,umoci,buildah"
    case_get "python get" "$python" "ocicap,limit,umoci,buildah"
fi
# The peers unpack the whole image whatever the task, so their time for
# these cases is that of "1 GiB set bottom". They are left out to keep a
# run under an hour.
peer_note="not run: unpacks the whole image like 1 GiB set bottom"
case_apply "1 GiB apply 20" "$synthetic" "ocicap,limit"
case_set "1 GiB zstd set top" "$bench_dir/synthetic-zstd" /app/bin/server \
    "ocicap,limit"
case_set "1 GiB zstd set bottom" "$bench_dir/synthetic-zstd" \
    /usr/bin/bench-bottom "ocicap,limit"
case_get "1 GiB zstd get" "$bench_dir/synthetic-zstd" "ocicap,limit"
if [[ $quick == no ]]; then
    peer_note="not run: timed on the 1 GiB image only"
    # A quarter of the small files and host directories, the same
    # binaries: how time grows with the image.
    synthetic_cases "$bench_dir/synthetic-1" "small" "ocicap,limit"
fi
peer_note=""

# ---------------------------------------------------------------------
# Report

write_report "$raw/results.tsv" >"$results/results.md"
write_chart "$raw/results.tsv" "$repo/docs/benchmarks/time.svg"
cp "$raw/results.tsv" "$results/results.tsv"
cat "$results/results.md"
