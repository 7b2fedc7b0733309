# Cases and reporting for bench/run.sh, which sets repo, ocicap, cap,
# runs, runs_peer, raw, scratch and tmpfs before sourcing this file.
#
# Each case times up to four tools on one task:
#   ocicap   the ocicap command
#   limit    the sequential decompression of the layers the task must
#            read (igzip -dc for gzip, zstd -dc for zstd), or cat of the
#            archive for a pipeline
#   umoci    umoci unpack, setcap or getcap, umoci repack
#   buildah  buildah from, buildah mount, setcap or getcap, buildah
#            commit, on a fresh (cold) vfs storage
# and appends "CASE TOOL MEDIAN MIN MAX CPU RSS_KB NOTE" lines, separated
# by tabs, to $raw/results.tsv; times in seconds, RSS in KiB.

# The layout copy shares the images' filesystem (cp -al); the peers'
# unpacked trees, storage and output go to the tmpfs at $tmpfs.
work=$scratch/work
bundle=$tmpfs/bundle
storage=$tmpfs/storage
output=$tmpfs/output
buildah_cmd="buildah --root $storage/root --runroot $storage/run \
--storage-driver vfs"

# Prints the layer blob paths of LAYOUT's only image, bottom first.
layer_blobs() {
    local layout=$1 manifest
    manifest=$(jq -r '.manifests[0].digest' "$layout/index.json")
    jq -r '.layers[].digest' "$layout/blobs/sha256/${manifest#sha256:}" |
        sed "s|^sha256:|$layout/blobs/sha256/|"
}

