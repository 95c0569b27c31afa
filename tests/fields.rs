//! `logmill fields` against peers that share no code with `src/`: awk and datamash on the
//! access log and the loghub syslog samples, Python's csv and json modules on CSV and JSON
//! lines (differential tests); and against itself across thread counts, chunk sizes and input
//! paths, which must never change a byte (property tests). Also: JSON lines records as Python
//! reads them, exact wide sums, and partials that carry `--rejects`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use proptest::prelude::*;

use crate::util::*;

/// A full line of the combined format, as an extended regex for grep: the oracle's notion of
/// a good record, written independently of `src/record/combined.rs`.
const COMBINED_ERE: &str =
    r#"^[^ ]+ [^ ]+ [^ ]+ \[[^]]*\] "([^"\\]|\\.)*" [^ ]+ [^ ]+ "([^"\\]|\\.)*" "([^"\\]|\\.)*"$"#;

/// Runs `logmill fields ARGS` and returns (stdout, stderr, exit code).
fn fields(args: &[&str]) -> (Vec<u8>, String, i32) {
    let out = logmill()
        .arg("fields")
        .args(args)
        .output()
        .expect("logmill runs");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Like [`fields`] with `input` on stdin.
fn fields_stdin(args: &[&str], input: &[u8]) -> (Vec<u8>, String, i32) {
    let out = logmill()
        .arg("fields")
        .args(args)
        .write_stdin(input.to_vec())
        .output()
        .expect("logmill runs");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// Runs and expects success; returns stdout.
fn ok(args: &[&str]) -> Vec<u8> {
    let (out, err, code) = fields(args);
    assert_eq!(code, 0, "logmill fields {args:?}: {err}");
    out
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("UTF-8 test path").to_string()
}

/// Parses TSV rows into a map from the first `keys` columns (joined by TAB) to the rest.
fn rows(out: &[u8], keys: usize) -> BTreeMap<String, Vec<String>> {
    let mut m = BTreeMap::new();
    for line in String::from_utf8_lossy(out).lines() {
        let cells: Vec<String> = line.split('\t').map(str::to_string).collect();
        let (k, v) = cells.split_at(keys);
        assert!(
            m.insert(k.join("\t"), v.to_vec()).is_none(),
            "repeated key in {line}"
        );
    }
    m
}

/// The rows of a logmill table, as text, in order.
fn lines(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Thread counts and chunk sizes every configuration test runs with: size 1 puts each line in
/// its own chunk, 7 cuts inside nearly every record, 4M reads a test file whole.
const CONFIGS: &[(&str, &str)] = &[
    ("1", "4M"),
    ("2", "1"),
    ("3", "7"),
    ("2", "1K"),
    ("4", "64K"),
];

/// Checks that `args` give the same bytes (stdout, stderr and exit code) for every config, as
/// a file and on stdin, and returns the output.
fn invariant(args: &[&str], file: &Path) -> Vec<u8> {
    let data = std::fs::read(file).expect("readable");
    let f = path_str(file);
    let mut base: Option<(Vec<u8>, i32)> = None;
    for (j, c) in CONFIGS {
        let mut a: Vec<&str> = vec!["-j", j, "--chunk-size", c];
        a.extend_from_slice(args);
        let (out, _, code) = fields_stdin(&a, &data);
        a.push(&f);
        let (out2, _, code2) = fields(&a);
        assert_bytes_eq!(out, out2, "stdin vs file, -j {j} --chunk-size {c} {args:?}");
        assert_eq!(code, code2);
        match &base {
            None => base = Some((out, code)),
            Some((b, bc)) => {
                assert_bytes_eq!(b, out, "-j {j} --chunk-size {c} {args:?}");
                assert_eq!(*bc, code);
            }
        }
    }
    base.map(|b| b.0).unwrap_or_default()
}

#[test]
fn access_log_status_counts_and_byte_sums_equal_awk() {
    if !require_tools(&["grep", "awk"]) {
        return;
    }
    let log = path_str(&testdata("apache_access.log"));
    let oracle = sh(&format!(
        r#"grep -E '{COMBINED_ERE}' {log} | awk '{{ c[$9]++; s[$9] += $10 }} END {{ for (k in c) printf "%s\t%d\t%d\n", k, c[k], s[k] }}'"#
    ));
    let got = invariant(
        &[
            "--format", "combined", "--by", "status", "--count", "--sum", "bytes",
        ],
        &testdata("apache_access.log"),
    );
    assert_eq!(rows(&got, 1), rows(&oracle, 1));
    // Rows are ordered by count, descending.
    let counts: Vec<u64> = lines(&got)
        .iter()
        .map(|l| l.split('\t').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(counts.windows(2).all(|w| w[0] >= w[1]), "{counts:?}");
    // The one malformed line (an unterminated agent quote) is the only one left out.
    let good: usize = String::from_utf8(sh(&format!("grep -cE '{COMBINED_ERE}' {log}")))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert_eq!(good, 9999);
    let (_, err, code) = fields(&["--format", "combined", "--by", "status", &log]);
    assert_eq!(code, 0);
    assert!(
        err.contains("1 bad record left out (1 not in combined format)"),
        "{err}"
    );
}

#[test]
fn common_format_lines_equal_awk() {
    if !require_tools(&["grep", "sed", "awk"]) {
        return;
    }
    let dir = Dir::new("common_format_lines_equal_awk");
    let common = dir.path("common.log");
    let log = path_str(&testdata("apache_access.log"));
    // The real log without referer and agent is in the common format.
    std::fs::write(
        &common,
        sh(&format!(
            r#"grep -E '{COMBINED_ERE}' {log} | sed -E 's/ "([^"\\]|\\.)*" "([^"\\]|\\.)*"$//'"#
        )),
    )
    .unwrap();
    let c = path_str(&common);
    let oracle = sh(&format!(
        r#"awk '{{ c[$9]++; s[$9] += $10 }} END {{ for (k in c) printf "%s\t%d\t%d\n", k, c[k], s[k] }}' {c}"#
    ));
    let got = invariant(
        &[
            "--format", "common", "--by", "status", "--count", "--sum", "bytes",
        ],
        &common,
    );
    assert_eq!(rows(&got, 1), rows(&oracle, 1));
    // Combined lines are not common lines, and the other way round.
    let (_, err, _) = fields(&["--format", "common", &log]);
    assert!(
        err.contains("10000 bad records left out (10000 not in common format)"),
        "{err}"
    );
    let (_, err, _) = fields(&["--format", "combined", &c]);
    assert!(err.contains("9999 bad records left out"), "{err}");
}

#[test]
fn column_names_in_csv_and_json_output() {
    let input = b"a 1\nb 2\na 3\n";
    let (out, _, _) = fields_stdin(
        &[
            "--by",
            "1",
            "--count",
            "--sum",
            "2",
            "--pct",
            "2:50",
            "--output-format",
            "csv",
        ],
        input,
    );
    assert_bytes_eq!(out, b"1,count,sum(2),p50(2)\na,2,4,1\nb,1,2,2\n".to_vec());
    let (out, _, _) = fields_stdin(
        &["--by", "1", "--mean", "2", "--output-format", "jsonl"],
        input,
    );
    assert_bytes_eq!(
        out,
        b"{\"1\":\"a\",\"mean(2)\":2.000000}\n{\"1\":\"b\",\"mean(2)\":2.000000}\n".to_vec()
    );
}

#[test]
fn access_log_statistics_equal_datamash() {
    if !require_tools(&["grep", "awk", "sort", "datamash"]) {
        return;
    }
    let log = path_str(&testdata("apache_access.log"));
    // datamash wants grouped input; "-" bytes read as 0 in both.
    let oracle = sh(&format!(
        r#"grep -E '{COMBINED_ERE}' {log} | awk -v OFS='\t' '{{ print $9, ($10 == "-" ? 0 : $10), $1 }}' | sort -t "$(printf '\t')" -k1,1 | datamash -g1 count 1 sum 2 min 2 max 2 mean 2 countunique 3"#
    ));
    let got = ok(&[
        "--format",
        "combined",
        "--by",
        "status",
        "--count",
        "--sum",
        "bytes",
        "--min",
        "bytes",
        "--max",
        "bytes",
        "--mean",
        "bytes",
        "--distinct",
        "ip",
        &log,
    ]);
    let (got, want) = (rows(&got, 1), rows(&oracle, 1));
    assert_eq!(
        got.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>()
    );
    for (k, g) in &got {
        let w = &want[k];
        // count, sum, min, max and countunique are integers here: exactly equal.
        for i in [0, 1, 2, 3, 5] {
            assert_eq!(g[i], w[i], "status {k} column {i}");
        }
        // datamash prints the mean with 14 significant digits; ours has 6 decimals.
        let (gm, wm): (f64, f64) = (g[4].parse().unwrap(), w[4].parse().unwrap());
        assert!(
            (gm - wm).abs() <= 5e-7 + wm.abs() * 1e-12,
            "status {k}: {gm} vs {wm}"
        );
        assert_eq!(g[4].split('.').nth(1).map(str::len), Some(6));
    }
}

#[test]
fn loghub_whitespace_fields_equal_awk_and_cut() {
    if !require_tools(&["awk", "tr", "cut", "sort", "uniq"]) {
        return;
    }
    for name in [
        "loghub/OpenSSH_2k.log",
        "loghub/Linux_2k.log",
        "loghub/Proxifier_2k.log",
    ] {
        let file = testdata(name);
        let f = path_str(&file);
        // logmill takes CRLF as a line end; awk keeps the CR in the last field.
        for col in ["5", "6", "9"] {
            let oracle = sh(&format!(
                r#"tr -d '\r' < {f} | awk '{{ c[${col}]++ }} END {{ for (k in c) printf "%s\t%d\n", k, c[k] }}'"#
            ));
            let got = invariant(&["--by", col], &file);
            assert_eq!(
                parse_tsv_counts(&got),
                parse_tsv_counts(&oracle),
                "{name} ${col}"
            );
        }
        let oracle = sh(&format!(
            r"tr -d '\r' < {f} | cut -d' ' -f4 | sort | uniq -c"
        ));
        let got = ok(&["-d", " ", "--by", "4", &f]);
        assert_eq!(
            parse_tsv_counts(&got),
            parse_uniq_c(&oracle),
            "{name} -d ' '"
        );
    }
}

#[test]
fn loghub_syslog_programs_and_hosts_equal_awk() {
    if !require_tools(&["awk", "tr"]) {
        return;
    }
    for name in ["loghub/OpenSSH_2k.log", "loghub/Linux_2k.log"] {
        let file = testdata(name);
        let f = path_str(&file);
        // The tag ends at the first '[', ':' or blank (RFC 3164); awk's $5 ends at a blank.
        let oracle = sh(&format!(
            r#"tr -d '\r' < {f} | awk '{{ p = $5; sub(/[\[:].*/, "", p); c[$4 "\t" p]++ }} END {{ for (k in c) printf "%s\t%d\n", k, c[k] }}'"#
        ));
        let got = invariant(&["--format", "syslog", "--by", "host,program"], &file);
        assert_eq!(rows(&got, 2), rows(&oracle, 2), "{name}");
        let (_, err, code) = fields(&["--format", "syslog", &f]);
        assert_eq!(
            (code, err.as_str()),
            (0, ""),
            "{name}: every line is syslog"
        );
        // pid: the digits in brackets after the program.
        let oracle = sh(&format!(
            r#"tr -d '\r' < {f} | awk '{{ p = ""; if (match($5, /^[^\[:]*\[[0-9]*\]/)) {{ p = substr($5, 1, RLENGTH - 1); sub(/^[^\[]*\[/, "", p) }} c[p]++ }} END {{ for (k in c) printf "%s\t%d\n", k, c[k] }}'"#
        ));
        let got = ok(&["--format", "syslog", "--by", "pid", &f]);
        assert_eq!(
            parse_tsv_counts(&got),
            parse_tsv_counts(&oracle),
            "{name} pid"
        );
    }
}

/// Python's csv module (the reference reader) grouping `path` by column `by` and summing
/// column `sum` exactly with `decimal`, leaving out records whose field count differs from the
/// header's or whose value is not a number, skipping blank lines as the csv crate does.
/// Prints `key<TAB>count<TAB>sum` ordered like logmill.
fn python_csv_groups(path: &Path, by: &str, sum: &str) -> Vec<u8> {
    let script = r#"
import csv, sys
from decimal import Decimal, InvalidOperation
path, by, col = sys.argv[1:4]
with open(path, newline='', encoding='utf-8') as f:
    rows = [r for r in csv.reader(f) if r]
head, rows = rows[0], rows[1:]
b, s = head.index(by), head.index(col)
groups = {}
for r in rows:
    if len(r) != len(head):
        continue
    v = r[s]
    if v != '':
        try:
            d = Decimal(v)
        except InvalidOperation:
            continue
    g = groups.setdefault(r[b], [0, Decimal(0)])
    g[0] += 1
    if v != '':
        g[1] += d
def show(d):
    t = format(d.normalize(), 'f')
    return '0' if t in ('-0', '0') else t
def text(k):
    # logmill's TSV writes keys as PostgreSQL's text format does.
    return k.replace('\\', '\\\\').replace('\t', '\\t').replace('\n', '\\n').replace('\r', '\\r')
for k, (n, t) in sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0].encode())):
    sys.stdout.write('%s\t%d\t%s\n' % (text(k), n, show(t)))
"#;
    sh(&format!(
        "python3 -c {} {} {} {}",
        shell_quote(script),
        shell_quote(path),
        shell_quote(by),
        shell_quote(sum)
    ))
}

#[test]
fn csv_fixture_equals_python_csv() {
    if !require_tools(&["python3"]) {
        return;
    }
    let file = testdata("fixtures/fields.csv");
    let want = python_csv_groups(&file, "region", "latency");
    let got = invariant(
        &[
            "--format", "csv", "--by", "region", "--count", "--sum", "latency",
        ],
        &file,
    );
    assert_bytes_eq!(got, want);
    // A quoted newline stays in its field, whatever the chunk size.
    let got = invariant(&["--format", "csv", "--by", "path", "--sort", "key"], &file);
    assert_bytes_eq!(
        got,
        b"/api/\"b\"\t1\n/api/a\t3\n/multi\\nline\t1\n/y\t1\n/z\t1\n".to_vec()
    );
}

/// A deterministic CSV of `rows` records where every third has quoted newlines, doubled quotes
/// and delimiters inside quotes, so that most chunk boundaries would fall inside quotes.
fn tricky_csv(rows: usize) -> Vec<u8> {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = b"id,note,group,value\n".to_vec();
    for i in 0..rows {
        let r = next();
        let note = match r % 3 {
            0 => format!("\"line one\nline \"\"two\"\"\n,three {}\"", r % 97),
            1 => format!("plain {}", r % 13),
            _ => format!("\"a,b\r\nc {}\"", r % 5),
        };
        let group = ["x", "y", "\"z,w\"", "\"q\nr\""][(r >> 8) as usize % 4];
        let value = format!("{}.{:02}", (r >> 16) % 1000, (r >> 32) % 100);
        let end = if r % 7 == 0 { "\r\n" } else { "\n" };
        out.extend_from_slice(format!("{i},{note},{group},{value}{end}").as_bytes());
    }
    out
}

#[test]
fn csv_quoted_newlines_across_chunk_boundaries_equal_python_csv() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("csv_quoted_newlines_across_chunk_boundaries_equal_python_csv");
    let file = dir.create("tricky.csv", tricky_csv(600));
    let want = python_csv_groups(&file, "group", "value");
    let got = invariant(
        &[
            "--format", "csv", "--by", "group", "--count", "--sum", "value",
        ],
        &file,
    );
    assert_bytes_eq!(got, want);
    let want = python_csv_groups(&file, "note", "value");
    let got = invariant(
        &[
            "--format", "csv", "--by", "note", "--count", "--sum", "value",
        ],
        &file,
    );
    assert_bytes_eq!(got, want);
}

