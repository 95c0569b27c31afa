#!/usr/bin/env bash
# logmill's exact mode on a Spark standalone cluster on this machine, with failures: a master and
# two workers (separate processes, started with the `spark-class` that the pyspark package
# ships), a job submitted to spark://127.0.0.1:7077, one executor killed (SIGKILL, by pid) while
# the job runs, and a `--logmill` wrapper whose shard and reduce stages fail once per task (exit
# 3). Spark reruns the lost and failed tasks; the result must equal the single-process run byte
# for byte, and its partial must be complete (the driver's final merge runs with --complete).
#
#   bash examples/spark/test_standalone.sh      # after test_spark.sh made .venv-spark
#
# LOGMILL=PATH: the binary (default target/release/logmill, built if missing). KEEP=1 keeps the
# work directory. Not part of CI (a cluster start takes a minute on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=${SPARK_VENV:-$ROOT/.venv-spark}
LOGMILL=${LOGMILL:-$ROOT/target/release/logmill}
[ -x "$LOGMILL" ] || cargo build --release --quiet
say() { printf 'standalone-test: %s\n' "$*"; }
die() { printf 'standalone-test: FAILED: %s\n' "$*" >&2; exit 1; }
[ -x "$VENV/bin/python" ] || die "no $VENV (run examples/spark/test_spark.sh first)"
SPARK_HOME=$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON=$VENV/bin/python PYSPARK_DRIVER_PYTHON=$VENV/bin/python
export SPARK_NO_DAEMONIZE=1 SPARK_LOG_DIR

WORK=$(mktemp -d "${TMPDIR:-/tmp}/logmill-standalone.XXXXXX")
SPARK_LOG_DIR=$WORK/logs
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else say "work directory: $WORK"; fi
}
trap cleanup EXIT

# Input: the 8 MB access log of test_spark.sh's kind (the repository's sample, repeated).
for _ in $(seq 1 4); do cat testdata/apache_access.log; done > "$WORK/access.log"
JOB=(match '" ([0-9]{3}) ' )

# The cluster: one master, two workers of one core each.
"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port 7077 \
  --webui-port 18080 > "$WORK/master.log" 2>&1 &
pids+=($!)
for w in 1 2; do
  mkdir -p "$WORK/worker$w"
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker spark://127.0.0.1:7077 \
    --host 127.0.0.1 --cores 1 --memory 1g --work-dir "$WORK/worker$w" --webui-port $((18080 + w)) \
    > "$WORK/worker$w.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 120); do
  [ "$(grep -c 'Registering worker' "$WORK/master.log" || true)" -ge 2 ] && break
  sleep 1
done
[ "$(grep -c 'Registering worker' "$WORK/master.log" || true)" -ge 2 ] || die "the workers did not register (see $WORK/master.log)"
say "master and 2 workers up"

# A --logmill whose shard stage fails on its first attempt (exit 3), once per shard (a marker
# directory per I/N; both workers share this machine's /tmp). The driver's own header and final
# calls have no --shard and go straight to the real binary.
mkdir -p "$WORK/once"
cat > "$WORK/flaky-logmill" <<EOF
#!/bin/sh
for a in "\$@"; do
  case "\$prev" in --shard) shard=\$a ;; esac
  prev=\$a
done
if [ -n "\${shard:-}" ] && mkdir "$WORK/once/\$(printf '%s' "\$shard" | tr / _)" 2>/dev/null; then
  echo "flaky-logmill: failing shard \$shard once" >&2
  exit 3
fi
exec "$LOGMILL" "\$@"
EOF
chmod +x "$WORK/flaky-logmill"

"$LOGMILL" "${JOB[@]}" "$WORK/access.log" > "$WORK/single.tsv"
t0=$(date +%s.%N)
# Kill one executor once tasks run (its pid from ps: CoarseGrainedExecutorBackend).
(
  for _ in $(seq 1 600); do
    pid=$(pgrep -f CoarseGrainedExecutorBackend | head -1 || true)
    if [ -n "$pid" ] && ls "$WORK"/once/* >/dev/null 2>&1; then
      sleep 1
      kill -KILL "$pid" && echo "killed executor $pid" > "$WORK/killed"
      exit 0
    fi
    sleep 0.2
  done
) &
killer=$!
"$VENV/bin/python" examples/spark/logmill_spark.py --master spark://127.0.0.1:7077 \
  --mode exact --shards 8 --reducers 2 --logmill "$WORK/flaky-logmill" \
  --out "$WORK/cluster.tsv" --partial-out "$WORK/cluster.partial" \
  -- "${JOB[@]}" -- "$WORK/access.log" > "$WORK/driver.out" 2> "$WORK/driver.err" \
  || { tail -20 "$WORK/driver.err" >&2; die "the driver failed"; }
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
wait "$killer" || true
[ -s "$WORK/killed" ] && say "$(cat "$WORK/killed")" || say "note: no executor was killed (the job ended first)"
say "shards failed once: $(ls "$WORK/once" | wc -l)"
cmp "$WORK/cluster.tsv" "$WORK/single.tsv" || die "the cluster's result differs from the single run"
"$LOGMILL" coverage "$WORK/cluster.partial" | grep -q '^complete:' || die "the cluster's partial is not complete"
say "ok: byte-identical to the single run, partial complete; job took $took s"
