#!/usr/bin/env bash
# shellcheck disable=SC2016  # markdown backticks are meant literally
# "From counts to answers" benchmark of issue 16, printing markdown tables to
# $BENCH_DIR/results/<date>-answers/summary.md:
#
#   example   `logmill match PATTERN --example` against the same match without it on the
#             1 GB access log of benches/peers.sh (target <= 1.25x), for the status code
#             `" (\d{3}) ` (15 keys) and the client address `^(\S+)` (~190k keys); skipped,
#             saying so, when `logmill match --help` has no --example. Checked first: the
#             counts are the same.
#   diff      `logmill diff OLD NEW` of two partials with 10 M keys each against `logmill merge`
#             of the same two (target < 2x). The partials are made by logmill itself
#             (`logmill lines --emit partial -o`) from two generated files of 16-hex-digit ids:
#             OLD holds ids 0..10M once each, NEW ids 1M..11M, every third of them twice, so
#             the diff has 1M new, 1M gone and ~3M up keys. Checked first: the diff's and the
#             merge's row counts and change kinds match that construction.
set -euo pipefail

usage() {
    cat <<'EOF'
usage: benches/answers.sh [--quick] [--runs N] [--keys N] [--only example|diff]

  --quick    a 20 MB access log and 100k keys per partial, 2 runs: a smoke test
  --runs N   timed runs of every command (default: 5)
  --keys N   distinct keys per partial (default: 10000000)
  --only X   only the --example cases, or only diff against merge

environment: BENCH_DIR (default /tmp/bench), CORPORA (default ../shared/corpora),
             LOGMILL (a logmill binary to time instead of building target/release/logmill)
EOF
}

keys=10000000
only=
args=()
while (($#)); do
    if [[ $1 == --keys ]]; then
        [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || { echo "answers.sh: --keys wants a number" >&2; exit 2; }
        keys=$2
        shift 2
    elif [[ $1 == --only ]]; then
        [[ ${2:-} =~ ^(example|diff)$ ]] || { echo "answers.sh: --only wants example or diff" >&2; exit 2; }
        only=$2
        shift 2
    else
        args+=("$1")
        shift
    fi
done

section=answers
# shellcheck source=benches/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
lib_args ${args[@]+"${args[@]}"}
lib_setup

if ((quick)); then
    access=$bench_dir/access20m.log
    make_access 20000000 "$access"
    ((keys == 10000000)) && keys=100000
else
    access=$bench_dir/access1g.log
    make_access 1000000000 "$access"
fi

# The commands timed, then the summary's end.
wrap_up() {
    note "Commands:"
    note
    tee -a "$out/summary.md" <"$out/commands.md"
    note
    lib_done
}

# --- --example -----------------------------------------------------------------------------

note "## --example (issue 16): $(basename "$access") ($(stat -c %s "$access") bytes), $(nproc) cores"
note
if [[ $only == diff ]]; then
    note "skipped: --only diff"
    note
elif ! "$logmill" match --help | grep -q -- '--example'; then
    note "skipped: \`logmill match --help\` has no --example (not built in this logmill yet)"
    note
else
    in=$(q "$access")
    for case in status client; do
        if [[ $case == status ]]; then pattern='" (\d{3}) '; else pattern='^(\S+)'; fi
        id=example-$case
        note "### \`$pattern\`"
        c_plain="$lm match $(q "$pattern") $in"
        c_example="$lm match $(q "$pattern") --example $in"
        run $id plain "$c_plain"
        run $id example "$c_example"
        # Without its last column (FILE:LINE), --example prints what match prints, in its order.
        awk -F'\t' -v OFS='\t' '{ NF--; print }' "$(output $id example)" >"$(output $id example-cut)"
        same $id plain example-cut cat
        bench $id "$runs" 1 -- "match" "$c_plain" "match --example" "$c_example"
        table "match" $id
        verdict "\`match --example\` / \`match\` (wall)" "$(stat_of $id "match --example")" \
            "$(stat_of $id match)" "<=" 1.25
        verdict "\`match --example\` / \`match\` (CPU)" "$(stat_of $id "match --example" cpu)" \
            "$(stat_of $id match cpu)" "<=" 1.25
        note
    done
fi

# --- diff against merge --------------------------------------------------------------------

if [[ $only == example ]]; then
    note "diff against merge: skipped (--only example)"
    note
    wrap_up
    exit 0
fi
id=diff
work=$bench_dir/answers-$keys
mkdir -p "$work"
old=$work/old.txt
new=$work/new.txt
if [[ ! -f $old.done || ! -f $new.done ]]; then
    echo "making $old and $new ($keys keys each)"
    # Key i is i times an odd constant mod 2^64 (a bijection, so distinct), as 16 hex digits.
    python3 - "$old" "$new" "$keys" <<'EOF'
import sys
old, new, keys = sys.argv[1], sys.argv[2], int(sys.argv[3])
mult = 0x9E3779B97F4A7C15
mask = (1 << 64) - 1
shift = keys // 10
def key(i):
    return "%016x\n" % ((i * mult) & mask)
def write(path, ids, twice):
    with open(path, "w") as f:
        batch = []
        for i in ids:
            k = key(i)
            batch.append(k + k if twice(i) else k)
            if len(batch) >= 100000:
                f.write("".join(batch))
                batch = []
        f.write("".join(batch))
write(old, range(keys), lambda i: False)
write(new, range(shift, keys + shift), lambda i: i % 3 == 0)
EOF
    touch "$old.done" "$new.done"
fi
old_part=$work/old.part
new_part=$work/new.part
# A partial holds its input's identity (size, head and tail): remade when the input is newer.
[[ $old_part -nt $old ]] || "$logmill" lines --emit partial -o "$old_part" "$old"
[[ $new_part -nt $new ]] || "$logmill" lines --emit partial -o "$new_part" "$new"
note "## diff against merge (issue 16): two partials of \`logmill lines\` with $keys keys each" \
    "($(stat -c %s "$old_part") and $(stat -c %s "$new_part") bytes)"
note
op=$(q "$old_part")
np=$(q "$new_part")
c_merge="$lm merge $op $np"
c_diff="$lm diff $op $np"
run $id merge "$c_merge"
run $id diff "$c_diff"
shift_keys=$((keys / 10))
up=$(python3 -c 'import sys; s, k = int(sys.argv[1]), int(sys.argv[2])
print(sum(1 for i in range(s, k) if i % 3 == 0))' "$shift_keys" "$keys")
equal "merge rows (keys of either)" "$((keys + shift_keys))" "$(wc -l <"$(output $id merge)")"
equal "diff rows new, gone, up" "$shift_keys $shift_keys $up" \
    "$(awk -F'\t' '{ n[$NF]++ } END { print n["new"] + 0, n["gone"] + 0, n["up"] + 0 }' \
        "$(output $id diff)")"
# No warm-up run: the checks above just read both partials.
bench $id "$runs" 0 -- "merge" "$c_merge" "diff" "$c_diff"
table "merge" $id
verdict "\`diff\` / \`merge\` (wall)" "$(stat_of $id diff)" "$(stat_of $id merge)" "<=" 2
verdict "\`diff\` / \`merge\` (CPU)" "$(stat_of $id diff cpu)" "$(stat_of $id merge cpu)" "<=" 2
note

wrap_up
