#!/usr/bin/env bash
# logmill's exact mode on a Spark standalone cluster on this machine, with failures: a master and
# two workers (separate processes, started with the `spark-class` that the pyspark package
# ships), a job submitted to spark://127.0.0.1:PORT, and two faults injected through a
# `--logmill` wrapper:
#   - shard 1/4 fails on its first attempt (exit 3): Spark retries the task;
#   - shard 2/4, on its first attempt, writes its pid and waits; the test walks up from that pid
#     to the executor JVM running it (CoarseGrainedExecutorBackend, whose working directory is
#     in this test's worker directories) and kills it with SIGKILL: Spark reruns its tasks on
#     the other worker (the master starts a new executor in its place).
# The result must equal the single-process run byte for byte, and its partial must be complete
# (the driver's final merge runs with --complete).
#
#   bash examples/spark/test_standalone.sh      # after test_spark.sh made .venv-spark
#
# LOGMILL=PATH: the binary (default target/release/logmill, built if missing). KEEP=1 keeps the
# work directory. In CI (after test_spark.sh, sharing its venv): anything missing fails the test.
# Ends with "standalone: N checks passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
T0=$SECONDS
VENV=${SPARK_VENV:-$ROOT/.venv-spark}
LOGMILL=${LOGMILL:-$ROOT/target/release/logmill}
[ -x "$LOGMILL" ] || cargo build --release --quiet
LOGMILL=$(cd "$(dirname "$LOGMILL")" && pwd)/$(basename "$LOGMILL")
passed=0
failed=0
say() { printf 'standalone-test: %s\n' "$*"; }
pass() { passed=$((passed + 1)); say "ok   $*"; }
fail() { failed=$((failed + 1)); say "FAIL $*"; }
die() {
  printf 'standalone-test: FAILED: %s\n' "$*" >&2
  printf 'standalone: %d checks passed, %d failed\n' "$passed" "$((failed + 1))"
  exit 1
}
[ -x "$VENV/bin/python" ] || die "no $VENV (run examples/spark/test_spark.sh first)"
SPARK_HOME=$("$VENV/bin/python" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))') \
  || die "pyspark is not installed in $VENV"
command -v java > /dev/null || die "java not found (Spark 4 needs Java 17 or 21)"
export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 PYSPARK_PYTHON=$VENV/bin/python PYSPARK_DRIVER_PYTHON=$VENV/bin/python
export SPARK_NO_DAEMONIZE=1 SPARK_LOG_DIR LC_ALL=C

WORK=$(mktemp -d "${TMPDIR:-/tmp}/logmill-standalone.XXXXXX")
SPARK_LOG_DIR=$WORK/logs
pids=()
cleanup() {
  # Only the processes this test started (the master and workers; a worker stops its
  # executors when it goes).
  for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
  wait 2> /dev/null || true
  if [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else say "work directory: $WORK"; fi
}
trap cleanup EXIT

# A free port for the master (another run may hold 7077).
PORT=$("$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
MASTER=spark://127.0.0.1:$PORT

# Input: 2 MB generated from the repository's real access-log sample.
"$VENV/bin/python" scripts/gen_access_log.py --sample testdata/apache_access.log --bytes 2000000 --seed 9 -o "$WORK/access.log"
JOB=(match '" ([0-9]{3}) ([0-9]+|-)' --sum 2)

# The cluster: one master, two workers of one core each (web UIs on random ports).
"$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$PORT" \
  --webui-port 0 > "$WORK/master.log" 2>&1 &
pids+=($!)
for w in 1 2; do
  mkdir -p "$WORK/worker$w"
  "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker "$MASTER" \
    --host 127.0.0.1 --cores 1 --memory 1g --work-dir "$WORK/worker$w" --webui-port 0 \
    > "$WORK/worker$w.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 240); do
  [ "$(grep -c 'Registering worker' "$WORK/master.log" || true)" -ge 2 ] && break
  sleep 0.5
done
[ "$(grep -c 'Registering worker' "$WORK/master.log" || true)" -ge 2 ] \
  || { tail -5 "$WORK/master.log" "$WORK"/worker*.log >&2; die "the workers did not register (see above)"; }
say "master $MASTER and 2 workers up after $((SECONDS - T0)) s"

# The --logmill wrapper: once per shard (a marker directory per I/N; both workers share this
# machine's file system), shard 1/4 fails and shard 2/4 waits to be killed with its executor.
# The driver's own header and final calls have no --shard and go straight to the real binary.
mkdir -p "$WORK/once"
cat > "$WORK/flaky-logmill" << EOF
#!/bin/sh
for a in "\$@"; do
  case "\$prev" in --shard) shard=\$a ;; esac
  prev=\$a
