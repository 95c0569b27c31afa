//! Coverage: partials record what they count (the run's inputs, the byte ranges read, the key
//! partition), so `merge` refuses double counting, `merge --complete` names what is missing as
//! a retry list, and `logmill coverage` shows it — checked against an independent computation
//! of the shards' byte ranges and against single runs.

use std::path::Path;

use crate::util::{log_block, refused, require_tools, run_logmill, sh, shell_quote, Dir};

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// stdout of a run that must succeed.
#[track_caller]
fn ok(dir: &Dir, args: &[&str]) -> Vec<u8> {
    let out = dir.command().args(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Two logs of different sizes, in `dir`.
fn two_logs(dir: &Dir) -> (String, String) {
    let a: Vec<u8> = (0..6).flat_map(log_block).collect();
    let b: Vec<u8> = log_block(99)[..20_000].to_vec();
    dir.create("a.log", &a);
    dir.create("b.log", &b);
    ("a.log".into(), "b.log".into())
}

/// Shard `i` of `n` over `sizes` laid end to end, as the docs define it, computed here from the
/// files' bytes: `(file index, from, to)` of every non-empty piece.
fn shard_pieces(files: &[Vec<u8>], i: u64, n: u64) -> Vec<(usize, u64, u64)> {
    let total: u64 = files.iter().map(|f| f.len() as u64).sum();
    let cut = |k: u64| total * k / n;
    let line_start = |data: &[u8], pos: u64| -> u64 {
        if pos == 0 {
            return 0;
        }
        match data[pos as usize - 1..].iter().position(|&b| b == b'\n') {
            Some(k) => pos + k as u64,
            None => data.len() as u64,
        }
    };
    let mut out = Vec::new();
    let mut offset = 0;
    for (k, f) in files.iter().enumerate() {
        let size = f.len() as u64;
        let local = |g: u64| g.saturating_sub(offset).min(size);
        let (a, b) = (
            line_start(f, local(cut(i))),
            line_start(f, local(cut(i + 1))),
        );
        if a < b {
            out.push((k, a, b));
        }
        offset += size;
    }
    out
}

fn write_shards(dir: &Dir, n: u64, files: &[&str]) {
    for i in 0..n {
        let out = format!("part-{i}.partial");
        let shard = format!("{i}/{n}");
        let mut args = vec!["words", "--shard", &shard, "--emit", "partial", "-o", &out];
        args.extend_from_slice(files);
        ok(dir, &args);
    }
}

#[test]
fn merging_a_partial_with_itself_is_refused() {
    let dir = Dir::new("coverage_self_merge");
    let log = dir.create("a.log", "x y\nx\n");
    let p = dir.path("a.partial");
    ok(
        &dir,
        &["words", "--emit", "partial", "-o", &s(&p), &s(&log)],
    );
    let text = String::from_utf8(dir.read("a.partial")).unwrap();
    assert!(
        text.lines().nth(1).unwrap().starts_with("#coverage\t{"),
        "{text}"
    );
    let err = refused(&["merge", &s(&p), &s(&p)], None, "twice");
    assert!(
        err.contains(&format!(
            "{0} and {0} both count bytes 0..6 of {1}",
            s(&p),
            s(&log)
        )),
        "{err}"
    );
    // Through a merged partial too: the week refuses a day it already holds.
    let week = dir.path("week.partial");
    ok(
        &dir,
        &["merge", "--emit", "partial", "-o", &s(&week), &s(&p)],
    );
    refused(&["merge", &s(&week), &s(&p)], None, "both count bytes 0..6");
    // Those who mean it.
    let (out, code, err) = run_logmill(&["merge", "--allow-overlap", &s(&p), &s(&p)], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, b"x\t4\ny\t2\n");
}

#[test]
fn a_missing_shard_is_named_with_its_bytes() {
    let dir = Dir::new("coverage_missing_shard");
    let (a, b) = two_logs(&dir);
    let bytes = [dir.read(&a), dir.read(&b)];
    write_shards(&dir, 4, &[&a, &b]);
    // Every shard: complete, and the same bytes as one run.
    let all: Vec<String> = (0..4).map(|i| format!("part-{i}.partial")).collect();
    let mut args = vec!["merge", "--complete"];
    args.extend(all.iter().map(String::as_str));
    assert_eq!(ok(&dir, &args), ok(&dir, &["words", &a, &b]));
    // Without shard 2: the retry list names it, with the bytes computed independently.
    std::fs::remove_file(dir.path("part-2.partial")).unwrap();
    let out = dir
        .command()
        .args(["merge", "--complete", &all[0], &all[1], &all[3]])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    let expected: Vec<String> = shard_pieces(&bytes, 2, 4)
        .into_iter()
        .map(|(k, x, y)| format!("missing: shard 2/4 of {} (bytes {x}..{y})", [&a, &b][k]))
        .collect();
    assert!(!expected.is_empty());
    let listed: Vec<&str> = err.lines().filter(|l| l.starts_with("missing:")).collect();
    assert_eq!(listed, expected, "{err}");
    assert!(err.lines().last().unwrap().contains("--complete"), "{err}");
    // Without --complete the merge is allowed (a partial result on purpose).
    ok(&dir, &["merge", &all[0], &all[1], &all[3]]);
    // `logmill coverage` shows the same list, exit 1; with every shard, exit 0.
    let out = dir
        .command()
        .args(["coverage", &all[0], &all[1], &all[3]])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in &expected {
        assert!(text.contains(line.as_str()), "{text}");
    }
    assert!(text.contains("in 4 shards"), "{text}");
}

#[test]
fn a_lost_shard_that_alone_held_a_file_is_missed() {
    let dir = Dir::new("coverage_lost_file");
    let (a, b) = two_logs(&dir);
    // b.log is small and last: of 8 shards, shard 7 alone reads it (and the end of a.log).
    write_shards(&dir, 8, &[&a, &b]);
    let kept: Vec<String> = (0..7).map(|i| format!("part-{i}.partial")).collect();
    let mut args = vec!["merge", "--complete"];
    args.extend(kept.iter().map(String::as_str));
    let out = dir.command().args(&args).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!("missing: shard 7/8 of {b} (bytes 0..20000)")),
        "{err}"
    );
}

