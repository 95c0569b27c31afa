#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for SECONDS each (default 600, the issue's 10 minutes),
# one after the other, seeded from the committed regression corpus fuzz/corpus-regress/TARGET.
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# A crash leaves its input in fuzz/artifacts/TARGET/ and stops the script (exit 1): minimise it
# with `cargo +nightly fuzz tmin TARGET fuzz/artifacts/TARGET/crash-...`, fix the bug, and
# commit the minimised input to fuzz/corpus-regress/TARGET/ so it is replayed from then on.
# New interesting inputs found on the way stay in fuzz/corpus/TARGET/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs=${1:-600}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Each job is one process; RSS is capped so a memory blow-up is a finding, not a dead machine.
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "corpus-regress/$t"
  echo "=== $t: ${secs}s"
  cargo +nightly fuzz run "$t" "corpus/$t" "corpus-regress/$t" -- \
    -max_total_time="$secs" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1
done