#[test]
fn jsonl_equals_python_json() {
    if !require_tools(&["python3"]) {
        return;
    }
    let file = testdata("fixtures/fields.jsonl");
    let script = r#"
import json, sys
from decimal import Decimal
groups = {}
for line in open(sys.argv[1], encoding='utf-8'):
    if not line.strip():
        continue
    try:
        o = json.loads(line, parse_float=Decimal, parse_int=Decimal)
    except ValueError:
        continue
    if not isinstance(o, dict):
        continue
    req = o.get('req') if isinstance(o.get('req'), dict) else {}
    key = (req.get('method', ''), str(req.get('status', '')))
    g = groups.setdefault(key, [0, Decimal(0), set()])
    g[0] += 1
    ms = o.get('ms')
    if ms is not None:
        g[1] += Decimal(ms)
    if o.get('user') is not None:
        g[2].add(o['user'])
def show(d):
    t = format(d.normalize(), 'f')
    return '0' if t in ('-0', '0') else t
for k, (n, t, u) in sorted(groups.items(), key=lambda kv: (-kv[1][0], kv[0][0].encode(), kv[0][1].encode())):
    sys.stdout.write('%s\t%s\t%d\t%s\t%d\n' % (k[0], k[1], n, show(t), len(u)))
"#;
    let want = sh(&format!(
        "python3 -c {} {}",
        shell_quote(script),
        shell_quote(&file)
    ));
    let got = invariant(
        &[
            "--format",
            "jsonl",
            "--by",
            "req.method,req.status",
            "--count",
            "--sum",
            "ms",
            "--distinct",
            "user",
        ],
        &file,
    );
    assert_bytes_eq!(got, want);
}

