#!/usr/bin/env bash
# Integration test of logmill on Spark (both ways of examples/spark/logmill_spark.py) and under
# mrjob's local runner (examples/mrjob/logmill_mr.py): every result is compared byte for byte
# (cmp) with the single-machine `logmill JOB ...` run on the same input in this same test run,
# and the Spark results once with independent tools (coreutils for words, gawk for match).
#
#   bash examples/spark/test_spark.sh            # from anywhere; CI=true in CI
#
# It installs what it needs: a venv (.venv-spark, or $SPARK_VENV) with pyspark 4.3.0 and mrjob
# 0.7.4 from PyPI (about a minute cold), Java 17 from Debian if `java` is missing (CI only).
# LOGMILL=PATH uses that binary instead of building target/release/logmill (CI passes the debug
# binary that `cargo test` already built, to save the release build's minutes). KEEP=1 keeps the
# work directory. All Spark cases run in one driver process (one SparkContext): start-up once.
# Ends with "spark+mrjob: N checks passed, N failed" and exits 1 if any failed or Spark could
# not start.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VENV=${SPARK_VENV:-$ROOT/.venv-spark}
CI=${CI:-}
T0=$SECONDS

say() { printf 'spark-test: %s\n' "$*"; }
die() {
  printf 'spark-test: FAILED: %s\n' "$*" >&2
  printf 'spark+mrjob: %d checks passed, %d failed\n' "${passed:-0}" "$((${failed:-0} + 1))"
  exit 1
}
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/logmill-spark.XXXXXX")
if [ -n "${KEEP:-}" ]; then say "work directory: $WORK"; else trap 'rm -rf "$WORK"' EXIT; fi

passed=0
failed=0
pass() { passed=$((passed + 1)); say "ok   $*"; }
fail() { failed=$((failed + 1)); say "FAIL $*"; }
# same NAME GOT EXPECTED: byte-for-byte comparison.
same() {
  if cmp -s "$2" "$3"; then
    pass "$1 ($(wc -l < "$2") lines, $(wc -c < "$2") bytes)"
  else
    fail "$1: $2 differs from $3"
    diff "$2" "$3" | head -10 | cat -A | sed 's/^/    /' || true
  fi
}

# --- Python and the venv -------------------------------------------------------------------
PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for cand in python3.11 python3; do
    if command -v "$cand" >/dev/null 2>&1; then PY=$cand; break; fi
  done
fi
[ -n "$PY" ] || die "no python3 found"
pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
  3.9 | 3.10 | 3.11 | 3.12) ;;
  *) die "Python $pyver: mrjob 0.7.4 needs Python <= 3.12 (set PYTHON=python3.11)" ;;
esac
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV with $PY ($pyver)"
  "$PY" -m venv "$VENV"
fi
want='pyspark==4.3.0 mrjob==0.7.4'
[ "$pyver" = 3.12 ] && want="$want setuptools"
if ! "$VENV/bin/python" -c 'import pyspark, mrjob, sys; sys.exit(pyspark.__version__ != "4.3.0")' 2>/dev/null; then
  t=$(now)
  say "installing $want into $VENV (pyspark is a ~450 MB download when the pip cache is cold)"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check $want || die "pip install $want failed"
  say "installed in $(since "$t") s"
fi

# --- Java ------------------------------------------------------------------------------------
if ! command -v java >/dev/null 2>&1; then
  if [ "$CI" = true ]; then
    say "installing openjdk-17-jre-headless"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless >/dev/null || die "could not install Java 17"
  else
    die "java not found: Spark 4 needs Java 17 or 21 (apt-get install openjdk-17-jre-headless)"
  fi
fi
jver=$(java -version 2>&1 | awk -F'"' '/version/ { split($2, v, "."); print v[1]; exit }')
case "$jver" in
  17 | 21) say "java $jver" ;;
  *) die "java $jver: Spark 4 needs Java 17 or 21" ;;
esac

# --- logmill -----------------------------------------------------------------------------------
if [ -n "${LOGMILL:-}" ]; then
  LOGMILL=$(cd "$(dirname "$LOGMILL")" && pwd)/$(basename "$LOGMILL")
else
  cargo build --release --locked --quiet
  LOGMILL=$ROOT/target/release/logmill
fi
[ -x "$LOGMILL" ] || die "$LOGMILL is not an executable"
say "logmill: $LOGMILL ($("$LOGMILL" --version))"
export LC_ALL=C

