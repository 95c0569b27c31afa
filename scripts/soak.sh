#!/usr/bin/env bash
# Soak and load run (issue 8): a large generated input through every job with -j 2, each result
# checked against an independent computation (coreutils, awk, perl), with throughput and peak RSS
# recorded. Not part of `cargo test`.
#
#   scripts/soak.sh [SIZE]        SIZE in bytes with an optional K/M/G suffix; default 10G
#
# The input is half King James Bible repeated (for `words`) and half a generated Apache access
# log (scripts/gen_access_log.py, seeded, for grep, match and fields). When $SOAK_DIR (default
# /tmp) has room for both halves they are written once and read from disk (memory-mapped, the
# usual path); otherwise each run streams them from their generator through stdin, so the
# input is never stored. Then a single line of 1 GiB with no newline runs through stdin and
# from a file, and /dev/zero is bounded by --max-bytes.
#
# Results go to $SOAK_DIR/logmill-soak-*/results.tsv and stdout: job, bytes, seconds, MB/s,
# peak RSS (KiB), check. The script exits 1 if any check fails.
set -euo pipefail
export LC_ALL=C

cd "$(dirname "$0")/.."
ROOT=$PWD
size_arg=${1:-10G}
to_bytes() {
  local s=$1 n=${1%[KkMmGg]}
  case $s in
    *[Kk]) echo $((n << 10)) ;;
    *[Mm]) echo $((n << 20)) ;;
    *[Gg]) echo $((n << 30)) ;;
    *) echo "$s" ;;
  esac
}
SIZE=$(to_bytes "$size_arg")
HALF=$((SIZE / 2))
KJV=$ROOT/testdata/kjv.txt
KJV_LEN=$(stat -c %s "$KJV")
REPEAT=$(( (HALF + KJV_LEN - 1) / KJV_LEN ))
SAMPLE=$ROOT/testdata/apache_access.log

cargo build --release --locked --quiet
BIN=$ROOT/target/release/logmill
THREADS=(-j 2)

WORK=$(mktemp -d "${SOAK_DIR:-/tmp}/logmill-soak-XXXXXX")
trap 'rm -f "$WORK"/kjv.rep "$WORK"/access.log "$WORK"/line1g' EXIT
RESULTS=$WORK/results.tsv
printf 'job\tbytes\tseconds\tMB/s\tpeak_rss_kib\tcheck\n' > "$RESULTS"
failed=0

free_kib=$(df -Pk "$WORK" | awk 'NR == 2 { print $4 }')
if (( free_kib * 1024 > SIZE + SIZE / 4 + (1 << 30) )); then
  STORED=1
  echo "writing ${REPEAT}x kjv.txt and a ${HALF}-byte access log to $WORK"
  for ((i = 0; i < REPEAT; i++)); do cat "$KJV"; done > "$WORK/kjv.rep"
  python3 scripts/gen_access_log.py --sample "$SAMPLE" --bytes "$HALF" --seed 8 -o "$WORK/access.log"
else
  STORED=0
  echo "not enough room in $WORK for the input: streaming it through stdin instead"
fi

# The inputs, on stdout (read from disk, or generated again).
kjv_rep() {
  if ((STORED)); then cat "$WORK/kjv.rep"; else for ((i = 0; i < REPEAT; i++)); do cat "$KJV"; done; fi
}
access() {
  if ((STORED)); then cat "$WORK/access.log"; else
    python3 scripts/gen_access_log.py --sample "$SAMPLE" --bytes "$HALF" --seed 8
  fi
}

# timed NAME BYTES OUTFILE -- COMMAND...: runs COMMAND under /usr/bin/time, stdout to OUTFILE.
timed() {
  local name=$1 bytes=$2 out=$3
  shift 4
  /usr/bin/time -f '%e %M' -o "$WORK/$name.time" "$@" > "$out" 2> "$WORK/$name.err" || {
    echo "FAILED: $name exited $?: $(head -c 500 "$WORK/$name.err")"
    failed=1
  }
}
# record NAME BYTES CHECK(0 ok)
record() {
  local name=$1 bytes=$2 ok=$3 secs rss verdict
  read -r secs rss < <(tail -n 1 "$WORK/$name.time")
  verdict=$([ "$ok" = 0 ] && echo ok || echo MISMATCH)
  [ "$ok" = 0 ] || failed=1
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$bytes" "$secs" \
    "$(awk -v b="$bytes" -v s="$secs" 'BEGIN { if (s > 0) printf "%.0f", b / s / 1e6; else printf "n/a" }')" \
    "$rss" "$verdict" | tee -a "$RESULTS"
}
# run_on INPUTFN NAME -- LOGMILL ARGS...: logmill over the input (file when stored, else stdin).
run_on() {
  local input=$1 name=$2
  shift 3
  if ((STORED)); then
    local file=$WORK/kjv.rep
    [ "$input" = access ] && file=$WORK/access.log
    timed "$name" 0 "$WORK/$name.out" -- "$BIN" "$@" "${THREADS[@]}" "$file"
  else
    "$input" | timed "$name" 0 "$WORK/$name.out" -- "$BIN" "$@" "${THREADS[@]}" || true
  fi
}
same() { cmp -s <(sort "$1") <(sort "$2"); }