#[test]
fn rejects_name_file_and_line_for_any_chunking() {
    let dir = Dir::new("rejects_name_file_and_line_for_any_chunking");
    let log = path_str(&testdata("apache_access.log"));
    let line = std::fs::read_to_string(testdata("apache_access.log"))
        .unwrap()
        .lines()
        .nth(8898)
        .unwrap()
        .to_string();
    for (j, c) in CONFIGS {
        let rej = dir.path(format!("rej-{j}-{c}"));
        let r = path_str(&rej);
        let (_, err, code) = fields(&[
            "-j",
            j,
            "--chunk-size",
            c,
            "--format",
            "combined",
            "--by",
            "status",
            "--rejects",
            &r,
            &log,
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains(&format!("they are listed in {r}")), "{err}");
        assert_eq!(
            std::fs::read_to_string(&rej).unwrap(),
            format!("{log}:8899:{line}\n"),
            "-j {j} --chunk-size {c}"
        );
        // The same from stdin, named "-".
        let data = std::fs::read(testdata("apache_access.log")).unwrap();
        let (_, _, code) = fields_stdin(
            &[
                "-j",
                j,
                "--chunk-size",
                c,
                "--format",
                "combined",
                "--rejects",
                &r,
            ],
            &data,
        );
        assert_eq!(code, 0);
        assert_eq!(
            std::fs::read_to_string(&rej).unwrap(),
            format!("-:8899:{line}\n")
        );
    }
}

#[test]
fn rejects_of_many_kinds_in_input_and_line_order() {
    let dir = Dir::new("rejects_of_many_kinds_in_input_and_line_order");
    let a = dir.path("a.log");
    let b = dir.path("b.log");
    // CRLF ends, no final newline, a blank line: a mix of good and bad records.
    std::fs::write(&a, "x 1\r\nbad\r\ny 2\r\nz x\r\n\r\ny 3\r\nw -4.5").unwrap();
    std::fs::write(&b, "q nan\nq 1e400\nq 5\n").unwrap();
    // A missing field is a null, not an error: only values that are not numbers are bad.
    let want_rejects = format!(
        "{a}:4:z x\n{b}:1:q nan\n{b}:2:q 1e400\n",
        a = a.display(),
        b = b.display()
    );
    for (j, c) in CONFIGS {
        let rej = dir.path("rej");
        let (out, err, code) = fields(&[
            "-j",
            j,
            "--chunk-size",
            c,
            "--by",
            "1",
            "--count",
            "--sum",
            "2",
            "--rejects",
            &path_str(&rej),
            &path_str(&a),
            &path_str(&b),
        ]);
        assert_eq!(code, 0);
        assert_bytes_eq!(
            out,
            b"y\t2\t5\n\t1\t0\nbad\t1\t0\nq\t1\t5\nw\t1\t-4.5\nx\t1\t1\n".to_vec()
        );
        assert!(
            err.contains(
                "3 bad records left out (1 a number too large to hold exactly in sum(2), 2 not a number in sum(2))"
            ),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&rej).unwrap(), want_rejects);
    }
}

