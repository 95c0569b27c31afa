#!/usr/bin/env bash
# Benchmarks `logmill fields` against peers on a combined-format access log: status counts and
# the sum of bytes by status. Medians of hyperfine runs, side by side.
#
#   scripts/bench_fields.sh ACCESS_LOG [RUNS]
#
# Env: LOGMILL (default target/release/logmill), DUCKDB_PYTHON (a Python with duckdb; the
# DuckDB peer is skipped when unset). Generate a log with the bench branch's
# scripts/gen_access_log.py --sample testdata/apache_access.log --bytes 1000000000 --seed 42.
#
# Peers split on blanks, so status is $9 and bytes $10 (awk, miller, DuckDB's string_split);
# datamash refuses short lines and "-" under sum, so it reads a cleaned copy (lines with a
# numeric $10 only) and the note says so.
set -euo pipefail
log=${1:?usage: bench_fields.sh ACCESS_LOG [RUNS]}
runs=${2:-5}
logmill=${LOGMILL:-target/release/logmill}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

awk_prog='{ c[$9]++; s[$9] += $10 } END { for (k in c) printf "%s\t%d\t%d\n", k, c[k], s[k] }'
cmds=(
  "logmill -j2" "$logmill fields -j 2 --format combined --by status --count --sum bytes $log"
  "logmill -j1" "$logmill fields -j 1 --format combined --by status --count --sum bytes $log"
  "mawk" "mawk '$awk_prog' $log"
  "gawk" "gawk '$awk_prog' $log"
  "miller" "mlr --inidx --ifs space --repifs --otsv stats1 -a count,sum -f 10 -g 9 $log"
)
if [[ -n ${DUCKDB_PYTHON:-} ]]; then
  cat > "$tmp/duck.py" <<'PY'
import sys, duckdb
path = sys.argv[1].replace("'", "''")
src = ("read_csv('%s', columns={'line': 'VARCHAR'}, delim=E'\\x01', quote='', escape='', "
       "header=false, auto_detect=false, new_line='\\n')" % path)
rows = duckdb.connect().execute(
    "SELECT s[9] AS k, count(*) AS n, sum(TRY_CAST(s[10] AS BIGINT)) FROM "
    "(SELECT string_split(line, ' ') AS s FROM %s) GROUP BY k ORDER BY n DESC, k" % src).fetchall()
sys.stdout.write("".join("%s\t%d\t%s\n" % r for r in rows))
PY
  cmds+=("duckdb" "$DUCKDB_PYTHON $tmp/duck.py $log")
fi
if command -v datamash >/dev/null; then
  awk 'NF >= 10 && $10 ~ /^[0-9]+$/' "$log" > "$tmp/clean.log"
  cmds+=("datamash (cleaned copy)" "datamash -W -s -g 9 count 9 sum 10 < $tmp/clean.log")
fi
args=()
for ((i = 0; i < ${#cmds[@]}; i += 2)); do
  args+=(-n "${cmds[i]}" "${cmds[i + 1]}")
done
hyperfine -w 1 -r "$runs" --export-json "$tmp/h.json" "${args[@]}" >&2
python3 - "$tmp/h.json" "$(stat -c %s "$log")" <<'PY'
import json, sys
res = json.load(open(sys.argv[1]))["results"]
gb = int(sys.argv[2]) / 1e9
base = next(r for r in res if r["command"] == "logmill -j2")["median"]
print("| command | median s | s per GB | user+sys s | vs logmill -j2 |")
print("| --- | --- | --- | --- | --- |")
for r in res:
    print("| %s | %.3f | %.3f | %.3f | %.2fx |" % (r["command"], r["median"], r["median"] / gb,
          r["user"] + r["system"], r["median"] / base))
PY
