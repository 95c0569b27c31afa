#!/usr/bin/env bash
# shellcheck disable=SC2016  # awk programs and markdown backticks are meant literally
# Time benchmark of issue 14 (counts per time bucket, time windows) on the 1 GB access log of
# benches/peers.sh, and print markdown tables (median wall seconds, CPU seconds, ratios against
# the issue's targets) to $BENCH_DIR/results/<date>-time/summary.md:
#
#   per-hour   `logmill grep -F '" 404 ' --per 1h` and `logmill fields --format combined --by
#              status --per 1h` against the same jobs without --per (target <= 1.3x), DuckDB
#              (`date_trunc('hour', strptime(...))`, target logmill >= 4x faster) and gawk with
#              mktime/strftime bucketing (target >= 8x faster); every peer's counts are checked
#              equal to logmill's before timing
#   window     `--since T --sorted 5m` with T the time at 90% of the file against the full scan
#              (target <= 0.2x), and against `--since T` without --sorted (an exact filter that
#              parses every line's time)
#
# Every logmill command pins `--tz UTC`. Peers: benches/peer/per_hour.awk (gawk) and
# benches/peer/duckdb_per_hour.py (DuckDB in the venv of benches/peers.sh).
set -euo pipefail

usage() {
    cat <<'EOF'
usage: benches/time.sh [--quick] [--runs N]

  --quick    a 20 MB access log, 2 runs of logmill and 1 of each peer: a smoke test
  --runs N   timed runs of every command (default: 5 for logmill, 3 for the peers)

environment: BENCH_DIR (default /tmp/bench), CORPORA (default ../shared/corpora),
             LOGMILL (a logmill binary to time instead of building target/release/logmill)
EOF
}

section=time
# shellcheck source=benches/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_args "$@"
lib_setup
ensure_duckdb

if ((quick)); then
    access=$bench_dir/access20m.log
    make_access 20000000 "$access"
else
    access=$bench_dir/access1g.log
    make_access 1000000000 "$access"
fi
in=$(q "$access")
literal='" 404 '
awk_per_hour=$(q "$repo/benches/peer/per_hour.awk")
duck_per_hour="$(q "${duckdb_python:-python3}") $(q "$repo/benches/peer/duckdb_per_hour.py")"

if ! "$logmill" grep --help | grep -q -- '--per <'; then
    note "skipped: this logmill has no --per (issue 14 not built)"
    lib_done
    exit 0
fi

note "## Time (issue 14): $(basename "$access") ($(stat -c %s "$access") bytes), $(nproc) cores, --tz UTC"
note

# The peers and timings of one per-hour case, after its own consistency check: JOB (grep or
# fields) with and without --per, gawk and DuckDB; uses id, c_plain, c_per, c_gawk, c_duck.
per_hour_case() {
    local job=$1 t_per ids
    same $id per gawk
    if [[ -n $duckdb_python ]]; then
        run $id duckdb "$c_duck"
        same $id per duckdb
    fi
    bench $id-lm "$runs" 1 -- "$job" "$c_plain" "$job --per 1h" "$c_per"
    bench $id-peers "$peer_runs" 0 -- "gawk mktime" "$c_gawk"
    [[ -n $duckdb_python ]] && bench $id-duck "$peer_runs" 0 -- "duckdb date_trunc" "$c_duck"
    ids=("$id-lm" "$id-peers")
    [[ -n $duckdb_python ]] && ids+=("$id-duck")
    table "$job --per 1h" "${ids[@]}"
    t_per=$(stat_of $id-lm "$job --per 1h")
    verdict "\`$job --per 1h\` / \`$job\` (wall)" "$t_per" "$(stat_of $id-lm "$job")" "<=" 1.3
    verdict "\`$job --per 1h\` / \`$job\` (CPU)" "$(stat_of $id-lm "$job --per 1h" cpu)" \
        "$(stat_of $id-lm "$job" cpu)" "<=" 1.3
    if [[ -n $duckdb_python ]]; then
        verdict "DuckDB / \`$job --per 1h\`" "$(stat_of $id-duck "duckdb date_trunc")" "$t_per" ">=" 4
    fi
    verdict "gawk / \`$job --per 1h\`" "$(stat_of $id-peers "gawk mktime")" "$t_per" ">=" 8
    note
}