#[test]
fn strict_stops_at_the_first_bad_record() {
    let log = path_str(&testdata("apache_access.log"));
    for (j, c) in CONFIGS {
        let (out, err, code) = fields(&[
            "-j",
            j,
            "--chunk-size",
            c,
            "--format",
            "combined",
            "--strict",
            &log,
        ]);
        assert_eq!(code, 2);
        assert!(out.is_empty());
        assert!(
            err.starts_with(&format!(
                "logmill: {log}:8899: the agent has no closing quote"
            )),
            "{err}"
        );
    }
    let (_, err, code) = fields_stdin(&["--strict", "--sum", "1"], b"1\n2\nx\n3\ny\n");
    assert_eq!(code, 2);
    assert!(err.contains("-:3: not a number in sum(1)"), "{err}");
    // A clean input passes.
    let (out, _, code) = fields_stdin(&["--strict", "--sum", "1"], b"1\n2\n");
    assert_eq!((out, code), (b"3\n".to_vec(), 0));
}

#[test]
fn sketch_percentiles_are_within_one_percent_of_exact_ones() {
    let log = path_str(&testdata("apache_access.log"));
    let args = |exact: bool| {
        let mut a = vec![
            "--format",
            "combined",
            "--by",
            "status",
            "--pct",
            "bytes:0,1,10,50,90,99,99.9,100",
        ];
        if exact {
            a.push("--exact-pct");
        }
        a.push(&log);
        ok(&a)
    };
    let (sketch, exact) = (rows(&args(false), 1), rows(&args(true), 1));
    assert_eq!(
        sketch.keys().collect::<Vec<_>>(),
        exact.keys().collect::<Vec<_>>()
    );
    for (k, s) in &sketch {
        for (a, b) in s.iter().zip(&exact[k]) {
            let (a, b): (f64, f64) = (a.parse().unwrap(), b.parse().unwrap());
            assert!(
                (a - b).abs() <= 0.01 * b.abs(),
                "status {k}: {a} vs exact {b}"
            );
        }
    }
}

#[test]
fn exact_percentiles_equal_nearest_rank_by_sort() {
    if !require_tools(&["grep", "awk", "sort"]) {
        return;
    }
    let log = path_str(&testdata("apache_access.log"));
    let got = ok(&[
        "--format",
        "combined",
        "--pct",
        "bytes:1,50,95,100",
        "--exact-pct",
        &log,
    ]);
    let sorted: Vec<u64> = String::from_utf8(sh(&format!(
        r#"grep -E '{COMBINED_ERE}' {log} | awk '{{ print ($10 == "-" ? 0 : $10) }}' | sort -n"#
    )))
    .unwrap()
    .lines()
    .map(|l| l.parse().unwrap())
    .collect();
    let n = sorted.len() as f64;
    let at = |p: f64| sorted[((p / 100.0 * n).ceil() as usize).max(1) - 1].to_string();
    assert_eq!(
        lines(&got),
        vec![[at(1.0), at(50.0), at(95.0), at(100.0)].join("\t")]
    );
}

#[test]
fn approx_distinct_is_close_to_distinct() {
    let dir = Dir::new("approx_distinct_is_close_to_distinct");
    let file = dir.path("ids.txt");
    let mut text = String::new();
    for i in 0..30_000u64 {
        text.push_str(&format!("{} id{}\n", i % 3, (i * 7919) % 20_011));
    }
    std::fs::write(&file, text).unwrap();
    let out = invariant(
        &[
            "--by",
            "1",
            "--distinct",
            "2",
            "--approx-distinct",
            "2",
            "--sort",
            "key",
        ],
        &file,
    );
    for row in lines(&out) {
        let c: Vec<f64> = row
            .split('\t')
            .skip(1)
            .map(|v| v.parse().unwrap())
            .collect();
        assert!((c[0] - c[1]).abs() <= 0.04 * c[0], "{row}");
    }
    // Up to 1024 distinct values the sketch keeps exact hashes.
    let small = ok(&[
        "--approx-distinct",
        "2",
        "--where",
        "2~^id[0-9]{1,3}$",
        "--distinct",
        "2",
        &path_str(&file),
    ]);
    let c: Vec<&str> = std::str::from_utf8(&small)
        .unwrap()
        .trim()
        .split('\t')
        .collect();
    assert_eq!(c, ["1000", "1000"]);
}

#[test]
fn where_filters_equal_awk() {
    if !require_tools(&["grep", "awk"]) {
        return;
    }
    let log = path_str(&testdata("apache_access.log"));
    let oracle = sh(&format!(
        r#"grep -E '{COMBINED_ERE}' {log} | awk '$6 == "\"GET" && $7 ~ /\.png$/ && $9 != "200" {{ c[$9]++ }} END {{ for (k in c) printf "%s\t%d\n", k, c[k] }}'"#
    ));
    let got = ok(&[
        "--format",
        "combined",
        "--by",
        "status",
        "--where",
        "method=GET",
        "--where",
        r"path~\.png$",
        "--where",
        "status!=200",
        &log,
    ]);
    assert_eq!(parse_tsv_counts(&got), parse_tsv_counts(&oracle));
    assert!(!got.is_empty());
}

