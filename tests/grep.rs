//! `logmill grep`: differential tests against GNU grep (and ripgrep when installed) on the
//! real logs in `testdata/`, CLI behaviour (exit codes, errors, `--by-file`, stdin), and a
//! property test for thread count and chunk size against an independent per-line oracle.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use proptest::prelude::*;

use crate::util::*;

/// grep's count and exit code: `(count, code)`.
fn grep_c(grep_args: &str, file: &str) -> (u64, i32) {
    let out = sh(&format!(
        "grep -c {grep_args} {} ; echo $?",
        shell_quote(testdata(file).to_str().unwrap())
    ));
    let text = String::from_utf8(out).unwrap();
    let mut it = text.split_whitespace().map(|s| s.parse::<i64>().unwrap());
    let (Some(count), Some(code)) = (it.next(), it.next()) else {
        panic!("grep -c {grep_args} {file}: unexpected output {text:?}");
    };
    (count as u64, code as i32)
}

/// logmill's count and exit code for `args` followed by the file.
fn logmill_c(args: &[&str], file: &str) -> (u64, i32) {
    let path = testdata(file);
    let mut all: Vec<&std::ffi::OsStr> = vec!["grep".as_ref()];
    all.extend(args.iter().map(std::ffi::OsStr::new));
    all.push(path.as_os_str());
    let (out, code, err) = run_logmill(&all, None);
    assert!(err.is_empty(), "stderr: {err}");
    let text = String::from_utf8(out).unwrap();
    (
        text.trim()
            .parse()
            .unwrap_or_else(|_| panic!("output {text:?}")),
        code,
    )
}

/// Each case: logmill's arguments and grep's (shell-quoted) arguments for the same question.
fn check_cases(file: &str, cases: &[(&[&str], &str)]) {
    if !require_tools(&["grep"]) {
        return;
    }
    for (ours, theirs) in cases {
        let want = grep_c(theirs, file);
        let got = logmill_c(ours, file);
        assert_eq!(
            got, want,
            "{file}: logmill grep {ours:?} vs grep -c {theirs}"
        );
    }
}