#[test]
fn daily_state_partials_are_complete_and_the_state_refuses_a_day_it_holds() {
    let dir = Dir::new("coverage_state");
    let log = dir.create("app.log", "a b\nc\n");
    let day = |n: usize| {
        let p = format!("day{n}.partial");
        ok(
            &dir,
            &[
                "words",
                "--state",
                "st",
                "--since-last",
                "--emit",
                "partial",
                "-o",
                &p,
                "app.log",
            ],
        );
        p
    };
    let d1 = day(1);
    std::fs::write(&log, "a b\nc\nd a\n").unwrap();
    let d2 = day(2);
    let merged = ok(&dir, &["merge", "--complete", &d1, &d2]);
    assert_eq!(merged, ok(&dir, &["words", "app.log"]));
    // The state file holds the total: merging a day into it again is double counting.
    refused(
        &["merge", &s(&dir.path("st")), &s(&dir.path(&d2))],
        None,
        "bytes 6..10",
    );
    let text = String::from_utf8(ok(&dir, &["coverage", "st"])).unwrap();
    assert!(text.contains("app.log: 10 bytes; counted: 0..10"), "{text}");
    // Only day 2: bytes 0..6 are missing.
    let out = dir
        .command()
        .args(["merge", "--complete", &d2])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("missing: app.log (bytes 0..6)"), "{err}");
}