# --- inputs ------------------------------------------------------------------------------------
# An 8 MB access log generated from the real sample (deterministic: same bytes for the same seed).
ACCESS=$WORK/access.log
"$PY" scripts/gen_access_log.py --sample testdata/apache_access.log --bytes 8000000 --seed 6 -o "$ACCESS"
SMALL=$ROOT/testdata/apache_access.log # a second input file, so jobs span several files
KJV=$ROOT/testdata/kjv.txt             # real corpus with one invalid UTF-8 byte
# What Spark's textFile hands to the map stage: kjv decoded as UTF-8, invalid bytes -> U+FFFD.
KJV_LOSSY=$WORK/kjv-lossy.txt
"$PY" -c 'import sys; sys.stdout.buffer.write(open(sys.argv[1], "rb").read().decode("utf-8", "replace").encode("utf-8"))' "$KJV" > "$KJV_LOSSY"
"$PY" -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$KJV_LOSSY" || die "kjv-lossy.txt is not UTF-8"
say "inputs: access.log $(wc -c < "$ACCESS") B, kjv.txt $(wc -c < "$KJV") B, kjv-lossy.txt $(wc -c < "$KJV_LOSSY") B"

# Many distinct keys (--out-dir, --partial-out-dir, reducers' --top): 200k generated ids, one a
# line, seen 1 to 5 times (tied counts), in random order; and a few keys of bytes that are not
# UTF-8 or need escaping in partials (exact mode only: textFile would change them).
IDS=$WORK/ids.log
ODD=$WORK/odd-ids.log
"$PY" - "$IDS" "$ODD" <<'PY'
import random, sys
r = random.Random(17)
lines = []
for i in range(200000):
    key = b"u%08x" % ((i * 2654435761) % (1 << 32))
    lines += [key] * r.choice((1, 1, 1, 1, 2, 3, 5))
r.shuffle(lines)
open(sys.argv[1], "wb").write(b"\n".join(lines) + b"\n")
odd = [b"caf\xe9", b"back\\slash", b"\xff\xfe", b"#hash", b"caf\xe9"]
open(sys.argv[2], "wb").write(b"\n".join(odd * 3) + b"\n")
PY
IDJOB=(words)
"$LOGMILL" "${IDJOB[@]}" "$IDS" "$ODD" > "$WORK/ids.single.tsv"
"$LOGMILL" "${IDJOB[@]}" --sort key --output-format csv "$IDS" "$ODD" > "$WORK/ids.single.csv"
"$LOGMILL" "${IDJOB[@]}" --output-format jsonl "$IDS" > "$WORK/ids-clean.single.jsonl"
"$LOGMILL" "${IDJOB[@]}" --top 25 "$IDS" "$ODD" > "$WORK/ids.single.top.tsv"
say "ids: $(wc -c < "$IDS") B, $(wc -l < "$WORK/ids.single.tsv") distinct keys"

STATUS_RE='" ([0-9]{3}) ([0-9]+|-)'
MATCH=(match "$STATUS_RE" --sum 2)
FIELDS=(fields --format combined --by status --count --sum bytes --mean bytes --pct bytes:50,99 --approx-distinct ip)
# Time: counts per hour in a zone with a half-hour offset, taken from the driver's TZ (stage
# processes have an empty environment: the driver passes --tz and --now); syslog without years.
PER_TZ=Asia/Kolkata
PER=(grep -c GET --per 1h)
SYSLOG=$ROOT/testdata/loghub/Linux_2k.log
PER_SYSLOG=(fields --format syslog --by program --per 1d)

