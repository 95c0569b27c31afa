#!/usr/bin/env bash
# shellcheck disable=SC2016  # awk programs and markdown backticks are meant literally
# Time logmill against peer tools (awk, coreutils, ripgrep, grep, DuckDB) on inputs derived
# deterministically from the real corpora, and print markdown tables: median seconds, the ratio
# to logmill and peak RSS. See BENCHMARKS.md for what each case measures.
#
#   benches/peers.sh [words|grep|match|compressed|all]... [--quick] [--inputs-only]
#
# Run it from anywhere inside the repository; the corpora are looked up at ../shared/corpora
# (relative to the repository root or its parent), or set CORPORA. Inputs and results go to
# $BENCH_DIR (default /tmp/bench); each run writes its tables, logs and raw hyperfine JSON to
# $BENCH_DIR/results/<date>/. It installs missing peers itself (apt-get, and DuckDB with pip in
# a venv under $BENCH_DIR), builds logmill with `cargo build --release --locked`, and checks
# before timing that every peer computes the same result as logmill.
set -euo pipefail

# shellcheck source=benches/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

usage() {
    cat <<'EOF'
usage: benches/peers.sh [SECTION]... [--quick] [--inputs-only]

sections (default: words):
  words   logmill words vs Ben Hoyt's countwords optimized.c (gcc -O2), mawk, gawk and
          tr|sort|uniq on kjv10.txt; -j1 vs -j2 and peak RSS (file vs stdin) on text1g.txt
  grep    logmill grep vs rg -c, grep -c and cat on access1g.log (needs `logmill grep`)
  match   logmill match vs rg -o|sort|uniq -c, mawk, gawk and DuckDB on access1g.log,
          counting status codes and client addresses (needs `logmill match`)
  fields  logmill fields --format combined --by status --count --sum bytes vs DuckDB
          (scripts/duckdb_count.py --status-bytes) on access1g.log
  compressed
          logmill match -j1/-j2 on access1g.log gzip -1'd (one member), bgzip'd (BGZF
          members) and pzstd'd (frames) vs the decoder alone (examples/decode), rapidgzip
          -P1/-P2, pigz -dc and zstd -dc
  all     all five
  time, records, answers: benches/time.sh, records.sh, answers.sh (issues 14-16; first argument only)

options:
  --quick        small inputs (kjv x1, kjv x5, a 20 MB access log) and 2 runs: a smoke test
  --inputs-only  only generate the inputs into $BENCH_DIR, then stop

environment: BENCH_DIR (default /tmp/bench), CORPORA (default ../shared/corpora),
             LOGMILL (a logmill binary to time instead of building target/release/logmill)
EOF
}

die() {
    echo "peers.sh: $*" >&2
    exit 2
}

case ${1:-} in time | records | answers) exec bash "$(dirname "${BASH_SOURCE[0]}")/$1.sh" "${@:2}" ;; esac
sections=()
quick=0
inputs_only=0

has_section() {
    local s
    for s in ${sections[@]+"${sections[@]}"}; do
        [[ $s == "$1" ]] && return 0
    done
    return 1
}

add_section() {
    has_section "$1" || sections+=("$1")
}

for arg in "$@"; do
    case $arg in
    words | grep | match | fields | compressed) add_section "$arg" ;;
    all)
        add_section words
        add_section grep
        add_section match
        add_section fields
        add_section compressed
        ;;
    --quick) quick=1 ;;
    --inputs-only) inputs_only=1 ;;
    -h | --help)
        usage
        exit 0
        ;;
    *)
        usage >&2
        die "unknown argument: $arg"
        ;;
    esac
