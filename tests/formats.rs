//! Output formats (tsv, csv, json, jsonl): each parsed back with a real parser, quoting,
//! invalid UTF-8, `--header`, and a closed stdout in every format.

use std::io::Read;
use std::process::Stdio;
use std::time::Duration;

use crate::util::*;

/// Keys that need care in every format: CSV delimiters and quotes, JSON escapes, UTF-8, TSV's
/// own separator cannot appear (words split at whitespace).
const TRICKY: &str = "a,b \"quoted\" x\"y ,lead trail, '' \\back\\slash {\"k\":1} 日本 Café café\n\
                      a,b a,b \"quoted\" 日本 plain plain plain\n";

/// `key<TAB>count` lines in order.
fn tsv_rows(out: &[u8]) -> Vec<(Vec<u8>, u64)> {
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let tab = l.iter().rposition(|&b| b == b'\t').expect("a tab");
            let n = std::str::from_utf8(&l[tab + 1..]).unwrap().parse().unwrap();
            (l[..tab].to_vec(), n)
        })
        .collect()
}

/// Parses CSV with the csv crate, checks the header and returns the rows in order.
fn csv_rows(out: &[u8]) -> Vec<(Vec<u8>, u64)> {
    let mut r = csv::ReaderBuilder::new().from_reader(out);
    assert_eq!(r.byte_headers().unwrap(), vec!["word", "count"]);
    r.byte_records()
        .map(|rec| {
            let rec = rec.expect("valid CSV");
            assert_eq!(rec.len(), 2);
            let n = std::str::from_utf8(&rec[1]).unwrap().parse().unwrap();
            (rec[0].to_vec(), n)
        })
        .collect()
}

/// Checks one JSON object is `{"word": string, "count": number}` and returns the pair.
fn json_row(v: &serde_json::Value) -> (String, u64) {
    let obj = v.as_object().expect("an object");
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 2, "{v}");
    let word = obj["word"].as_str().expect("word is a string").to_string();
    let count = obj["count"].as_u64().expect("count is a JSON number");
    (word, count)
}

fn json_rows(out: &[u8]) -> Vec<(String, u64)> {
    let v: serde_json::Value = serde_json::from_slice(out).expect("valid JSON");
    v.as_array()
        .expect("one array")
        .iter()
        .map(json_row)
        .collect()
}

fn jsonl_rows(out: &[u8]) -> Vec<(String, u64)> {
    assert!(out.is_empty() || out.ends_with(b"\n"));
    out.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| json_row(&serde_json::from_slice(l).expect("one JSON object a line")))
        .collect()
}

fn as_text(rows: &[(Vec<u8>, u64)]) -> Vec<(String, u64)> {
    rows.iter()
        .map(|(k, n)| (String::from_utf8(k.clone()).unwrap(), *n))
        .collect()
}

#[test]
fn every_format_parses_back_to_the_rows_of_tsv() {
    let apache = testdata("loghub/Apache_2k.log");
    let apache = apache.to_str().unwrap();
    for (args, stdin) in [
        (vec!["words"], TRICKY.as_bytes().to_vec()),
        (vec!["words", apache], Vec::new()),
        (
            vec!["words", "--sort", "key", "-j", "2", apache],
            Vec::new(),
        ),
        (vec!["words", "--top", "7"], TRICKY.as_bytes().to_vec()),
    ] {
        let with = |fmt: &str| {
            let mut a = args.clone();
            a.extend(["--output-format", fmt]);
            run_ok(&a, &stdin)
        };
        let tsv = tsv_rows(&run_ok(&args, &stdin));
        assert!(!tsv.is_empty(), "{args:?}");
        assert_eq!(tsv_rows(&with("tsv")), tsv, "{args:?}");
        assert_eq!(csv_rows(&with("csv")), tsv, "{args:?}");
        assert_eq!(json_rows(&with("json")), as_text(&tsv), "{args:?}");
        assert_eq!(jsonl_rows(&with("jsonl")), as_text(&tsv), "{args:?}");
    }
}

#[test]
fn empty_input_in_every_format() {
    let run = |fmt: &str| run_ok(&["words", "--output-format", fmt], b"");
    assert_eq!(run("tsv"), b"");
    assert_eq!(run("csv"), b"word,count\n");
    assert!(json_rows(&run("json")).is_empty());
    assert_eq!(run("jsonl"), b"");
}