# --- single-machine references (the expected bytes), timed ---------------------------------
t=$(now)
"$LOGMILL" "${MATCH[@]}" "$ACCESS" "$SMALL" > "$WORK/access.single.tsv" 2> "$WORK/access.single.err"
access_single=$(since "$t")
"$LOGMILL" --emit partial "${MATCH[@]}" "$ACCESS" "$SMALL" > "$WORK/access.single.partial" 2>/dev/null
"$LOGMILL" "${FIELDS[@]}" "$ACCESS" "$SMALL" > "$WORK/fields.single.tsv" 2>/dev/null
"$LOGMILL" --emit partial "${FIELDS[@]}" "$ACCESS" "$SMALL" > "$WORK/fields.single.partial" 2>/dev/null
t=$(now)
"$LOGMILL" words "$KJV" > "$WORK/kjv.single.tsv"
kjv_single=$(since "$t")
"$LOGMILL" --emit partial words "$KJV" > "$WORK/kjv.single.partial"
"$LOGMILL" words "$KJV_LOSSY" > "$WORK/kjv-lossy.single.tsv"
TZ=$PER_TZ "$LOGMILL" "${PER[@]}" "$ACCESS" "$SMALL" > "$WORK/per.single.tsv"
TZ=$PER_TZ "$LOGMILL" "${PER_SYSLOG[@]}" "$SYSLOG" > "$WORK/per-syslog.single.tsv" 2>/dev/null
grep -q '^#meta' "$WORK/access.single.partial" || die "the access-log partial has no #meta line (the test needs rejected records)"
grep -q '^#meta' "$WORK/fields.single.partial" || die "the fields partial has no #meta line (the test needs a bad record)"

# --- Spark: every case in one driver process ---------------------------------------------
q() { printf '%q ' "$@"; }
BATCH=$WORK/batch.txt
{
  echo "--name access-streaming --mode streaming --shards 3 --reducers 2 --logmill $(q "$LOGMILL") --out $WORK/access.a.tsv --partial-out $WORK/access.a.partial -- $(q "${MATCH[@]}") -- $(q "$ACCESS" "$SMALL")"
  echo "--name access-streaming-jvm --mode streaming --map-pipe jvm --shards 3 --reducers 3 --logmill $(q "$LOGMILL") --out $WORK/access.aj.tsv -- $(q "${MATCH[@]}") -- $(q "$ACCESS" "$SMALL")"
  echo "--name access-exact --mode exact --shards 4 --reducers 2 --logmill $(q "$LOGMILL") --out $WORK/access.b.tsv --partial-out $WORK/access.b.partial -- $(q "${MATCH[@]}") -- $(q "$ACCESS" "$SMALL")"
  echo "--name fields-exact --mode exact --shards 3 --reducers 2 --logmill $(q "$LOGMILL") --out $WORK/fields.b.tsv --partial-out $WORK/fields.b.partial -- $(q "${FIELDS[@]}") -- $(q "$ACCESS" "$SMALL")"
  echo "--name fields-streaming --mode streaming --shards 3 --reducers 2 --logmill $(q "$LOGMILL") --out $WORK/fields.a.tsv -- $(q "${FIELDS[@]}") -- $(q "$ACCESS" "$SMALL")"
  echo "--name kjv-exact --mode exact --shards 4 --reducers 3 --logmill $(q "$LOGMILL") --out $WORK/kjv.b.tsv --partial-out $WORK/kjv.b.partial -- words -- $(q "$KJV")"
  echo "--name kjv-streaming --mode streaming --shards 2 --reducers 2 --logmill $(q "$LOGMILL") --out $WORK/kjv.a.tsv -- words -- $(q "$KJV")"
  echo "--name kjv-lossy-streaming --mode streaming --shards 2 --reducers 2 --logmill $(q "$LOGMILL") --out $WORK/kjv-lossy.a.tsv -- words -- $(q "$KJV_LOSSY")"
  echo "--name per-exact --mode exact --shards 3 --reducers 2 --logmill $(q "$LOGMILL") --out $WORK/per.b.tsv -- $(q "${PER[@]}") -- $(q "$ACCESS" "$SMALL")"
  echo "--name per-syslog-exact --mode exact --shards 3 --reducers 2 --logmill $(q "$LOGMILL") --out $WORK/per-syslog.b.tsv -- $(q "${PER_SYSLOG[@]}") -- $(q "$SYSLOG")"
  echo "--name ids-out-dir-exact --mode exact --shards 3 --reducers 3 --parts 4 --logmill $(q "$LOGMILL") --out-dir $WORK/ids.od -- $(q "${IDJOB[@]}") -- $(q "$IDS" "$ODD")"
  echo "--name ids-out-dir-csv-key --mode exact --shards 2 --reducers 2 --parts 3 --logmill $(q "$LOGMILL") --out-dir $WORK/ids.odcsv -- $(q "${IDJOB[@]}") --sort key --output-format csv -- $(q "$IDS" "$ODD")"
  echo "--name ids-out-dir-streaming --mode streaming --shards 2 --reducers 2 --parts 3 --logmill $(q "$LOGMILL") --out-dir $WORK/ids.odjsonl -- $(q "${IDJOB[@]}") --output-format jsonl -- $(q "$IDS")"
  echo "--name ids-partial-out-dir --mode exact --shards 3 --reducers 3 --logmill $(q "$LOGMILL") --partial-out-dir $WORK/ids.pod -- $(q "${IDJOB[@]}") -- $(q "$IDS" "$ODD")"
  echo "--name ids-top --mode exact --shards 3 --reducers 4 --logmill $(q "$LOGMILL") --out $WORK/ids.top.tsv -- $(q "${IDJOB[@]}") --top 25 -- $(q "$IDS" "$ODD")"
} > "$BATCH"

