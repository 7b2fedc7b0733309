# Bash completion for ocicap(1). It completes subcommands, their options
# and option values, and the capability names of CAPS. For IMAGE, it offers
# the oci:, oci-archive: and docker-archive: transports, host files and
# directories after them, and the refs in a layout's index.json. For the
# list of `ocicap apply`, it offers host files. It needs no function of the
# bash-completion package, which loads it from
# share/bash-completion/completions/ocicap.
#
# NOTE: host paths are offered unquoted, so a path with a space or another
# shell metacharacter must be quoted by hand.

# Options as `ocicap SUBCOMMAND --help` lists them; the test
# tests/install/completion.sh checks that the two agree.
_ocicap_change_options='-o --output -t --tag --platform --compression
    --attestations -L --follow --dry-run --json -v --verbose -q --quiet
    --verify-diff-ids -h --help'

_ocicap_options() {
    case $1 in
    set) echo "-r --remove --rootid $_ocicap_change_options" ;;
    rm | apply) echo "$_ocicap_change_options" ;;
    get)
        echo '-r --recursive -L --follow --json --platform -v --verbose' \
            '-q --quiet --verify-diff-ids -h --help'
        ;;
    explain)
        echo '--platform --json -v --verbose -q --quiet --verify-diff-ids' \
            '-h --help'
        ;;
    *) echo '-h --help --version' ;;
    esac
}

# Succeeds when option $1 takes a value, in the next word or after "=".
_ocicap_takes_value() {
    case $1 in
    -o | --output | -t | --tag | --platform | --compression | \
        --attestations | --rootid)
        return 0
        ;;
    esac
    return 1
}

