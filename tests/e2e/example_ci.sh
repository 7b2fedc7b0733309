#!/bin/bash
# The CI example: examples/ci/github-actions.yml and gitlab-ci.yml must
# parse, and the ocicap steps they contain must work when run as written
# against a copy of the default image, with the file and expected line
# of capcheck in place of python3.11's. examples/ci/Makefile's harden,
# check and push targets run the same way. Each result is checked with
# skopeo, umoci and an exec of capcheck as uid 65534.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/examples_lib.sh"
e2e_init "$@"
example_trap

python=$(yaml_python)
[[ -n $python ]] || skip "no python3 with the yaml module (python3-yaml)"
command -v make >/dev/null || skip "missing tool: make"
github=$(example_file ci/github-actions.yml)
gitlab=$(example_file ci/gitlab-ci.yml)
makefile_dir=$(dirname "$(example_file ci/Makefile)")

# The steps run with this ocicap first on PATH.
# The steps run in ci-run, as in the checkout of a CI job.
mkdir -p "$WORK/bin" "$WORK/ci-run"
ln -s "$OCICAP" "$WORK/bin/ocicap"
expected_line="/usr/bin/capcheck cap_ipc_lock=eip"

# Prints, NUL-separated, the shell text of the ocicap steps of the CI
# file FILE (github or gitlab): the GitHub steps with id harden and
# check, and the GitLab script lines that call ocicap or read its
# output.
ocicap_steps() {
    "$python" - "$1" "$2" <<'EOF'
import sys

import yaml

kind, path = sys.argv[1], sys.argv[2]
with open(path) as stream:
    document = yaml.safe_load(stream)
if kind == "github":
    steps = [step["run"] for job in document["jobs"].values()
             for step in job["steps"] if step.get("id") in ("harden", "check")]
else:
    steps = [line for job in document.values() if isinstance(job, dict)
             for line in job.get("script", [])
             if "ocicap " in line or "caps.out" in line]
for step in steps:
    sys.stdout.write(step + "\0")
EOF
}

# Prints the names of the variables that the CI file FILE sets for its
# job: the workflow's env, or the GitLab job's variables.
ci_variables() {
    "$python" - "$1" "$2" <<'EOF'
import sys

import yaml

kind, path = sys.argv[1], sys.argv[2]
with open(path) as stream:
    document = yaml.safe_load(stream)
if kind == "github":
    names = document["env"]
else:
    names = [name for job in document.values() if isinstance(job, dict)
             for name in job.get("variables", {})]
print(" ".join(sorted(names)))
EOF
}

# Runs the ocicap steps of CI file FILE (KIND github or gitlab) in order
# on LAYOUT, each in its own bash -e as the CI runner would.
run_ci_steps() {
    local kind=$1 file=$2 layout=$3 step count=0
    local steps=()
    while IFS= read -r -d '' step; do
        steps+=("$step")
    done < <(ocicap_steps "$kind" "$file")
    assert_ne "$kind: the file has ocicap steps" 0 "${#steps[@]}"
    for step in "${steps[@]}"; do
        count=$((count + 1))
        echo "# $kind step $count: $step"
        assert_command "$kind: step $count succeeds" \
            env PATH="$WORK/bin:$PATH" OCI_DIR="$layout" \
            CAPS=cap_ipc_lock+eip FILE=/usr/bin/capcheck \
            EXPECTED="$expected_line" \
            bash -e -o pipefail -c "cd '$WORK/ci-run' && $step"
    done
}

# ---------------------------------------------------------------------
echo "# github-actions.yml"

assert_command "github-actions.yml parses" "$python" -c \
    'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$github"
for name in CAPS EXPECTED FILE OCI_DIR; do
    assert_contains "the workflow sets $name" " $name " \
        " $(ci_variables github "$github") "
done
layout=$WORK/github-image
copy_default_image "$layout"
run_ci_steps github "$github" "$layout"
assert_capped_skopeo_image "github-actions.yml's result" "oci:$layout:app" 3

# The check step must fail on an image without the capabilities.
plain=$WORK/github-plain
copy_default_image "$plain"
mapfile -d '' github_steps < <(ocicap_steps github "$github")
check_step=${github_steps[-1]}
assert_contains "github: the last step checks with ocicap get" \
    "ocicap get" "$check_step"
if env PATH="$WORK/bin:$PATH" OCI_DIR="$plain" FILE=/usr/bin/capcheck \
    EXPECTED="$expected_line" \
    bash -e -o pipefail -c "cd '$WORK/ci-run' && $check_step" \
    >/dev/null 2>&1; then
    fail "github: the check step fails without capabilities"
else
    pass "github: the check step fails without capabilities"
fi

# ---------------------------------------------------------------------
echo "# gitlab-ci.yml"

assert_command "gitlab-ci.yml parses" "$python" -c \
    'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$gitlab"
for name in CAPS EXPECTED FILE OCI_DIR; do
    assert_contains "the job sets $name" " $name " \
        " $(ci_variables gitlab "$gitlab") "
done
layout=$WORK/gitlab-image
copy_default_image "$layout"
run_ci_steps gitlab "$gitlab" "$layout"
assert_capped_skopeo_image "gitlab-ci.yml's result" "oci:$layout:app" 3

# ---------------------------------------------------------------------
echo "# Makefile"

printf '%s\n' "# capcheck stands in for python3.11" "$expected_line" \
    >"$WORK/caps.txt"
layout=$WORK/make-image
copy_default_image "$layout"
make_args=(-C "$makefile_dir" IMAGE="oci:$layout:app"
    CAPS_FILE="$WORK/caps.txt" OCICAP="$OCICAP")
assert_command "make check fails before harden" \
    bash -c '! make "$@" check >/dev/null 2>&1' make "${make_args[@]}"
assert_command "make harden check" make "${make_args[@]}" harden check
assert_capped_skopeo_image "make harden's result" "oci:$layout:app" 3
assert_command "make explain" make "${make_args[@]}" explain
assert_command "make push to a local layout" \
    make "${make_args[@]}" DESTINATION="oci:$WORK/pushed:app" push
assert_eq "the pushed copy has the capabilities" "$expected_line" \
    "$("$OCICAP" get "oci:$WORK/pushed:app" /usr/bin/capcheck)"
assert_command "make push without DESTINATION fails" \
    bash -c '! make "$@" push >/dev/null 2>&1' make "${make_args[@]}"
assert_eq "make leaves no files beside caps.txt" "caps.txt" \
    "$(ls "$WORK" | grep caps)"

e2e_finish