export SPARK_LOCAL_IP=127.0.0.1
export PYSPARK_PYTHON=$VENV/bin/python
export PYSPARK_DRIVER_PYTHON=$VENV/bin/python
say "running $(wc -l < "$BATCH") Spark jobs in one SparkContext (local[2])"
t=$(now)
if ! TZ=$PER_TZ PATH=$VENV/bin:$PATH "$VENV/bin/python" examples/spark/logmill_spark.py --batch "$BATCH" \
  > "$WORK/spark.out" 2> "$WORK/spark.err"; then
  grep -v '^\s*at \|^WARNING\|WARN ' "$WORK/spark.err" | tail -20 | sed 's/^/    /' >&2
  die "the Spark driver failed (see above): Spark could not start, or a job failed"
fi
spark_total=$(since "$t")
grep -q 'timing	spark-start' "$WORK/spark.err" || die "Spark did not report starting"

# A partial's data: what it counts, without its provenance (`#coverage`: a sharded run's
# differs from a single run's, and streaming's map lines carry none) and the end marker that
# sums it all.
data_of() { grep -v -e '^#coverage	' -e '^#logmill-end	' "$1" > "$1.data" || true; }
same_partial() {
  data_of "$2"; data_of "$3"
  same "$1" "$2.data" "$3.data"
}
# The exact mode's partial covers every byte of its inputs once (its final merge ran with
# --complete; `logmill coverage` checks it again from the file).
covered() {
  if "$LOGMILL" coverage "$2" > "$2.coverage" && grep -q '^complete:' "$2.coverage" && grep -q 'shards' "$2.coverage"; then
    pass "$1"
  else
    fail "$1: $(cat "$2.coverage")"
  fi
}

# (b) byte-exact: identical to the single-machine run, also on kjv's invalid byte, partials too.
same "exact:     match --sum, access logs  = single machine" "$WORK/access.b.tsv" "$WORK/access.single.tsv"
same_partial "exact:     the partial (header, #meta, keys) = single machine" "$WORK/access.b.partial" "$WORK/access.single.partial"
covered "exact:     the partial covers every shard of every input once" "$WORK/access.b.partial"
same "exact:     fields (sum, mean, pct, approx-distinct) = single machine" "$WORK/fields.b.tsv" "$WORK/fields.single.tsv"
same_partial "exact:     fields partial = single machine" "$WORK/fields.b.partial" "$WORK/fields.single.partial"
same "exact:     words, kjv.txt (invalid UTF-8) = single machine" "$WORK/kjv.b.tsv" "$WORK/kjv.single.tsv"
same_partial "exact:     words, kjv.txt partial = single machine" "$WORK/kjv.b.partial" "$WORK/kjv.single.partial"
same "exact:     grep -c --per 1h in the driver's TZ = single machine" "$WORK/per.b.tsv" "$WORK/per.single.tsv"
same "exact:     fields --per 1d on syslog (years from the file) = single machine" "$WORK/per-syslog.b.tsv" "$WORK/per-syslog.single.tsv"
# (a) streaming: identical on clean UTF-8 input.
same "streaming: match --sum, access logs  = single machine" "$WORK/access.a.tsv" "$WORK/access.single.tsv"
same_partial "streaming: the partial (header, #meta, keys) = single machine" "$WORK/access.a.partial" "$WORK/access.single.partial"
same "streaming: fields = single machine" "$WORK/fields.a.tsv" "$WORK/fields.single.tsv"
same "streaming: JVM-side map pipe = single machine" "$WORK/access.aj.tsv" "$WORK/access.single.tsv"
same "streaming: words, kjv-lossy.txt (clean UTF-8) = single machine" "$WORK/kjv-lossy.a.tsv" "$WORK/kjv-lossy.single.tsv"
# ... and on kjv.txt it is the single-machine result of the lossily decoded text: the only
# difference from the real single-machine run is in keys that held invalid bytes.
same "streaming: words, kjv.txt = single machine on kjv decoded as Spark does" "$WORK/kjv.a.tsv" "$WORK/kjv-lossy.single.tsv"
diff "$WORK/kjv.single.tsv" "$WORK/kjv.a.tsv" > "$WORK/kjv.a.diff" || true
say "streaming on kjv.txt vs single machine (cat -A; M-^W is the byte 0x97, M-oM-?M-= is U+FFFD):"
cat -A "$WORK/kjv.a.diff" | sed 's/^/    /'
changed=$(grep -c '^[<>]' "$WORK/kjv.a.diff" || true)
if grep '^<' "$WORK/kjv.a.diff" | LC_ALL=C grep -qv $'\x97' || [ "$changed" -eq 0 ]; then
  fail "streaming on kjv.txt: the rows that differ are not (only) the ones with the invalid byte"