done
((${#sections[@]})) || sections=(words)

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

if [[ -z ${CORPORA:-} ]]; then
    for c in "$PWD/../shared/corpora" "$repo/../../shared/corpora"; do
        if [[ -d $c ]]; then
            CORPORA=$(cd "$c" && pwd)
            break
        fi
    done
fi
[[ -n ${CORPORA:-} && -f $CORPORA/kjv/kjv.txt ]] ||
    die "corpora not found: set CORPORA to the shared/corpora directory"
kjv=$CORPORA/kjv/kjv.txt
apache_sample=$CORPORA/elastic_apache_logs/apache_logs

bench_dir=${BENCH_DIR:-/tmp/bench}
mkdir -p "$bench_dir"
bench_dir=$(cd "$bench_dir" && pwd)

# Every tool sees bytes, not characters: same word splitting, case folding and sort order.
export LC_ALL=C

# --- peers ---------------------------------------------------------------------------------

ensure_tools() {
    local missing=()
    command -v hyperfine >/dev/null || missing+=(hyperfine)
    command -v mawk >/dev/null || missing+=(mawk)
    command -v gawk >/dev/null || missing+=(gawk)
    command -v rg >/dev/null || missing+=(ripgrep)
    [[ -x /usr/bin/time ]] || missing+=(time)
    command -v gcc >/dev/null || missing+=(gcc)
    command -v pigz >/dev/null || missing+=(pigz)
    command -v bgzip >/dev/null || missing+=(tabix)
    command -v zstd >/dev/null || missing+=(zstd)
    command -v pzstd >/dev/null || missing+=(zstd)
    command -v python3 >/dev/null || missing+=(python3)
    if ((${#missing[@]})); then
        apt_install "${missing[@]}"
    fi
    command -v cargo >/dev/null || die "cargo not found (install Rust first)"
}

# Sets `rapidgzip` to a rapidgzip binary (pip, in a venv under $BENCH_DIR), or to "" (with a
# warning) if it can't be had.
ensure_rapidgzip() {
    local venv=$bench_dir/venv-rapidgzip
    rapidgzip=$venv/bin/rapidgzip
    [[ -x $rapidgzip ]] && return
    if ! { python3 -m venv "$venv" >/dev/null 2>&1 &&
        "$venv/bin/pip" install -q --disable-pip-version-check rapidgzip; }; then
        echo "warning: could not install rapidgzip; its cases are skipped" >&2
        rapidgzip=""
    fi
}

# --- inputs --------------------------------------------------------------------------------

# make_repeat SRC TIMES DEST: DEST = SRC concatenated TIMES times, unless already that size.
make_repeat() {
    local src=$1 times=$2 dest=$3 want i
    want=$(($(stat -c %s "$src") * times))
    if [[ -f $dest && $(stat -c %s "$dest") -eq $want ]]; then
        echo "have $dest ($want bytes)"
        return
    fi
    echo "making $dest ($want bytes)"
    for ((i = 0; i < times; i++)); do
        cat "$src"
    done >"$dest.tmp"
    mv "$dest.tmp" "$dest"
}

if ((quick)); then
    words_in=$bench_dir/kjv1.txt
    words_times=1
    big_in=$bench_dir/kjv5.txt
    big_times=5
    access_in=$bench_dir/access20m.log
    access_bytes=20000000
    hf_small=(--warmup 0 --runs 2)
    hf_big=(--warmup 0 --runs 2)
else
    words_in=$bench_dir/kjv10.txt
    words_times=10
    big_in=$bench_dir/text1g.txt
    big_times=242
    access_in=$bench_dir/access1g.log
    access_bytes=1000000000
    # Short commands get up to 10 runs within hyperfine's 3-second budget, long ones 3.
    hf_small=(--warmup 1 --min-runs 3 --max-runs 10)
    hf_big=(--warmup 1 --runs 3)
fi

# make_packed SRC DEST COMMAND...: DEST = COMMAND run on SRC (stdin to stdout), unless DEST is
# newer than SRC.
make_packed() {
    local src=$1 dest=$2
    shift 2
    if [[ -f $dest && $dest -nt $src ]]; then
        echo "have $dest ($(stat -c %s "$dest") bytes)"
        return
    fi
    echo "making $dest with $*"
    "$@" <"$src" >"$dest.tmp"
    mv "$dest.tmp" "$dest"
}

if ((inputs_only)); then
    command -v python3 >/dev/null || apt_install python3
    make_repeat "$kjv" "$words_times" "$words_in"
    make_repeat "$kjv" "$big_times" "$big_in"
    make_access "$access_bytes" "$access_in"
    exit 0
fi

# --- setup ---------------------------------------------------------------------------------

ensure_tools
if [[ -n ${LOGMILL:-} ]]; then
    logmill=$LOGMILL
else
    cargo build --release --locked
    logmill=${CARGO_TARGET_DIR:-$repo/target}/release/logmill
fi
[[ -x $logmill ]] || die "no binary at $logmill"
lm=$(q "$logmill")

out=$bench_dir/results/$(date -u +%Y%m%dT%H%M%SZ)
if ((quick)); then
    out+=-quick
fi
mkdir -p "$out"
exec > >(tee -a "$out/log.txt") 2>&1

machine() {
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
    rg --version | sed -n 1p
    grep --version | sed -n 1p
    sort --version | sed -n 1p
    echo '```'
    echo
}

# bench ID HYPERFINE-OPTION... -- NAME COMMAND [NAME COMMAND]...: times the commands with
# hyperfine into $out/ID.json and lists the exact commands in $out/ID.commands.
bench() {
    local id=$1 opts=() args=()
    shift
    while [[ $1 != -- ]]; do
        opts+=("$1")
        shift
    done
    shift
    : >"$out/$id.commands"
    while (($#)); do
        args+=(-n "$1" "$2")
        printf -- '- `%s`: `%s`\n' "$1" "$2" >>"$out/$id.commands"
        shift 2
    done
    # Output goes through a pipe, not to /dev/null: GNU grep -c stops at the first match when
    # its output is /dev/null, which would time nothing.
    hyperfine --style basic --output=pipe "${opts[@]}" --export-json "$out/$id.json" "${args[@]}"
}

# probe ID NAME COMMAND NORMALIZER: runs COMMAND once (also warming the page cache), records
# its peak RSS (the largest process of a pipeline) in $out/ID.rss and its output, piped through
# NORMALIZER and sorted, in $out/ID.<NAME>.norm.
probe() {
    local id=$1 name=$2 cmd=$3 norm=$4 base
    base=$out/$id.$(slug "$name")
    if ! /usr/bin/time -f %M -o "$base.rss" sh -c "$cmd" >"$base.out"; then
        note "WARNING: $name exited with an error: $cmd"
    fi
    printf '%s\t%s\n' "$name" "$(tail -n1 "$base.rss")" >>"$out/$id.rss"
    sh -c "$norm" <"$base.out" | sort >"$base.norm"
}

# agree ID REF NAME: compares NAME's normalized output with REF's, printing one line.
agree() {
    local id=$1 ref=$2 name=$3 a b n
    a=$out/$id.$(slug "$ref").norm
    b=$out/$id.$(slug "$name").norm
    if cmp -s "$a" "$b"; then
        note "ok: $name agrees with $ref ($(wc -l <"$a") normalized lines)"
    else
        n=$(diff "$a" "$b" | grep -c '^[<>]' || true)
        diff "$a" "$b" >"$out/$id.$(slug "$name").diff" || true
        note "WARNING: $name disagrees with $ref: $n differing key/count lines" \
            "(see $out/$id.$(slug "$name").diff)"
    fi
}

# same_bytes ID A B: checks that A and B printed byte-identical output.
same_bytes() {
    if cmp -s "$out/$1.$(slug "$2").out" "$out/$1.$(slug "$3").out"; then
        note "ok: $3 prints the same bytes as $2"
    else
        note "WARNING: $3 does not print the same bytes as $2"
    fi
}

table() {
    local id=$1
    shift
    note
    python3 scripts/bench_table.py "$out/$id.json" "$out/$id.rss" "$@" | tee -a "$out/summary.md"
    {
        echo
        echo "Commands:"
        echo
        cat "$out/$id.commands"
        echo
    } | tee -a "$out/summary.md"
}

# median ID NAME [STAT]: the median (or STAT: min, max, mean) seconds of NAME in $out/ID.json.
median() {
    python3 -c 'import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    if r["command"] == sys.argv[2]:
        print(r[sys.argv[3]])' "$out/$1.json" "$2" "${3:-median}"
}

# ratio A B: A / B to two decimals.
ratio() {
    python3 -c 'import sys; print("%.2f" % (float(sys.argv[1]) / float(sys.argv[2])))' "$1" "$2"
}

# secs X: X to three decimals.
secs() {
    printf '%.3f' "$1"
}

# Normalizers: each turns a tool's output into `key<TAB>count` lines. logmill's TSV escapes
# a backslash in a key as \\ (and TAB, LF, CR as \t, \n, \r); the peers' keys get the same
# escape for backslashes (the inputs' keys hold no TAB, LF or CR).
readonly escape_backslash="sed 's/\\\\/\\\\\\\\/g'"
readonly norm_tsv="awk -F'\t' 'NF >= 2 { print \$1 \"\\t\" \$NF }'"
readonly norm_peer_tsv="$norm_tsv | $escape_backslash"
readonly norm_awk="awk '{ print \$1 \"\\t\" \$2 }' | $escape_backslash"
readonly norm_uniq="awk 'NF == 2 { print \$2 \"\\t\" \$1 }' | $escape_backslash"
# A count: the last field of a one-line output, otherwise the number of lines.
readonly norm_count="awk 'END { if (NR == 1 && \$NF ~ /^[0-9]+\$/) print \$NF; else print NR }'"

# --- words ---------------------------------------------------------------------------------

section_words() {
    make_repeat "$kjv" "$words_times" "$words_in"
    make_repeat "$kjv" "$big_times" "$big_in"
    local in big id awk_prog
    in=$(q "$words_in")
    big=$(q "$big_in")
    awk_prog=$(q '{for(i=1;i<=NF;i++) c[tolower($i)]++} END{for(w in c) print w, c[w]}')

    note "## words: $(basename "$words_in") ($(stat -c %s "$words_in") bytes), $(nproc) cores"
    note
    # Ben Hoyt's countwords optimized.c, built here from the copy in benches/countwords/.
    local countwords=$out/countwords
    gcc -O2 -o "$countwords" benches/countwords/optimized.c
    id=words
    local -a cases=(
        "logmill words" "$lm words $in"
        "logmill words -j1" "$lm words -j1 $in"
        "countwords optimized.c" "$(q "$countwords") < $in"
        "mawk" "mawk $awk_prog $in"
        "gawk" "gawk $awk_prog $in"
        "tr | sort | uniq -c" "tr 'A-Z' 'a-z' < $in | tr -s ' \t\r\v\f' '\n' | sort | uniq -c | sort -rn"
    )
    probe $id "logmill words" "${cases[1]}" "$norm_tsv"
    probe $id "logmill words -j1" "${cases[3]}" "$norm_tsv"
    probe $id "countwords optimized.c" "${cases[5]}" "$norm_awk"
    # countwords (C `char` is signed) splits words at bytes >= 0x80, logmill keeps them in the
    # word: their counts are compared on a copy of the input without those bytes.
    local ascii=$out/words-ascii.txt
    LC_ALL=C tr -d '\200-\377' <"$words_in" >"$ascii"
    probe words-ascii "logmill words" "$lm words $(q "$ascii")" "$norm_tsv"
    probe words-ascii "countwords optimized.c" "$(q "$countwords") < $(q "$ascii")" "$norm_awk"
    agree words-ascii "logmill words" "countwords optimized.c"
    rm -f "$ascii"
    probe $id "mawk" "${cases[7]}" "$norm_awk"
    probe $id "gawk" "${cases[9]}" "$norm_awk"
    probe $id "tr | sort | uniq -c" "${cases[11]}" "$norm_uniq"
    same_bytes $id "logmill words" "logmill words -j1"
    agree $id "logmill words" mawk
    agree $id "logmill words" gawk
    agree $id "logmill words" "tr | sort | uniq -c"
    bench $id "${hf_small[@]}" -- "${cases[@]}"
    table $id
    local t_lm t_cw
    t_lm=$(median $id "logmill words -j1")
    t_cw=$(median $id "countwords optimized.c")
    note "logmill words -j1 / countwords optimized.c: $(ratio "$t_lm" "$t_cw")" \
        "($(secs "$t_lm") s vs $(secs "$t_cw") s; target <= 0.85)"
    note

    note "## words: $(basename "$big_in") ($(stat -c %s "$big_in") bytes), threads and memory"
    note
    id=words-big
    cases=(
        "logmill words -j1" "$lm words -j1 $big"
        "logmill words -j2" "$lm words -j2 $big"
        "cat | logmill words" "cat $big | $lm words"
    )
    probe $id "logmill words -j1" "${cases[1]}" cat
    probe $id "logmill words -j2" "${cases[3]}" cat
    probe $id "cat | logmill words" "${cases[5]}" cat
    # Same bytes out whatever the threads or the input path.
    same_bytes $id "logmill words -j1" "logmill words -j2"
    same_bytes $id "logmill words -j1" "cat | logmill words"
    bench $id "${hf_big[@]}" -- "${cases[@]}"
    table $id --baseline "logmill words -j2"
    local j1 j2
    j1=$(median $id "logmill words -j1")
    j2=$(median $id "logmill words -j2")
    note "speedup -j1 -> -j2: $(ratio "$j1" "$j2")x (median $(secs "$j1") s -> $(secs "$j2") s)"
    j1=$(median $id "logmill words -j1" min)
    j2=$(median $id "logmill words -j2" min)
    note "speedup -j1 -> -j2 of the fastest runs: $(ratio "$j1" "$j2")x ($(secs "$j1") s -> $(secs "$j2") s)"
    local rss_file rss_stdin
    rss_file=$(awk -F'\t' '$1 == "logmill words -j2" { print $2 }' "$out/$id.rss")
    rss_stdin=$(awk -F'\t' '$1 == "cat | logmill words" { print $2 }' "$out/$id.rss")
    note "peak RSS: \`logmill words $(basename "$big_in")\` (mmap, file pages count) $((rss_file / 1024)) MiB;" \
        "\`cat $(basename "$big_in") | logmill words\` $((rss_stdin / 1024)) MiB" \
        "(target: under 64 MiB plus the result table)"
    note
}

# --- grep ----------------------------------------------------------------------------------

section_grep() {
    if ! "$logmill" grep --help >/dev/null 2>&1; then
        note "## grep"
        note
        note "skipped: logmill grep not built yet"
        note
        return
    fi
    make_access "$access_bytes" "$access_in"
    local help in id count=() fixed=()
    help=$("$logmill" grep --help)
    [[ $help == *--count* ]] && count=(-c)
    [[ $help == *--fixed-strings* ]] && fixed=(-F)
    in=$(q "$access_in")
    note "## grep: $(basename "$access_in") ($(stat -c %s "$access_in") bytes), $(nproc) cores"
    note
    if ((${#count[@]} == 0)); then
        note "note: \`logmill grep\` has no --count; it is timed printing matching lines into a pipe"
        note
    fi
    id=grep-floor
    probe $id "cat" "cat $in" "wc -c"
    bench $id "${hf_small[@]}" -- "cat" "cat $in > /dev/null"
    local floor
    floor=$(median $id cat)

    local n=0 label pattern literal c_lm c_rg c_gr
    # label, pattern, literal?
    local -a patterns=(
        "literal" "GET /images" 1
        "googlebot" "Googlebot" 0
        "regex 404" 'HTTP/1\.[01]" 404' 0
        "regex windows" 'Mozilla/5\.0 \(Windows' 0
    )
    while ((n < ${#patterns[@]})); do
        label=${patterns[n]}
        pattern=${patterns[n + 1]}
        literal=${patterns[n + 2]}
        n=$((n + 3))
        id=grep-$(slug "$label")
        if ((literal)); then
            c_lm="$lm grep ${count[*]} ${fixed[*]} $(q "$pattern") $in"
            c_rg="rg -c -F $(q "$pattern") $in"
            c_gr="grep -c -F $(q "$pattern") $in"
        else
            c_lm="$lm grep ${count[*]} $(q "$pattern") $in"
            c_rg="rg -c $(q "$pattern") $in"
            c_gr="grep -c -E $(q "$pattern") $in"
        fi
        note "### $label: \`$pattern\`"
        note
        probe "$id" "logmill grep" "$c_lm" "$norm_count"
        probe "$id" "rg -c" "$c_rg" "$norm_count"
        probe "$id" "grep -c" "$c_gr" "$norm_count"
        agree "$id" "rg -c" "logmill grep"
        agree "$id" "rg -c" "grep -c"
        bench "$id" "${hf_small[@]}" -- "logmill grep" "$c_lm" "rg -c" "$c_rg" "grep -c" "$c_gr"
        table "$id"
        local t_lm t_rg
        t_lm=$(median "$id" "logmill grep")
        t_rg=$(median "$id" "rg -c")
        note "matching lines: $(cat "$out/$id.rg_-c.norm"); logmill/rg $(ratio "$t_lm" "$t_rg");" \
            "logmill/cat $(ratio "$t_lm" "$floor") (cat: $(secs "$floor") s)"
        note
    done
    # A regex with a word class before a literal, on text (issue 19's second grep row).
    make_repeat "$kjv" "$big_times" "$big_in"
    pattern='\w+ of the LORD'
    id=grep-text
    local big
    big=$(q "$big_in")
    c_lm="$lm grep ${count[*]} $(q "$pattern") $big"
    c_rg="rg -c $(q "$pattern") $big"
    note "### $(basename "$big_in"): \`$pattern\`"
    note
    probe "$id" "logmill grep" "$c_lm" "$norm_count"
    probe "$id" "rg -c" "$c_rg" "$norm_count"
    agree "$id" "rg -c" "logmill grep"
    bench "$id" "${hf_small[@]}" -- "logmill grep" "$c_lm" "rg -c" "$c_rg"
    table "$id"
    t_lm=$(median "$id" "logmill grep")
    t_rg=$(median "$id" "rg -c")
    note "matching lines: $(cat "$out/$id.rg_-c.norm"); logmill/rg $(ratio "$t_lm" "$t_rg")"
    note
}

# --- match ---------------------------------------------------------------------------------

section_match() {
    if ! "$logmill" match --help >/dev/null 2>&1; then
        note "## match"
        note
        note "skipped: logmill match not built yet"
        note
        return
    fi
    make_access "$access_bytes" "$access_in"
    ensure_duckdb
    local in id n=0 label pattern awk_prog
    in=$(q "$access_in")
    note "## match: $(basename "$access_in") ($(stat -c %s "$access_in") bytes), $(nproc) cores"
    note
    if [[ -n $duckdb_python ]]; then
        local lines duck_lines
        lines=$(wc -l <"$access_in")
        duck_lines=$("$duckdb_python" scripts/duckdb_count.py --lines "$access_in")
        if [[ $lines == "$duck_lines" ]]; then
            note "ok: DuckDB reads all $lines lines"
        else
            note "WARNING: DuckDB reads $duck_lines lines of $lines"
        fi
    fi
    # label, pattern (group 1 is the key), the same count in awk
    local -a cases=(
        "status" '" ([0-9]{3}) '
        'match($0, /" [0-9][0-9][0-9] /) { c[substr($0, RSTART + 2, 3)]++ } END { for (k in c) print k "\t" c[k] }'
        "client" '^(\S+)'
        '/^[^ \t]/ { c[$1]++ } END { for (k in c) print k "\t" c[k] }'
    )
    while ((n < ${#cases[@]})); do
        label=${cases[n]}
        pattern=${cases[n + 1]}
        awk_prog=$(q "${cases[n + 2]}")
        n=$((n + 3))
        id=match-$label
        local -a cmds=(
            "logmill match" "$lm match $(q "$pattern") $in"
            "rg -o | sort | uniq -c" "rg -o -r '\$1' $(q "$pattern") $in | sort | uniq -c | sort -rn"
            "mawk" "mawk $awk_prog $in"
            "gawk" "gawk $awk_prog $in"
        )
        if [[ -n $duckdb_python ]]; then
            cmds+=("duckdb" "$(q "$duckdb_python") scripts/duckdb_count.py $in $(q "$pattern")")
        fi
        note "### by $label: \`$pattern\`"
        note
        probe "$id" "logmill match" "${cmds[1]}" "$norm_tsv"
        probe "$id" "rg -o | sort | uniq -c" "${cmds[3]}" "$norm_uniq"
        probe "$id" "mawk" "${cmds[5]}" "$norm_peer_tsv"
        probe "$id" "gawk" "${cmds[7]}" "$norm_peer_tsv"
        agree "$id" "logmill match" "rg -o | sort | uniq -c"
        agree "$id" "logmill match" "mawk"
        agree "$id" "logmill match" "gawk"
        if [[ -n $duckdb_python ]]; then
            probe "$id" "duckdb" "${cmds[9]}" "$norm_peer_tsv"
            agree "$id" "logmill match" "duckdb"
        fi
        bench "$id" "${hf_big[@]}" -- "${cmds[@]}"
        table "$id"
    done
}

# --- fields --------------------------------------------------------------------------------

section_fields() {
    make_access "$access_bytes" "$access_in"
    ensure_duckdb
    local in id=fields-status
    in=$(q "$access_in")
    note "## fields: $(basename "$access_in") ($(stat -c %s "$access_in") bytes), $(nproc) cores"
    note
    local -a cmds=(
        "logmill fields" "$lm fields --format combined --by status --count --sum bytes $in"
    )
    if [[ -n $duckdb_python ]]; then
        cmds+=("duckdb" "$(q "$duckdb_python") scripts/duckdb_count.py --status-bytes $in")
    fi
    probe "$id" "logmill fields" "${cmds[1]}" sort
    if [[ -n $duckdb_python ]]; then
        probe "$id" "duckdb" "${cmds[3]}" sort
        agree "$id" "logmill fields" "duckdb"
    fi
    bench "$id" "${hf_big[@]}" -- "${cmds[@]}"
    table "$id"
}

# --- compressed ----------------------------------------------------------------------------

section_compressed() {
    make_access "$access_bytes" "$access_in"
    ensure_rapidgzip
    local gz=$access_in.gz bgzf=$access_in.bgzf.gz zst=$access_in.pzstd.zst
    make_packed "$access_in" "$gz" gzip -1
    make_packed "$access_in" "$bgzf" bgzip -l 1 -@ "$(nproc)"
    make_packed "$access_in" "$zst" pzstd -q -1 -p "$(nproc)"
    local decode=${CARGO_TARGET_DIR:-$repo/target}/release/examples/decode
    # With LOGMILL set, an example built before is timed as it is.
    if [[ -z ${LOGMILL:-} || ! -x $decode ]]; then
        cargo build --release --locked --example decode
    fi
    decode=$(q "$decode")
    local pattern='" (\d{3}) ' in g b z id
    in=$(q "$access_in")
    g=$(q "$gz")
    b=$(q "$bgzf")
    z=$(q "$zst")
    local m="$lm match $(q "$pattern")"
    note "## compressed: $(basename "$access_in") ($(stat -c %s "$access_in") bytes):" \
        "gzip -1 $(stat -c %s "$gz"), bgzip $(stat -c %s "$bgzf"), pzstd -1 $(stat -c %s "$zst")" \
        "bytes; $(nproc) cores"
    note

    note "### one gzip member: \`match '$pattern'\` vs the decoder alone"
    note
    id=compressed-gzip
    local -a cases=(
        "logmill -j1 .gz" "$m -j1 $g"
        "logmill -j2 .gz" "$m -j2 $g"
        "decoder alone (flate2, zlib-rs)" "$decode $g"
        "pigz -dc" "pigz -dc $g"
    )
    if [[ -n $rapidgzip ]]; then
        cases+=(
            "rapidgzip -P1" "$(q "$rapidgzip") -d -c -P 1 $g"
            "rapidgzip -P2" "$(q "$rapidgzip") -d -c -P 2 $g"
        )
    fi
    probe $id "logmill plain" "$m $in" cat
    probe $id "logmill -j1 .gz" "${cases[1]}" cat
    probe $id "logmill -j2 .gz" "${cases[3]}" cat
    same_bytes $id "logmill plain" "logmill -j1 .gz"
    same_bytes $id "logmill plain" "logmill -j2 .gz"
    bench $id "${hf_big[@]}" -- "${cases[@]}"
    table $id
    local t_lm t_dec
    t_lm=$(median $id "logmill -j2 .gz")
    t_dec=$(median $id "decoder alone (flate2, zlib-rs)")
    note "match on one member / decoder alone: $(ratio "$t_lm" "$t_dec")" \
        "($(secs "$t_lm") s vs $(secs "$t_dec") s; target <= 1.1)"
    if [[ -n $rapidgzip ]]; then
        local p1 p2
        p1=$(median $id "rapidgzip -P1")
        p2=$(median $id "rapidgzip -P2")
        note "rapidgzip -P1 -> -P2: $(ratio "$p1" "$p2")x ($(secs "$p1") s -> $(secs "$p2") s)"
    fi
    note

    note "### many members (bgzip) and frames (pzstd): -j1 vs -j2"
    note
    id=compressed-members
    cases=(
        "logmill -j1 bgzip" "$m -j1 $b"
        "logmill -j2 bgzip" "$m -j2 $b"
        "logmill grep -c -j1 bgzip" "$lm grep -c -j1 Googlebot $b"
        "logmill grep -c -j2 bgzip" "$lm grep -c -j2 Googlebot $b"
        "logmill -j1 pzstd" "$m -j1 $z"
        "logmill -j2 pzstd" "$m -j2 $z"
        "zstd -dc pzstd" "zstd -dc $z"
        "pzstd -dc -p2 pzstd" "pzstd -dc -p 2 $z"
    )
    probe $id "logmill plain" "$m $in" cat
    probe $id "logmill -j1 bgzip" "${cases[1]}" cat
    probe $id "logmill -j2 bgzip" "${cases[3]}" cat
    probe $id "logmill -j1 pzstd" "${cases[9]}" cat
    probe $id "logmill -j2 pzstd" "${cases[11]}" cat
    same_bytes $id "logmill plain" "logmill -j1 bgzip"
    same_bytes $id "logmill plain" "logmill -j2 bgzip"
    same_bytes $id "logmill plain" "logmill -j1 pzstd"
    same_bytes $id "logmill plain" "logmill -j2 pzstd"
    bench $id "${hf_big[@]}" -- "${cases[@]}"
    table $id
    local kind j1 j2
    for kind in "bgzip" "grep -c bgzip" "pzstd"; do
        case $kind in
        "grep -c bgzip")
            j1=$(median $id "logmill grep -c -j1 bgzip")
            j2=$(median $id "logmill grep -c -j2 bgzip")
            ;;
        *)
            j1=$(median $id "logmill -j1 $kind")
            j2=$(median $id "logmill -j2 $kind")
            ;;
        esac
        note "speedup -j1 -> -j2, $kind: $(ratio "$j1" "$j2")x ($(secs "$j1") s -> $(secs "$j2") s;" \
            "target >= 1.7)"
    done
    note
}

# --- run -----------------------------------------------------------------------------------

start=$(date +%s)
machine | tee "$out/summary.md"
for s in "${sections[@]}"; do
    "section_$s"
done
note "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); total $(($(date +%s) - start)) s"
echo
echo "results: $out/summary.md"
