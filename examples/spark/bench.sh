#!/usr/bin/env bash
# Wall times of one job (match --sum on access logs) four ways: a single logmill process, the
# Spark driver on local[2], on a standalone cluster of this machine (a master and two one-core
# workers), and on that cluster with one executor killed (SIGKILL) a few seconds into the job.
# Every Spark result is checked byte for byte against the single process. Not in CI.
#
#   bash examples/spark/bench.sh                 # 8 MB and 200 MB inputs
#   SIZES="8" KILL_AFTER=3 bash examples/spark/bench.sh
#
# The 8 MB log is generated from testdata/apache_access.log (scripts/gen_access_log.py), the
# 200 MB one is that sample repeated. LOGMILL (default target/release/logmill), SPARK_VENV
# (default .venv-spark, made by test_spark.sh), KEEP=1 keeps the work directory.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=${SPARK_VENV:-$ROOT/.venv-spark}
LOGMILL=${LOGMILL:-$ROOT/target/release/logmill}
SIZES=${SIZES:-8 200}
KILL_AFTER=${KILL_AFTER:-5}
say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAILED: %s\n' "$*" >&2; exit 1; }
[ -x "$LOGMILL" ] || die "$LOGMILL is not built (LOGMILL=PATH)"
LOGMILL=$(cd "$(dirname "$LOGMILL")" && pwd)/$(basename "$LOGMILL")
[ -x "$VENV/bin/python" ] || die "no $VENV (run examples/spark/test_spark.sh first)"
SPARK_HOME=$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON=$VENV/bin/python PYSPARK_DRIVER_PYTHON=$VENV/bin/python
export SPARK_NO_DAEMONIZE=1 SPARK_LOG_DIR LC_ALL=C
WORK=$(mktemp -d "${TMPDIR:-/tmp}/logmill-bench.XXXXXX")
SPARK_LOG_DIR=$WORK/logs
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else say "work directory: $WORK"; fi
}
trap cleanup EXIT
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
JOB=(match '" ([0-9]{3}) ([0-9]+|-)' --sum 2)

# The cluster, once for every run.
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MASTER=spark://127.0.0.1:$PORT
"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$PORT" \
  --webui-port 0 > "$WORK/master.log" 2>&1 &
pids+=($!)
for w in 1 2; do
  mkdir -p "$WORK/worker$w"
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker "$MASTER" --host 127.0.0.1 \
    --cores 1 --memory 1g --work-dir "$WORK/worker$w" --webui-port 0 > "$WORK/worker$w.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 240); do
  [ "$(grep -c 'Registering worker' "$WORK/master.log" || true)" -ge 2 ] && break
  sleep 0.5
done
[ "$(grep -c 'Registering worker' "$WORK/master.log" || true)" -ge 2 ] || die "the workers did not register"

# spark NAME INPUT MASTER [kill]: one driver run (JVM start included), checked; prints seconds.
spark() {
  local name=$1 input=$2 master=$3 kill=${4:-} t killer=""
  t=$(now)
  if [ -n "$kill" ]; then
    (
      # This cluster's executors only: their working directories are in its workers'.
      ours() {
        for p in $(pgrep -f CoarseGrainedExecutorBackend || true); do
          readlink "/proc/$p/cwd" 2> /dev/null | grep -q "^$WORK/worker" && echo "$p"
        done
      }
      for _ in $(seq 1 600); do [ -n "$(ours)" ] && break; sleep 0.2; done
      sleep "$KILL_AFTER"
      p=$(ours | head -1)
      [ -n "$p" ] && kill -KILL "$p" && echo "$p" > "$WORK/$name.killed"
    ) &
    killer=$!
  fi
  "$VENV/bin/python" examples/spark/logmill_spark.py --master "$master" --mode exact --shards 8 \
    --reducers 2 --logmill "$LOGMILL" --out "$WORK/$name.tsv" -- "${JOB[@]}" -- "$input" \
    > /dev/null 2> "$WORK/$name.err" || { tail -5 "$WORK/$name.err" >&2; die "$name failed"; }
  local took
  took=$(since "$t")
  [ -n "$killer" ] && wait "$killer"
  cmp -s "$WORK/$name.tsv" "$WORK/single.$input_mb.tsv" || die "$name: the result differs from the single process"
  if [ -n "$kill" ] && [ ! -s "$WORK/$name.killed" ]; then took="$took (no executor killed: the job ended first)"; fi
  echo "$took"
}

printf '| input | single process | local[2] | standalone (2 workers) | standalone, 1 executor killed |\n'
printf '| --- | --- | --- | --- | --- |\n'
for input_mb in $SIZES; do
  input=$WORK/access-$input_mb.log
  if [ "$input_mb" -le 16 ]; then
    "$VENV/bin/python" scripts/gen_access_log.py --sample testdata/apache_access.log \
      --bytes $((input_mb * 1000000)) --seed 6 -o "$input"
  else
    while [ "$(stat -c %s "$input" 2> /dev/null || echo 0)" -lt $((input_mb * 1000000)) ]; do
      cat testdata/apache_access.log >> "$input"
    done
  fi
  t=$(now)
  "$LOGMILL" "${JOB[@]}" "$input" > "$WORK/single.$input_mb.tsv" 2> /dev/null
  single=$(since "$t")
  local2=$(spark "local-$input_mb" "$input" 'local[2]')
  cluster=$(spark "cluster-$input_mb" "$input" "$MASTER")
  killed=$(spark "killed-$input_mb" "$input" "$MASTER" kill)
  printf '| %s MB | %s s | %s s | %s s | %s s |\n' "$input_mb" "$single" "$local2" "$cluster" "$killed"
  rm -f "$input"
done
