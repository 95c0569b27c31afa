#!/usr/bin/env bash
# Spill benchmark (issue #7): ~1 GB of request ids, 50 million distinct, counted by
#   logmill words --memory 256M          (spills sorted runs, merges them back)
#   LC_ALL=C sort -S 256M --parallel=2 | uniq -c
#   mawk '{c[$1]++}'                    (an in-memory hash table)
# Wall time (median of LOGMILL_RUNS runs for logmill, one run for the slow peers) and peak RSS
# from /usr/bin/time -v. The input is generated deterministically, never committed.
#
# Usage: benches/spill.sh [WORKDIR]   (default /tmp/logmill-spill-bench; needs ~4 GB free)
# Env: LOGMILL (binary; default target/release/logmill), LOGMILL_RUNS (default 3),
#      PEER_RUNS (sort runs, default 1), LINES (default 60000000), DISTINCT (default 50000000),
#      SKIP_PEERS=1, SKIP_MAWK=1.
set -euo pipefail
cd "$(dirname "$0")/.."

work=${1:-/tmp/logmill-spill-bench}
bin=${LOGMILL:-target/release/logmill}
runs=${LOGMILL_RUNS:-3}
lines=${LINES:-60000000}
distinct=${DISTINCT:-50000000}
mkdir -p "$work"
input="$work/ids-$lines-$distinct.txt"
export LC_ALL=C

[ -x "$bin" ] || cargo build --release --locked
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (apt-get install time)"; exit 1; }
echo "== machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; disk:"
df -h "$work" | tail -1

if [ ! -s "$input" ]; then
  echo "== generating $input ($lines lines, $distinct distinct ids)"
  # Line i holds the id of (i mod DISTINCT) times an odd constant mod 2^64: a bijection on
  # 64-bit numbers, so exactly DISTINCT distinct ids, each printed as 16 hex digits (17 bytes a
  # line: 60M lines are 1.02 GB).
  python3 - "$input" "$lines" "$distinct" <<'EOF'
import sys
path, lines, distinct = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
mask = (1 << 64) - 1
mult = 0x9E3779B97F4A7C15 & mask | 1
with open(path, "w") as f:
    batch = 1_000_000
    for start in range(0, lines, batch):
        f.write("".join("%016x\n" % (((i % distinct) * mult) & mask)
                        for i in range(start, min(lines, start + batch))))
EOF
fi
ls -l "$input"

# measure NAME CMD...: runs CMD under /usr/bin/time -v, stdout to $work/NAME.out; prints
# "NAME wall_s max_rss_mib exit cpu_s" (cpu = user + system, less sensitive than wall time to
# other load on a shared machine).
measure() {
  local name=$1; shift
  local log="$work/$name.time"
  local rc=0
  /usr/bin/time -v -o "$log" "$@" > "$work/$name.out" 2> "$work/$name.err" || rc=$?
  local wall rss cpu
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$log")
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.1f", s}' "$log")
  echo "$name $wall $rss $rc $cpu"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

report() { # NAME RUNS CMD...: RUNS measured runs, the median wall and the max of peak RSS
  local name=$1 n=$2; shift 2
  local walls="" rsss="" cpus="" line
  for _ in $(seq "$n"); do
    line=$(measure "$name" "$@")
    echo "   run: $line"
    walls+="$(echo "$line" | cut -d' ' -f2)"$'\n'
    rsss+="$(echo "$line" | cut -d' ' -f3)"$'\n'
    cpus+="$(echo "$line" | cut -d' ' -f5)"$'\n'
  done
  printf '%-26s wall median %7.2f s (runs: %s) cpu median %6.1f s  peak RSS %5s MiB (max)\n' \
    "$name" "$(printf '%s' "$walls" | median)" "$(printf '%s' "$walls" | tr '\n' ' ')" \
    "$(printf '%s' "$cpus" | median)" "$(printf '%s' "$rsss" | sort -n | tail -1)"
}

echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== logmill: $($bin --version)"
report logmill-key-256M "$runs" "$bin" words --sort key --memory 256M -j 2 --temp-dir "$work" "$input"
report logmill-count-256M 1 "$bin" words --memory 256M -j 2 --temp-dir "$work" "$input"
report logmill-top10-256M 1 "$bin" words --top 10 --memory 256M -j 2 --temp-dir "$work" "$input"
report logmill-key-256M-zstd 1 "$bin" words --sort key --memory 256M -j 2 --compress-temp \
  --temp-dir "$work" "$input"

if [ "${SKIP_PEERS:-0}" != 1 ]; then
  report sort-uniq-c "${PEER_RUNS:-1}" bash -c "sort -S 256M --parallel=2 -T '$work' '$input' | uniq -c"
  echo "== same counts as sort | uniq -c?"
  if awk '{print $2 "\t" $1}' "$work/sort-uniq-c.out" | cmp -s - "$work/logmill-key-256M.out"; then
    echo "   yes: byte-identical after reformatting"
  else
    echo "   NO: outputs differ"; exit 1
  fi
  if [ "${SKIP_MAWK:-0}" != 1 ]; then
    report mawk 1 mawk '{ c[$1]++ } END { for (k in c) print c[k], k }' "$input"
  fi
fi
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$work"/*.out
