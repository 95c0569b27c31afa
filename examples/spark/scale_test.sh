#!/usr/bin/env bash
# More distinct keys than fit in the driver: N generated distinct ids (default 20 M), counted
# by examples/spark/logmill_spark.py with the driver JVM capped at spark.driver.memory=512m and
# each Python worker capped (spark.executor.pyspark.memory, an address-space limit), written
# with --out-dir. The parts, concatenated in part order, must equal the single-process output
# byte for byte. Reports the wall times and the driver's peak memory (VmHWM of the driver JVM,
# sampled from /proc, and of the Python driver process). Not in CI (minutes, GBs of disk).
#
#   bash examples/spark/scale_test.sh            # after test_spark.sh made .venv-spark
#   KEYS=2000000 MODE=streaming bash examples/spark/scale_test.sh
#
# Environment: KEYS (distinct ids), MODE (exact|streaming), MASTER (default local[2]),
# DRIVER_MEMORY (512m), PYSPARK_MEMORY (1g), PARTS/REDUCERS/SHARDS (8/8/8), LOGMILL (default
# target/release/logmill), WORK_DIR (default a new directory under /tmp; removed unless KEEP=1).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=${SPARK_VENV:-$ROOT/.venv-spark}
KEYS=${KEYS:-20000000}
MODE=${MODE:-exact}
MASTER=${MASTER:-local[2]}
DRIVER_MEMORY=${DRIVER_MEMORY:-512m}
PYSPARK_MEMORY=${PYSPARK_MEMORY:-1g}
PARTS=${PARTS:-8}
REDUCERS=${REDUCERS:-8}
SHARDS=${SHARDS:-8}
LOGMILL=${LOGMILL:-$ROOT/target/release/logmill}
say() { printf 'scale-test: %s\n' "$*"; }
die() { printf 'scale-test: FAILED: %s\n' "$*" >&2; exit 1; }
[ -x "$LOGMILL" ] || die "$LOGMILL is not built (cargo build --release, or LOGMILL=PATH)"
[ -x "$VENV/bin/python" ] || die "no $VENV (run examples/spark/test_spark.sh first)"
export SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON=$VENV/bin/python PYSPARK_DRIVER_PYTHON=$VENV/bin/python LC_ALL=C
# The JVM that plain `python` starts takes its memory from these arguments (as spark-submit's).
export PYSPARK_SUBMIT_ARGS="--driver-memory $DRIVER_MEMORY --conf spark.executor.pyspark.memory=$PYSPARK_MEMORY pyspark-shell"

WORK=${WORK_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/logmill-scale.XXXXXX")}
mkdir -p "$WORK"
if [ -z "${KEEP:-}" ]; then trap 'rm -rf "$WORK"' EXIT; else say "work directory: $WORK"; fi
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# N distinct ids (a bijection of 0..N-1, so no two collide), each on its own line, some seen
# twice (tied counts), in a scattered order.
t=$(now)
IDS=$WORK/ids.txt
awk -v n="$KEYS" 'BEGIN {
  for (i = 0; i < n; i++) {
    k = (i * 2654435761) % 4294967296
    printf "u%08x%d\n", k, i % 7
    if (i % 10 == 0) printf "u%08x%d\n", k, i % 7
  }
}' > "$IDS"
say "input: $KEYS distinct ids, $(wc -c < "$IDS") bytes, generated in $(since "$t") s"

JOB=(words)
t=$(now)
/usr/bin/time -f '%e s, peak RSS %M KiB' -o "$WORK/single.time" "$LOGMILL" "${JOB[@]}" "$IDS" > "$WORK/single.tsv"
say "single process: $(cat "$WORK/single.time") ($(wc -l < "$WORK/single.tsv") rows)"

# The driver's peak memory: its JVM's VmHWM (peak resident set), sampled every second until it
# exits, and the Python driver's own peak from its rusage.
peak_watch() {
  local driver=$1 jvm="" hwm=0 v
  while kill -0 "$driver" 2> /dev/null; do
    if [ -z "$jvm" ]; then
      jvm=$(pgrep -P "$driver" java || true)
    fi
    if [ -n "$jvm" ]; then
      v=$(awk '/^VmHWM:/ { print $2 }' "/proc/$jvm/status" 2> /dev/null || true)
      [ -n "$v" ] && [ "$v" -gt "$hwm" ] && hwm=$v && echo "$hwm" > "$WORK/jvm.hwm"
    fi
    sleep 1
  done
}
t=$(now)
rm -rf "$WORK/out"
"$VENV/bin/python" - "$WORK/py.maxrss" examples/spark/logmill_spark.py --master "$MASTER" --mode "$MODE" \
  --shards "$SHARDS" --reducers "$REDUCERS" --parts "$PARTS" --logmill "$LOGMILL" --out-dir "$WORK/out" \
  -- "${JOB[@]}" -- "$IDS" > "$WORK/driver.out" 2> "$WORK/driver.err" << 'PY' &
import resource, runpy, sys
out, script = sys.argv[1], sys.argv[2]
sys.argv = sys.argv[2:]
try:
    runpy.run_path(script, run_name="__main__")
finally:
    open(out, "w").write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))
PY
driver=$!
peak_watch "$driver" &
watcher=$!
rc=0
wait "$driver" || rc=$?
wait "$watcher" || true
took=$(since "$t")
if [ "$rc" -ne 0 ]; then
  grep -v '^\s*at ' "$WORK/driver.err" | tail -20 >&2
  die "the driver failed (exit $rc) after $took s"
fi
find "$WORK/out" -name 'part-*' | sort | xargs cat > "$WORK/parts.tsv"
cmp "$WORK/parts.tsv" "$WORK/single.tsv" || die "the concatenated parts differ from the single-process output"
say "ok: $(find "$WORK/out" -name 'part-*' | wc -l) parts, concatenated = single process ($(wc -l < "$WORK/parts.tsv") rows, $(wc -c < "$WORK/parts.tsv") bytes)"
say "Spark ($MODE, $MASTER, spark.driver.memory=$DRIVER_MEMORY, spark.executor.pyspark.memory=$PYSPARK_MEMORY): $took s in all"
grep 'timing' "$WORK/driver.err" | cut -f2- | sed 's/^/    /'
say "driver peak memory: JVM VmHWM $(( $(cat "$WORK/jvm.hwm" 2> /dev/null || echo 0) / 1024 )) MiB, Python driver maxrss $(( $(cat "$WORK/py.maxrss" 2> /dev/null || echo 0) / 1024 )) MiB"