#[test]
fn equals_grep_c_on_the_access_log() {
    check_cases(
        "apache_access.log",
        &[
            (&["GET"], "-E 'GET'"),
            (&[" 404 "], "-E ' 404 '"),
            (
                &[r#"HTTP/1\.[01]" [45][0-9][0-9] "#],
                r#"-E 'HTTP/1\.[01]" [45][0-9][0-9] '"#,
            ),
            (
                &[r"^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+ .*Firefox"],
                r"-E '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+ .*Firefox'",
            ),
            (&["(bot|spider|crawl)"], "-E '(bot|spider|crawl)'"),
            (&[r#""-"$"#], r#"-E '"-"$'"#),
            (&[r"\.(png|jpg) HTTP"], r"-E '\.(png|jpg) HTTP'"),
            // A class that could cross a line end: the unterminated quote must not reach the
            // next line.
            (&[r#"" [^"]*bytes"#], r#"-E '" [^"]*bytes'"#),
            (&[r"[a-z]+\s[0-9]"], r"-E '[a-z]+\s[0-9]'"),
            (&["^$"], "-E '^$'"),
            (&["x*"], "-E 'x*'"),
            (&["-v", "GET"], "-v -E 'GET'"),
            (&["-v", "Mozilla"], "-v -E 'Mozilla'"),
            (&["-i", "firefox"], "-i -E 'firefox'"),
            (&["-i", "GET /ARTICLES"], "-i -E 'GET /ARTICLES'"),
            (&["-w", "bot"], "-w -E 'bot'"),
            (&["-w", "[0-9]+"], "-w -E '[0-9]+'"),
            (&["-w", "com"], "-w -E 'com'"),
            (&["-F", "(KHTML, like Gecko)"], "-F '(KHTML, like Gecko)'"),
            (&["-F", "["], "-F '['"),
            (&["-F", r"\x"], r"-F '\x'"),
            (
                &["-F", "-e", ".png", "-e", ".jpg"],
                "-F -e '.png' -e '.jpg'",
            ),
            (
                &["-e", "Googlebot", "-e", "bingbot", "-e", "Baidu"],
                "-E -e Googlebot -e bingbot -e Baidu",
            ),
            (&["-x", r"[^ ]+ - - .*"], r"-x -E '[^ ]+ - - .*'"),
            (&["-v", "-i", "-w", "get"], "-v -i -w -E 'get'"),
            (&["zzzqqq"], "-E 'zzzqqq'"),
        ],
    );
}

#[test]
fn equals_grep_c_on_crlf_logs_without_final_newline() {
    // CRLF endings: the \r belongs to the line, so `[0-9]$` only matches the last line, which
    // has neither \r nor \n.
    for file in [
        "loghub/OpenSSH_2k.log",
        "loghub/Linux_2k.log",
        "loghub/Apache_2k.log",
    ] {
        check_cases(
            file,
            &[
                (&["[0-9]$"], "-E '[0-9]$'"),
                (&[r"\r$"], "$'\\r$'"),
                (&["error"], "-E 'error'"),
                (&["-i", "error"], "-i -E 'error'"),
                (&["-v", "error"], "-v -E 'error'"),
                (&["-w", "root"], "-w -E 'root'"),
                (&["-x", r"[^\r]*\r"], "-x $'[^\\r]*\\r'"),
                (&["^$"], "-E '^$'"),
                // `grep -c -v ''` prints nothing at all (GNU grep 3.8 short-cuts it); ask the
                // same question another way.
                (&["-v", ""], "-v 'x*'"),
                (&["session (opened|closed)"], "-E 'session (opened|closed)'"),
            ],
        );
    }
    check_cases(
        "no_end_newline.txt",
        &[
            (&["bear"], "bear"),
            (&[r"\.$"], r"'\.$'"),
            (&["-v", "x"], "-v x"),
        ],
    );
}

#[test]
fn equals_grep_c_on_text_with_invalid_utf8() {
    check_cases(
        "kjv.txt",
        &[
            (&["God"], "God"),
            (&["-w", "LORD"], "-w LORD"),
            (&["-i", "-w", "lord"], "-i -w lord"),
            (&[r"(?-u:\x97)"], "$'\\x97'"),
            (&[r"(?-u:\w\x97)"], "-E $'[[:alnum:]_]\\x97'"),
            (&["-v", "the"], "-v the"),
            (&["^$"], "'^$'"),
        ],
    );
}

#[test]
fn any_threads_and_chunk_size_on_real_files() {
    for (file, pattern) in [
        ("apache_access.log", r#"" 404 [0-9]+ "#),
        ("loghub/OpenSSH_2k.log", "[0-9]$"),
    ] {
        let want = logmill_c(&[pattern], file);
        for (j, chunk) in [("1", "1"), ("3", "1K"), ("2", "64K")] {
            let got = logmill_c(&["-j", j, "--chunk-size", chunk, pattern], file);
            assert_eq!(got, want, "{file} -j {j} --chunk-size {chunk}");
        }
    }
}

#[test]
fn equals_rg_c() {
    // Only where ripgrep is installed (CI installs it; locally it may be skipped).
    if !require_tools(&["rg"]) {
        return;
    }
    let file = testdata("apache_access.log");
    for pattern in [
        r"GET /[a-z]+",
        r#"HTTP/1\.1" 30[0-9]"#,
        r"\d+\.\d+\.\d+\.\d+.*Chrome",
    ] {
        let want = sh(&format!(
            "rg -c {} {}",
            shell_quote(pattern),
            shell_quote(file.to_str().unwrap())
        ));
        let (got, code, _) =
            run_logmill(&["grep".as_ref(), pattern.as_ref(), file.as_os_str()], None);
        assert_eq!(code, 0);
        assert_bytes_eq!(got, want, "pattern {pattern}");
    }
}

#[test]
fn by_file_lists_inputs_in_order_then_the_total() {
    if !require_tools(&["grep", "awk"]) {
        return;
    }
    let files = [
        "loghub/OpenSSH_2k.log",
        "apache_access.log",
        "loghub/Linux_2k.log",
    ];
    let paths: Vec<String> = files
        .iter()
        .map(|f| testdata(f).to_str().unwrap().to_string())
        .collect();
    let quoted: Vec<String> = paths.iter().map(shell_quote).collect();
    // grep prints file:count; turn it into file<TAB>count and add the total.
    let want = sh(&format!(
        "grep -c -i -E 'failed|Failure' {} | awk '{{ i = index($0, \":\" ); n = substr($0, i + 1); \
         printf \"%s\\t%s\\n\", substr($0, 1, i - 1), n; t += n }} END {{ printf \"\\t%d\\n\", t }}'",
        quoted.join(" ")
    ));
    let mut args = vec!["grep", "--by-file", "-i", "failed|Failure"];
    args.extend(paths.iter().map(String::as_str));
    let (got, code, _) = run_logmill(&args, None);
    assert_eq!(code, 0);
    assert_bytes_eq!(got, want);
}

#[test]
fn stdin_equals_files() {
    let data = std::fs::read(testdata("loghub/Apache_2k.log")).unwrap();
    let path = testdata("loghub/Apache_2k.log");
    let (from_file, _, _) =
        run_logmill(&["grep".as_ref(), "error".as_ref(), path.as_os_str()], None);
    for args in [
        &["grep", "error"][..],
        &["--chunk-size", "100", "grep", "error", "-"],
    ] {
        let (from_stdin, code, _) = run_logmill(args, Some(&data));
        assert_eq!(code, 0);
        assert_bytes_eq!(from_stdin, from_file);
    }
}

#[test]
fn exit_codes_and_quiet() {
    let log = testdata("apache_access.log");
    let log = log.to_str().unwrap();
    assert_eq!(
        run_logmill(&["grep", "-q", "GET", log], None),
        (Vec::new(), 0, String::new())
    );
    assert_eq!(
        run_logmill(&["grep", "-q", "zzqq", log], None),
        (Vec::new(), 1, String::new())
    );
    assert_eq!(
        run_logmill(&["grep", "-c", "zzqq", log], None),
        (b"0\n".to_vec(), 1, String::new())
    );
    // Every line matches the empty pattern, so -v selects none.
    assert_eq!(run_logmill(&["grep", "-v", "", log], None).1, 1);
    let (_, code, err) = run_logmill(&["grep", "x", "testdata/does-not-exist.log"], None);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("does-not-exist.log"), "{err}");
}

#[test]
fn regex_errors_are_one_line_with_the_pattern() {
    let (out, code, err) = run_logmill(&["grep", "GET (/[a-z]+", "-"], Some(b"GET /a\n"));
    assert_eq!((out.len(), code), (0, 2));
    assert_eq!(
        err,
        "logmill: invalid regex 'GET (/[a-z]+' at column 5: unclosed group\n"
    );
    let (_, code, err) = run_logmill(&["grep", "-e", "ok", "-e", r"a{2,1}", "-"], Some(b"ok\n"));
    assert_eq!(code, 2);
    assert!(
        err.starts_with("logmill: invalid regex 'a{2,1}' at column"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn huge_patterns_are_refused_not_oom() {
    let (_, code, err) = run_logmill(&["grep", r"(\w{1000}){100}", "-"], Some(b"x\n"));
    assert_eq!(code, 2);
    assert!(
        err.contains("too big") && err.contains(r"(\w{1000}){100}"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn the_benchmark_command_lines_work() {
    // benches/peers.sh calls these forms.
    let log = testdata("apache_access.log");
    let log = log.to_str().unwrap();
    for args in [
        &["grep", "-F", "Googlebot", log][..],
        &["grep", r"HTTP/1\.1\x22 404", log],
    ] {
        let (out, code, _) = run_logmill(args, None);
        assert_eq!(code, 0);
        let n: u64 = String::from_utf8(out).unwrap().trim().parse().unwrap();
        assert!(n > 0);
    }
}

/// Independent oracle: split into lines by hand, run the regex crate on each line alone.
fn oracle(pattern: &str, invert: bool, data: &[u8]) -> u64 {
    let re = regex::bytes::RegexBuilder::new(pattern)
        .multi_line(true)
        .build()
        .unwrap();
    if data.is_empty() {
        return 0;
    }
    let body = data.strip_suffix(b"\n").unwrap_or(data);
    body.split(|&b| b == b'\n')
        .filter(|l| re.is_match(l) != invert)
        .count() as u64
}

fn count_with(pattern: &str, invert: bool, data: &[u8], threads: usize, chunk: usize) -> u64 {
    use logmill::jobs::grep::GrepOutput;
    let job = logmill::JobParams::Grep(logmill::jobs::grep::GrepParams {
        patterns: vec![pattern.to_string()],
        options: Default::default(),
        invert,
        output: GrepOutput::Total,
        records: None,
    });
    let out = crate::util::run_library(job, data, threads, chunk);
    String::from_utf8(out).unwrap().trim().parse().unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Any thread count and chunk size (down to one line a chunk) gives the per-line answer,
    /// for patterns that match at chunk edges, across line ends if allowed to, or on a last
    /// line without newline.
    #[test]
    fn any_threads_and_chunk_size_give_the_per_line_count(
        lines in proptest::collection::vec("[ab\"\r 1]{0,6}", 0..30),
        final_newline in any::<bool>(),
        pattern in proptest::sample::select(vec![
            "a", "^a", "a$", r"b\r?$", "^$", "", r#""[^"]*""#, r"a\s+b", r"\ba\b", "1$", r"\Ab",
            r"a\z", "(?s).b", r"[^a]*1", r"\w*ab1 ?", r"\bab1\b", r#"[^"]*"ab"#,
        ]),
        invert in any::<bool>(),
        threads in 1usize..4,
        chunk in 1usize..40,
    ) {
        let mut data = lines.join("\n").into_bytes();
        if final_newline && !lines.is_empty() {
            data.push(b'\n');
        }
        let want = oracle(pattern, invert, &data);
        prop_assert_eq!(count_with(pattern, invert, &data, threads, chunk), want);
    }
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

#[test]
fn grep_by_file_lists_each_argument_once_and_no_failed_input() {
    if !require_tools(&["grep"]) {
        return;
    }
    let dir = Dir::new("grep_by_file_lists_each_argument_once_and_no_failed_input");
    let a = dir.path("a.log");
    let total = dir.path("total");
    std::fs::write(&a, "GET /\nPOST /\nGET /x\n").unwrap();
    std::fs::write(&total, "GET\n").unwrap();
    let missing = dir.path("missing.log");
    let (a_s, t_s, m_s) = (s(&a), s(&total), s(&missing));
    let (out, code, err) = run_logmill(
        &[
            "--keep-going",
            "grep",
            "--by-file",
            "GET",
            &a_s,
            &m_s,
            &a_s,
            &t_s,
        ],
        None,
    );
    // As `grep -c GET a a total` lists them (the missing file is an error there too).
    let want_rows = sh(&format!(
        "grep -c GET {} {} {} | sed 's/:\\([0-9]*\\)$/\\t\\1/'",
        shell_quote(&a_s),
        shell_quote(&a_s),
        shell_quote(&t_s)
    ));
    let mut want = want_rows;
    want.extend_from_slice(b"\t5\n");
    assert_bytes_eq!(out, want);
    assert_eq!(code, 3);
    assert!(err.contains("missing.log"), "{err}");
    // The total row has an empty file cell: a file named `total` is a row like any other.
    let rows = parse_tsv_rows(&out);
    assert_eq!(rows.last().unwrap()[0], b"");
    assert_eq!(rows[2][0], t_s.as_bytes());
}

#[test]
fn grep_by_file_writes_names_as_keys_are_written() {
    let dir = Dir::new("grep_by_file_writes_names_as_keys_are_written");
    let name = dir.path(std::ffi::OsStr::from_bytes(b"x\xff.log"));
    let tab = dir.path("a\tb.log");
    std::fs::write(&name, "hit\nhit\nmiss\n").unwrap();
    std::fs::write(&tab, "hit\n").unwrap();
    let dir_bytes = dir.root().as_os_str().as_bytes();
    let raw = name.as_os_str().as_bytes();
    let run = |format: &str| {
        let (out, code, err) = run_logmill(
            &[
                "grep".as_ref(),
                "--by-file".as_ref(),
                "--output-format".as_ref(),
                std::ffi::OsStr::new(format),
                "hit".as_ref(),
                name.as_os_str(),
                tab.as_os_str(),
            ],
            None,
        );
        assert_eq!(code, 0, "{err}");
        (out, err)
    };
    let (tsv, _) = run("tsv");
    let mut want = raw.to_vec();
    want.extend_from_slice(b"\t2\n");
    want.extend_from_slice(dir_bytes);
    want.extend_from_slice(b"/a\\tb.log\t1\n\t3\n");
    assert_bytes_eq!(tsv, want);
    let (csv, _) = run("csv");
    let mut want = b"file,count\n".to_vec();
    want.extend_from_slice(raw);
    want.extend_from_slice(b",2\n");
    want.extend_from_slice(dir_bytes);
    want.extend_from_slice(b"/a\tb.log,1\n,3\n");
    assert_bytes_eq!(csv, want);
    let (json, err) = run("jsonl");
    let text = String::from_utf8(json).unwrap();
    assert!(text.contains("x\u{fffd}.log\",\"count\":2}"), "{text}");
    assert!(text.ends_with("{\"file\":\"\",\"count\":3}\n"), "{text}");
    assert!(err.contains("U+FFFD"), "{err}");
}

#[test]
fn a_file_given_twice_is_counted_twice_in_the_total_of_every_by_file_form() {
    // The total row is GNU grep's count over the file read twice, with or without --per and
    // --example (which count by name and show the combined count on both rows).
    if !require_tools(&["grep"]) {
        return;
    }
    let dir = Dir::new("grep-twice");
    let f = dir.create(
        "a.log",
        "2024-01-01 10:00:00 foo\n2024-01-01 10:30:00 bar\n2024-01-01 11:00:00 foo\n",
    );
    let f = f.to_str().unwrap();
    let twice = |hour: &str| {
        let out = sh(&format!("cat {f} {f} | grep -c '{hour}.*foo'"));
        String::from_utf8(out)
            .unwrap()
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    let total_rows = |args: &[&str]| -> Vec<(String, u64)> {
        let mut a = vec!["grep", "--by-file"];
        a.extend_from_slice(args);
        a.extend(["foo", f, f]);
        let out = logmill().args(&a).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{a:?}");
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .filter_map(|l| {
                let cells: Vec<&str> = l.split('\t').collect();
                let count_at = cells.len() - 1 - usize::from(args.contains(&"--example"));
                let file_at = count_at - 1;
                (cells[file_at].is_empty()).then(|| {
                    let time = if file_at > 0 { cells[0] } else { "" };
                    (time.to_string(), cells[count_at].parse().unwrap())
                })
            })
            .collect()
    };
    assert_eq!(total_rows(&[]), [(String::new(), twice(""))]);
    assert_eq!(total_rows(&["--example"]), [(String::new(), twice(""))]);
    let per = ["--per", "1h", "--tz", "UTC"];
    assert_eq!(
        total_rows(&per),
        [
            ("2024-01-01T10:00:00+00:00".to_string(), twice(" 10:")),
            ("2024-01-01T11:00:00+00:00".to_string(), twice(" 11:")),
        ]
    );
}