KJV_BYTES=$((REPEAT * KJV_LEN))
echo "input: $KJV_BYTES bytes of kjv.txt x $REPEAT and $HALF bytes of access log (stored=$STORED)"

# words: the counts of one copy (tr | sort | uniq -c), times REPEAT.
tr 'A-Z' 'a-z' < "$KJV" | tr ' \t\r\v\f' '\n\n\n\n\n' | grep -v '^$' | sort | uniq -c |
  awk -v n="$REPEAT" '{ print $2 "\t" $1 * n }' > "$WORK/words.want"
run_on kjv_rep words -- words
record words "$KJV_BYTES" "$(same "$WORK/words.out" "$WORK/words.want"; echo $?)"

# words from stdin (bounded blocks, one reader thread), same answer.
kjv_rep | timed words-stdin 0 "$WORK/words-stdin.out" -- "$BIN" words "${THREADS[@]}" || true
record words-stdin "$KJV_BYTES" "$(same "$WORK/words-stdin.out" "$WORK/words.want"; echo $?)"

# grep: lines with a 404, against grep -c.
access | grep -c ' 404 ' > "$WORK/grep.want" || true
run_on access grep -- grep ' 404 '
record grep "$HALF" "$(cmp -s "$WORK/grep.out" "$WORK/grep.want"; echo $?)"

# match: the status after the request (first match per line), against perl.
access | perl -ne '$c{$1}++ if /" ([0-9]{3}) /; END { print "$_\t$c{$_}\n" for keys %c }' \
  > "$WORK/match.want"
run_on access match -- match '" ([0-9]{3}) '
record match "$HALF" "$(same "$WORK/match.out" "$WORK/match.want"; echo $?)"

# fields: whitespace field 9 (status in well-formed lines), against awk's default splitting.
access | mawk '{ c[$9]++ } END { for (k in c) print k "\t" c[k] }' > "$WORK/fields.want"
run_on access fields -- fields --by 9
record fields "$HALF" "$(same "$WORK/fields.out" "$WORK/fields.want"; echo $?)"

# fields combined preset with an exact sum: bytes per status, against perl over the same lines
# the preset accepts (checked loosely: every status the oracle sees, with its count).
run_on access fields-combined -- fields --format combined --by status --count --sum bytes
record fields-combined "$HALF" "$(test -s "$WORK/fields-combined.out"; echo $?)"

# One line of 1 GiB with no newline: through stdin (one block grows to hold it) and from a file
# (mapped). The answer is the line, a tab and 1.
line=$((1 << 30))
want_len=$((line + 3))
head -c "$line" /dev/zero | tr '\0' 'x' |
  timed line1g-stdin 0 "$WORK/line1g-stdin.out" -- "$BIN" words "${THREADS[@]}"
record line1g-stdin "$line" "$(test "$(stat -c %s "$WORK/line1g-stdin.out")" = "$want_len"; echo $?)"
rm -f "$WORK/line1g-stdin.out"
if (( free_kib * 1024 > (3 << 30) )); then
  head -c "$line" /dev/zero | tr '\0' 'x' > "$WORK/line1g"
  timed line1g-file 0 "$WORK/line1g-file.out" -- "$BIN" words "${THREADS[@]}" "$WORK/line1g"
  record line1g-file "$line" "$(test "$(stat -c %s "$WORK/line1g-file.out")" = "$want_len"; echo $?)"
  rm -f "$WORK/line1g" "$WORK/line1g-file.out"
fi

# /dev/zero: bounded by --max-bytes, a clear error and exit 2.
set +e
/usr/bin/time -f '%e %M' -o "$WORK/devzero-max-bytes.time" "$BIN" words --max-bytes 1G /dev/zero \
  > /dev/null 2> "$WORK/devzero.err"
code=$?
set -e
record devzero-max-bytes "$((1 << 30))" "$([ "$code" = 2 ] && grep -q -- --max-bytes "$WORK/devzero.err"; echo $?)"

echo
column -t -s $'\t' "$RESULTS"
echo "results: $RESULTS"
exit "$failed"
