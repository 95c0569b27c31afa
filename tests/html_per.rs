//! The HTML report's time series and diffs (issue 18): under `--per`, the page's table equals
//! the TSV output row for row and its SVG chart has one series per top key (and "other"),
//! with each series' counts equal to the TSV's; the report's context (covered range, records
//! read) under `--per`; new and gone keys marked in `logmill diff` and `--diff` reports;
//! hostile keys inside the chart; byte-identical pages across runs and thread counts. Pages
//! are loaded in headless Chromium and read back with Python's `html.parser` (see `html.rs`).

use std::collections::BTreeMap;

use crate::html::{
    assert_only_report_markup, assert_rows_match_tsv, chromium_dom, hostile_log, load_checked,
    no_csp_violation, page, parse_dom, report_script, Server,
};
use crate::util::*;

/// Series drawn on their own; past this many keys, the rest are one series, "other".
const TOP: usize = 7;

/// A TSV cell as the page shows it (see `html::as_shown`).
fn shown(cell: &[u8]) -> String {
    String::from_utf8_lossy(cell).replace('\0', "\u{fffd}")
}

/// The chart's series computed from a `--per` TSV result with `--header` (all rows, no
/// `--top`), independently of the report: each key's total over the buckets (the key columns
/// are those between `time` and the last column, the count, joined by ` / `; a time-only
/// result is one series, "count"), ranked by total descending then key bytes, the first 7 when
/// there are more than 8 keys, then "other"; with each series' total.
fn expected_series(tsv: &[u8]) -> Vec<(String, u64)> {
    let rows = parse_tsv_rows(tsv);
    let (header, rows) = rows.split_first().expect("a header");
    assert_eq!(header[0], b"time");
    let mut totals: BTreeMap<Vec<u8>, u64> = BTreeMap::new();
    for r in rows {
        let key: Vec<u8> = match header.len() {
            2 => b"count".to_vec(),
            n => r[1..n - 1].join(&b" / "[..]),
        };
        let n: u64 = std::str::from_utf8(r.last().unwrap())
            .unwrap()
            .parse()
            .unwrap();
        *totals.entry(key).or_default() += n;
    }
    let mut ranked: Vec<(Vec<u8>, u64)> = totals.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if ranked.len() <= TOP + 1 {
        return ranked.iter().map(|(k, n)| (shown(k), *n)).collect();
    }
    let other: u64 = ranked[TOP..].iter().map(|r| r.1).sum();
    let mut series: Vec<(String, u64)> =
        ranked[..TOP].iter().map(|(k, n)| (shown(k), *n)).collect();
    series.push(("other".into(), other));
    series
}

/// Each legend entry with the sum of its bar segments' counts (`LABEL — NAME: N` titles).
fn chart_series(dom: &crate::html::Dom) -> Vec<(String, u64)> {
    dom.legend
        .iter()
        .map(|name| {
            let total = dom
                .titles
                .iter()
                .filter_map(|t| {
                    let (head, n) = t.rsplit_once(": ")?;
                    let (_, series) = head.split_once(" \u{2014} ")?;
                    (series == name).then(|| n.parse::<u64>().unwrap())
                })
                .sum();
            (name.clone(), total)
        })
        .collect()
}

/// How many `<g>` series groups the chart has.
fn groups(dom: &crate::html::Dom) -> usize {
    dom.elements.iter().filter(|(t, _)| t == "g").count()
}