else
  pass "streaming on kjv.txt differs only in rows whose key held the invalid byte ($changed diff lines)"
fi

# --out-dir: the parts, concatenated in part order, are the single-process output byte for byte;
# every part holds a slice (sampled boundaries), csv's header is in the first part only.
parts_of() { # DIR -> the part files in part order, checked: a _SUCCESS marker, 2+ parts
  local d=$1 n
  [ -e "$d/_SUCCESS" ] || { echo "no _SUCCESS in $d" >&2; return 1; }
  n=$(find "$d" -name 'part-*' | wc -l)
  [ "$n" -ge 2 ] || { echo "$n part(s) in $d" >&2; return 1; }
  find "$d" -name 'part-*' | sort
}
same_parts() { # NAME DIR EXPECTED
  local files
  if files=$(parts_of "$2"); then
    # shellcheck disable=SC2086
    cat $files > "$2.all"
    same "$1 ($(echo "$files" | wc -l) parts: $(for f in $files; do printf '%s ' "$(wc -l < "$f")"; done)lines)" "$2.all" "$3"
  else
    fail "$1: no parts"
  fi
}
same_parts "out-dir:   exact, 200k ids, count order (tsv)" "$WORK/ids.od" "$WORK/ids.single.tsv"
same_parts "out-dir:   exact, key order, csv (header in part 0 only)" "$WORK/ids.odcsv" "$WORK/ids.single.csv"
same_parts "out-dir:   streaming, jsonl" "$WORK/ids.odjsonl" "$WORK/ids-clean.single.jsonl"
# --partial-out-dir: partial parts that `merge --complete` takes as they are; one part missing
# is named (its key partition).
if pod=$(parts_of "$WORK/ids.pod"); then
  # shellcheck disable=SC2086
  "$LOGMILL" merge --complete $pod > "$WORK/ids.pod.tsv" 2> "$WORK/ids.pod.err" || true
  same "partial-out-dir: merge --complete of the parts = single machine" "$WORK/ids.pod.tsv" "$WORK/ids.single.tsv"
  # shellcheck disable=SC2086
  if ! "$LOGMILL" merge --complete $(echo "$pod" | tail -n +2) > /dev/null 2> "$WORK/ids.pod-1.err" \
    && grep -q '^missing: .*keys with hash mod 3 in {0}' "$WORK/ids.pod-1.err"; then
    pass "partial-out-dir: merge --complete without part 0 fails and names its keys"
  else
    fail "partial-out-dir: merge --complete without part 0: $(head -3 "$WORK/ids.pod-1.err")"
  fi
else
  fail "partial-out-dir: no parts"
fi
# Each reducer keeps its own top N: the driver gathers at most reducers x N rows.
same "top:       --top 25, each of 4 reducers keeps 25 = single machine" "$WORK/ids.top.tsv" "$WORK/ids.single.top.tsv"
gathered=$(sed -n 's/.*timing\tids-top\t.* lines=\([0-9]*\).*/\1/p' "$WORK/spark.err")
# Besides the rows: the #coverage line, and each reducer's #meta line (records read).
if [ -n "$gathered" ] && [ "$gathered" -le $((4 * 25 + 1 + 4)) ]; then
  pass "top:       the driver gathered $gathered lines (at most 4 x 25 rows + #coverage + 4 #meta)"
