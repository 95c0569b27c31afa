# shellcheck shell=bash disable=SC2016
# Helpers of the section benchmarks benches/time.sh, benches/records.sh and benches/answers.sh
# (issues 14-16): sourced, never run. What peers.sh uses too is in benches/common.sh.
#
# A script sets `section` (the results folder's suffix) and calls, in order:
#   lib_args "$@"            --quick, --runs N, -h (usage() must be defined)
#   lib_setup                repository, $bench_dir, tools, the logmill binary ($logmill, $lm),
#                            $out (results folder) and the machine notes
# then probes, checks and times its cases, and ends with lib_done.
#
# Environment: BENCH_DIR (default /tmp/bench), CORPORA (default ../shared/corpora), LOGMILL (a
# logmill binary to time instead of building target/release/logmill with `cargo build
# --release --locked`).

# shellcheck source=benches/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

die() {
    echo "${0##*/}: $*" >&2
    exit 2
}

quick=0
runs=5
peer_runs=3

lib_args() {
    while (($#)); do
        case $1 in
        --quick) quick=1 ;;
        --runs)
            [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--runs wants a positive number"
            runs=$2
            peer_runs=$2
            shift
            ;;
        -h | --help)
            usage
            exit 0
            ;;
        *)
            usage >&2
            die "unknown argument: $1"
            ;;
        esac
        shift
    done
    if ((quick)); then
        runs=2
        peer_runs=1
    fi
}