#[test]
fn a_per_report_charts_one_series_per_top_key_and_its_table_equals_the_tsv() {
    if !require_tools(&["chromium", "python3"]) {
        return;
    }
    let dir = Dir::new("html-per");
    let log = testdata("apache_access.log");
    let log = log.to_str().unwrap();
    let combined = ["fields", "--format", "combined"];
    let jobs: Vec<(Vec<&str>, &[&str])> = vec![
        // Eight statuses: eight series, no "other".
        (
            [
                &combined[..],
                &["--by", "status", "--per", "1h", "--tz", "UTC", log],
            ]
            .concat(),
            &[],
        ),
        // Many paths: the top 7 and "other"; `--top` is per bucket, as in TSV.
        (
            [
                &combined[..],
                &["--by", "path", "--per", "1d", "--tz", "UTC", log],
            ]
            .concat(),
            &["--top", "3"],
        ),
        // Two key columns, in another zone.
        (
            [
                &combined[..],
                &[
                    "--by",
                    "method",
                    "--by",
                    "status",
                    "--per",
                    "6h",
                    "--tz",
                    "Asia/Kolkata",
                    log,
                ],
            ]
            .concat(),
            &[],
        ),
        // A time-only result: one series.
        (
            vec!["grep", "-F", "GET", "--per", "1h", "--tz", "UTC", log],
            &[],
        ),
    ];
    let server = Server::start(&dir);
    for (i, (args, top)) in jobs.iter().enumerate() {
        let name = format!("per-{i}.html");
        let html = page(
            &dir,
            &[&args[..], top, &["--output-format", "html"]].concat(),
        );
        std::fs::write(dir.path(&name), &html).unwrap();
        let tsv = page(&dir, &[&args[..], top, &["--header"]].concat());
        let all = page(&dir, &[&args[..], &["--header"]].concat());
        let want = expected_series(&all);
        let script = report_script(&html);
        let (dom, log) = chromium_dom(&dir, &server.url(&name), true);
        let parsed = parse_dom(&dom);
        assert_rows_match_tsv(&parsed, &tsv);
        assert_only_report_markup(&parsed, &script);
        no_csp_violation(&log);
        assert_eq!(chart_series(&parsed), want, "{args:?}");
        assert_eq!(groups(&parsed), want.len(), "{args:?}");
        if args.contains(&"grep") {
            assert_eq!(want.len(), 1);
        }
        if args.contains(&"path") {
            assert_eq!(want.last().unwrap().0, "other");
        }
        // The page's context: the covered range from the first bucket's label, in the zone,
        // which also labels the time axis; the records read.
        let text = String::from_utf8(html).unwrap();
        let first = String::from_utf8(parse_tsv_rows(&tsv)[1][0].clone()).unwrap();
        let zone = args[args.iter().position(|a| *a == "--tz").unwrap() + 1];
        assert!(
            text.contains(&format!("<dt>Covers</dt><dd>{first} to "))
                && text.contains(&format!("({zone})</dd>")),
            "{args:?}"
        );
        assert!(
            text.contains(&format!("text-anchor=\"start\">{first}</text>")),
            "{first}"
        );
        if zone == "Asia/Kolkata" {
            assert!(first.ends_with("+05:30"), "{first}");
        }
        assert!(
            text.contains("<dt>Records read</dt><dd><span class=\"n\">10000</span></dd>"),
            "{args:?}"
        );
    }
}

/// The hostile log of `html.rs` with its lines spread over three hours.
fn hostile_hours() -> Vec<u8> {
    let log = hostile_log();
    let mut out = Vec::new();
    for (i, line) in log.split_inclusive(|&b| b == b'\n').enumerate() {
        let hour = format!("[10/Oct/2024:{}:55:36", 13 + i % 3);
        let at = line
            .windows(21)
            .position(|w| w == b"[10/Oct/2024:13:55:36")
            .unwrap();
        out.extend_from_slice(&line[..at]);
        out.extend_from_slice(hour.as_bytes());
        out.extend_from_slice(&line[at + 21..]);
    }
    out
}