else
  fail "top:       the driver gathered ${gathered:-?} lines, more than 4 x 25 rows"
fi

# Independent tools, once: coreutils for words, gawk for match (first match per line; '-' left out).
tr 'A-Z' 'a-z' < "$KJV" | tr -s ' \t\n\v\f\r' '\n' | sed '/^$/d' | sort | uniq -c \
  | awk '{ c = $1; sub(/^ *[0-9]+ /, ""); print $0 "\t" c }' | sort > "$WORK/kjv.coreutils.tsv"
sort "$WORK/kjv.b.tsv" > "$WORK/kjv.b.sorted.tsv"
same "exact:     words, kjv.txt = tr | sort | uniq -c" "$WORK/kjv.b.sorted.tsv" "$WORK/kjv.coreutils.tsv"
if command -v gawk >/dev/null 2>&1; then
  gawk 'match($0, /" ([0-9]{3}) ([0-9]+|-)/, m) { if (m[2] == "-") next; n[m[1]]++; s[m[1]] += m[2] }
        END { for (k in n) printf "%s\t%d\t%d\n", k, n[k], s[k] }' "$ACCESS" "$SMALL" | sort > "$WORK/access.gawk.tsv"
  sort "$WORK/access.b.tsv" > "$WORK/access.b.sorted.tsv"
  same "exact:     match --sum, access logs = gawk" "$WORK/access.b.sorted.tsv" "$WORK/access.gawk.tsv"
elif [ "$CI" = true ]; then
  fail "gawk is missing (needed in CI)"
else
  say "skip gawk comparison (gawk not installed)"
fi

# Streaming mode refuses --per (binary bucket keys cannot pass RDD.pipe's UTF-8 text).
if "$VENV/bin/python" examples/spark/logmill_spark.py --mode streaming --logmill "$LOGMILL" -- "${PER[@]}" -- "$SMALL" \
  > /dev/null 2> "$WORK/per.refused.err"; then
  fail "streaming: --per was not refused"
elif grep -q -- '--per cannot run in streaming mode' "$WORK/per.refused.err"; then
  pass "streaming: --per is refused with one line"
else
  fail "streaming: --per refused for another reason: $(cat "$WORK/per.refused.err")"
fi

# --- mrjob (Hadoop Streaming's contract, local runner) -----------------------------------
mr() { # NAME JOB-ARGS-STRING INPUT... -> $WORK/NAME.mr.lines, timed into mr_NAME
  local name=$1 job=$2
  shift 2
  local t
  t=$(now)
  if ! "$VENV/bin/python" examples/mrjob/logmill_mr.py -r local --no-conf --cmdenv LOGMILL_THREADS=1 --cmdenv LC_ALL=C \
    --logmill "$LOGMILL" --job "$job" "$@" > "$WORK/$name.mr.lines" 2> "$WORK/$name.mr.err"; then
    tail -5 "$WORK/$name.mr.err" | sed 's/^/    /'
    fail "mrjob $name: the job failed"
    return
  fi
  printf -v "mr_$name" '%s' "$(since "$t")"
}
mr access "$(q "${MATCH[@]}")" "$ACCESS" "$SMALL"
"$LOGMILL" reduce "${MATCH[@]}" < "$WORK/access.mr.lines" > "$WORK/access.mr.tsv" 2>/dev/null
same "mrjob:     match --sum, access logs = single machine" "$WORK/access.mr.tsv" "$WORK/access.single.tsv"
mr kjv words "$KJV"
"$LOGMILL" reduce words < "$WORK/kjv.mr.lines" > "$WORK/kjv.mr.tsv"
same "mrjob:     words, kjv.txt (invalid UTF-8) = single machine" "$WORK/kjv.mr.tsv" "$WORK/kjv.single.tsv"

# --- figures ---------------------------------------------------------------------------------
say "wall times (s): single machine: access ${access_single}, kjv ${kjv_single}; mrjob -r local: access ${mr_access:-?}, kjv ${mr_kjv:-?}"
say "Spark driver process ${spark_total} s in all; inside it (s):"
grep 'timing' "$WORK/spark.err" | cut -f2- | sed 's/^/    /'
say "took $((SECONDS - T0)) s"
printf 'spark+mrjob: %d checks passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