# --- grep per hour -----------------------------------------------------------------------

id=grep-per
c_plain="$lm grep --tz UTC -F $(q "$literal") $in"
c_per="$lm grep --tz UTC -F $(q "$literal") --per 1h $in"
c_gawk="gawk -v literal=$(q "$literal") -f $awk_per_hour $in"
c_duck="$duck_per_hour --literal $(q "$literal") $in"
note "### grep per hour: lines holding \`$literal\`"
note
run $id plain "$c_plain"
run $id per "$c_per"
run $id gawk "$c_gawk"
equal "lines counted without --per and summed over the hours with --per" \
    "$(cat "$(output $id plain)")" "$(awk -F'\t' '{ n += $2 } END { print n }' "$(output $id per)")"
per_hour_case grep

# --- fields per hour ---------------------------------------------------------------------

id=fields-per
c_plain="$lm fields --format combined --by status --tz UTC $in"
c_per="$lm fields --format combined --by status --per 1h --tz UTC $in"
c_gawk="gawk -v by=status -f $awk_per_hour $in"
c_duck="$duck_per_hour --by-status $in"
note "### fields per hour: \`--format combined --by status\`"
note
run $id plain "$c_plain"
run $id per "$c_per"
run $id gawk "$c_gawk"
equal "status counts without --per and summed over the hours with --per" \
    "$(sort "$(output $id plain)" | md5sum)" \
    "$(awk -F'\t' '{ n[$2] += $3 } END { for (s in n) print s "\t" n[s] }' "$(output $id per)" |
        sort | md5sum)"
per_hour_case fields

# --- a window over the last 10% ----------------------------------------------------------

id=window
# T: the time of the first whole line after 90% of the file's bytes, in RFC 3339.
since=$(python3 - "$access" <<'EOF'
import datetime, os, re, sys
path = sys.argv[1]
with open(path, "rb") as f:
    f.seek(os.path.getsize(path) * 9 // 10)
    f.readline()
    for line in f:
        m = re.search(rb"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [-+]\d{4})\]", line)
        if m:
            t = datetime.datetime.strptime(m.group(1).decode(), "%d/%b/%Y:%H:%M:%S %z")
            print(t.astimezone(datetime.timezone.utc).isoformat())
            break
EOF
)
[[ -n $since ]] || die "no timestamp after 90% of $access"
c_full="$lm grep --tz UTC -F $(q "$literal") $in"
c_since="$lm grep --tz UTC -F $(q "$literal") --since $since $in"
c_sorted="$lm grep --tz UTC -F $(q "$literal") --since $since --sorted 5m $in"
note "### window: \`--since $since\` (the time at 90% of the file), lines holding \`$literal\`"
note
run $id since "$c_since"
run $id sorted "$c_sorted"
same $id since sorted cat
# An independent count: the lines at or after T (Python's datetime) holding the literal.
python3 - "$access" "$since" "$literal" >"$(output $id python)" <<'EOF'
import datetime, re, sys
path, since, literal = sys.argv[1], sys.argv[2], sys.argv[3].encode()
since = datetime.datetime.fromisoformat(since)
stamp = re.compile(rb"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [-+]\d{4})\]")
n = 0
with open(path, "rb") as f:
    for line in f:
        if literal in line:
            m = stamp.search(line)
            if m and datetime.datetime.strptime(m.group(1).decode(), "%d/%b/%Y:%H:%M:%S %z") >= since:
                n += 1
print(n)
EOF
same $id sorted python cat
bench $id "$runs" 1 -- "grep (full scan)" "$c_full" "grep --since T" "$c_since" \
    "grep --since T --sorted 5m" "$c_sorted"
table "grep (full scan)" $id
verdict "\`--since T --sorted 5m\` / full scan (wall)" "$(stat_of $id "grep --since T --sorted 5m")" \
    "$(stat_of $id "grep (full scan)")" "<=" 0.2
verdict "\`--since T --sorted 5m\` / \`--since T\` without --sorted (wall)" \
    "$(stat_of $id "grep --since T --sorted 5m")" "$(stat_of $id "grep --since T")" "<=" 0.2
note

note "Commands:"
note
tee -a "$out/summary.md" <"$out/commands.md"
note
lib_done
