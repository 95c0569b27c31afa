//! `match --example` places each key while the job maps the chunk at its own speed (the
//! one-pass path, the general regex path, records): a key's example is the line where it
//! entered the chunk's table. On random logs, every key's example is its first line as a
//! line-by-line search in the test finds it, and the output is the same bytes for any `-j`
//! and `--chunk-size` from 1 byte up.

use std::collections::BTreeMap;

use proptest::prelude::*;
use regex::bytes::Regex;

use crate::util::{parse_tsv_rows, run_logmill, Dir};

const HOSTS: &[&str] = &["10.0.0.1", "10.0.0.2", "192.168.1.7", "::1", "h"];
const WORDS: &[&str] = &["cart", "item", "login", "a"];
const STATUSES: &[&str] = &["200", "404", "500"];

/// Line patterns: one-pass from line starts, one-pass after a literal, general searches, and
/// one with a group that may not take part.
const PATTERNS: &[&str] = &[
    r"^(\S+)",
    r"GET /(\w+) (\d{3})",
    r"(\w+) (\d{3})",
    r"(\d+)$",
    r"/(\w+)(?: (5\d\d))?",
];

fn one_line((host, word, status, n): (usize, usize, usize, u8)) -> String {
    match n % 5 {
        0 => format!(
            "{} - GET /{} {}\n",
            HOSTS[host], WORDS[word], STATUSES[status]
        ),
        1 => format!(
            "{} POST /{} {} {n}\n",
            HOSTS[host], WORDS[word], STATUSES[status]
        ),
        2 => "\n".to_string(),
        3 => format!("{} {n}", WORDS[word]),
        _ => format!(
            "{} GET /{} {}\r\n",
            HOSTS[host], WORDS[word], STATUSES[status]
        ),
    }
}

/// Each key's first line (from 1): the first non-empty match of each line, groups joined by
/// TAB (a group that did not take part is empty).
fn first_lines(data: &[u8], pattern: &str) -> BTreeMap<Vec<u8>, u64> {
    let re = Regex::new(pattern).unwrap();
    let mut first = BTreeMap::new();
    for (n, line) in data.split(|&b| b == b'\n').enumerate() {
        let Some(c) = re
            .captures_iter(line)
            .find(|c| c.get(0).is_some_and(|m| !m.is_empty()))
        else {
            continue;
        };
        let key: Vec<&[u8]> = (1..c.len())
            .map(|i| c.get(i).map_or(&b""[..], |m| m.as_bytes()))
            .collect();
        first.entry(key.join(&b'\t')).or_insert(n as u64 + 1);
    }
    first
}

fn run(args: &[&str]) -> Vec<u8> {
    let (out, code, err) = run_logmill(args, None);
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {err}");
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn examples_placed_while_mapping_are_first_lines_for_any_split(
        lines in proptest::collection::vec(
            (0..HOSTS.len(), 0..WORDS.len(), 0..STATUSES.len(), any::<u8>()), 0..60),
        pattern in proptest::sample::select(PATTERNS),
        text in any::<bool>(),
        splits in proptest::collection::vec(
            (proptest::sample::select(&["1", "2", "3"][..]),
             proptest::sample::select(&["1", "2", "9", "40", "300", "1M"][..])),
            3),
    ) {
        let data: String = lines.into_iter().map(one_line).collect();
        let dir = Dir::new("example-placed");
        let log = dir.create("a.log", &data);
        let path = log.to_str().unwrap();
        let flag = if text { "--example-text" } else { "--example" };
        let want = run(&["match", pattern, flag, "-j", "1", "--chunk-size", "1M", path]);
        let groups = Regex::new(pattern).unwrap().captures_len() - 1;
        let got: BTreeMap<Vec<u8>, u64> = parse_tsv_rows(&want)
            .into_iter()
            .map(|r| {
                let place = String::from_utf8(r[groups + 1].clone()).unwrap();
                let line = place.strip_prefix(&format!("{path}:")).unwrap().parse().unwrap();
                (r[..groups].join(&b'\t'), line)
            })
            .collect();
        prop_assert_eq!(got, first_lines(data.as_bytes(), pattern));
        for (j, size) in splits {
            let out = run(&["match", pattern, flag, "-j", j, "--chunk-size", size, path]);
            prop_assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&want),
                "{} -j {} --chunk-size {}", pattern, j, size
            );
        }
    }

    #[test]
    fn examples_of_records_and_all_matches_are_the_same_for_any_split(
        events in proptest::collection::vec((0..4usize, 0..3usize), 0..30),
        all in any::<bool>(),
        splits in proptest::collection::vec(
            (proptest::sample::select(&["1", "3"][..]),
             proptest::sample::select(&["1", "7", "64", "1M"][..])),
            2),
    ) {
        let mut data = String::new();
        for (i, (kind, ex)) in events.into_iter().enumerate() {
            data.push_str(&format!("2024-01-01 00:00:{:02} event {i}\n", i % 60));
            if kind > 1 {
                let class = ["IllegalState", "IO", "NullPointer"][ex];
                data.push_str(&format!("java.lang.{class}Exception: boom\n\tat a.B.c(B.java:1)\n"));
            }
            if kind == 3 {
                data.push_str("Caused by: java.io.IOException: deeper\n\t... 1 more\n");
            }
        }
        let dir = Dir::new("example-placed-records");
        let log = dir.create("j.log", &data);
        let path = log.to_str().unwrap();
        let pattern = r"(?m)^(?:Caused by: )?([\w.$]+Exception)";
        let mut base = vec!["match", "--records", "java", pattern, "--example-text"];
        if all {
            base.push("--all");
        }
        let with = |j: &str, size: &str| {
            let mut a = base.clone();
            a.extend(["-j", j, "--chunk-size", size, path]);
            run(&a)
        };
        let want = with("1", "1M");
        for (j, size) in splits {
            let got = with(j, size);
            prop_assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "-j {} --chunk-size {}", j, size
            );
        }
    }
}
