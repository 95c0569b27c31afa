//! Answers that stay right at the edges: exact sums whose intermediate values do not fit,
//! bad numbers in `match` that reject one record instead of the run, exit codes that say
//! whether anything matched, `grep --by-file` rows that name each argument exactly, and
//! partials that merge whatever `--rejects` said.

use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::util::*;

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
    let dir = tempfile::tempdir().unwrap();
    let x = u128::MAX.to_string();
    // Each partial alone holds a sum past 128 bits; merged, the total fits again.
    let a = dir.path().join("a.partial");
    let b = dir.path().join("b.partial");
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
    let old = dir.path().join("old.partial");
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
fn match_rejects_an_out_of_range_number_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("m.log");
    std::fs::write(
        &log,
        "k v=1e400\nj v=5\nk v=-\nk v=1e-400\nk v=2\nk v=1.00000000000000000000000000000000000000001\n",
    )
    .unwrap();
    let rejects = dir.path().join("rejects.txt");
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

#[test]
fn grep_by_file_lists_each_argument_once_and_no_failed_input() {
    if !require_tools(&["grep"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.log");
    let total = dir.path().join("total");
    std::fs::write(&a, "GET /\nPOST /\nGET /x\n").unwrap();
    std::fs::write(&total, "GET\n").unwrap();
    let missing = dir.path().join("missing.log");
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
    assert_eq!(code, 2);
    assert!(err.contains("missing.log"), "{err}");
    // The total row has an empty file cell: a file named `total` is a row like any other.
    let rows = parse_tsv_rows(&out);
    assert_eq!(rows.last().unwrap()[0], b"");
    assert_eq!(rows[2][0], t_s.as_bytes());
}

#[test]
fn grep_by_file_writes_names_as_keys_are_written() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join(std::ffi::OsStr::from_bytes(b"x\xff.log"));
    let tab = dir.path().join("a\tb.log");
    std::fs::write(&name, "hit\nhit\nmiss\n").unwrap();
    std::fs::write(&tab, "hit\n").unwrap();
    let dir_bytes = dir.path().as_os_str().as_bytes();
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
fn fields_partials_with_different_rejects_files_merge() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("f.log");
    std::fs::write(&log, "a 1\nb x\na 2\n").unwrap();
    let mut partials = Vec::new();
    for i in 0..2 {
        let p = dir.path().join(format!("{i}.partial"));
        let r = dir.path().join(format!("rejects{i}.txt"));
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
        assert!(!std::fs::read_to_string(&p).unwrap().contains("rejects"));
        partials.push(s(&p));
    }
    // One made without --rejects merges too, and so does a header that still names it (as
    // older versions wrote).
    let plain = dir.path().join("plain.partial");
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
    let old = dir.path().join("old.partial");
    let text = std::fs::read_to_string(&plain).unwrap().replacen(
        "\"filters\":[],",
        "\"filters\":[],\"rejects\":\"/tmp/somewhere.txt\",",
        1,
    );
    assert!(text.contains("/tmp/somewhere.txt"), "{text}");
    std::fs::write(&old, text).unwrap();
    let (out, code, err) = run_logmill(
        &["merge", &partials[0], &partials[1], &s(&plain), &s(&old)],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, b"a\t12\n");
    assert!(err.contains("4 bad records"), "{err}");
}
