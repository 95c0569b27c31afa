//! `logmill match`: differential tests against the `grep -o | sed | sort | uniq -c` pipeline
//! (and `rg -o -r '$1'` when installed) on the real logs, `--sum` against an independent exact
//! oracle, CLI behaviour (out-of-range numbers rejected, `--top 0`), and a property test for
//! thread count and chunk size.

use std::collections::BTreeMap;
use std::path::Path;

use proptest::prelude::*;

use crate::util::*;

/// logmill's rows, unescaped, as key fields → the remaining cells.
fn logmill_rows(args: &[&str], stdin: Option<&[u8]>) -> (Vec<Vec<Vec<u8>>>, i32, String) {
    let mut all = vec!["match"];
    all.extend_from_slice(args);
    let (out, code, err) = run_logmill(&all, stdin);
    (parse_tsv_rows(&out), code, err)
}

/// logmill's output as key (fields joined by TAB, unescaped) → count.
fn logmill_counts(args: &[&str]) -> BTreeMap<Vec<u8>, u64> {
    let (rows, code, err) = logmill_rows(args, None);
    assert_eq!(code, 0, "{err}");
    let mut m = BTreeMap::new();
    for mut row in rows {
        let count = row.pop().unwrap();
        let count: u64 = String::from_utf8(count).unwrap().parse().unwrap();
        assert!(m.insert(row.join(&b'\t'), count).is_none(), "repeated key");
    }
    m
}

fn path(file: &str) -> String {
    testdata(file).to_str().unwrap().to_string()
}

/// `grep -oE PATTERN | sed -E 's/^PATTERN$/REPLACEMENT/' | sort | uniq -c`: every match, its
/// groups extracted by sed with the same ERE.
fn pipeline(ere: &str, replacement: &str, file: &str) -> BTreeMap<Vec<u8>, u64> {
    let script = format!(
        "grep -oE {ere} {file} | sed -E {sed} | sort | uniq -c",
        ere = shell_quote(ere),
        file = shell_quote(path(file)),
        sed = shell_quote(format!(
            "s/^{}{}/{}/",
            ere.trim_end_matches('$').replace('/', r"\/"),
            "$",
            replacement
        )),
    );
    parse_uniq_c(&sh(&script))
}

