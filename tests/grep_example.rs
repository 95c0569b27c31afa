//! `grep --example` / `--example-text`: each file's row names its first selected line, the
//! total row the first of all (argument order within a run, path order across runs), checked
//! against `grep -n | head -1` and byte-identical across threads, chunk sizes, stdin, gzip,
//! merged shards and `--state`.

use crate::util::*;

fn ok<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) -> Vec<u8> {
    let (out, code, err) = run_logmill(args, None);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// The first line number (from 1) that `grep -n` selects in `path`, if any.
fn grep_first(path: &std::path::Path, flags: &str, pattern: &str) -> Option<u64> {
    let out = sh(&format!(
        "{{ grep -n {flags} -e {} {} || true; }} | head -1 | cut -d: -f1",
        shell_quote(pattern),
        shell_quote(path)
    ));
    String::from_utf8(out).unwrap().trim().parse().ok()
}

#[test]
fn grep_examples_are_grep_n_first_lines() {
    if !require_tools(&["grep", "head", "cut"]) {
        return;
    }
    let files = [
        testdata("loghub/HDFS_2k.log"),
        testdata("apache_access.log"),
        testdata("loghub/Linux_2k.log"),
    ];
    let names: Vec<String> = files
        .iter()
        .map(|f| f.to_string_lossy().into_owned())
        .collect();
    for (flags, pattern) in [
        ("", " 404 "),
        ("", "WARN"),
        ("-i", "error"),
        ("-v", "INFO"),
        ("", "session opened"),
    ] {
        let mut args: Vec<String> = vec!["grep".into(), "--by-file".into(), "--example".into()];
        if !flags.is_empty() {
            args.push(flags.into());
        }
        args.push("-e".into());
        args.push(pattern.into());
        args.extend(names.iter().cloned());
        let out = ok(&args);
        let rows = parse_tsv_rows(&out);
        assert_eq!(rows.len(), files.len() + 1, "{pattern}");
        let mut total = None;
        for (i, f) in files.iter().enumerate() {
            let want = grep_first(f, flags, pattern).map(|n| format!("{}:{n}", names[i]));
            let got = &rows[i][2];
            assert_eq!(rows[i][0], names[i].as_bytes());
            match &want {
                Some(w) => assert_eq!(got, w.as_bytes(), "{flags} {pattern} {}", names[i]),
                None => assert!(
                    got.is_empty(),
                    "{pattern}: {}",
                    String::from_utf8_lossy(got)
                ),
            }
            total = total.or(want);
        }
        let last = &rows[files.len()];
        assert_eq!(last[0], b"");
        assert_eq!(
            last[2],
            total.unwrap_or_default().as_bytes(),
            "{pattern} total"
        );
        // The total alone names the same first line.
        let mut plain: Vec<String> = args.iter().filter(|a| *a != "--by-file").cloned().collect();
        plain.insert(1, "-c".into());
        let out = ok(&plain);
        let row = &parse_tsv_rows(&out)[0];
        assert_eq!(row[1], last[2], "{pattern} -c");
    }
}

#[test]
fn grep_example_text_is_the_line() {
    let dir = Dir::new("grep_example_text");
    let a = dir.create("a.log", "x\ttab\nfoo one\r\nfoo two\n");
    let b = dir.create("b.log", "nothing\n");
    let out = ok(&[
        "grep".as_ref(),
        "--by-file".as_ref(),
        "--example-text".as_ref(),
        "foo".as_ref(),
        b.as_os_str(),
        a.as_os_str(),
    ]);
    let (an, bn) = (a.to_string_lossy(), b.to_string_lossy());
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("{bn}\t0\t\t\n{an}\t2\t{an}:2\tfoo one\n\t2\t{an}:2\tfoo one\n")
    );
}