#[test]
fn aggregations_print_in_the_order_given_and_nulls_are_skipped() {
    let input = b"a 1\na\nb 2\na 3\na 2.5\n";
    let (out, err, code) = fields_stdin(
        &[
            "--by",
            "1",
            "--mean",
            "2",
            "--count",
            "--max",
            "2",
            "--sum",
            "2",
            "--min",
            "2",
            "--distinct",
            "2",
        ],
        input,
    );
    assert_eq!((code, err.as_str()), (0, ""));
    assert_bytes_eq!(
        out,
        b"a\t2.166667\t4\t3\t6.5\t1\t3\nb\t2.000000\t1\t2\t2\t2\t1\n".to_vec()
    );
    // No --by: one row, even for no input at all.
    assert_eq!(
        fields_stdin(&["--sum", "1", "--mean", "1"], b"").0,
        b"0\t\n"
    );
    assert_eq!(fields_stdin(&[], b"x\ny\n").0, b"2\n");
}

#[test]
fn sums_are_exact_decimals() {
    let mut input = String::new();
    for _ in 0..1000 {
        input.push_str("k 0.1\n");
    }
    input.push_str("k 99999999999999999\nk -1e-20\n");
    let out = invariant_stdin(&["--by", "1", "--sum", "2"], input.as_bytes());
    assert_bytes_eq!(
        out,
        b"k\t100000000000000098.99999999999999999999\n".to_vec()
    );
    // 20 integer digits and 20 decimals need 40 digits: an error, never a rounded sum.
    let (out, err, code) = fields_stdin(
        &["--by", "1", "--sum", "2"],
        b"k 99999999999999999999\nk 1e-20\n",
    );
    assert_eq!((out.is_empty(), code), (true, 2));
    assert!(err.contains("sum(2) of group \"k\" does not fit"), "{err}");
}

/// [`invariant`] for bytes (written to a temporary file).
fn invariant_stdin(args: &[&str], input: &[u8]) -> Vec<u8> {
    let dir = Dir::new("invariant_stdin");
    let f = dir.create("in", input);
    invariant(args, &f)
}