#[test]
fn csv_quotes_commas_and_quotes() {
    let out = run_ok(
        &["words", "--output-format", "csv", "--sort", "key"],
        b"a,b \"q\" x\"y plain ,\n",
    );
    // RFC 4180: quote a field holding a comma or a quote, double the quotes inside.
    // (Keys with newlines cannot come from `words`; the emitter's unit tests cover them.)
    assert_bytes_eq!(
        out,
        b"word,count\n\"\"\"q\"\"\",1\n\",\",1\n\"a,b\",1\nplain,1\n\"x\"\"y\",1\n"
    );
    let rows = csv_rows(&out);
    assert_eq!(rows[0].0, b"\"q\"");
    assert_eq!(rows[4].0, b"x\"y");
}

#[test]
fn csv_keeps_bytes_that_are_not_utf8() {
    let input = b"caf\xe9 caf\xe9 \xff\xfe,x ok\n";
    let tsv = tsv_rows(&run_ok(&["words"], input));
    let csv = csv_rows(&run_ok(&["words", "--output-format", "csv"], input));
    assert_eq!(csv, tsv);
    assert!(csv.iter().any(|(k, _)| k == b"\xff\xfe,x"));
}

#[test]
fn json_replaces_invalid_utf8_and_says_how_many() {
    let input = b"caf\xe9 caf\xe9 \xff\xfe ok caf\xc3\xa9\n";
    let tsv = tsv_rows(&run_ok(&["words"], input));
    for fmt in ["json", "jsonl"] {
        let out = logmill()
            .args(["words", "--output-format", fmt])
            .write_stdin(&input[..])
            .output()
            .unwrap();
        assert!(out.status.success(), "{fmt}: {}", out.status);
        let rows = if fmt == "json" {
            json_rows(&out.stdout)
        } else {
            jsonl_rows(&out.stdout)
        };
        // Same rows in the same order; each key is the lossy decoding of the exact bytes.
        let want: Vec<(String, u64)> = tsv
            .iter()
            .map(|(k, n)| (String::from_utf8_lossy(k).into_owned(), *n))
            .collect();
        assert_eq!(rows, want, "{fmt}");
        assert!(rows.contains(&("caf\u{fffd}".to_string(), 2)), "{fmt}");
        assert!(rows.contains(&("café".to_string(), 1)), "{fmt}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{fmt}: {err}");
        assert!(
            err.starts_with("logmill: warning: 2 values were not valid UTF-8"),
            "{fmt}: {err}"
        );
    }
    // Valid UTF-8 only: no warning.
    let out = logmill()
        .args(["words", "--output-format", "json"])
        .write_stdin("café ok\n")
        .output()
        .unwrap();
    assert!(out.status.success() && out.stderr.is_empty());
}

#[test]
fn header_flag() {
    let input = TRICKY.as_bytes();
    let plain = run_ok(&["words"], input);
    let with = run_ok(&["words", "--header"], input);
    let mut want = b"word\tcount\n".to_vec();
    want.extend_from_slice(&plain);
    assert_bytes_eq!(with, want);
    // CSV always has its header; JSON does not change.
    for fmt in ["csv", "json", "jsonl"] {
        assert_bytes_eq!(
            run_ok(&["words", "--output-format", fmt, "--header"], input),
            run_ok(&["words", "--output-format", fmt], input),
            "{fmt}"
        );
    }
}

#[test]
fn closed_stdout_ends_quietly_in_every_format() {
    for fmt in ["tsv", "csv", "json", "jsonl"] {
        let mut child = logmill_std()
            .args(["words", "--output-format", fmt])
            .arg(testdata("kjv.txt"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut head = [0u8; 100];
        child
            .stdout
            .as_mut()
            .unwrap()
            .read_exact(&mut head)
            .unwrap();
        // The results are far larger than a pipe buffer; close the pipe like `head` does.
        drop(child.stdout.take());
        let res = wait_with_deadline(child, Duration::from_secs(30));
        assert_eq!(res.status.code(), Some(0), "{fmt}");
        assert!(
            res.stderr.is_empty(),
            "{fmt}: {}",
            String::from_utf8_lossy(&res.stderr)
        );
    }
}
