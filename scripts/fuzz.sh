#!/bin/bash
# Builds the libFuzzer targets of tests/fuzz with clang, AddressSanitizer
# and UBSan, makes their seed corpora, and runs each target for SECONDS,
# as many at a time as there are cores (or $OCICAP_FUZZ_JOBS).
#
#   scripts/fuzz.sh SECONDS [TARGET...]     default: every target
#
# The build goes to build-fuzz/ (or $OCICAP_FUZZ_DIR). Each target keeps its
# corpus in corpus/TARGET/ there, so later runs continue where earlier ones
# stopped, and writes crashes, timeouts, leaks and out-of-memory inputs to
# findings/TARGET/. A fixed finding belongs in
# testdata/fuzz-regressions/TARGET/, which the test suite replays.
# Exit status: 0 when no target found anything, 1 otherwise.
set -euo pipefail

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift

source_dir=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir=${OCICAP_FUZZ_DIR:-$source_dir/build-fuzz}
all_targets=(fuzz_image_index fuzz_manifest fuzz_image_config
    fuzz_layer_tar fuzz_layer_gzip fuzz_layer_zstd fuzz_vfs_cap_data)
targets=("${@:-${all_targets[@]}}")
jobs=${OCICAP_FUZZ_JOBS:-$(nproc)}

compiler=$(command -v clang++ || command -v clang++-14 || true)
if [[ -z $compiler ]]; then
    echo "fuzz: clang++ not found; install clang (Debian: clang-14" \
        "libclang-rt-14-dev)" >&2
    exit 1
fi

cmake -S "$source_dir" -B "$fuzz_dir" -DCMAKE_CXX_COMPILER="$compiler" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DOCICAP_SANITIZE=ON \
    -DOCICAP_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build "$fuzz_dir" -j "$jobs" --target "${targets[@]}"

rm -rf "$fuzz_dir/seeds"
bash "$source_dir/tests/fuzz/make-seeds.sh" "$fuzz_dir/seeds"

# Options per target: layers get larger inputs and the tar dictionary.
fuzzer_options() {
    local target=$1
    case $target in
        fuzz_layer_*)
            echo "-max_len=65536 -dict=$source_dir/tests/fuzz/layer.dict" ;;
        fuzz_vfs_cap_data)
            echo "-max_len=256" ;;
        *)
            echo "-max_len=65536 -dict=$source_dir/tests/fuzz/json.dict" ;;
    esac
}

run_target() {
    local target=$1
    local corpus=$fuzz_dir/corpus/$target
    local findings=$fuzz_dir/findings/$target
    mkdir -p "$corpus" "$findings"
    # shellcheck disable=SC2046 # the options are words on purpose
    "$fuzz_dir/tests/fuzz/$target" $(fuzzer_options "$target") \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$findings/" \
        "$corpus" "$fuzz_dir/seeds/$target" \
        >"$fuzz_dir/$target.log" 2>&1 || true
}

# Findings of earlier runs stay in findings/; the summary counts the files
# this run adds.
start_stamp=$fuzz_dir/run-start
touch "$start_stamp"

echo "fuzz: running ${#targets[@]} targets for $seconds s each," \
    "$jobs at a time; logs in $fuzz_dir/TARGET.log"
running=0
for target in "${targets[@]}"; do
    if [[ $running -ge $jobs ]]; then
        wait -n || true
        running=$((running - 1))
    fi
    run_target "$target" &
    running=$((running + 1))
done
wait

status=0
printf '%-20s %14s %10s %9s\n' target executions corpus "new findings"
for target in "${targets[@]}"; do
    log=$fuzz_dir/$target.log
    executions=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log")
    corpus_size=$(find "$fuzz_dir/corpus/$target" -type f | wc -l)
    findings=$(find "$fuzz_dir/findings/$target" -type f \
        -newer "$start_stamp" | wc -l)
    printf '%-20s %14s %10s %9s\n' "$target" "${executions:-?}" \
        "$corpus_size" "$findings"
    if [[ $findings -gt 0 || -z $executions ]]; then
        status=1
    fi
done
exit $status