# Prints the capability names of libcap, as capsh decodes a full mask.
# Without capsh, it prints the names of Linux 6.x, capabilities 0 to 40 of
# include/uapi/linux/capability.h.
_ocicap_capability_names() {
    if [[ -n ${_ocicap_capability_cache-} ]]; then
        echo "$_ocicap_capability_cache"
        return
    fi
    local decoded name names=()
    if decoded=$(capsh --decode=0xffffffffffffffff 2>/dev/null); then
        local IFS=,
        for name in ${decoded#*=}; do
            [[ $name == cap_* ]] && names+=("$name")
        done
        unset IFS
    fi
    if ((${#names[@]} == 0)); then
        names=(cap_chown cap_dac_override cap_dac_read_search cap_fowner
            cap_fsetid cap_kill cap_setgid cap_setuid cap_setpcap
            cap_linux_immutable cap_net_bind_service cap_net_broadcast
            cap_net_admin cap_net_raw cap_ipc_lock cap_ipc_owner
            cap_sys_module cap_sys_rawio cap_sys_chroot cap_sys_ptrace
            cap_sys_pacct cap_sys_admin cap_sys_boot cap_sys_nice
            cap_sys_resource cap_sys_time cap_sys_tty_config cap_mknod
            cap_lease cap_audit_write cap_audit_control cap_setfcap
            cap_mac_override cap_mac_admin cap_syslog cap_wake_alarm
            cap_block_suspend cap_audit_read cap_perfmon cap_bpf
            cap_checkpoint_restore)
    fi
    _ocicap_capability_cache=${names[*]}
    echo "$_ocicap_capability_cache"
}

# Joins the words that bash split at ":" or "=" (COMP_WORDBREAKS) back into
# the shell words of the command line, into `words` and `cword`.
_ocicap_join_words() {
    words=()
    cword=0
    local line=$COMP_LINE position=0 i separated
    for ((i = 0; i < ${#COMP_WORDS[@]}; i++)); do
        separated=0
        while [[ ${line:position:1} == [[:space:]] ]]; do
            ((position += 1))
            separated=1
        done
        if ((i > 0 && !separated)); then
            words[${#words[@]} - 1]+=${COMP_WORDS[i]}
        else
            words+=("${COMP_WORDS[i]}")
        fi
        ((position += ${#COMP_WORDS[i]}))
        if ((i == COMP_CWORD)); then
            cword=$((${#words[@]} - 1))
        fi
    done
}

# Sets COMPREPLY to the candidates on standard input that start with `cur`,
# without the part of `cur` up to its last COMP_WORDBREAKS character, which
# bash keeps and does not replace. Candidates that end in "/", ":", "=",
# "+", "-" or "," are to be continued, so no space is added after them.
_ocicap_reply() {
    local kept='' i candidate
    for ((i = ${#cur} - 1; i >= 0; i--)); do
        if [[ $COMP_WORDBREAKS == *"${cur:i:1}"* ]]; then
            kept=${cur:0:i+1}
            break
        fi
    done
    COMPREPLY=()
    while IFS= read -r candidate; do
        [[ -n $candidate && $candidate == "$cur"* ]] || continue
        COMPREPLY+=("${candidate#"$kept"}")
        if [[ $candidate == *[/:=+,-] ]]; then
            compopt -o nospace 2>/dev/null
        fi
    done
}

# Prints the host paths that start with $2, each after the prefix $1, with
# "/" after directories; $3 is "-d" for directories only, "-f" for all.
_ocicap_host_paths() {
    local path
    while IFS= read -r path; do
        [[ -d $path ]] && path+=/
        printf '%s\n' "$1$path"
    done < <(compgen "$3" -- "$2")
}

# Prints the org.opencontainers.image.ref.name values in DIR/index.json.
_ocicap_layout_refs() {
    local index=$1/index.json
    [[ -r $index ]] || return
    grep -o '"org.opencontainers.image.ref.name" *: *"[^"]*"' "$index" |
        sed 's/.*"\([^"]*\)"$/\1/'
}

_ocicap_complete_image() {
    local rest
    case $cur in
    oci:*:*)
        rest=${cur#oci:}
        _ocicap_layout_refs "${rest%%:*}" | sed "s|^|oci:${rest%%:*}:|"
        ;;
    oci:*) _ocicap_host_paths oci: "${cur#oci:}" -d ;;
    oci-archive:*) _ocicap_host_paths oci-archive: "${cur#oci-archive:}" -f ;;
    docker-archive:*)
        _ocicap_host_paths docker-archive: "${cur#docker-archive:}" -f
        ;;
    *)
        printf '%s\n' oci: oci-archive: docker-archive:
        _ocicap_host_paths '' "$cur" -f
        ;;
    esac
}

# Completes CAPS: capability names in libcap's form, or in the runtime form
# (IPC_LOCK, CAP_IPC_LOCK) when the name being typed starts upper case,
# then an operator and the flags.
_ocicap_complete_caps() {
    local name=${cur##*[,=+-]}
    local head=${cur%"$name"} flags
    if [[ $head == *[=+-] ]]; then
        for flags in ep eip p i ip; do
            echo "$head$flags"
        done
        return
    fi
    local names
    names=$(_ocicap_capability_names)
    if [[ $name == [A-Z]* ]]; then
        names=${names^^}
        [[ $name == CAP_* ]] || names=${names//CAP_/}
    fi
    for flags in $names; do
        echo "$head$flags"
        if [[ $flags == "$name" ]]; then
            printf '%s\n' "$head$flags+" "$head$flags=" "$head$flags,"
        fi
    done
}

_ocicap_complete_value() {
    case $1 in
    -o | --output) _ocicap_complete_image ;;
    --compression) printf '%s\n' gzip zstd none ;;
    --attestations) printf '%s\n' keep drop ;;
    esac
}

_ocicap() {
    local words cword
    _ocicap_join_words
    local cur=${words[cword]}
    local prev=''
    ((cword > 0)) && prev=${words[cword - 1]}

    local command='' first=1 i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
        set | rm | apply | get | explain)
            command=${words[i]}
            first=$((i + 1))
            break
            ;;
        esac
    done
    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            _ocicap_reply < <(printf '%s\n' $(_ocicap_options ''))
        else
            _ocicap_reply < <(printf '%s\n' set rm apply get explain)
        fi
        return
    fi

    # Count the positional arguments before the current word.
    local positional=0 remove=0 word options_done=0
    for ((i = first; i < cword; i++)); do
        word=${words[i]}
        if ((options_done)) || [[ $word != -* || $word == - ]]; then
            ((positional += 1))
        elif [[ $word == -- ]]; then
            options_done=1
        elif [[ $word == --remove || ($word == -[!-]* && $word == *r*) ]]; then
            remove=1
        elif [[ $word != *=* ]] && _ocicap_takes_value "$word"; then
            ((i += 1))
        fi
    done

    if ((!options_done)); then
        if [[ $cur == --*=* ]]; then
            _ocicap_reply < <(_ocicap_complete_value "${cur%%=*}" |
                sed "s|^|${cur%%=*}=|")
            return
        fi
        if _ocicap_takes_value "$prev" && ((cword - 1 >= first)); then
            _ocicap_reply < <(_ocicap_complete_value "$prev")
            return
        fi
        if [[ $cur == -* ]]; then
            _ocicap_reply < <(printf '%s\n' $(_ocicap_options "$command"))
            return
        fi
    fi

    local role=path
    if ((positional == 0)); then
        role=image
    elif [[ $command == set && $remove == 0 && $positional == 1 ]]; then
        role=caps
    elif [[ $command == apply && $positional == 1 ]]; then
        role=list
    elif [[ $command == apply || $command == explain ]]; then
        role=none
    fi
    case $role in
    image) _ocicap_reply < <(_ocicap_complete_image) ;;
    caps)
        # A name is followed by an operator or a comma, not by a space.
        [[ $cur == *[=+-]* ]] || compopt -o nospace 2>/dev/null
        _ocicap_reply < <(_ocicap_complete_caps)
        ;;
    list) _ocicap_reply < <(_ocicap_host_paths '' "$cur" -f) ;;
    # Paths inside the image cannot be listed without reading its layers.
    *) COMPREPLY=() ;;
    esac
}

complete -F _ocicap ocicap
