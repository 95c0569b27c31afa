#!/usr/bin/env bash
# shellcheck disable=SC2016  # markdown backticks are meant literally
# Multi-line records benchmark of issue 15 on a generated 1 GB Java application log (about 5%
# of events with 20-60-line stack traces; scripts/gen_java_log.py, seed 7, kept in $BENCH_DIR),
# printing markdown tables to $BENCH_DIR/results/<date>-records/summary.md:
#
#   `logmill grep --records java Exception` (records holding Exception) against the line-based
#   `logmill grep Exception` on the same file (target <= 1.5x) and against the obvious
#   alternatives, which join each log line with its continuation lines and then test the joined
#   record: benches/peer/java_records.awk under mawk and gawk, benches/peer/java_records.py
#   (target: logmill >= 5x faster). Also timed: `--record-start` with the date regex the peers
#   use, and `rg -c Exception` as the line-based floor.
#
# Before timing, every record count is checked equal to the generator's own count, and every
# line count to its count of lines holding Exception.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: benches/records.sh [--quick] [--runs N]

  --quick    a 20 MB log, 2 runs of logmill and 1 of each peer: a smoke test
  --runs N   timed runs of every command (default: 5 for logmill, 3 for the peers)

environment: BENCH_DIR (default /tmp/bench), LOGMILL (a logmill binary to time instead of
             building target/release/logmill)
EOF
}

readonly JAVA_SEED=7

section=records
# shellcheck source=benches/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_args "$@"
lib_setup

# make_java BYTES DEST: the generated Java log, with its generator's counts in DEST.stats. A
# stamp beside it records the generator and its arguments.
make_java() {
    local bytes=$1 dest=$2 stamp
    stamp="gen_java_log.py $(sha256sum <scripts/gen_java_log.py | cut -c1-16)"
    stamp+=" bytes=$bytes seed=$JAVA_SEED"
    if [[ -f $dest && -f $dest.stats && -f $dest.stamp && $(<"$dest.stamp") == "$stamp" &&
        $(stat -c %s "$dest") -eq $bytes ]]; then
        echo "have $dest ($bytes bytes)"
        return
    fi
    echo "making $dest ($bytes bytes, seed $JAVA_SEED)"
    python3 scripts/gen_java_log.py --bytes "$bytes" --seed "$JAVA_SEED" -o "$dest.tmp" \
        --stats 2>"$dest.stats"
    mv "$dest.tmp" "$dest"
    echo "$stamp" >"$dest.stamp"
}

if ((quick)); then
    java=$bench_dir/java20m.log
    make_java 20000000 "$java"
else
    java=$bench_dir/java1g.log
    make_java 1000000000 "$java"
fi
in=$(q "$java")

if ! "$logmill" grep --help | grep -q -- '--records <'; then
    note "skipped: this logmill has no --records (issue 15 not built)"
    lib_done
    exit 0
fi

stats() {
    awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$java.stats"
}

note "## Records (issue 15): $(basename "$java") ($(stat -c %s "$java") bytes), $(nproc) cores"
note
note "generator (scripts/gen_java_log.py --seed $JAVA_SEED): $(stats events) events," \
    "$(stats traces) with stack traces, $(stats lines) lines;" \
    "$(stats exception_records) records and $(stats exception_lines) lines hold \`Exception\`"
note

id=records
date_start='^\d{4}-\d\d-\d\d '
c_records="$lm grep --records java Exception $in"
c_start="$lm grep --record-start $(q "$date_start") Exception $in"
c_lines="$lm grep Exception $in"
c_rg="rg -c Exception $in"
c_mawk="mawk -f $(q "$repo/benches/peer/java_records.awk") $in"
c_gawk="gawk -f $(q "$repo/benches/peer/java_records.awk") $in"
c_python="python3 $(q "$repo/benches/peer/java_records.py") $in"
run $id records "$c_records"
run $id start "$c_start"
run $id lines "$c_lines"
run $id rg "$c_rg"
run $id mawk "$c_mawk"
run $id gawk "$c_gawk"
run $id python "$c_python"
want=$(stats exception_records)
equal "records holding Exception: generator, logmill --records java" "$want" \
    "$(cat "$(output $id records)")"
equal "records holding Exception: generator, logmill --record-start" "$want" \
    "$(cat "$(output $id start)")"
equal "records holding Exception: generator, mawk" "$want" "$(cat "$(output $id mawk)")"
equal "records holding Exception: generator, gawk" "$want" "$(cat "$(output $id gawk)")"
equal "records holding Exception: generator, python" "$want" "$(cat "$(output $id python)")"
equal "lines holding Exception: generator, logmill grep" "$(stats exception_lines)" \
    "$(cat "$(output $id lines)")"
equal "lines holding Exception: generator, rg -c" "$(stats exception_lines)" \
    "$(cat "$(output $id rg)")"

bench $id-lm "$runs" 1 -- "grep --records java" "$c_records" \
    "grep --record-start DATE" "$c_start" "grep (lines)" "$c_lines" "rg -c (lines)" "$c_rg"
bench $id-peers "$peer_runs" 0 -- "mawk join" "$c_mawk" "gawk join" "$c_gawk" \
    "python join" "$c_python"
table "grep --records java" $id-lm $id-peers
t_rec=$(stat_of $id-lm "grep --records java")
verdict "\`grep --records java\` / \`grep\` (wall)" "$t_rec" "$(stat_of $id-lm "grep (lines)")" "<=" 1.5
verdict "\`grep --records java\` / \`grep\` (CPU)" "$(stat_of $id-lm "grep --records java" cpu)" \
    "$(stat_of $id-lm "grep (lines)" cpu)" "<=" 1.5
verdict "mawk join / \`grep --records java\`" "$(stat_of $id-peers "mawk join")" "$t_rec" ">=" 5
verdict "gawk join / \`grep --records java\`" "$(stat_of $id-peers "gawk join")" "$t_rec" ">=" 5
verdict "python join / \`grep --records java\`" "$(stat_of $id-peers "python join")" "$t_rec" ">=" 5
note

note "Commands:"
note
tee -a "$out/summary.md" <"$out/commands.md"
note
lib_done
