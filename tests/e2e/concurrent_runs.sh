#!/bin/bash
# Concurrent ocicap runs on one layout or archive. set takes an exclusive
# flock(2) lock (LAYOUT/.ocicap.lock, or the archive file itself) before it
# reads anything, so runs on one image wait for each other: every run
# succeeds, no update is lost, and index.json stays valid. get takes no
# lock and must succeed while sets run.
source "$(dirname "$0")/lib.sh"
e2e_init "$@"
command -v flock >/dev/null || skip "missing tool: flock (util-linux)"

file_count=8

# Creates LAYOUT: the default image plus a layer with /usr/bin/tool1 to
# /usr/bin/toolN, small scripts without capabilities.
make_tools_layout() {
    local layout=$1 root=$WORK/tools-root
    copy_default_image "$layout"
    if [[ ! -d $root ]]; then
        make_dir "$root/usr/bin"
        for i in $(seq 1 "$file_count"); do
            printf '#!/bin/sh\necho tool%s\n' "$i" >"$root/usr/bin/tool$i"
            chmod 0755 "$root/usr/bin/tool$i"
        done
    fi
    add_layer "$layout:app" "$root"
}

# Starts `ocicap ARGS...` in the background with its output in
# $WORK/run-NAME.{stdout,stderr,status}.
start_run() {
    local name=$1
    shift
    (
        "$OCICAP" "$@" >"$WORK/run-$name.stdout" 2>"$WORK/run-$name.stderr"
        echo $? >"$WORK/run-$name.status"
    ) &
}

# Checks that background run NAME exited 0.
check_run() {
    local description=$1 name=$2
    local status
    status=$(cat "$WORK/run-$name.status")
    if ! assert_eq "$description: exit 0" 0 "$status"; then
        show stderr "$(cat "$WORK/run-$name.stderr")"
    fi
}

# Checks that every file in FILES... of IMAGE has cap_net_raw=ep.
check_caps() {
    local description=$1 image=$2
    shift 2
    local path
    for path in "$@"; do
        run_ocicap get "$image" "$path"
        assert_eq "$description: $path has its caps" \
            "$path cap_net_raw=ep" "$OCICAP_STDOUT"
    done
}

# Checks LAYOUT after concurrent sets: valid, readable by skopeo, one
# entry per ref, LAYERS layers, and no lock file left.
check_layout_after() {
    local description=$1 layout=$2 ref=$3 layers=$4
    assert_valid_layout "$description" "$layout"
    assert_skopeo_copy "$description" "$layout" "$ref"
    assert_eq "$description: $layers layers" \
        "$layers" "$(skopeo_layer_count "$layout" "$ref")"
    assert_eq "$description: one index entry for $ref" 1 \
        "$(jq --arg ref "$ref" '[.manifests[] | select(.annotations
            ["org.opencontainers.image.ref.name"] == $ref)] | length' \
            "$layout/index.json")"
    assert_command "$description: no lock file left" \
        test ! -e "$layout/.ocicap.lock"
}

base=$WORK/base
make_tools_layout "$base"
base_layers=$(layer_count "$base" app)

# ---------------------------------------------------------------------
echo "# two sets at once on different files, five rounds"

for round in 1 2 3 4 5; do
    layout=$WORK/pair-$round
    cp -a "$base" "$layout"
    start_run a set "oci:$layout:app" cap_net_raw+ep /usr/bin/tool1
    start_run b set "oci:$layout:app" cap_net_raw+ep /usr/bin/tool2
    wait
    check_run "round $round, first set" a
    check_run "round $round, second set" b
    check_caps "round $round" "oci:$layout:app" /usr/bin/tool1 /usr/bin/tool2
    check_layout_after "round $round" "$layout" app $((base_layers + 2))
done

# ---------------------------------------------------------------------
echo "# $file_count sets at once, with gets running alongside"

layout=$WORK/many
cp -a "$base" "$layout"
paths=()
for i in $(seq 1 "$file_count"); do
    paths+=("/usr/bin/tool$i")
    start_run "many-$i" set "oci:$layout:app" cap_net_raw+ep "/usr/bin/tool$i"
done
get_failures=0
get_runs=0
for _ in $(seq 1 20); do
    "$OCICAP" get "oci:$layout:app" /usr/bin/tool1 >/dev/null 2>&1 ||
        get_failures=$((get_failures + 1))
    get_runs=$((get_runs + 1))
done
wait
for i in $(seq 1 "$file_count"); do
    check_run "set $i of $file_count" "many-$i"
done
assert_eq "$get_runs gets during the sets all succeed" 0 "$get_failures"
check_caps "$file_count sets" "oci:$layout:app" "${paths[@]}"
check_layout_after "$file_count sets" "$layout" app \
    $((base_layers + file_count))

# ---------------------------------------------------------------------
echo "# set waits while another process holds the lock"

layout=$WORK/held
cp -a "$base" "$layout"
index_before=$(file_sha256 "$layout/index.json")
flock "$layout/.ocicap.lock" sleep 3 &
holder=$!
sleep 0.5
start_run held set "oci:$layout:app" cap_net_raw+ep /usr/bin/tool3
sleep 1.5
assert_command "set still waits after 1.5 s" test ! -e "$WORK/run-held.status"
assert_eq "index.json unchanged while the lock is held" \
    "$index_before" "$(file_sha256 "$layout/index.json")"
wait "$holder"
wait
check_run "set after the lock is released" held
check_caps "set after the lock is released" "oci:$layout:app" /usr/bin/tool3

# ---------------------------------------------------------------------
echo "# sets with --tag at once keep every tag"

layout=$WORK/tags
cp -a "$base" "$layout"
for i in 1 2 3; do
    start_run "tag-$i" set --tag "capped-$i" "oci:$layout:app" \
        cap_net_raw+ep "/usr/bin/tool$i"
done
wait
for i in 1 2 3; do
    check_run "set --tag capped-$i" "tag-$i"
    check_caps "tag capped-$i" "oci:$layout:capped-$i" "/usr/bin/tool$i"
    check_layout_after "tag capped-$i" "$layout" "capped-$i" \
        $((base_layers + 1))
done
assert_eq "app still names the old image" \
    "$(ref_digest "$base" app)" "$(ref_digest "$layout" app)"

# ---------------------------------------------------------------------
echo "# sets at once on one oci-archive"

archive=$WORK/image.tar
skopeo copy --quiet "oci:$base:app" "oci-archive:$archive:app" ||
    fatal "skopeo could not write $archive"
start_run archive-a set "oci-archive:$archive:app" cap_net_raw+ep \
    /usr/bin/tool1
start_run archive-b set "oci-archive:$archive:app" cap_net_raw+ep \
    /usr/bin/tool2
wait
check_run "first set on the archive" archive-a
check_run "second set on the archive" archive-b
check_caps "archive" "oci-archive:$archive:app" /usr/bin/tool1 /usr/bin/tool2
assert_command "archive: skopeo inspect reads it" \
    skopeo inspect "oci-archive:$archive:app"
assert_eq "archive: two more layers" $((base_layers + 2)) \
    "$(skopeo inspect "oci-archive:$archive:app" | jq '.Layers | length')"

e2e_finish