#[test]
fn bad_arguments_are_errors_with_exit_2() {
    let log = path_str(&testdata("apache_access.log"));
    let csv = path_str(&testdata("fixtures/fields.csv"));
    for (args, msg) in [
        (
            vec!["--by", "status", &log],
            "names fields by 1-based number",
        ),
        (
            vec!["--format", "combined", "--by", "nope", &log],
            "has the fields ip, ident",
        ),
        (
            vec!["--format", "common", "--sum", "agent", &log],
            "has the fields",
        ),
        (
            vec!["--format", "csv", "--by", "nope", &csv],
            "no column named \"nope\"",
        ),
        (vec!["--where", "1", &log], "expected FIELD=VALUE"),
        (vec!["--where", "1~(", &log], "--where"),
        (vec!["--pct", "1:101", &log], "from 0 to 100"),
        (vec!["--pct", "1", &log], "FIELD:P"),
        (vec!["-d", "ab", &log], "one byte"),
        (
            vec!["--format", "jsonl", "-d", ",", &log],
            "own field syntax",
        ),
        (vec!["--no-headers", &log], "only --format csv"),
    ] {
        let (out, err, code) = fields(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(err.contains(msg), "{args:?}: {err}");
    }
}

#[test]
fn csv_header_after_blank_lines_on_stdin_and_in_files() {
    let mut input = b"\r\n".repeat(50);
    input.extend_from_slice(b"k,v\na,1\nb,2\na,3\n");
    let out = invariant_stdin(&["--format", "csv", "--by", "k", "--sum", "v"], &input);
    assert_bytes_eq!(out, b"a\t4\nb\t2\n".to_vec());
}

#[test]
fn csv_without_headers_and_with_other_delimiters() {
    let input = b"a;\"x;y\";1\nb;z;2\na;\"x;y\";3\n";
    let out = invariant_stdin(
        &[
            "--format",
            "csv",
            "-d",
            ";",
            "--no-headers",
            "--by",
            "2",
            "--count",
            "--sum",
            "3",
        ],
        input,
    );
    assert_bytes_eq!(out, b"x;y\t2\t4\nz\t1\t2\n".to_vec());
    let tsv = b"k\tv\na\t1\n\tb\t\n";
    let out = invariant_stdin(&["-d", "\\t", "--by", "1", "--count"], tsv);
    assert_bytes_eq!(out, b"\t1\na\t1\nk\t1\n".to_vec());
}

#[test]
fn compressed_and_multiple_inputs_add_up() {
    let dir = Dir::new("compressed_and_multiple_inputs_add_up");
    let data = std::fs::read(testdata("apache_access.log")).unwrap();
    let gz = dir.path("a.log.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &data).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let log = path_str(&testdata("apache_access.log"));
    let args = [
        "--format", "combined", "--by", "status", "--count", "--sum", "bytes",
    ];
    let one = rows(&ok(&[&args[..], &[log.as_str()]].concat()), 1);
    let two = rows(
        &ok(&[&args[..], &[log.as_str(), &path_str(&gz)]].concat()),
        1,
    );
    for (k, v) in &one {
        let n: u64 = v[0].parse().unwrap();
        let s: u64 = v[1].parse().unwrap();
        assert_eq!(two[k], vec![(2 * n).to_string(), (2 * s).to_string()]);
    }
}

fn record_strategy() -> impl Strategy<Value = Vec<u8>> {
    // Small CSV-ish and whitespace-ish records with quotes, CRs and blanks.
    proptest::collection::vec(
        prop_oneof![
            Just(b"a".to_vec()),
            Just(b"bb".to_vec()),
            Just(b"1".to_vec()),
            Just(b"2.5".to_vec()),
            Just(b"-3".to_vec()),
            Just(b" ".to_vec()),
            Just(b",".to_vec()),
            Just(b"\"".to_vec()),
            Just(b"\n".to_vec()),
            Just(b"\r\n".to_vec()),
            Just(b"x".to_vec()),
        ],
        0..60,
    )
    .prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// Any thread count and chunk size give the bytes of `-j 1` with the input in one chunk,
    /// for every format's parser, on random input (bad records included).
    #[test]
    fn output_is_independent_of_threads_and_chunk_size(
        input in record_strategy(),
        j in 1usize..4,
        chunk in 1usize..40,
        format in 0usize..3,
    ) {
        let args: Vec<&str> = match format {
            0 => vec!["--by", "1", "--sum", "2", "--pct", "2:50", "--distinct", "3"],
            1 => vec!["--format", "csv", "--no-headers", "--by", "1", "--count", "--max", "2"],
            _ => vec!["--format", "csv", "--by", "1", "--mean", "2"],
        };
        let chunk = chunk.to_string();
        let j = j.to_string();
        let base = fields_stdin(&[&["-j", "1", "--chunk-size", "1G"], &args[..]].concat(), &input);
        let streamed = fields_stdin(&[&["-j", &j, "--chunk-size", &chunk], &args[..]].concat(), &input);
        prop_assert_eq!(&base.0, &streamed.0);
        prop_assert_eq!(base.2, streamed.2);
        let dir = Dir::new("output_is_independent_of_threads_and_chunk_size");
        let f = dir.create("in", &input);
        let f = path_str(&f);
        let mapped = fields(&[&["-j", &j, "--chunk-size", &chunk, "--mmap", "always"], &args[..], &[f.as_str()]].concat());
        prop_assert_eq!(&base.0, &mapped.0);
        prop_assert_eq!(base.2, mapped.2);
    }
}

/// The fixtures the tests above read.
#[test]
fn fixtures_exist() {
    for f in ["fixtures/fields.csv", "fixtures/fields.jsonl"] {
        let p: PathBuf = testdata(f);
        assert!(p.is_file(), "{}", p.display());
    }
}

// --- approx-distinct partials are byte-deterministic ---------------------------------------

#[test]
fn approx_distinct_partials_are_identical_for_any_threads_and_chunk_size() {
    // Groups of every size: empty-ish, sparse (few values), and past the sparse limit (dense).
    let mut data = String::new();
    for i in 0..6000u32 {
        let group = if i % 3 == 0 { "big" } else { "small" };
        let user = if group == "big" { i } else { i % 200 };
        data.push_str(&format!("{group} u{user} {}\n", i % 7));
    }
    let run = |extra: &[&str]| {
        let mut args = vec![
            "fields",
            "--by",
            "1",
            "--approx-distinct",
            "2",
            "--approx-distinct",
            "3",
            "--emit",
            "partial",
        ];
        args.extend_from_slice(extra);
        run_ok(&args, data.as_bytes())
    };
    let reference = run(&["-j1"]);
    assert!(
        reference.windows(6).any(|w| w == b"sparse"),
        "a sparse set is written"
    );
    for extra in [
        &["-j2"][..],
        &["-j2", "--chunk-size", "1K"],
        &["-j1", "--chunk-size", "1K"],
        &["-j2", "--chunk-size", "7K"],
        &["-j8", "--chunk-size", "4K"],
    ] {
        assert_bytes_eq!(run(extra), reference, "{extra:?}");
    }
}

// --- JSON lines: one rule for what is a record ---------------------------------------------

/// Lines of every kind: objects, bare numbers of every shape, other JSON values, broken JSON,
/// invalid UTF-8 inside and outside strings, escapes and lone surrogates.
fn json_corpus() -> Vec<Vec<u8>> {
    let text: &[&[u8]] = &[
        b"1.5",
        b"-0",
        b"1e3",
        b"1E-2",
        b"100000000000000000000",
        b"-100000000000000000000.25",
        b"1e999",
        b"7",
        b"-7",
        b"0.0",
        br#""str""#,
        b"true",
        b"null",
        b"[]",
        br#"[1,{"a":1}]"#,
        b"{}",
        br#"{"a":1.5}"#,
        br#"{"a":1e400}"#,
        br#"{"a":100000000000000000000}"#,
        br#"{"a":{"b":100000000000000000000.5}}"#,
        b"{\"x\":\"caf\xe9\",\"k\":1}",
        b"{\"\xff\":1}",
        b"{\"o\":{\"caf\xe9\":1},\"k\":2}",
        b"{\"x\":\"x\xc3\"}",
        b"{\"a\":1}\xff",
        b"\xff{\"a\":1}",
        b"\xef\xbb\xbf{\"a\":1}",
        br#"{"x":"\ud800","k":3}"#,
        br#"{"o":{"\udc00":1}}"#,
        br#"{"x":"\ud83d\ude00"}"#,
        br#"{"a":NaN}"#,
        br#"{"a":Infinity}"#,
        br#"{"a":-Infinity}"#,
        br#"{"a":1}x"#,
        br#"{"a":}"#,
        b"{",
        b"{\"a\":\"tab\there\"}",
        br#"{"a":"\q"}"#,
        br#"{"a":"\u00zz"}"#,
        br#"  {"a" :  [ ] }  "#,
        br#"{"a":01}"#,
        br#"{"a":-}"#,
        br#"{"a":1.}"#,
        br#"{"a":.5}"#,
        br#"{"a":1,}"#,
        br#"{'a':1}"#,
        br#"{"a":true,"b":false,"c":null}"#,
        br#"{"$serde_json::private::Number":"1"}"#,
        br#"{"a":{"$serde_json::private::Number":"1"}}"#,
        br#"{"x":"ok","k":1,"k":{"z":[1,2,{"y":"\u00e9"}]}}"#,
        b"{\"x\":\"\\\"caf\xe9\\\"\"}",
        b"nul",
        b"-",
        b"\"\xe9\"",
    ];
    text.iter().map(|l| l.to_vec()).collect()
}

/// The 1-based numbers of the lines that logmill lists in --rejects for `fields --format jsonl`
/// with `extra` flags.
fn rejected_lines(file: &std::path::Path, extra: &[&str]) -> Vec<usize> {
    let dir = Dir::new("rejected_lines");
    let rejects = dir.path("rejects");
    let (f, r) = (file.to_str().unwrap(), rejects.to_str().unwrap());
    let mut args = vec!["fields", "--format", "jsonl", "--rejects", r];
    args.extend_from_slice(extra);
    args.push(f);
    let (_, code, err) = run_logmill(&args, None);
    assert_eq!(code, 0, "logmill {args:?}: {err}");
    let listed = std::fs::read(&rejects).unwrap();
    listed
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let l = &l[f.len() + 1..];
            let n = l.iter().position(|&b| b == b':').unwrap();
            std::str::from_utf8(&l[..n]).unwrap().parse().unwrap()
        })
        .collect()
}