#[test]
fn grep_examples_do_not_depend_on_the_split() {
    let log = testdata("apache_access.log");
    let other = testdata("loghub/Apache_2k.log");
    let (name, oname) = (
        log.to_string_lossy().into_owned(),
        other.to_string_lossy().into_owned(),
    );
    let pat = "( 404 |error)";
    let base = ok(&["grep", "--by-file", "--example-text", pat, &oname, &name]);
    for j in ["1", "3"] {
        for chunk in ["1", "7", "4K"] {
            let got = ok(&[
                "grep",
                "--by-file",
                "--example-text",
                pat,
                &oname,
                &name,
                "-j",
                j,
                "--chunk-size",
                chunk,
            ]);
            assert_bytes_eq!(got, base, "-j {j} --chunk-size {chunk}");
        }
    }
    let one = ok(&["grep", "--example", pat, &name]);
    // stdin in small blocks.
    let got = logmill()
        .args(["grep", "--example", pat, "--chunk-size", "999"])
        .write_stdin(std::fs::read(&log).unwrap())
        .output()
        .unwrap()
        .stdout;
    let want = String::from_utf8(one.clone()).unwrap().replace(&name, "-");
    assert_bytes_eq!(got, want.into_bytes(), "stdin");
    // gzip.
    let dir = Dir::new("grep_example_split");
    let gz = dir.path("a.log.gz");
    sh(&format!(
        "gzip -c {} > {}",
        shell_quote(&log),
        shell_quote(&gz)
    ));
    let gzn = gz.to_string_lossy().into_owned();
    let got = ok(&["grep", "--example", pat, &gzn, "--chunk-size", "3K"]);
    let want = String::from_utf8(one.clone()).unwrap().replace(&name, &gzn);
    assert_bytes_eq!(got, want.into_bytes(), "gzip");
    // Shards merged in any order name what one run names; without the first shard, a later
    // first match is named by byte offset.
    let mut parts = Vec::new();
    for i in 0..3 {
        let p = dir.path(format!("s{i}"));
        let out = ok(&[
            "grep",
            "--example",
            pat,
            &name,
            "--shard",
            &format!("{i}/3"),
            "--emit",
            "partial",
            "--chunk-size",
            "5K",
        ]);
        std::fs::write(&p, out).unwrap();
        parts.push(p.to_string_lossy().into_owned());
    }
    let got = ok(&["merge", &parts[2], &parts[0], &parts[1]]);
    assert_bytes_eq!(got, one, "shards merged");
    let got = ok(&["merge", &parts[1], &parts[2]]);
    let cell = &parse_tsv_rows(&got)[0][1];
    assert!(
        cell.starts_with(format!("{name}@").as_bytes()),
        "{}",
        String::from_utf8_lossy(cell)
    );
    // --state: a second run over a grown input keeps the first run's place.
    let grown = dir.create("g.log", "a\nfoo\n");
    let g = grown.to_string_lossy().into_owned();
    let st = dir.path("st").to_string_lossy().into_owned();
    let first = ok(&["grep", "--example", "foo", "--state", &st, &g]);
    assert_eq!(first, format!("1\t{g}:2\n").into_bytes());
    std::fs::write(&grown, "a\nfoo\nfoo\n").unwrap();
    let second = ok(&["grep", "--example", "foo", "--state", &st, &g]);
    assert_eq!(second, format!("2\t{g}:2\n").into_bytes());
}

#[test]
fn grep_examples_across_runs_go_by_path_and_records_count_records() {
    let dir = Dir::new("grep_example_runs");
    let a = dir.create("a.log", "x\nfoo a\n");
    let b = dir.create("b.log", "foo b\n");
    let (an, bn) = (a.to_string_lossy(), b.to_string_lossy());
    // Within a run: argument order.
    let out = ok(&["grep", "--example", "foo", &bn, &an]);
    assert_eq!(out, format!("2\t{bn}:1\n").into_bytes());
    // Across runs: path order.
    let pa = dir.path("pa");
    let pb = dir.path("pb");
    write_partial(&pb, &["grep", "--example", "foo", &bn]);
    write_partial(&pa, &["grep", "--example", "foo", &an]);
    let out = ok(&["merge".as_ref(), pb.as_os_str(), pa.as_os_str()]);
    assert_eq!(out, format!("2\t{an}:2\n").into_bytes());
    // Records: the record's first line.
    let r = dir.create("r.log", "INFO ok\nERROR x\n  at boom\nINFO boom\n");
    let out = ok(&[
        "grep".as_ref(),
        "--records".as_ref(),
        "indented".as_ref(),
        "--example-text".as_ref(),
        "boom".as_ref(),
        r.as_os_str(),
    ]);
    let rn = r.to_string_lossy();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        format!("2\t{rn}:2\tERROR x\n")
    );
}

/// A partial made with `--example` of `args` over `data` (written to `file` in `dir`).
fn example_partial(dir: &Dir, data: &[u8], args: &[&str], j: usize, chunk: usize) -> Vec<u8> {
    let f = dir.create("in.log", data);
    let mut all: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    all.extend([
        f.to_string_lossy().into_owned(),
        "--emit".into(),
        "partial".into(),
        "-j".into(),
        j.to_string(),
        "--chunk-size".into(),
        chunk.to_string(),
    ]);
    ok(&all)
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 16, ..Default::default() })]

    /// `--emit partial` with `--example` gives the same bytes for any -j and chunk size down
    /// to one byte: the line index is one range per input, whatever the chunks were.
    #[test]
    fn example_partial_bytes_do_not_depend_on_the_split(
        lines in proptest::collection::vec("(foo|bar|baz| |x){0,4}", 0..40),
        j in 1usize..4,
        chunk in 1usize..64,
    ) {
        let data = lines.join("\n").into_bytes();
        let dir = Dir::new("example_partial_split");
        for args in [
            &["match", "(foo|bar)", "--example-text"][..],
            &["grep", "--example", "ba"][..],
            &["words", "--example"][..],
        ] {
            let want = example_partial(&dir, &data, args, 1, 1 << 20);
            let got = example_partial(&dir, &data, args, j, chunk);
            proptest::prop_assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&want),
                "{:?} -j {} --chunk-size {}",
                args,
                j,
                chunk
            );
        }
    }
}