#[test]
fn hostile_keys_in_the_chart_stay_text() {
    if !require_tools(&["chromium", "python3"]) {
        return;
    }
    let dir = Dir::new("html-per-hostile");
    std::fs::write(dir.path("h.log"), hostile_hours()).unwrap();
    let per = ["--per", "1h", "--tz", "UTC"];
    let jobs: Vec<Vec<&str>> = vec![
        [
            &["fields", "--format", "combined", "--by", "user"][..],
            &per,
            &["h.log"],
        ]
        .concat(),
        [
            &[
                "fields", "--format", "combined", "--by", "agent", "--by", "path",
            ][..],
            &per,
            &["h.log"],
        ]
        .concat(),
        [
            &[r#"match"#, r#""GET (?P<path>\S*) HTTP"#][..],
            &per,
            &["h.log"],
        ]
        .concat(),
    ];
    let server = Server::start(&dir);
    for (i, args) in jobs.iter().enumerate() {
        let (parsed, _, tsv) = load_checked(&dir, &server, &format!("hostile-{i}.html"), args);
        let want = expected_series(&tsv);
        assert_eq!(want.len(), TOP + 1, "{args:?}");
        assert_eq!(chart_series(&parsed), want, "{args:?}");
        let svgs = parsed.elements.iter().filter(|(t, _)| t == "svg").count();
        assert_eq!(svgs, 1, "{args:?}");
        for bad in ["img", "iframe", "a", "link", "base", "style", "meta"] {
            let n = parsed.elements.iter().filter(|(t, _)| t == bad).count();
            let allowed = match bad {
                "meta" => 5,
                "style" => 1,
                _ => 0,
            };
            assert_eq!(n, allowed, "<{bad}> in {args:?}");
        }
    }
    let requests = server.requests();
    assert_eq!(requests.len(), jobs.len(), "requests: {requests:?}");
}

#[test]
fn diff_reports_mark_new_and_gone_keys() {
    if !require_tools(&["chromium", "python3"]) {
        return;
    }
    let dir = Dir::new("html-diff");
    dir.create("old.txt", "a a a b c <x>\n");
    dir.create("new.txt", "a b b d d d \"><img src=x>\n");
    for (f, p) in [("old.txt", "old.p"), ("new.txt", "new.p")] {
        let partial = page(&dir, &["words", "--emit", "partial", f]);
        std::fs::write(dir.path(p), partial).unwrap();
    }
    let html = page(&dir, &["diff", "old.p", "new.p", "--output-format", "html"]);
    std::fs::write(dir.path("diff.html"), &html).unwrap();
    let tsv = page(&dir, &["diff", "old.p", "new.p", "--header"]);
    let server = Server::start(&dir);
    let (dom, log) = chromium_dom(&dir, &server.url("diff.html"), true);
    let parsed = parse_dom(&dom);
    assert_rows_match_tsv(&parsed, &tsv);
    assert_only_report_markup(&parsed, &report_script(&html));
    no_csp_violation(&log);
    let rows = parse_tsv_rows(&tsv);
    let change = rows[0].iter().position(|c| c == b"change").unwrap();
    let mut marked = Vec::new();
    for (i, row) in rows.iter().enumerate().skip(1) {
        let want = match &row[change][..] {
            b"new" | b"gone" => String::from_utf8(row[change].clone()).unwrap(),
            _ => String::new(),
        };
        assert_eq!(parsed.row_classes[i], want, "row {i}");
        if !want.is_empty() {
            marked.push(want);
        }
    }
    marked.sort();
    assert_eq!(marked, ["gone", "gone", "new", "new", "new"]);
    // The mark is text, readable without the style sheet.
    let text = String::from_utf8(html).unwrap();
    assert_eq!(text.matches("<strong>new</strong>").count(), 3, "{text}");
    assert_eq!(text.matches("<strong>gone</strong>").count(), 2, "{text}");

    // `--diff` with `--state`: the second run's report marks the key it brought.
    dir.create("s.log", "a b\n");
    page(&dir, &["words", "--state", "st", "s.log"]);
    std::fs::write(dir.path("s.log"), "a b\nzz\n").unwrap();
    let html = page(
        &dir,
        &[
            "words",
            "--state",
            "st",
            "--diff",
            "--output-format",
            "html",
            "s.log",
        ],
    );
    let text = String::from_utf8(html).unwrap();
    assert!(
        text.contains("<tr class=\"new\"><td class=\"k\">zz</td>"),
        "{text}"
    );
}

#[test]
fn per_reports_are_byte_identical_across_runs_threads_and_chunk_sizes() {
    let dir = Dir::new("html-per-determinism");
    let log = testdata("apache_access.log");
    let args = [
        "fields",
        "--format",
        "combined",
        "--by",
        "path",
        "--per",
        "1h",
        "--tz",
        "Europe/Berlin",
        "--top",
        "3",
        "--output-format",
        "html",
        log.to_str().unwrap(),
    ];
    let first = page(&dir, &[&args[..], &["-j1"]].concat());
    for extra in [&["-j1"][..], &["-j2"], &["-j2", "--chunk-size", "16K"]] {
        let again = page(&dir, &[&args[..], extra].concat());
        assert!(first == again, "{extra:?} changed the page");
    }
    let text = String::from_utf8(first).unwrap();
    assert_eq!(text.matches("<svg").count(), 1);
    assert_eq!(text.matches("<g class=").count(), TOP + 1);
}

#[test]
fn records_read_is_the_inputs_record_count_for_any_chunk_size() {
    let dir = Dir::new("html-records");
    dir.create("a.txt", "one two\n\nthree\nfour");
    dir.create("q.csv", "a,b\n1,\"x\ny\"\n2,z\n3,\"q\"");
    let log = testdata("apache_access.log");
    let log = log.to_str().unwrap();
    let records = |args: &[&str]| -> String {
        let html = page(&dir, &[args, &["--output-format", "html"]].concat());
        let text = String::from_utf8(html).unwrap();
        let at = text
            .find("<dt>Records read</dt><dd><span class=\"n\">")
            .unwrap_or_else(|| panic!("no records read: {text}"));
        let rest = &text[at + 41..];
        rest[..rest.find('<').unwrap()].to_string()
    };
    // Lines: `wc -l` plus the last line without its end; CSV: the records Python's csv reads
    // (the header line is one); a run over several inputs sums them.
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["words", "a.txt"], "4"),
        (vec!["lines", "a.txt", log], "10004"),
        (vec!["fields", "--format", "csv", "--by", "a", "q.csv"], "4"),
        (
            vec![
                "fields", "--format", "combined", "--by", "status", "--per", "1d", log,
            ],
            "10000",
        ),
    ];
    for (args, want) in cases {
        for extra in [
            &["-j1"][..],
            &["-j2", "--chunk-size", "1K"],
            &["-j2", "--chunk-size", "7"],
        ] {
            assert_eq!(
                records(&[&args[..], extra].concat()),
                want,
                "{args:?} {extra:?}"
            );
        }
    }
    if require_tools(&["python3"]) {
        let py = sh(&format!(
            "python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], newline=\"\")))))' {}",
            shell_quote(dir.path("q.csv"))
        ));
        assert_eq!(String::from_utf8(py).unwrap().trim(), "4");
    }
    // `--state --since-last`: the records this run read (the rows are this run's alone); a
    // running total: the records of every run (as its rows count them all).
    dir.create("s.log", "a\nb\n");
    let state = ["words", "--state", "st", "--since-last", "s.log"];
    assert_eq!(records(&state), "2");
    std::fs::write(dir.path("s.log"), "a\nb\nc c\n").unwrap();
    assert_eq!(records(&state), "1");
    std::fs::write(dir.path("s.log"), "a\nb\nc c\nd\n").unwrap();
    assert_eq!(records(&["words", "--state", "st", "s.log"]), "4");
    // Merged partials say what their runs read (see `records_read.rs`).
    let partial = page(&dir, &["words", "--emit", "partial", "a.txt"]);
    std::fs::write(dir.path("a.p"), partial).unwrap();
    assert_eq!(records(&["merge", "a.p"]), "4");
}