done
if [ -n "\${shard:-}" ] && mkdir "$WORK/once/\$(printf '%s' "\$shard" | tr / _)" 2>/dev/null; then
  case "\$shard" in
    1/4) echo "flaky-logmill: failing shard \$shard once" >&2; exit 3 ;;
    2/4) echo \$\$ > "$WORK/hold.tmp" && mv "$WORK/hold.tmp" "$WORK/hold"
         # Killed with its executor (or given up after 120 s: the test then fails).
         i=0; while [ \$i -lt 600 ] && kill -0 \$PPID 2>/dev/null; do sleep 0.2; i=\$((i + 1)); done; exit 3 ;;
  esac
fi
exec "$LOGMILL" "\$@"
EOF
chmod +x "$WORK/flaky-logmill"

"$LOGMILL" "${JOB[@]}" "$WORK/access.log" > "$WORK/single.tsv" 2> /dev/null
# The killer: waits for the held shard, walks up from its pid to the executor JVM (an ancestor
# whose command line names CoarseGrainedExecutorBackend and whose working directory is inside
# this test's workers), and kills that pid.
(
  for _ in $(seq 1 1200); do
    [ -s "$WORK/hold" ] && break
    sleep 0.1
  done
  pid=$(cat "$WORK/hold" 2> /dev/null || true)
  while [ -n "$pid" ] && [ "$pid" -gt 1 ]; do
    if tr '\0' ' ' < "/proc/$pid/cmdline" 2> /dev/null | grep -q CoarseGrainedExecutorBackend \
      && readlink "/proc/$pid/cwd" | grep -q "^$WORK/worker"; then
      cwd=$(readlink "/proc/$pid/cwd")
      kill -KILL "$pid" && echo "$pid $cwd" > "$WORK/killed"
      exit 0
    fi
    pid=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2> /dev/null || true)
  done
  echo "no executor found above the held shard" > "$WORK/killer.err"
) &
killer=$!
t0=$(date +%s.%N)
if "$VENV/bin/python" examples/spark/logmill_spark.py --master "$MASTER" \
  --mode exact --shards 4 --reducers 2 --logmill "$WORK/flaky-logmill" \
  --out "$WORK/cluster.tsv" --partial-out "$WORK/cluster.partial" \
  -- "${JOB[@]}" -- "$WORK/access.log" > "$WORK/driver.out" 2> "$WORK/driver.err"; then
  pass "the job finished despite a failed stage and a killed executor"
else
  grep -v '^\s*at ' "$WORK/driver.err" | tail -20 >&2
  fail "the driver failed (see above)"
fi
took=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
wait "$killer" || true
if [ -s "$WORK/killed" ]; then
  pass "killed executor $(cut -d' ' -f1 "$WORK/killed") (in ${WORK##*/}/$(cut -d' ' -f2 "$WORK/killed" | sed "s|^$WORK/||"))"
else
  fail "no executor was killed: $(cat "$WORK/killer.err" 2> /dev/null || echo "the shard was never held")"
fi
[ -d "$WORK/once/1_4" ] && pass "shard 1/4 failed once (exit 3) and was retried" || fail "shard 1/4 never ran"
if cmp -s "$WORK/cluster.tsv" "$WORK/single.tsv"; then
  pass "the cluster's result = single process ($(wc -l < "$WORK/single.tsv") lines)"
else
  fail "the cluster's result differs from the single process run"
fi
if "$LOGMILL" coverage "$WORK/cluster.partial" 2> /dev/null | grep -q '^complete:'; then
  pass "the cluster's partial covers every byte once"
else
  fail "the cluster's partial is not complete"
fi
say "job ${took} s on the cluster; $((SECONDS - T0)) s in all"
printf 'standalone: %d checks passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