# Prints the command that decompresses the top COUNT layers of LAYOUT
# (all of them for "all") to /dev/null, one after the other.
limit_command() {
    local layout=$1 count=$2 blobs media decoder
    mapfile -t blobs < <(layer_blobs "$layout")
    [[ $count == all ]] && count=${#blobs[@]}
    blobs=("${blobs[@]: -$count}")
    media=$(head -c 4 "${blobs[0]}" | od -An -tx1 | tr -d ' \n')
    decoder="igzip -dc"
    [[ $media == 28b52ffd ]] && decoder="zstd -qdc"
    echo "$decoder ${blobs[*]} >/dev/null"
}

prepare_layout() {
    local layout=$1
    echo "rm -rf $work $bundle $output $storage && cp -al $layout $work &&" \
        "cp --remove-destination $layout/index.json $work/index.json"
}

# Runs COMMAND once after PREPARE to check it and to measure its peak RSS
# (GNU time's maximum resident set size of the largest process). Then
# hyperfine runs it COUNT more times, unless COUNT is 1, in which case
# the check run is the timed run. Appends one result line with the
# median, min, max, CPU seconds (user + system, mean) and RSS.
time_tool() {
    local case_name=$1 tool=$2 count=$3 prepare=$4 command=$5
    local json=$raw/$(echo "$case_name-$tool" | tr -c 'a-zA-Z0-9-' _).json
    local error stats wall user system rss
    echo "bench: $case_name: $tool" >&2
    bash -c "$prepare" >/dev/null 2>&1
    if ! /usr/bin/time -f '%e %U %S %M' -o "$raw/time" bash -c "$command" \
        >/dev/null 2>"$raw/stderr"; then
        error=$(tail -n 1 "$raw/stderr" | tr '\t' ' ' | cut -c 1-160)
        printf '%s\t%s\t\t\t\t\t\tfailed: %s\n' "$case_name" "$tool" \
            "$error" >>"$raw/results.tsv"
        return
    fi
    read -r wall user system rss < <(tail -n 1 "$raw/time")
    if [[ $count -le 1 ]]; then
        stats="$wall\t$wall\t$wall\t$(awk "BEGIN {print $user + $system}")"
    else
        hyperfine --runs "$count" --shell bash --style none \
            --prepare "$prepare" --export-json "$json" "$command" >/dev/null
        stats=$(jq -r '.results[0] | [.median, .min, .max, .user + .system]
            | @tsv' "$json")
    fi
    printf '%s\t%s\t%b\t%s\t\n' "$case_name" "$tool" "$stats" "$rss" \
        >>"$raw/results.tsv"
}

skip_tool() {
    printf '%s\t%s\t\t\t\t\t\t%s\n' "$1" "$2" "$3" >>"$raw/results.tsv"
}

# Returns whether the comma-separated TOOLS include TOOL. A peer that is
# left out is recorded as skipped, with $peer_note as the reason.
wants() {
    if [[ ,$1, == *,$2,* ]]; then
        return 0
    fi
    if [[ $2 == umoci || $2 == buildah ]] && [[ -n ${peer_note:-} ]]; then
        skip_tool "$current_case" "$2" "$peer_note"
    fi
    return 1
}

# case_set NAME LAYOUT PATH TOOLS: set the capability on PATH.
case_set() {
    local name=$1 layout=$2 path=$3 tools=$4 depth
    current_case=$1
    local prepare
    prepare=$(prepare_layout "$layout")
    # The limit decompresses the layers down to the one that contains PATH.
    depth=$(layers_to_read "$layout" "$path")
    wants "$tools" ocicap && time_tool "$name" ocicap "$runs" "$prepare" \
        "$ocicap set --quiet oci:$work:bench $cap $path >/dev/null"
    wants "$tools" limit && time_tool "$name" limit "$runs" true \
        "$(limit_command "$layout" "$depth")"
    wants "$tools" umoci && time_tool "$name" umoci "$runs_peer" "$prepare" \
        "umoci unpack --image $work:bench $bundle >/dev/null &&
         setcap $cap $bundle/rootfs$path &&
         umoci repack --image $work:bench $bundle >/dev/null"
    wants "$tools" buildah && time_tool "$name" buildah "$runs_peer" \
        "$prepare" "ctr=\$($buildah_cmd from -q oci:$work:bench) &&
         mnt=\$($buildah_cmd mount \$ctr) && setcap $cap \$mnt$path &&
         $buildah_cmd commit -q \$ctr oci:$output:bench >/dev/null"
    return 0
}

# case_get NAME LAYOUT TOOLS: list every file with capabilities.
case_get() {
    local name=$1 layout=$2 tools=$3
    current_case=$1
    local prepare="rm -rf $bundle $storage"
    wants "$tools" ocicap && time_tool "$name" ocicap "$runs" true \
        "$ocicap get oci:$layout:bench >/dev/null"
    wants "$tools" limit && time_tool "$name" limit "$runs" true \
        "$(limit_command "$layout" all)"
    wants "$tools" umoci && time_tool "$name" umoci "$runs_peer" "$prepare" \
        "umoci unpack --image $layout:bench $bundle >/dev/null &&
         getcap -r $bundle/rootfs >/dev/null"
    wants "$tools" buildah && time_tool "$name" buildah "$runs_peer" \
        "$prepare" "ctr=\$($buildah_cmd from -q oci:$layout:bench) &&
         mnt=\$($buildah_cmd mount \$ctr) && getcap -r \$mnt >/dev/null"
    return 0
}

# Twenty regular files of the synthetic image, four from each layer.
apply_paths=(
    /usr/bin/bench-bottom /usr/lib/bench/libicudata.so.72
    /usr/share/bench/base/d00/part.00001 /usr/share/bench/base/d05/part.05001
    /usr/lib/bench/runtime/d00/part.00001 /usr/lib/bench/runtime/d01/part.01001
    /usr/lib/bench/runtime/d02/part.02001 /usr/lib/bench/runtime/d04/part.04001
    /usr/bin/bench-lto-dump /usr/bin/bench-tools
    /opt/bench/tools/d00/part.00001 /opt/bench/tools/d01/part.01001
    /usr/bin/bench-runtime /usr/lib/bench/libtool-helper.so
    /usr/lib/bench/libs/d00/part.00001 /usr/lib/bench/libs/d01/part.01001
    /app/bin/server /app/static/d00/part.00001
    /app/static/d00/part.00002 /app/static/d00/part.00003
)

# case_apply NAME LAYOUT TOOLS: set capabilities on the 20 apply_paths.
case_apply() {
    local name=$1 layout=$2 tools=$3 prepare list=$scratch/apply.txt path
    current_case=$1
    prepare=$(prepare_layout "$layout")
    : >"$list"
    for path in "${apply_paths[@]}"; do
        echo "$path ${cap/+/=}" >>"$list"
    done
    if wants "$tools" ocicap; then
        # The top-level help lists the subcommands the binary has.
        if "$ocicap" --help | grep -qE '^ +apply( |$)'; then
            time_tool "$name" ocicap "$runs" "$prepare" \
                "$ocicap apply --quiet oci:$work:bench $list >/dev/null"
        else
            skip_tool "$name" ocicap \
                "skipped: this ocicap binary has no apply command yet"
        fi
    fi
    wants "$tools" limit && time_tool "$name" limit "$runs" true \
        "$(limit_command "$layout" all)"
    local setcaps="" mnt_setcaps=""
    for path in "${apply_paths[@]}"; do
        setcaps+="setcap $cap $bundle/rootfs$path && "
        mnt_setcaps+="setcap $cap \$mnt$path && "
    done
    wants "$tools" umoci && time_tool "$name" umoci "$runs_peer" "$prepare" \
        "umoci unpack --image $work:bench $bundle >/dev/null && $setcaps
         umoci repack --image $work:bench $bundle >/dev/null"
    wants "$tools" buildah && time_tool "$name" buildah "$runs_peer" \
        "$prepare" "ctr=\$($buildah_cmd from -q oci:$work:bench) &&
         mnt=\$($buildah_cmd mount \$ctr) && $mnt_setcaps
         $buildah_cmd commit -q \$ctr oci:$output:bench >/dev/null"
    return 0
}

# case_pipeline NAME ARCHIVE PATH TOOLS: docker-archive from standard
# input to standard output (peers go through files, which they need).
case_pipeline() {
    local name=$1 archive=$2 path=$3 tools=$4
    current_case=$1
    local prepare="rm -rf $work $bundle $output $storage"
    local out=$scratch/out.tar
    # A run takes well under a second, and the disk still writes back what
    # earlier cases left: each run starts after a sync, and there are at
    # least ten of them.
    local pipeline_runs=$((runs > 10 ? runs : 10))
    wants "$tools" ocicap && time_tool "$name" ocicap "$pipeline_runs" \
        "rm -f $out; sync" "$ocicap set --quiet docker-archive:- $cap $path \
            <$archive >$out"
    wants "$tools" limit && time_tool "$name" limit "$pipeline_runs" \
        "rm -f $out; sync" "cat $archive >$out"
    wants "$tools" umoci && time_tool "$name" umoci "$runs_peer" \
        "$prepare; rm -f $out" \
        "skopeo copy --quiet docker-archive:$archive oci:$work:bench &&
         umoci unpack --image $work:bench $bundle >/dev/null &&
         setcap $cap $bundle/rootfs$path &&
         umoci repack --image $work:bench $bundle >/dev/null &&
         skopeo copy --quiet oci:$work:bench docker-archive:$out:bench:1"
    wants "$tools" buildah && time_tool "$name" buildah "$runs_peer" \
        "$prepare; rm -f $out" \
        "ctr=\$($buildah_cmd from -q docker-archive:$archive) &&
         mnt=\$($buildah_cmd mount \$ctr) && setcap $cap \$mnt$path &&
         $buildah_cmd commit -q \$ctr docker-archive:$out:bench:1 >/dev/null"
    return 0
}

# Prints how many layers, counted from the top, a reader must open to
# find PATH: the top layer down to the highest layer that has it.
layers_to_read() {
    local layout=$1 path=${2#/} blobs count=0 index decoder
    mapfile -t blobs < <(layer_blobs "$layout")
    for ((index = ${#blobs[@]} - 1; index >= 0; index--)); do
        count=$((count + 1))
        decoder="igzip -dc"
        [[ $(head -c 4 "${blobs[index]}" | od -An -tx1 | tr -d ' \n') == \
            28b52ffd ]] && decoder="zstd -qdc"
        # grep reads to the end (no -q), so that no SIGPIPE fails the
        # pipeline under pipefail.
        if $decoder "${blobs[index]}" | tar -t 2>/dev/null |
            sed 's|^\./||' | grep -xF "$path" >/dev/null; then
            echo "$count"
            return
        fi
    done
    echo all
}

record_machine() {
    echo "date: $(date -u +%Y-%m-%dT%H:%MZ)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 |
        sed 's/^ //'), $(nproc) cores"
    echo "memory: $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "ocicap: $("$ocicap" --version | head -n 1)"
    local package
    for package in libisal2 isal libzstd1 libarchive13 libssl3 umoci buildah \
        skopeo hyperfine zstd; do
        echo "$package: $(dpkg-query -W -f='${Version}' "$package" 2>/dev/null)"
    done
}

# Prints the results as a Markdown table with ratios.
write_report() {
    python3 "$repo/bench/report.py" table "$1"
}

write_chart() {
    python3 "$repo/bench/report.py" chart-data "$1" >"$raw/chart.dat"
    gnuplot -e "data='$raw/chart.dat'; output='$2'" "$repo/bench/chart.gp"
}
