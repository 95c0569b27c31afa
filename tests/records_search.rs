//! `grep --records` searches the whole chunk first and cuts records only around its matches
//! (issue 15's speed). What it prints must not change: the records it counts, `-v`,
//! `--by-file`, `--example-text` and `--per` give the bytes of the record-by-record search
//! (forced here by a pattern ending in `(?:\z)?`, which matches what the pattern matches but
//! whose `\z` the chunk-wide search cannot serve) for any `-j` and `--chunk-size` from 1 byte
//! up, on random logs of log lines, stack traces, tracebacks, blank and CRLF lines under the
//! java and python presets and `--record-start`.

use proptest::prelude::*;

use crate::util::{run_logmill, Dir};

/// Lines (and a few fragments without a line end) that start or continue records under the
/// java and python presets and `^\d{4}-`.
const PIECES: &[&str] = &[
    "2024-01-01 00:00:01 INFO ok Exception\n",
    "2024-01-01 00:10:02 WARN plain\n",
    "2024-01-01 01:00:03 ERROR failed\n",
    "2024-01-01 02:30:04 SEVERE boom\n",
    "java.lang.IllegalStateException: boom\n",
    "\tat com.x.Exception.m(C.java:1)\n",
    "\tat com.x.C.m(C.java:2)\n",
    "Caused by: java.io.IOException: y\n",
    "\t... 3 more\n",
    "Traceback (most recent call last):\n",
    "  File \"x.py\", line 1, in <module>\n",
    "ValueError: Exception here\n",
    "\n",
    "no time Exception\r\n",
    "x Exception",
    "y",
];

const PATTERNS: &[&str] = &[
    "Exception",
    r"Exception\n\s+at",
    r"^\s+at",
    r"y$",
    "Caused",
    r"[^\n]*\n\tat",
    r"\bat\b",
    r"(?s)boom.*more",
    r"\n\n",
    // Matches of the chunk that run into the next record.
    r"Exception\n",
    r"(?s)Exception.+INFO",
];

const RULES: &[&[&str]] = &[
    &["--records", "java"],
    &["--records", "python"],
    &["--record-start", r"^\d{4}-"],
];

const FLAGS: &[&[&str]] = &[
    &[],
    &["-v"],
    &["--by-file"],
    &["--example-text"],
    &["--per", "1h", "--tz", "UTC"],
];

const CHUNKS: &[&str] = &["1", "2", "5", "17", "64", "300", "1M"];

fn grep(
    rule: &[&str],
    pattern: &str,
    flags: &[&str],
    split: (&str, &str),
    files: &[&str],
) -> (Vec<u8>, i32) {
    let mut args = vec!["grep"];
    args.extend_from_slice(rule);
    args.push(pattern);
    args.extend_from_slice(flags);
    args.extend(["-j", split.0, "--chunk-size", split.1]);
    args.extend_from_slice(files);
    let (out, code, err) = run_logmill(&args, None);
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {err}");
    (out, code)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn records_found_from_the_chunks_matches_are_the_record_by_record_ones(
        first in proptest::collection::vec(proptest::sample::select(PIECES), 0..40),
        second in proptest::collection::vec(proptest::sample::select(PIECES), 0..12),
        rule in proptest::sample::select(RULES),
        pattern in proptest::sample::select(PATTERNS),
        flags in proptest::sample::select(FLAGS),
        splits in proptest::collection::vec(
            (proptest::sample::select(&["1", "2", "3"][..]), proptest::sample::select(CHUNKS)),
            3),
    ) {
        let dir = Dir::new("records-search");
        let a = dir.create("a.log", first.concat());
        let b = dir.create("b.log", second.concat());
        let files = [a.to_str().unwrap(), b.to_str().unwrap()];
        let reference = format!(r"(?:{pattern})(?:\z)?");
        let want = grep(rule, &reference, flags, ("1", "1M"), &files);
        for split in splits {
            let got = grep(rule, pattern, flags, split, &files);
            prop_assert_eq!(
                String::from_utf8_lossy(&got.0),
                String::from_utf8_lossy(&want.0),
                "{:?} {:?} {:?} -j {} --chunk-size {}", rule, pattern, flags, split.0, split.1
            );
            prop_assert_eq!(got.1, want.1);
        }
    }
}