#[test]
fn a_chart_of_many_buckets_is_bounded_and_keeps_every_count() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("html-per-many");
    let log = testdata("apache_access.log");
    let args = [
        "fields",
        "--format",
        "combined",
        "--by",
        "status",
        "--per",
        "1s",
        "--tz",
        "UTC",
        log.to_str().unwrap(),
    ];
    let html = page(&dir, &[&args[..], &["--output-format", "html"]].concat());
    let all = page(&dir, &[&args[..], &["--header"]].concat());
    let buckets: std::collections::BTreeSet<Vec<u8>> = parse_tsv_rows(&all)[1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert!(buckets.len() > 480, "{} buckets", buckets.len());
    let parsed = parse_dom(&html);
    // Bars of equal time, at most 480 of them, each series' counts all there.
    let bars: std::collections::BTreeSet<String> = parsed
        .titles
        .iter()
        .map(|t| t.split(" \u{2014} ").next().unwrap().to_string())
        .collect();
    assert!(bars.len() <= 480, "{} bars", bars.len());
    assert!(bars.iter().all(|b| b.starts_with("from ")));
    assert_eq!(chart_series(&parsed), expected_series(&all));
    let text = String::from_utf8(html).unwrap();
    assert!(text.len() < 1 << 20, "{} bytes", text.len());
    assert!(
        text.contains("left out (--top 1000)"),
        "the page says rows were left out"
    );
}

#[test]
fn a_spilled_per_report_streams_its_rows_under_its_chart() {
    let dir = Dir::new("html-per-spilled");
    let log = testdata("apache_access.log");
    let args = [
        "fields",
        "--format",
        "combined",
        "--by",
        "path",
        "--per",
        "1h",
        "--tz",
        "UTC",
        "--memory",
        "1M",
        log.to_str().unwrap(),
    ];
    let html = page(&dir, &[&args[..], &["--output-format", "html"]].concat());
    let text = String::from_utf8(html).unwrap();
    // The chart, read from the spilled result (see `html_spilled.rs`), above the rows.
    assert_eq!(text.matches("<svg").count(), 1);
    assert!(text.find("<svg").unwrap() < text.find("<tbody>").unwrap());
    // The rows are the TSV's, up to the page's bound.
    let tsv = page(&dir, &[&args[..], &["--header"]].concat());
    let rows = parse_tsv_rows(&tsv);
    assert!(rows.len() > 1001);
    assert_eq!(text.matches("<tr>").count(), 1001);
    let first = String::from_utf8(rows[1][1].clone()).unwrap();
    assert!(
        text.contains(&format!("<td class=\"k\">{first}</td>")),
        "{first}"
    );
}