fn write_corpus(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("corpus.jsonl");
    let mut data = Vec::new();
    for l in json_corpus() {
        data.extend_from_slice(&l);
        data.push(b'\n');
    }
    std::fs::write(&path, data).unwrap();
    path
}

#[test]
fn jsonl_records_are_the_lines_python_reads_as_objects() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("jsonl_records_are_the_lines_python_reads_as_objects");
    let file = write_corpus(dir.root());
    // Python's json module, strict: NaN and Infinity are not JSON; invalid UTF-8 bytes are kept
    // (as lone surrogates) the way logmill keeps them, so they count only where JSON allows
    // any character: inside strings.
    let script = r#"
import json, sys
def no_constants(c):
    raise ValueError(c)
for n, line in enumerate(open(sys.argv[1], 'rb').read().split(b'\n')[:-1], 1):
    try:
        ok = isinstance(json.loads(line.decode('utf-8', 'surrogateescape'), parse_constant=no_constants), dict)
    except ValueError:
        ok = False
    if not ok:
        print(n)
"#;
    let out = sh_stdin(
        &format!(
            "python3 -c {} {}",
            crate::util::shell_quote(script),
            crate::util::shell_quote(&file)
        ),
        b"",
    );
    let python: Vec<usize> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert!(
        python.contains(&1) && python.contains(&5),
        "bare numbers are not objects"
    );
    assert_eq!(rejected_lines(&file, &["--count"]), python);
}

#[test]
fn jsonl_validity_does_not_depend_on_the_fields_named() {
    let dir = Dir::new("jsonl_validity_does_not_depend_on_the_fields_named");
    let file = write_corpus(dir.root());
    let reference = rejected_lines(&file, &["--count"]);
    for extra in [
        &["--by", "k"][..],
        &["--by", "x"],
        &["--by", "o"],
        &["--by", "o.caf"],
        &["--by", "a.b", "--distinct", "a"],
        &["--where", "x=ok"],
        &["--where", "x~.", "--distinct", "k.z"],
    ] {
        assert_eq!(rejected_lines(&file, extra), reference, "{extra:?}");
    }
}

