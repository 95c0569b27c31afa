//! `--example` and `--example-text`: each key's first occurrence as `FILE:LINE` (and its
//! line), checked against Python's first line number of each key on the real access log and a
//! loghub sample, and byte-identical across threads, chunk sizes (down to 1 byte), stdin,
//! gzip, merged shards, spill, `--per` and `--state`; `FILE@OFFSET` when a shard is missing.

use std::collections::BTreeMap;

use crate::util::*;

/// A two-group pattern over the access log: method and first path segment.
const PATTERN: &str = r#""([A-Z]+) (/[a-z]*)"#;

fn ok<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) -> Vec<u8> {
    let (out, code, err) = run_logmill(args, None);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// Python's first line number (from 1) of each key: the first match of `PATTERN` on each
/// line, as `KEY1<TAB>KEY2` -> line.
fn python_first_lines(path: &std::path::Path, pattern: &str) -> BTreeMap<Vec<u8>, u64> {
    let script = format!(
        r#"python3 -c '
import re, sys
rx = re.compile(sys.argv[2].encode())
first = {{}}
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    m = rx.search(line.rstrip(b"\n"))
    if m:
        first.setdefault(b"\t".join(m.groups()), n)
out = sys.stdout.buffer
for k, n in first.items(): out.write(k + b"\t" + str(n).encode() + b"\n")
' {} {}"#,
        shell_quote(path),
        shell_quote(pattern)
    );
    parse_tsv_rows(&sh(&script))
        .into_iter()
        .map(|mut r| {
            let n = String::from_utf8(r.pop().unwrap())
                .unwrap()
                .parse()
                .unwrap();
            (r.join(&b'\t'), n)
        })
        .collect()
}

/// `KEY -> example cell` of TSV output whose last `extra` columns are the example's, with
/// `keys` key columns first.
fn examples(out: &[u8], keys: usize, extra: usize) -> BTreeMap<Vec<u8>, Vec<Vec<u8>>> {
    parse_tsv_rows(out)
        .into_iter()
        .map(|r| {
            let at = r.len() - extra;
            (r[..keys].join(&b'\t'), r[at..].to_vec())
        })
        .collect()
}

fn line_of(cell: &[u8], path: &str) -> u64 {
    let text = String::from_utf8_lossy(cell);
    let n = text
        .strip_prefix(&format!("{path}:"))
        .unwrap_or_else(|| panic!("{text:?} is not {path}:LINE"));
    n.parse().unwrap()
}

/// The partials of shards `shards` of 3 of the run `args`, written in `dir` (`s{i}.partial`).
fn shard_partials(dir: &Dir, args: &[&str], shards: std::ops::Range<usize>) -> Vec<String> {
    shards
        .map(|i| {
            let p = dir.path(format!("s{i}.partial"));
            let shard = format!("{i}/3");
            write_partial(&p, &[args, &["--shard", &shard]].concat());
            p.to_string_lossy().into_owned()
        })
        .collect()
}

#[test]
fn match_examples_are_pythons_first_lines_on_the_access_log() {
    if !require_tools(&["python3"]) {
        return;
    }
    let log = testdata("apache_access.log");
    let want = python_first_lines(&log, PATTERN);
    let name = log.to_string_lossy().into_owned();
    let out = ok(&[
        "match",
        PATTERN,
        "--example",
        &name,
        "-j",
        "3",
        "--chunk-size",
        "4K",
    ]);
    let got = examples(&out, 2, 1);
    assert_eq!(got.len(), want.len());
    for (k, cells) in &got {
        assert_eq!(
            line_of(&cells[0], &name),
            want[k],
            "{:?}",
            String::from_utf8_lossy(k)
        );
    }
}

#[test]
fn word_examples_and_texts_are_pythons_on_a_loghub_sample() {
    if !require_tools(&["python3"]) {
        return;
    }
    let log = testdata("loghub/HDFS_2k.log");
    let script = format!(
        r#"python3 -c '
import sys
first = {{}}
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    for w in line.split():
        first.setdefault(w.lower(), (n, line.rstrip(b"\n").rstrip(b"\r")))
out = sys.stdout.buffer
for w, (n, t) in first.items(): out.write(w + b"\t" + str(n).encode() + b"\t" + t + b"\n")
' {}"#,
        shell_quote(&log)
    );
    let python = sh(&script);
    let name = log.to_string_lossy().into_owned();
    let out = ok(&["words", "--example-text", &name, "--chunk-size", "1000"]);
    let got = examples(&out, 1, 2);
    let mut seen = 0;
    for line in python.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let mut f = line.splitn(3, |&b| b == b'\t');
        let (w, n, text) = (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
        let cells = &got[w];
        assert_eq!(
            line_of(&cells[0], &name).to_string().as_bytes(),
            n,
            "{:?}",
            String::from_utf8_lossy(w)
        );
        assert_eq!(cells[1], text);
        seen += 1;
    }
    assert_eq!(seen, got.len());
}

/// Replaces every occurrence of `from` by `to` in `out`.
fn renamed(out: &[u8], from: &str, to: &str) -> Vec<u8> {
    String::from_utf8(out.to_vec())
        .unwrap()
        .replace(from, to)
        .into_bytes()
}

#[test]
fn example_column_is_byte_identical_for_any_split() {
    let log = testdata("apache_access.log");
    let name = log.to_string_lossy().into_owned();
    let base = ok(&["match", PATTERN, "--example-text", &name]);
    assert!(
        base.windows(2).any(|w| w == b":1"),
        "{}",
        String::from_utf8_lossy(&base)
    );
    for j in ["1", "3"] {
        for chunk in ["1", "7", "4K", "1M"] {
            let got = ok(&[
                "match",
                PATTERN,
                "--example-text",
                &name,
                "-j",
                j,
                "--chunk-size",
                chunk,
            ]);
            assert_bytes_eq!(got, base, "-j {j} --chunk-size {chunk}");
        }
    }
    let dir = Dir::new("example_any_split");
    // stdin, in small stream blocks.
    let data = std::fs::read(&log).unwrap();
    let got = logmill()
        .args(["match", PATTERN, "--example-text", "--chunk-size", "999"])
        .write_stdin(data.clone())
        .output()
        .unwrap()
        .stdout;
    assert_bytes_eq!(got, renamed(&base, &format!("{name}:"), "-:"), "stdin");
    // gzip: stream offsets, exact lines.
    let gz = dir.path("a.log.gz");
    sh(&format!(
        "gzip -c {} > {}",
        shell_quote(&log),
        shell_quote(&gz)
    ));
    let gz = gz.to_string_lossy().into_owned();
    let got = ok(&[
        "match",
        PATTERN,
        "--example-text",
        &gz,
        "--chunk-size",
        "3K",
    ]);
    assert_bytes_eq!(got, renamed(&base, &name, &gz), "gzip");
    // Shards merged, in any order.
    let job = [
        "match",
        PATTERN,
        "--example-text",
        &name,
        "--chunk-size",
        "5K",
    ];
    let parts = shard_partials(&dir, &job, 0..3);
    let got = ok(&["merge", &parts[2], &parts[0], &parts[1]]);
    assert_bytes_eq!(got, base, "merged shards");
    // Spilled to disk, in the map and in a merge.
    let temp = dir.create_dir("tmp");
    let temp = temp.to_string_lossy().into_owned();
    let spill = [
        "--memory",
        "1",
        "--temp-dir",
        &temp,
        "-j",
        "2",
        "--chunk-size",
        "16K",
    ];
    let mut args = vec!["match", PATTERN, "--example-text", &name];
    args.extend(spill);
    assert_bytes_eq!(ok(&args), base, "spilled map");
    let mut args = vec!["merge", &parts[1], &parts[2], &parts[0]];
    args.extend(spill);
    assert_bytes_eq!(ok(&args), base, "spilled merge");
    // --state over a log that grows: the running total names what one run would.
    let grown = dir.path("grown.log");
    let half = data.len() / 2;
    let cut = half + data[half..].iter().position(|&b| b == b'\n').unwrap() + 1;
    std::fs::write(&grown, &data[..cut]).unwrap();
    let state = dir.path("state");
    let g = grown.to_string_lossy().into_owned();
    let s = state.to_string_lossy().into_owned();
    ok(&["match", PATTERN, "--example-text", &g, "--state", &s]);
    std::fs::write(&grown, &data).unwrap();
    let got = ok(&["match", PATTERN, "--example-text", &g, "--state", &s]);
    assert_bytes_eq!(got, renamed(&base, &name, &g), "--state");
}

#[test]
fn per_and_fields_examples_do_not_depend_on_the_split() {
    let log = testdata("apache_access.log");
    let name = log.to_string_lossy().into_owned();
    for args in [
        vec!["match", PATTERN, "--per", "1d"],
        vec!["fields", "--format", "combined", "--by", "status"],
        vec!["lines", "--top", "5"],
    ] {
        let mut a = args.clone();
        a.extend(["--example", &name]);
        let base = ok(&a);
        assert!(base.windows(2).any(|w| w == b":1"), "{args:?}");
        for (j, chunk) in [("1", "1"), ("3", "2K"), ("2", "100K")] {
            let mut a = args.clone();
            a.extend(["--example", &name, "-j", j, "--chunk-size", chunk]);
            assert_bytes_eq!(ok(&a), base, "{args:?} -j {j} --chunk-size {chunk}");
        }
    }
}

#[test]
fn a_missing_shard_gives_byte_offsets_of_the_right_lines() {
    let log = testdata("apache_access.log");
    let name = log.to_string_lossy().into_owned();
    let data = std::fs::read(&log).unwrap();
    let dir = Dir::new("example_missing_shard");
    let parts = shard_partials(&dir, &["match", PATTERN, "--example", &name], 1..3);
    let out = ok(&["merge", &parts[0], &parts[1]]);
    let got = examples(&out, 2, 1);
    assert!(!got.is_empty());
    for (k, cells) in &got {
        let text = String::from_utf8(cells[0].clone()).unwrap();
        let at: usize = text
            .strip_prefix(&format!("{name}@"))
            .unwrap_or_else(|| panic!("{text} is not {name}@OFFSET"))
            .parse()
            .unwrap();
        assert!(
            at == 0 || data[at - 1] == b'\n',
            "{text} is not a line start"
        );
        let line = &data[at..at + data[at..].iter().position(|&b| b == b'\n').unwrap()];
        let mut parts = k.split(|&b| b == b'\t');
        let (method, path) = (parts.next().unwrap(), parts.next().unwrap());
        let needle = [b"\"", method, b" ", path].concat();
        assert!(
            line.windows(needle.len()).any(|w| w == needle),
            "{text}: {:?}",
            String::from_utf8_lossy(line)
        );
    }
}

#[test]
fn argument_order_within_a_run_path_order_across_runs() {
    let dir = Dir::new("example_orders");
    let b = dir.create("b.log", "x\nkey\n");
    let a = dir.create("a.log", "key\n");
    let (a, b) = (a.to_string_lossy(), b.to_string_lossy());
    let out = ok(&["match", "(key)", "--example", &b, &a]);
    assert_eq!(out, format!("key\t2\t{b}:2\n").into_bytes());
    let pb = dir.path("b.partial");
    let pa = dir.path("a.partial");
    write_partial(&pb, &["match", "(key)", "--example", &b]);
    write_partial(&pa, &["match", "(key)", "--example", &a]);
    let out = ok(&["merge", &pb.to_string_lossy(), &pa.to_string_lossy()]);
    assert_eq!(out, format!("key\t2\t{a}:1\n").into_bytes());
    // Partials without examples do not merge with partials that have them.
    let plain = dir.path("plain.partial");
    std::fs::write(&plain, ok(&["match", "(key)", &a, "--emit", "partial"])).unwrap();
    let (_, code, err) = run_logmill(
        &["merge", &pa.to_string_lossy(), &plain.to_string_lossy()],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("example"), "{err}");
}

#[test]
fn a_run_keeps_the_first_place_in_path_order_of_a_key_it_already_holds() {
    // b.log comes first in the arguments, a.log first by path: the worker holds `key` from
    // b.log when it reaches a.log, and must still take a.log's line as the first by path.
    let dir = Dir::new("example_held_by_path");
    let b = dir.create("b.log", "key\nx\nkey\n");
    let a = dir.create("a.log", "y\nz\nkey\nkey\n");
    let c = dir.create("c.log", "w\n");
    let (a, b, c) = (
        a.to_string_lossy(),
        b.to_string_lossy(),
        c.to_string_lossy(),
    );
    for chunk in ["1", "3", "1M"] {
        let pba = dir.path(format!("ba-{chunk}.partial"));
        let pc = dir.path(format!("c-{chunk}.partial"));
        let job = [
            "match",
            "(key)",
            "--example",
            "-j",
            "1",
            "--chunk-size",
            chunk,
        ];
        let mut args = job.to_vec();
        args.extend([&*b, &*a]);
        // One run: argument order.
        assert_eq!(
            ok(&args),
            format!("key\t4\t{b}:1\n").into_bytes(),
            "--chunk-size {chunk}"
        );
        write_partial(&pba, &args);
        let mut args = job.to_vec();
        args.push(&*c);
        write_partial(&pc, &args);
        // Two runs merged: path order, so a.log's first `key`.
        let out = ok(&["merge", &pba.to_string_lossy(), &pc.to_string_lossy()]);
        assert_eq!(
            out,
            format!("key\t4\t{a}:3\n").into_bytes(),
            "--chunk-size {chunk}"
        );
    }
}

#[test]
fn examples_in_every_format_and_records() {
    let dir = Dir::new("example_formats");
    let log = dir.create("t.log", "a 1\nb\tx 2\na 3\n");
    let log = log.to_string_lossy();
    let json = ok(&[
        "match",
        r"^(\S+)",
        "--example-text",
        "--output-format",
        "json",
        &log,
    ]);
    let text = String::from_utf8(json).unwrap();
    assert!(text.contains(&format!(r#""example":"{log}:2""#)), "{text}");
    assert!(text.contains(r#""example_text":"b\tx 2""#), "{text}");
    let csv = String::from_utf8(ok(&[
        "match",
        r"^(\S+)",
        "--example",
        "--output-format",
        "csv",
        &log,
    ]))
    .unwrap();
    assert!(
        csv.starts_with("key,count,example\n") || csv.contains(",example\n"),
        "{csv}"
    );
    let tsv = String::from_utf8(ok(&["match", r"^(\S+)", "--example-text", &log])).unwrap();
    assert!(tsv.contains("b\\tx 2\n"), "{tsv}");
    // Under --records, the record's first line and its line number.
    let java = testdata("records/java-app.log");
    let pattern = r"(?m)^(?:Caused by: )?([\w.$]+(?:Exception|Error))";
    let base = ok(&[
        "match",
        "--records",
        "java",
        pattern,
        "--example-text",
        &java.to_string_lossy(),
    ]);
    for chunk in ["1", "300"] {
        let got = ok(&[
            "match",
            "--records",
            "java",
            pattern,
            "--example-text",
            &java.to_string_lossy(),
            "--chunk-size",
            chunk,
            "-j",
            "3",
        ]);
        assert_bytes_eq!(got, base, "--records --chunk-size {chunk}");
    }
    let data = std::fs::read(&java).unwrap();
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').collect();
    for row in parse_tsv_rows(&base) {
        let n = line_of(&row[2], &java.to_string_lossy());
        assert_eq!(lines[n as usize - 1], &row[3][..]);
    }
}

#[test]
fn diff_shows_value_columns_old_and_new_and_examples() {
    let dir = Dir::new("example_diff");
    let data = std::fs::read(testdata("apache_access.log")).unwrap();
    let cut = 5000 + data[5000..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let old = dir.create("old.log", &data[..cut]);
    let new = dir.create("new.log", &data[cut..]);
    let fields = [
        "fields", "--format", "combined", "--by", "status", "--sum", "bytes",
    ];
    let partial = |log: &std::path::Path, name: &str| {
        let mut a: Vec<&str> = fields.to_vec();
        let l = log.to_string_lossy().into_owned();
        a.extend(["--example", "--emit", "partial", &l]);
        let p = dir.path(name);
        std::fs::write(&p, ok(&a)).unwrap();
        p.to_string_lossy().into_owned()
    };
    let (po, pn) = (partial(&old, "old.p"), partial(&new, "new.p"));
    let out = ok(&["diff", &po, &pn, "--header"]);
    let rows = parse_tsv_rows(&out);
    assert_eq!(
        rows[0],
        [
            "status",
            "old",
            "new",
            "delta",
            "change",
            "sum(bytes)_old",
            "sum(bytes)_new",
            "example"
        ]
        .map(|s| s.as_bytes().to_vec())
    );
    // The sums are those of each half on its own.
    let sums = |log: &std::path::Path| -> BTreeMap<Vec<u8>, Vec<u8>> {
        let mut a: Vec<&str> = fields.to_vec();
        let l = log.to_string_lossy().into_owned();
        a.push(&l);
        parse_tsv_rows(&ok(&a))
            .into_iter()
            .map(|r| (r[0].clone(), r[1].clone()))
            .collect()
    };
    let (so, sn) = (sums(&old), sums(&new));
    let plain = {
        let mut a: Vec<&str> = fields.to_vec();
        let l = new.to_string_lossy().into_owned();
        a.extend(["--example", &l]);
        examples(&ok(&a), 1, 1)
    };
    for r in &rows[1..] {
        assert_eq!(so.get(&r[0]).cloned().unwrap_or_default(), r[5], "{r:?}");
        assert_eq!(sn.get(&r[0]).cloned().unwrap_or_default(), r[6], "{r:?}");
        if r[4] != b"gone" {
            assert_eq!(plain[&r[0]][0], r[7], "{r:?}");
        }
    }
}

#[test]
fn rejects_are_listed_once_with_examples() {
    let dir = Dir::new("example_rejects");
    let log = dir.create("t.log", "a 1\nb x\na 2\nc y\nb 3\n");
    let log = log.to_string_lossy().into_owned();
    let mut files = Vec::new();
    for extra in [&[][..], &["--example", "--chunk-size", "5"][..]] {
        let rejects = dir.path(format!("r{}", files.len()));
        let r = rejects.to_string_lossy().into_owned();
        let mut args = vec!["match", r"^(\w) (\w)", "--sum", "2", "--rejects", &r, &log];
        args.extend(extra);
        let (out, code, err) = run_logmill(&args, None);
        assert_eq!(code, 0, "{err}");
        if !extra.is_empty() {
            assert_eq!(
                out,
                format!("a\t2\t3\t{log}:1\nb\t1\t3\t{log}:5\n").into_bytes()
            );
        }
        files.push(std::fs::read(&rejects).unwrap());
    }
    assert_eq!(files[0], files[1]);
    assert!(!files[0].is_empty());
}

/// Under `--per`, every bucket names lines (not byte offsets): the first line of each
/// (day, status), as Python's `datetime` dates the access log's lines.
#[test]
fn per_bucket_examples_are_pythons_first_lines_in_every_bucket() {
    if !require_tools(&["python3"]) {
        return;
    }
    let log = testdata("apache_access.log");
    let script = format!(
        r#"python3 -c '
import re, sys, datetime
rx = re.compile(rb"\[([^\]]+)\].*?\" (\d{{3}}) ")
first = {{}}
for n, line in enumerate(open(sys.argv[1], "rb"), 1):
    m = rx.search(line)
    if m:
        t = datetime.datetime.strptime(m.group(1).decode(), "%d/%b/%Y:%H:%M:%S %z")
        day = t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT00:00:00+00:00")
        first.setdefault(day + "\t" + m.group(2).decode(), n)
for k, n in first.items(): print(k + "\t" + str(n))
' {}"#,
        shell_quote(&log)
    );
    let want: BTreeMap<Vec<u8>, u64> = parse_tsv_rows(&sh(&script))
        .into_iter()
        .map(|mut r| {
            let n = String::from_utf8(r.pop().unwrap())
                .unwrap()
                .parse()
                .unwrap();
            (r.join(&b'\t'), n)
        })
        .collect();
    assert!(want.len() > 10, "{want:?}");
    let name = log.to_string_lossy().into_owned();
    for j in ["1", "2"] {
        let out = ok(&[
            "match",
            r#"" (\d{3}) "#,
            "--example",
            "--per",
            "1d",
            "--tz",
            "UTC",
            "-j",
            j,
            "--chunk-size",
            "16K",
            &name,
        ]);
        let got = examples(&out, 2, 1);
        assert_eq!(got.len(), want.len());
        for (k, cells) in &got {
            assert_eq!(
                line_of(&cells[0], &name),
                want[k],
                "{:?}",
                String::from_utf8_lossy(k)
            );
        }
    }
}