#[test]
fn partials_without_coverage_warn_and_fail_complete() {
    let dir = Dir::new("coverage_old");
    dir.create("a.log", "x y\n");
    ok(
        &dir,
        &["words", "--emit", "partial", "-o", "new.partial", "a.log"],
    );
    // As an older logmill wrote it: version 1, no coverage, no end marker.
    let text = String::from_utf8(dir.read("new.partial")).unwrap();
    let old: String = text
        .lines()
        .filter(|l| !l.starts_with("#coverage") && !l.starts_with("#logmill-end"))
        .map(|l| l.replacen("#logmill-partial\t2\t", "#logmill-partial\t1\t", 1) + "\n")
        .collect();
    dir.create("old.partial", old);
    let out = dir
        .command()
        .args(["merge", "old.partial"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot be checked for double counting"),
        "{err}"
    );
    let out = dir
        .command()
        .args(["merge", "--complete", "old.partial"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("--complete: old.partial does not record"),
        "{err}"
    );
    // A bad coverage line is one clear error.
    let bad = text.replacen("#coverage\t{", "#coverage\t{oops", 1);
    dir.create("bad.partial", bad);
    refused(
        &["merge", &s(&dir.path("bad.partial"))],
        None,
        "bad #coverage line",
    );
}

#[test]
fn xargs_shards_with_one_killed_are_retried_from_the_missing_list() {
    if !require_tools(&["xargs", "sh", "sed", "sort"]) {
        return;
    }
    let dir = Dir::new("coverage_xargs_kill");
    // Big enough that a shard is still mapping when it is killed (one thread, small chunks).
    let block: Vec<u8> = (0..8).flat_map(log_block).collect();
    let big: Vec<u8> = block.repeat(32);
    dir.create("a.log", &big);
    dir.create("b.log", &big[..big.len() / 3]);
    let bin = shell_quote(env!("CARGO_BIN_EXE_logmill"));
    // The README recipe's shard command; shard 2 is killed (SIGKILL) mid-run the first time.
    let script = format!(
        r#"cd {root}
cat > shard.sh <<'EOF'
i=$1
run() {{ exec {bin} words -j 1 --chunk-size 16K --shard "$i/4" --emit partial -o "part-$i.partial" a.log b.log; }}
if [ "$i" = 2 ] && [ ! -e killed ]; then
  run & pid=$!
  # Once its output file is open (the run has started), kill it.
  until ls .part-2.partial.logmill-* >/dev/null 2>&1; do sleep 0.01; done
  sleep 0.02; kill -KILL "$pid"; wait "$pid"; echo $? > killed
  exit 1
fi
run
EOF
# (a SIGKILLed run leaves its temporary file, a hidden name no glob below matches)
seq 0 3 | xargs -P 4 -I{{}} sh shard.sh {{}} || echo "xargs: $?" >&2
cat killed
echo $(ls part-*.partial)
if {bin} merge --complete part-*.partial > total.tsv 2> missing.txt; then echo complete; fi
sed -n 's|^missing: shard \([0-9]*\)/4 .*|\1|p' missing.txt | sort -u > retry.txt
echo $(cat retry.txt)
xargs -P 4 -I{{}} sh shard.sh {{}} < retry.txt
{bin} merge --complete part-*.partial > total.tsv
{bin} words a.log b.log > single.tsv
cmp total.tsv single.tsv && echo same
"#,
        root = shell_quote(dir.root())
    );
    let out = String::from_utf8(sh(&script)).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "137", "shard 2 was killed by SIGKILL: {out}");
    assert_eq!(
        lines[1].trim(),
        "part-0.partial part-1.partial part-3.partial",
        "{out}"
    );
    assert_eq!(
        lines[2].trim(),
        "2",
        "the retry list names shard 2 only: {out}"
    );
    assert_eq!(lines[3], "same", "{out}");
    let missing = String::from_utf8(dir.read("missing.txt")).unwrap();
    assert!(
        missing.contains("missing: shard 2/4 of a.log (bytes "),
        "{missing}"
    );
}

/// The Spark driver's exact mode without Spark: shards' partials, their lines shuffled by key to
/// reducers (`#coverage` lines all to one, by their common key), `reduce --emit partial` each,
/// and the gathered lines under the job's header merged with `--complete`: the single run's
/// bytes; a shard lost, or a shard's lines shuffled twice (a retried task counted twice), fail.
#[test]
fn coverage_passes_through_reducers_to_a_complete_merge() {
    let dir = Dir::new("coverage_reducers");
    let (a, b) = two_logs(&dir);
    write_shards(&dir, 3, &[&a, &b]);
    let header = {
        let p = String::from_utf8(dir.read("part-0.partial")).unwrap();
        p.lines().next().unwrap().to_string()
    };
    let reducers = 2usize;
    // The stages as the driver runs them; `shards` lists the shard partials fed in.
    let final_input = |shards: &[usize]| -> Result<Vec<u8>, String> {
        let mut buckets = vec![Vec::new(); reducers];
        for &i in shards {
            let text = dir.read(format!("part-{i}.partial"));
            for line in text.split_inclusive(|&c| c == b'\n').skip(1) {
                if line.starts_with(b"#logmill-end\t") {
                    continue;
                }
                let key = line.split(|&c| c == b'\t').next().unwrap();
                let r = key.iter().map(|&c| c as usize).sum::<usize>() % reducers;
                buckets[r].extend_from_slice(line);
            }
        }
        let mut body = Vec::new();
        for bucket in buckets {
            let out = dir
                .command()
                .args(["--emit", "partial", "reduce", "words"])
                .write_stdin(bucket)
                .output()
                .unwrap();
            if out.status.code() != Some(0) {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned());
            }
            body.extend_from_slice(&out.stdout);
        }
        // The driver's end marker: rows and CRC-32 of the body.
        let rows = body
            .split_inclusive(|&c| c == b'\n')
            .filter(|l| !l.starts_with(b"#"))
            .count();
        let crc = crc32(&body);
        let mut data = format!("{header}\n").into_bytes();
        data.extend_from_slice(&body);
        data.extend_from_slice(format!("#logmill-end\t{rows}\t{crc:08x}\n").as_bytes());
        Ok(data)
    };
    let merge = |data: Vec<u8>| {
        dir.command()
            .args(["merge", "--complete"])
            .write_stdin(data)
            .output()
            .unwrap()
    };
    let whole = merge(final_input(&[0, 1, 2]).unwrap());
    assert_eq!(
        whole.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&whole.stderr)
    );
    assert_eq!(whole.stdout, ok(&dir, &["words", &a, &b]));
    // A lost shard: the retry list.
    let lost = merge(final_input(&[0, 2]).unwrap());
    assert_eq!(lost.status.code(), Some(2));
    let err = String::from_utf8(lost.stderr).unwrap();
    assert!(err.contains("missing: shard 1/3 of a.log (bytes "), "{err}");
    // A shard counted twice: the reducer holding the coverage lines refuses.
    let err = final_input(&[0, 1, 1, 2]).unwrap_err();
    assert!(err.contains("both count bytes"), "{err}");
}