#[test]
fn jsonl_bare_numbers_are_bad_records_and_fail_strict() {
    let input = b"1.5\n-0\n1e3\n100000000000000000000\n7\n{\"a\":1}\n";
    let (out, code, err) = run_logmill(&["fields", "--format", "jsonl", "--count"], Some(input));
    assert_eq!((out, code), (b"1\n".to_vec(), 0), "{err}");
    assert!(err.contains("5 bad records"), "{err}");
    assert!(err.contains("5 not a JSON object"), "{err}");
    let (_, code, err) = run_logmill(
        &["fields", "--format", "jsonl", "--count", "--strict"],
        Some(b"1.5\n"),
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not an object"), "{err}");
}

#[test]
fn jsonl_strings_with_invalid_utf8_keep_their_bytes() {
    let input =
        b"{\"x\":\"caf\xe9\",\"k\":1}\n{\"x\":\"ok\",\"k\":1}\n{\"x\":\"caf\xe9 \\\"q\\\"\"}\n";
    let by = |args: &[&str]| {
        let mut a = vec!["fields", "--format", "jsonl", "--strict"];
        a.extend_from_slice(args);
        run_ok(&a, input)
    };
    assert_eq!(by(&["--count"]), b"3\n");
    assert_eq!(by(&["--by", "k"]), b"1\t2\n\t1\n");
    let x = by(&["--by", "x", "--sort", "key"]);
    assert_eq!(x, b"caf\xe9\t1\ncaf\xe9 \"q\"\t1\nok\t1\n".to_vec());
    assert_eq!(by(&["--where", "x=ok"]), b"1\n");
    assert_eq!(by(&["--where", "x!=ok"]), b"2\n");
}

#[test]
fn json_keys_with_dots_commas_or_nothing_are_named_in_double_quotes() {
    let input = br#"{"a.b":1,"a":{"b":2,"c.d":5},"x,y":3,"":4,"q\"":6,"k=v":7}"#;
    let run = |args: &[&str]| {
        let mut a = vec!["fields", "--format", "jsonl"];
        a.extend_from_slice(args);
        run_ok(&a, &[&input[..], b"\n"].concat())
    };
    assert_eq!(
        run(&["--by", r#""a.b",a.b,"x,y","""#, "--by", r#""q\"",a."c.d""#]),
        b"1\t2\t3\t4\t6\t5\t1\n"
    );
    assert_eq!(run(&["--by", r#""a"."b""#, "--sum", r#""""#]), b"2\t4\n");
    assert_eq!(
        run(&["--where", r#""k=v"=7"#, "--where", r#""a.b"!=2"#]),
        b"1\n"
    );
    assert_eq!(run(&["--where", r#""k=v"=8"#]), b"0\n");
    assert_eq!(run(&["--pct", r#""x,y":50"#]), b"3\n");
    for bad in ["a..b", r#""a"#, "a.", r#"a"b"#] {
        let (_, code, err) = run_logmill(
            &["fields", "--format", "jsonl", "--by", bad],
            Some(&input[..]),
        );
        assert_eq!(code, 2, "{bad}: {err}");
        assert!(
            err.contains("--by") && err.lines().count() == 1,
            "{bad}: {err}"
        );
    }
    // CSV headers too.
    let csv = b"\"a,b\",c\n1,2\n";
    let (out, code, err) = run_logmill(
        &["fields", "--format", "csv", "--by", r#""a,b""#],
        Some(&csv[..]),
    );
    assert_eq!((out, code), (b"1\t1\n".to_vec(), 0), "{err}");
}

fn path_arg(p: &Path) -> &std::ffi::OsStr {
    p.as_os_str()
}

/// The exact sum of decimal strings, by Python's `decimal` module with enough precision.
fn python_sum(values: &[&str]) -> String {
    let list = values
        .iter()
        .map(|v| format!("'{v}'"))
        .collect::<Vec<_>>()
        .join(",");
    let script = format!(
        "python3 -c \"import decimal; decimal.getcontext().prec = 200; \
         s = sum(decimal.Decimal(v) for v in [{list}]); print(format(s.normalize(), 'f'))\""
    );
    String::from_utf8(sh(&script)).unwrap().trim().to_string()
}

#[test]
fn exact_sums_hold_whenever_the_final_value_fits() {
    if !require_tools(&["python3"]) {
        return;
    }
    let x = u128::MAX.to_string();
    let minus_x = format!("-{x}");
    let cases: Vec<Vec<&str>> = vec![
        vec!["3e38", "3e38", "-3e38"],
        vec![&x, &minus_x, "5"],
        vec![&x, &x, "0.5", &minus_x, "-0.5", &minus_x, "7"],
        vec!["-3e38", "-3e38", "3e38", "0.25", "-0.25"],
        vec!["1e-38", "-1e-38", "1e-38"],
    ];
    for values in &cases {
        let want = python_sum(values);
        let lines: String = values.iter().map(|v| format!("k {v}\n")).collect();
        for chunk in ["1", "1M"] {
            let (out, code, err) = run_logmill(
                &["--chunk-size", chunk, "fields", "--by", "1", "--sum", "2"],
                Some(lines.as_bytes()),
            );
            assert_eq!(code, 0, "{values:?}: {err}");
            assert_eq!(String::from_utf8(out).unwrap(), format!("k\t{want}\n"));
            let (out, code, err) = run_logmill(
                &["--chunk-size", chunk, "match", r"(\w) (\S+)", "--sum", "2"],
                Some(lines.as_bytes()),
            );
            assert_eq!(code, 0, "{values:?}: {err}");
            assert_eq!(
                String::from_utf8(out).unwrap(),
                format!("k\t{}\t{want}\n", values.len())
            );
        }
    }
    // A final value out of range is still an error, never rounded.
    let (out, code, err) = run_logmill(
        &["match", r"(\w) (\S+)", "--sum", "2"],
        Some(b"k 3e38\nk 3e38\n"),
    );
    assert_eq!((out.len(), code), (0, 2), "{err}");
    assert!(err.contains("out of range"), "{err}");
}

#[test]
fn wide_sums_survive_partials_and_old_partials_still_merge() {
    let dir = Dir::new("wide_sums_survive_partials_and_old_partials_still_merge");
    let x = u128::MAX.to_string();
    // Each partial alone holds a sum past 128 bits; merged, the total fits again.
    let a = dir.path("a.partial");
    let b = dir.path("b.partial");
    let job = [
        "match",
        r"(\w) (\S+)",
        "--sum",
        "2",
        "--emit",
        "partial",
        "-o",
    ];
    let run = |out: &Path, data: String| {
        let mut args: Vec<&std::ffi::OsStr> = job.iter().map(|s| s.as_ref()).collect();
        args.push(path_arg(out));
        let (_, code, err) = run_logmill(&args, Some(data.as_bytes()));
        assert_eq!(code, 0, "{err}");
    };
    run(&a, format!("k {x}\nk {x}\nk 0.5\n"));
    run(&b, format!("k -{x}\nk -{x}\nk -0.5\nk 9\n"));
    let text = std::fs::read_to_string(&a).unwrap();
    assert!(text.contains("\"high\""), "{text}");
    let (out, code, err) = run_logmill(&["merge", &s(&a), &s(&b)], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, b"k\t7\t9\n");
    // The partial form of sums that fit 128 bits is the one older versions wrote and read.
    let old = dir.path("old.partial");
    std::fs::write(
        &old,
        "#logmill-partial\t1\t{\"job\":\"match\",\"params\":{\"pattern\":\"(\\\\w) (\\\\S+)\",\
         \"options\":{\"ignore_case\":false,\"fixed_strings\":false,\"word\":false,\"line\":false},\
         \"sum\":\"2\",\"all\":false}}\n\
         k\t{\"count\":2,\"sum\":{\"positive\":15,\"negative\":0,\"scale\":1,\"overflow\":false}}\n",
    )
    .unwrap();
    let (out, code, err) = run_logmill(&["merge", &s(&old), &s(&a), &s(&b)], None);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, b"k\t9\t10.5\n");
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

#[test]
fn rejects_and_strict_are_shared_options_of_match_and_fields() {
    for job in ["match", "fields"] {
        let (out, _, _) = run_logmill(&[job, "--help"], None);
        let help = String::from_utf8(out).unwrap();
        assert!(
            help.contains("--rejects <FILE>") && help.contains("--strict"),
            "{job}: {help}"
        );
    }
    // Jobs that never reject a record do not take them.
    for job in ["words", "grep"] {
        let (_, code, _) = run_logmill(&[job, "x", "--strict"], Some(b""));
        assert_eq!(code, 2, "{job}");
    }
}

#[test]
fn fields_partials_with_different_rejects_files_merge() {
    let dir = Dir::new("fields_partials_with_different_rejects_files_merge");
    let log = dir.create("f.log", "a 1\nb x\na 2\n");
    let mut partials = Vec::new();
    for i in 0..2 {
        let p = dir.path(format!("{i}.partial"));
        let r = dir.path(format!("rejects{i}.txt"));
        let (_, code, err) = run_logmill(
            &[
                "fields",
                "--by",
                "1",
                "--sum",
                "2",
                "--rejects",
                &s(&r),
                "--emit",
                "partial",
                "-o",
                &s(&p),
                &s(&log),
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
        // Not a parameter of the result: the header does not name it (the coverage line names
        // the input, whose directory here has "rejects" in its name).
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(!text.lines().next().unwrap().contains("rejects"), "{text}");
        partials.push(s(&p));
    }
    // One made without --rejects merges too, and so does a header that still names it (as
    // older versions wrote).
    let plain = dir.path("plain.partial");
    let (_, code, _) = run_logmill(
        &[
            "fields",
            "--by",
            "1",
            "--sum",
            "2",
            "--emit",
            "partial",
            "-o",
            &s(&plain),
            &s(&log),
        ],
        None,
    );
    assert_eq!(code, 0);
    let old = dir.path("old.partial");
    let text = std::fs::read_to_string(&plain).unwrap().replacen(
        "\"filters\":[],",
        "\"filters\":[],\"rejects\":\"/tmp/somewhere.txt\",",
        1,
    );
    assert!(text.contains("/tmp/somewhere.txt"), "{text}");
    std::fs::write(&old, text).unwrap();
    let (out, code, err) = run_logmill(
        // The four partials count the same file: merging them is meant to count it 4 times.
        &[
            "merge",
            "--allow-overlap",
            &partials[0],
            &partials[1],
            &s(&plain),
            &s(&old),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, b"a\t12\n");
    assert!(err.contains("4 bad records"), "{err}");
}
