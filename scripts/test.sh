#!/bin/bash
# Installs what the tests need, builds ocicap and runs the whole suite:
# doctest unit tests, fuzz regression inputs and end-to-end tests that check
# results with umoci, getcap, skopeo and the kernel. Tests that need root
# skip when not root. Extra arguments go to ctest, e.g.
#   scripts/test.sh -R e2e.whiteouts
#
# The suite then runs a second time against a build with AddressSanitizer
# and UndefinedBehaviorSanitizer in build-asan/ (or $OCICAP_ASAN_BUILD_DIR),
# without the example that downloads Debian packages. Set OCICAP_ASAN=0 to
# skip that run. A third run checks the unit tests and the end-to-end tests
# that read layers on several threads with ThreadSanitizer, in build-tsan/
# (or $OCICAP_TSAN_BUILD_DIR); OCICAP_TSAN=0 skips it. The exit status is 1
# when any run fails.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${OCICAP_BUILD_DIR:-$source_dir/build}
asan_build_dir=${OCICAP_ASAN_BUILD_DIR:-$source_dir/build-asan}
tsan_build_dir=${OCICAP_TSAN_BUILD_DIR:-$source_dir/build-tsan}

"$source_dir/scripts/install-deps.sh" test
"$source_dir/scripts/build.sh"
status=0
ctest --test-dir "$build_dir" --output-on-failure --timeout 1200 "$@" ||
    status=1

if [[ ${OCICAP_ASAN:-1} != 0 ]]; then
    echo "test: the same suite with AddressSanitizer and UBSan"
    OCICAP_BUILD_DIR=$asan_build_dir "$source_dir/scripts/build.sh" \
        -DOCICAP_SANITIZE=ON
    # A sanitizer report exits 86, which no test expects. UBSan already
    # aborts on its first report (-fno-sanitize-recover).
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:exitcode=86:strict_string_checks=1:detect_stack_use_after_return=1} \
        UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
        ctest --test-dir "$asan_build_dir" --output-on-failure \
        --timeout 1200 --label-exclude example "$@" || status=1
fi
if [[ ${OCICAP_TSAN:-1} != 0 ]]; then
    # Layers are read on several threads at once. ThreadSanitizer checks
    # the unit tests and the end-to-end tests that read layers in parallel.
    echo "test: the layer-reading tests with ThreadSanitizer"
    OCICAP_BUILD_DIR=$tsan_build_dir "$source_dir/scripts/build.sh" \
        -DOCICAP_TSAN=ON
    TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:exitcode=66} \
        ctest --test-dir "$tsan_build_dir" --output-on-failure \
        --timeout 1200 \
        -R '^(unit|e2e\.(set_get|get_all|whiteouts|hardlinks|patterns|follow))$' \
        "$@" || status=1
fi
exit $status
