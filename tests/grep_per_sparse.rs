//! `grep PATTERN --per` dates only the lines (records) that match: the counts are those of
//! dating every line (`--strict` takes that path, and passes when every line has a
//! timestamp), byte for byte, for any `-j` and `--chunk-size`, with `-c`, `-v`, `--by-file`,
//! `--record-start`; and a non-matching line without a timestamp is not a bad record.

use std::collections::BTreeMap;

use proptest::prelude::*;

use crate::util::{run_logmill, Dir};

fn ok(args: &[&str]) -> (Vec<u8>, String) {
    let (out, code, err) = run_logmill(args, None);
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {err}");
    (out, err)
}

const WORDS: [&str; 4] = ["foo", "bar", "food", "baz"];

/// A log line dated at `minute` minutes into 2026-03-01 (any order), with words.
fn line(minute: u16, words: &[u8]) -> String {
    let (h, m) = ((minute / 60) % 24, minute % 60);
    let words: Vec<&str> = words.iter().map(|&w| WORDS[w as usize % 4]).collect();
    format!("2026-03-01 {h:02}:{m:02}:07 {}\n", words.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10, ..ProptestConfig::default() })]

    #[test]
    fn grep_per_counts_equal_dating_every_line(
        lines in proptest::collection::vec(
            (0u16..600, proptest::collection::vec(any::<u8>(), 0..4), any::<bool>()),
            1..300,
        ),
        split in any::<prop::sample::Index>(),
        j in 1usize..4,
        chunk in 1usize..400,
    ) {
        // Some records carry continuation lines (without a timestamp, maybe matching).
        let mut texts = Vec::new();
        for (minute, words, cont) in &lines {
            let mut t = line(*minute, words);
            if *cont {
                t.push_str(&format!("  at {}\n", WORDS[*minute as usize % 4]));
            }
            texts.push(t);
        }
        let at = split.index(texts.len());
        let dir = Dir::new("grep-per-sparse");
        let a = dir.create("a.log", texts[..at].concat());
        let b = dir.create("b.log", texts[at..].concat());
        let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
        let (j, chunk) = (j.to_string(), chunk.to_string());
        let records = ["--record-start", r"^\d{4}-"];
        for opts in [
            &["-c", "foo"][..],
            &["-F", "foo"],
            &["-w", "foo"],
            &["-v", "foo"],
            &["-e", "ba[rz]", "-e", "^2026-03-01 0[0-3]"],
            &["--by-file", "food"],
            &[records[0], records[1], "foo"],
            &[records[0], records[1], "--by-file", "-w", "foo"],
            &[records[0], records[1], "-v", "bar"],
        ] {
            let mut args = vec!["-j", &j, "--chunk-size", &chunk, "grep"];
            args.extend_from_slice(opts);
            args.extend(["--per", "1h", "--tz", "UTC", a, b]);
            let with_records = opts.contains(&"--record-start");
            let (sparse, err) = ok(&args);
            let mut every = args.clone();
            every.push("--strict");
            let (out, code, every_err) = run_logmill(&every, None);
            if with_records || !texts.iter().any(|t| t.contains("  at ")) {
                // Every unit has a timestamp: --strict passes, dating every line.
                prop_assert!(code == 0 || code == 1, "{every:?}: {every_err}");
                prop_assert_eq!(&sparse, &out, "{:?}", opts);
            }
            if opts == ["-c", "foo"] {
                // Independent: matching dated lines per hour.
                let mut want: BTreeMap<String, u64> = BTreeMap::new();
                let mut untimed = 0;
                for l in texts.concat().lines().filter(|l| l.contains("foo")) {
                    match l.strip_prefix("2026-03-01 ") {
                        Some(rest) => {
                            let key = format!("2026-03-01T{}:00:00+00:00", &rest[..2]);
                            *want.entry(key).or_default() += 1;
                        }
                        None => untimed += 1,
                    }
                }
                let got: BTreeMap<String, u64> = String::from_utf8_lossy(&sparse)
                    .lines()
                    .map(|l| {
                        let (t, n) = l.split_once('\t').unwrap();
                        (t.to_string(), n.parse().unwrap())
                    })
                    .filter(|(_, n)| *n > 0)
                    .collect();
                prop_assert_eq!(got, want);
                // Only matching lines are dated: the matching continuation lines are the
                // lines without a timestamp.
                let warned = err
                    .lines()
                    .find(|l| l.contains("without a timestamp"))
                    .map_or(0, |l| {
                        let w = l.split("warning: ").nth(1).unwrap();
                        w.split(' ').next().unwrap().parse::<u64>().unwrap()
                    });
                prop_assert_eq!(warned, untimed);
            }
        }
    }
}

#[test]
fn a_non_matching_line_without_a_timestamp_is_not_a_bad_record() {
    let dir = Dir::new("grep-per-sparse-bad");
    let log = dir.create(
        "a.log",
        "2026-03-01 10:00:01 foo\nno time here\nno time foo\n2026-03-01 11:00:01 foo\n",
    );
    let log = log.to_str().unwrap();
    let base = ["grep", "--per", "1h", "--tz", "UTC"];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        args.push(log);
        run_logmill(&args, None)
    };
    let (out, code, err) = run(&["foo"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        String::from_utf8_lossy(&out),
        "2026-03-01T10:00:00+00:00\t1\n2026-03-01T11:00:00+00:00\t1\n"
    );
    assert!(
        err.contains("warning: 1 record without a timestamp"),
        "{err}"
    );
    // Inverted, every line counts, so every line is dated.
    let (_, _, err) = run(&["-v", "foo"]);
    assert!(
        err.contains("warning: 2 records without a timestamp"),
        "{err}"
    );
    // --strict stops at the first bad record: the first matching line without a timestamp
    // (line 3), not the non-matching one before it.
    let (_, code, err) = run(&["--strict", "foo"]);
    assert_eq!(code, 2);
    assert!(err.contains(":3: no timestamp"), "{err}");
    // --rejects lists the same records as the warning counts, with their line numbers.
    let rejects = dir.path("rejects.txt");
    let (_, code, err) = run(&["--rejects", rejects.to_str().unwrap(), "foo"]);
    assert_eq!(code, 0, "{err}");
    let listed = std::fs::read_to_string(&rejects).unwrap();
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(
        listed.contains(":3:") && listed.contains("no time foo"),
        "{listed}"
    );
}
