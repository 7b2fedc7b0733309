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
# skip that run. The exit status is 1 when either run fails.
set -euo pipefail

source_dir=$(cd "$(dirname "$0")/.." && pwd)
build_dir=${OCICAP_BUILD_DIR:-$source_dir/build}
asan_build_dir=${OCICAP_ASAN_BUILD_DIR:-$source_dir/build-asan}

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
exit $status