/// CRC-32 (IEEE), bit by bit: independent of logmill's table.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// `--partition P/R` keeps the keys of one partition (CRC-32 of the escaped key mod R, checked
/// here with an independent CRC) and says so in the coverage: partitions of one partial do not
/// overlap, all of them merge `--complete` into the whole, and a missing one is named.
#[test]
fn key_partitions_split_and_merge_back_whole() {
    let dir = Dir::new("coverage_partitions");
    let (a, _) = two_logs(&dir);
    ok(
        &dir,
        &["words", "--emit", "partial", "-o", "all.partial", &a],
    );
    let mut keys_seen = 0;
    for p in 0..3 {
        let part = format!("p{p}.partial");
        let which = format!("{p}/3");
        ok(
            &dir,
            &[
                "merge",
                "--partition",
                &which,
                "--emit",
                "partial",
                "-o",
                &part,
                "all.partial",
            ],
        );
        let text = dir.read(&part);
        for line in text
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty() && l[0] != b'#')
        {
            let key = line.split(|&c| c == b'\t').next().unwrap();
            assert_eq!(
                u64::from(crc32(key)) % 3,
                p,
                "{}",
                String::from_utf8_lossy(line)
            );
            keys_seen += 1;
        }
        assert!(String::from_utf8_lossy(&text).contains(&format!("\"keys\":[{p},3]")));
    }
    let single = ok(&dir, &["words", &a]);
    assert_eq!(
        keys_seen,
        single
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .count()
    );
    assert_eq!(
        ok(
            &dir,
            &[
                "merge",
                "--complete",
                "p0.partial",
                "p1.partial",
                "p2.partial"
            ]
        ),
        single
    );
    let out = dir
        .command()
        .args(["merge", "--complete", "p0.partial", "p2.partial"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!("missing: {a} (bytes 0.."))
            && err.contains("keys with hash mod 3 in {1})"),
        "{err}"
    );
    refused(
        &[
            "merge",
            &s(&dir.path("p1.partial")),
            &s(&dir.path("p1.partial")),
        ],
        None,
        "both count bytes",
    );
    refused(
        &[
            "merge",
            &s(&dir.path("p1.partial")),
            &s(&dir.path("all.partial")),
        ],
        None,
        "both count bytes",
    );
    refused(
        &["words", "--partition", "1/3", &s(&dir.path(&a))],
        None,
        "--partition",
    );
}