lib_setup() {
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    cd "$repo"
    if [[ -z ${CORPORA:-} ]]; then
        local c
        for c in "$repo/../shared/corpora" "$repo/../../shared/corpora"; do
            if [[ -d $c ]]; then
                CORPORA=$(cd "$c" && pwd)
                break
            fi
        done
    fi
    # The sample of the synthetic access log (make_access; optional when the log exists).
    apache_sample=${CORPORA:-}/elastic_apache_logs/apache_logs
    bench_dir=${BENCH_DIR:-/tmp/bench}
    mkdir -p "$bench_dir"
    bench_dir=$(cd "$bench_dir" && pwd)
    # Every tool sees bytes, not characters.
    export LC_ALL=C

    local missing=()
    command -v hyperfine >/dev/null || missing+=(hyperfine)
    command -v mawk >/dev/null || missing+=(mawk)
    command -v gawk >/dev/null || missing+=(gawk)
    command -v rg >/dev/null || missing+=(ripgrep)
    command -v python3 >/dev/null || missing+=(python3)
    if ((${#missing[@]})); then
        apt_install "${missing[@]}"
    fi

    if [[ -n ${LOGMILL:-} ]]; then
        logmill=$LOGMILL
    else
        command -v cargo >/dev/null || die "cargo not found (install Rust first, or set LOGMILL)"
        cargo build --release --locked
        logmill=${CARGO_TARGET_DIR:-$repo/target}/release/logmill
    fi
    [[ -x $logmill ]] || die "no binary at $logmill"
    lm=$(q "$logmill")

    out=$bench_dir/results/$(date -u +%Y%m%dT%H%M%SZ)-$section
    ((quick)) && out+=-quick
    mkdir -p "$out"
    exec > >(tee -a "$out/log.txt") 2>&1
    started=$(date +%s)
    {
        echo "## Machine"
        echo
        echo '```'
        echo "nproc: $(nproc)"
        lscpu | grep 'Model name' || true
        free -g
        echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "logmill: $(git -C "$repo" describe --always --dirty 2>/dev/null || echo unknown)"
        hyperfine --version
        echo "mawk: $(mawk -W version 2>&1 | sed -n 1p)"
        gawk --version | sed -n 1p
        python3 --version
        echo '```'
        echo
    } | tee "$out/summary.md"
}

lib_done() {
    note "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); total $(($(date +%s) - started)) s"
    echo
    echo "results: $out/summary.md"
}

# run ID NAME COMMAND: runs COMMAND once through sh (also warming the page cache), its stdout
# to $out/ID.NAME.out; notes a failure. Prints nothing.
run() {
    local base=$out/$1.$(slug "$2")
    if ! sh -c "$3" >"$base.out" 2>"$base.err"; then
        note "WARNING: $2 exited with an error: $3 ($(head -c 300 "$base.err"))"
    fi
}

# output ID NAME: the path of NAME's output from `run`.
output() {
    printf '%s' "$out/$1.$(slug "$2").out"
}

# same ID REF NAME [NORMALIZER]: whether NAME's output equals REF's, both piped through
# NORMALIZER (default: sort). Notes the result; a difference is kept in $out.
same() {
    local id=$1 ref=$2 name=$3 norm=${4:-sort} a b n
    a=$out/$id.$(slug "$ref").norm
    b=$out/$id.$(slug "$name").norm
    sh -c "$norm" <"$(output "$id" "$ref")" >"$a"
    sh -c "$norm" <"$(output "$id" "$name")" >"$b"
    if cmp -s "$a" "$b"; then
        note "ok: $name agrees with $ref ($(wc -l <"$a") lines)"
    else
        n=$(diff "$a" "$b" | grep -c '^[<>]' || true)
        diff "$a" "$b" >"$out/$id.$(slug "$name").diff" || true
        note "WARNING: $name disagrees with $ref: $n differing lines (see $out/$id.$(slug "$name").diff)"
    fi
}

# equal WHAT A B: notes whether two figures agree.
equal() {
    if [[ $2 == "$3" ]]; then
        note "ok: $1: $2"
    else
        note "WARNING: $1 differ: $2 vs $3"
    fi
}

# bench ID RUNS WARMUP -- NAME COMMAND [NAME COMMAND]...: times the commands with hyperfine
# into $out/ID.json and lists the exact commands in $out/commands.md.
bench() {
    local id=$1 n=$2 warm=$3 args=()
    shift 4
    while (($#)); do
        args+=(-n "$1" "$2")
        printf -- '- `%s`: `%s`\n' "$1" "$2" >>"$out/commands.md"
        shift 2
    done
    # Output goes through a pipe, not to /dev/null (GNU grep -c stops early on /dev/null).
    hyperfine --style basic --output=pipe --runs "$n" --warmup "$warm" \
        --export-json "$out/$id.json" "${args[@]}"
}

# table BASELINE ID...: a markdown table of the commands timed under the IDs: median wall
# seconds, min-max, runs, the ratio to BASELINE's median, mean CPU seconds (user + system, all
# threads: steadier than wall time on a loaded machine) and the ratio of CPU to BASELINE's.
table() {
    local base=$1
    shift
    local files=() id
    for id in "$@"; do
        files+=("$out/$id.json")
    done
    note
    python3 - "$base" "${files[@]}" <<'EOF' | tee -a "$out/summary.md"
import json, sys
base, files = sys.argv[1], sys.argv[2:]
rows = [r for f in files for r in json.load(open(f))["results"]]
b = next(r for r in rows if r["command"] == base)
cpu = lambda r: r["user"] + r["system"]
print("| command | median (s) | min-max (s) | runs | vs `%s` | CPU (s) | CPU vs |" % base)
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for r in rows:
    print("| `%s` | %.3f | %.3f-%.3f | %d | %.2fx | %.2f | %.2fx |" % (
        r["command"].replace("|", "\\|"), r["median"], r["min"], r["max"], len(r["times"]),
        r["median"] / b["median"], cpu(r), cpu(r) / cpu(b)))
EOF
    note
}

# stat_of ID NAME [STAT]: the median (or STAT: min, max, mean, cpu) seconds of NAME in $out/ID.json.
stat_of() {
    python3 -c 'import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["command"] == sys.argv[2]:
        s = sys.argv[3]
        print(r["user"] + r["system"] if s == "cpu" else r[s])' "$out/$1.json" "$2" "${3:-median}"
}

# ratio A B: A / B to two decimals.
ratio() {
    python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"
}

# verdict WHAT A B OP TARGET: notes A/B and whether it meets `A/B OP TARGET` (OP is <= or >=).
verdict() {
    local what=$1 a=$2 b=$3 op=$4 target=$5 r ok
    r=$(ratio "$a" "$b")
    ok=$(python3 -c 'import sys; r, t = float(sys.argv[1]), float(sys.argv[3])
print("met" if (r <= t if sys.argv[2] == "<=" else r >= t) else "MISSED")' "$r" "$op" "$target")
    note "- $what: ${r}x (target $op ${target}x: $ok; $(printf '%.3f' "$a") s / $(printf '%.3f' "$b") s)"
}