#[test]
fn status_codes_equal_the_pipeline() {
    if !require_tools(&["grep", "sed", "sort", "uniq"]) {
        return;
    }
    let log = path("apache_access.log");
    let want = pipeline(r#"HTTP/1\.[01]" ([0-9]{3}) "#, r"\1", "apache_access.log");
    assert!(want.len() > 3);
    assert_eq!(
        logmill_counts(&[r#"HTTP/1\.[01]" ([0-9]{3}) "#, &log]),
        want
    );
    // Several threads and tiny chunks change nothing.
    assert_eq!(
        logmill_counts(&[
            "-j",
            "3",
            "--chunk-size",
            "2K",
            r#"HTTP/1\.[01]" ([0-9]{3}) "#,
            &log
        ]),
        want
    );
}

#[test]
fn client_ips_equal_cut_sort_uniq() {
    if !require_tools(&["cut", "sort", "uniq"]) {
        return;
    }
    let log = path("apache_access.log");
    let want = parse_uniq_c(&sh(&format!(
        "cut -d' ' -f1 {} | sort | uniq -c",
        shell_quote(&log)
    )));
    assert_eq!(logmill_counts(&[r"^(\S+) ", &log]), want);
}

#[test]
fn two_groups_and_no_group_equal_the_pipeline() {
    if !require_tools(&["grep", "sed", "sort", "uniq"]) {
        return;
    }
    let log = path("apache_access.log");
    // Two groups: one column each, joined by TAB.
    let ere = r#""(GET|POST|HEAD|OPTIONS) [^ "]* HTTP/1\.([01])""#;
    let want = pipeline(ere, r"\1\t\2", "apache_access.log");
    assert!(want.len() >= 3);
    assert_eq!(logmill_counts(&[ere, &log]), want);
    // No group: the whole match is the key; --all counts every match on a line.
    for file in ["loghub/HDFS_2k.log", "loghub/OpenSSH_2k.log"] {
        let want = pipeline("blk_-?[0-9]+|[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+", "&", file);
        let got = logmill_counts(&[
            "--all",
            r"blk_-?[0-9]+|[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+",
            &path(file),
        ]);
        assert_eq!(got, want, "{file}");
    }
}

#[test]
fn all_matches_on_crlf_logs_and_invalid_utf8() {
    if !require_tools(&["grep", "sed", "sort", "uniq"]) {
        return;
    }
    // The last line has no newline; the others end in \r\n. A word at the line end must not
    // carry the \r along (it is not \w).
    let want = pipeline(r"([A-Za-z]+)$", r"\1", "loghub/Linux_2k.log");
    assert_eq!(
        logmill_counts(&[r"([A-Za-z]+)$", &path("loghub/Linux_2k.log")]),
        want
    );
    // grep and sed need the \r as a byte in the pattern.
    let want = pipeline("([A-Za-z]+)\r?$", r"\1", "loghub/Linux_2k.log");
    assert_eq!(
        logmill_counts(&[r"([A-Za-z]+)\r?$", &path("loghub/Linux_2k.log")]),
        want
    );
    // A capture that keeps the \r: TSV escapes it, and unescaped it is the raw bytes.
    let want = pipeline(r"(rhost=[^ ]* ?[^ ]*)$", r"\1", "loghub/Linux_2k.log");
    let got = logmill_counts(&[r"(rhost=[^ ]* ?[^ ]*)$", &path("loghub/Linux_2k.log")]);
    assert!(got.keys().any(|k| k.ends_with(b"\r")), "{got:?}");
    assert_eq!(got, want);
    // kjv.txt holds a lone 0x97 byte; words next to it are still counted.
    let want = pipeline(r"[A-Z][a-z]+eth", "&", "kjv.txt");
    assert_eq!(
        logmill_counts(&["--all", "[A-Z][a-z]+eth", &path("kjv.txt")]),
        want
    );
}

#[test]
fn equals_rg_o_r_pipeline() {
    if !require_tools(&["rg", "sort", "uniq"]) {
        return;
    }
    let log = path("apache_access.log");
    for pattern in [r#"" (\d{3}) \d+ ""#, r"GET /([a-z]+)/"] {
        let want = parse_uniq_c(&sh(&format!(
            "rg -o -r '$1' {} {} | sort | uniq -c",
            shell_quote(pattern),
            shell_quote(&log)
        )));
        assert_eq!(logmill_counts(&["--all", pattern, &log]), want, "{pattern}");
    }
}

#[test]
fn sum_of_bytes_per_status_equals_awk_and_reports_rejected() {
    if !require_tools(&["grep", "sed", "awk"]) {
        return;
    }
    let log = path("apache_access.log");
    let ere = r#"HTTP/1\.[01]" [0-9]{3} [^ ]+"#;
    // Integers only here, far below 2^53: awk's doubles are exact.
    let want = sh(&format!(
        "grep -oE {ere} {log} | sed -E 's/.*\" ([0-9]{{3}}) ([^ ]+)$/\\1 \\2/' | \
         awk '$2 ~ /^[0-9]+$/ {{ c[$1]++; s[$1] += $2 }} $2 !~ /^[0-9]+$/ {{ r++ }} \
         END {{ for (k in c) printf \"%s\\t%d\\t%.0f\\n\", k, c[k], s[k]; printf \"rejected %d\\n\", r }}' | sort",
        ere = shell_quote(ere),
        log = shell_quote(&log)
    ));
    let want = String::from_utf8(want).unwrap();
    let rejected: u64 = want
        .lines()
        .find_map(|l| l.strip_prefix("rejected "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(rejected > 0);
    let (out, code, err) = run_logmill(
        &[
            "match",
            "--sort",
            "key",
            r#"HTTP/1\.[01]" (?P<status>\d{3}) (?P<bytes>\S+)"#,
            "--sum",
            "bytes",
            &log,
        ],
        None,
    );
    assert_eq!(code, 0);
    let mut got: Vec<String> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    got.push(format!("rejected {rejected}"));
    got.sort();
    let want: Vec<&str> = want.lines().collect();
    assert_eq!(got, want);
    assert_eq!(
        err,
        format!(
            "logmill: warning: {rejected} matches rejected in group 'bytes': {rejected} not a \
             number (e.g. \"-\"); left out of the counts and sums; --rejects FILE lists them\n"
        )
    );
}

#[test]
fn decimal_sums_are_exact_for_any_split() {
    // 0.1 a thousand times: floating point would print 99.9999999999986.
    let mut data = Vec::new();
    for i in 0..1000 {
        data.extend_from_slice(
            format!("k=a v=0.1\nk=b v={}.{:02}\nk=a v=-\n", i, i % 100).as_bytes(),
        );
    }
    // Oracle: hundredths as integers.
    let b_total: i64 = (0..1000).map(|i| i * 100 + i % 100).sum();
    let b_sum = match b_total % 100 {
        0 => format!("{}", b_total / 100),
        r => format!(
            "{}.{}",
            b_total / 100,
            format!("{r:02}").trim_end_matches('0')
        ),
    };
    let want = format!("a\t1000\t100\nb\t1000\t{b_sum}\n");
    for (j, chunk) in [("1", "1M"), ("2", "1"), ("3", "100")] {
        let (out, code, err) = run_logmill(
            &[
                "-j",
                j,
                "--chunk-size",
                chunk,
                "match",
                "--sort",
                "key",
                r"k=(\w) v=(\S+)",
                "--sum",
                "2",
            ],
            Some(&data),
        );
        assert_eq!(code, 0);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            want,
            "-j {j} --chunk-size {chunk}"
        );
        assert!(err.contains("1000 matches rejected"), "{err}");
    }
}

#[test]
fn sum_overflow_is_a_clear_error() {
    let data = format!("x {}\nx 1\n", u128::MAX);
    let (out, code, err) = run_logmill(
        &["match", r"(\w) (\d+)", "--sum", "2"],
        Some(data.as_bytes()),
    );
    assert_eq!((out.len(), code), (0, 2));
    assert!(
        err.starts_with("logmill: the sum of sum_group2 for key 'x' is out of range"),
        "{err}"
    );
}

#[test]
fn empty_groups_exit_codes_and_errors() {
    // A group that did not take part in the match is an empty cell.
    let (rows, code, _) = logmill_rows(&["--sort", "key", r"(a)|(b)"], Some(b"a\nb\nb\n"));
    assert_eq!(code, 0);
    assert_eq!(
        rows,
        vec![
            vec![b"".to_vec(), b"b".to_vec(), b"2".to_vec()],
            vec![b"a".to_vec(), b"".to_vec(), b"1".to_vec()]
        ]
    );
    // Top and sort.
    let (rows, _, _) = logmill_rows(&["--top", "1", r"(\w)"], Some(b"a\nb\nb\n"));
    assert_eq!(rows, vec![vec![b"b".to_vec(), b"2".to_vec()]]);
    // Nothing matched: exit 1, no output.
    assert_eq!(logmill_rows(&[r"(z)"], Some(b"a\n")).1, 1);
    // A missing group name for --sum.
    let (_, code, err) = logmill_rows(&[r"(?P<n>\d+)", "--sum", "bytes"], Some(b"1\n"));
    assert_eq!(code, 2);
    assert!(err.contains("--sum") && err.contains("bytes"), "{err}");
    // An invalid regex names itself.
    let (_, code, err) = logmill_rows(&[r"(\d+"], Some(b"1\n"));
    assert_eq!(
        (code, err.as_str()),
        (
            2,
            "logmill: invalid regex '(\\d+' at column 1: unclosed group\n"
        )
    );
}

#[test]
fn tabs_and_backslashes_in_keys_stay_parseable() {
    let (out, code, _) = run_logmill(
        &["match", "--sort", "key", r"k=([^;]*);"],
        Some(b"k=a\tb;\nk=c\\d;\nk=a\tb;\n"),
    );
    assert_eq!(code, 0);
    assert_eq!(out, b"a\\tb\t2\nc\\\\d\t1\n");
}

/// Independent oracle: lines split by hand, first (or every) non-empty match per line, groups
/// joined by TAB, counted in a BTreeMap.
fn oracle(pattern: &str, all: bool, data: &[u8]) -> BTreeMap<Vec<u8>, u64> {
    let re = regex::bytes::RegexBuilder::new(pattern)
        .multi_line(true)
        .build()
        .unwrap();
    let mut m = BTreeMap::new();
    if data.is_empty() {
        return m;
    }
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    for line in body.split(|&b| b == b'\n') {
        for caps in re
            .captures_iter(line)
            .filter(|c| !c[0].is_empty())
            .take(if all { usize::MAX } else { 1 })
        {
            let key: Vec<Vec<u8>> = if caps.len() == 1 {
                vec![caps[0].to_vec()]
            } else {
                (1..caps.len())
                    .map(|i| caps.get(i).map_or(Vec::new(), |g| g.as_bytes().to_vec()))
                    .collect()
            };
            *m.entry(key.join(&b'\t')).or_insert(0) += 1;
        }
    }
    m
}

fn counts_with(
    pattern: &str,
    all: bool,
    data: &[u8],
    threads: usize,
    chunk: usize,
) -> BTreeMap<Vec<u8>, u64> {
    let job = logmill::JobParams::Match(logmill::jobs::matches::MatchParams {
        pattern: pattern.to_string(),
        options: Default::default(),
        sum: None,
        all,
        records: None,
    });
    let out = crate::util::run_library(job, data, threads, chunk);
    parse_tsv_rows(&out)
        .into_iter()
        .map(|mut row| {
            let n = String::from_utf8(row.pop().unwrap())
                .unwrap()
                .parse()
                .unwrap();
            (row.join(&b'\t'), n)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn any_threads_and_chunk_size_give_the_per_line_counts(
        lines in proptest::collection::vec("[ab\"\r 1\t]{0,6}", 0..30),
        final_newline in any::<bool>(),
        pattern in proptest::sample::select(vec![
            "a+", "(a)(b)?", r"(\w)\s*(1)", "^(a|b)", r"(b\r?)$", r#""([^"]*)""#, r"(a)|(1)",
            r"\b(\w+)\b", "(?s)(a.)", "(x*)a",
            // These find candidate lines by a required literal first.
            r"(\w*)ab1( ?)", r"\b(ab1)\b", r#"([^"]*)"ab"#,
        ]),
        all in any::<bool>(),
        threads in 1usize..4,
        chunk in 1usize..40,
    ) {
        let mut data = lines.join("\n").into_bytes();
        if final_newline && !lines.is_empty() {
            data.push(b'\n');
        }
        prop_assert_eq!(counts_with(pattern, all, &data, threads, chunk), oracle(pattern, all, &data));
    }
}

#[test]
fn match_sum_on_a_pattern_without_groups_says_so() {
    let e = refused(&["match", "--sum", "1", "x"], Some(b"x\n"), "--sum");
    assert!(!e.contains("from 1 to 0"), "{e}");
    assert!(e.contains("no capture group"), "{e}");
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

#[test]
fn match_rejects_an_out_of_range_number_and_goes_on() {
    let dir = Dir::new("match_rejects_an_out_of_range_number_and_goes_on");
    let log = dir.path("m.log");
    std::fs::write(
        &log,
        "k v=1e400\nj v=5\nk v=-\nk v=1e-400\nk v=2\nk v=1.00000000000000000000000000000000000000001\n",
    )
    .unwrap();
    let rejects = dir.path("rejects.txt");
    for with_rejects in [false, true] {
        let mut args = vec!["match".to_string(), r"(\w) v=(\S+)".into(), "--sum".into()];
        args.push("2".into());
        if with_rejects {
            args.extend(["--rejects".to_string(), s(&rejects)]);
        }
        args.push(s(&log));
        let (out, code, err) = run_logmill(&args, None);
        assert_eq!(code, 0, "{err}");
        assert_eq!(out, b"j\t1\t5\nk\t1\t2\n");
        assert!(err.contains("4 matches rejected in group 2"), "{err}");
        assert!(
            err.contains("1 a number too large to hold exactly"),
            "{err}"
        );
        assert!(
            err.contains("1 a number with more than 38 decimal places"),
            "{err}"
        );
        assert!(
            err.contains("1 a number with more than 38 significant digits"),
            "{err}"
        );
        assert!(!err.contains("128 bits"), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let l = s(&log);
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        format!(
            "{l}:1:k v=1e400\n{l}:3:k v=-\n{l}:4:k v=1e-400\n\
             {l}:6:k v=1.00000000000000000000000000000000000000001\n"
        )
    );
    // The same listing for any chunking and thread count, from stdin too.
    let data = std::fs::read(&log).unwrap();
    for (j, chunk) in [("1", "1"), ("3", "7"), ("2", "1M")] {
        let (out, code, err) = run_logmill(
            &[
                "-j",
                j,
                "--chunk-size",
                chunk,
                "match",
                r"(\w) v=(\S+)",
                "--sum",
                "2",
                "--rejects",
                &s(&rejects),
            ],
            Some(&data),
        );
        assert_eq!(
            (out.as_slice(), code),
            (&b"j\t1\t5\nk\t1\t2\n"[..], 0),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&rejects).unwrap(),
            "-:1:k v=1e400\n-:3:k v=-\n-:4:k v=1e-400\n\
             -:6:k v=1.00000000000000000000000000000000000000001\n"
        );
    }
    // --strict: the first bad record in input order is the error.
    let (out, code, err) = run_logmill(
        &["match", r"(\w) v=(\S+)", "--sum", "2", "--strict", &l],
        None,
    );
    assert_eq!((out.len(), code), (0, 2));
    assert!(err.contains(&format!("{l}:1:")), "{err}");
    assert!(err.contains("too large to hold exactly"), "{err}");
    let (_, code, err) = run_logmill(
        &["match", r"(\w) v=(\S+)", "--sum", "2", "--strict", "-"],
        Some(b"k v=2\nk v=1e-400\n"),
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("-:2:") && err.contains("more than 38 decimal places"),
        "{err}"
    );
    assert!(!err.contains("128 bits"), "{err}");
}

#[test]
fn match_top_zero_exits_0_when_anything_matched() {
    let data = "a\n".repeat(5555);
    let (out, code, _) = run_logmill(&["match", "a", "--top", "0"], Some(data.as_bytes()));
    assert_eq!((out.len(), code), (0, 0));
    // Spilled to disk, too.
    let (out, code, _) = run_logmill(
        &["--memory", "1", "match", r"(\d+)", "--top", "0"],
        Some(
            (0..5000)
                .map(|i| format!("{i}\n"))
                .collect::<String>()
                .as_bytes(),
        ),
    );
    assert_eq!((out.len(), code), (0, 0));
    let (_, code, _) = run_logmill(&["match", "zzz", "--top", "0"], Some(data.as_bytes()));
    assert_eq!(code, 1);
}
