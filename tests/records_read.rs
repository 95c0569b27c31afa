//! Records read (issue 18): every partial and state file carries how many records its runs
//! read (`"records"` in its `#meta` line), merges sum it, and the HTML pages of `logmill
//! merge` and `logmill diff` show it, as a single run's page does. The count is checked
//! against `wc -l` (lines) and Python's csv module (CSV records), for any `-j` and
//! `--chunk-size`, for the shards of one run merged, for `--state` runs; partials of an older
//! logmill, which do not record it, make the count unknown rather than wrong.

use crate::html::page;
use crate::util::*;

/// The number a page gives as `TERM` (`Records read`, `Records read (old)`, ...): digits, or
/// `unknown`; None when the page does not say.
fn said(html: &[u8], term: &str) -> Option<String> {
    let text = String::from_utf8_lossy(html);
    let at = text.find(&format!("<dt>{term}</dt><dd>"))? + term.len() + 13;
    let rest = &text[at..];
    if let Some(n) = rest.strip_prefix("<span class=\"n\">") {
        return Some(n[..n.find('<').unwrap()].to_string());
    }
    assert!(rest.starts_with("unknown ("), "{rest}");
    Some("unknown".into())
}

/// The records a page of `args` (with `--output-format html`) says were read.
fn records(dir: &Dir, args: &[&str]) -> String {
    let html = page(dir, &[args, &["--output-format", "html"]].concat());
    said(&html, "Records read").unwrap_or_else(|| panic!("{args:?}: no records read"))
}

/// The `"records"` of the `#meta` line of a partial or state file.
fn meta_records(partial: &[u8]) -> Option<u64> {
    let line = partial
        .split(|&b| b == b'\n')
        .find(|l| l.starts_with(b"#meta\t"))?;
    let meta: serde_json::Value = serde_json::from_slice(&line[6..]).unwrap();
    meta["records"].as_u64()
}

/// Lines as logmill counts them: `wc -l`, plus a last line without its newline.
fn wc_lines(path: &std::path::Path) -> u64 {
    let out = sh(&format!(
        "wc -l < {0}; tail -c1 {0} | wc -l",
        shell_quote(path)
    ));
    let text = String::from_utf8(out).unwrap();
    let mut nums = text.split_whitespace().map(|n| n.parse::<u64>().unwrap());
    let (lines, ends_with_newline) = (nums.next().unwrap(), nums.next().unwrap());
    let size = std::fs::metadata(path).unwrap().len();
    lines + u64::from(size > 0 && ends_with_newline == 0)
}

/// The records Python's csv module reads from each of `paths`, summed.
fn csv_records(paths: &[&std::path::Path]) -> u64 {
    paths
        .iter()
        .map(|p| {
            let out = sh(&format!(
                "python3 -c 'import csv,sys; print(len(list(csv.reader(open(sys.argv[1], \
                 newline=\"\")))))' {}",
                shell_quote(p)
            ));
            String::from_utf8(out)
                .unwrap()
                .trim()
                .parse::<u64>()
                .unwrap()
        })
        .sum()
}

/// Writes `args` (a run or a merge) as a partial to `name` in `dir`.
fn partial(dir: &Dir, name: &str, args: &[&str]) -> Vec<u8> {
    let out = page(
        dir,
        &[&["--emit", "partial"][..], args, &["-o", name]].concat(),
    );
    assert!(out.is_empty());
    dir.read(name)
}

#[test]
fn merged_shards_read_the_lines_wc_counts_for_any_threads_and_chunk_size() {
    if !require_tools(&["wc", "tail"]) {
        return;
    }
    let dir = Dir::new("records-shards");
    let access = testdata("apache_access.log");
    let linux = testdata("loghub/Linux_2k.log");
    let odd = testdata("no_end_newline.txt");
    let want = [&access, &linux, &odd]
        .iter()
        .map(|p| wc_lines(p))
        .sum::<u64>()
        .to_string();
    let inputs = [
        access.to_str().unwrap(),
        linux.to_str().unwrap(),
        odd.to_str().unwrap(),
    ];
    let jobs: [&[&str]; 4] = [
        &["words"],
        &["lines"],
        &["match", r"\] (\w+)"],
        &["fields", "--format", "combined", "--by", "status"],
    ];
    for job in jobs {
        let single = records(&dir, &[job, &inputs[..]].concat());
        assert_eq!(single, want, "{job:?}");
        // A result larger than `--memory`, streamed from disk, says so too.
        let spilled = records(&dir, &[job, &["--memory", "64K"], &inputs[..]].concat());
        assert_eq!(spilled, want, "{job:?} --memory 64K");
        for (n, extra) in [
            (1, &["-j1"][..]),
            (3, &["-j2", "--chunk-size", "1K"]),
            (4, &["-j1", "--chunk-size", "7"]),
        ] {
            let mut names = Vec::new();
            let mut sum = 0;
            for i in 0..n {
                let name = format!("p{i}");
                let shard = format!("{i}/{n}");
                let p = partial(
                    &dir,
                    &name,
                    &[&["--shard", &shard][..], extra, job, &inputs].concat(),
                );
                sum += meta_records(&p).expect("a partial says how many records it read");
                names.push(name);
            }
            assert_eq!(sum.to_string(), want, "{job:?} {extra:?}");
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let merged = records(&dir, &[&["merge"][..], &names].concat());
            assert_eq!(merged, want, "{job:?} {extra:?}");
            let spilled = records(&dir, &[&["merge", "--memory", "64K"][..], &names].concat());
            assert_eq!(spilled, want, "{job:?} {extra:?} --memory 64K");
            // A merge written as a partial again carries the sum; merged again, it says so.
            let again = partial(&dir, "m", &[&["merge"][..], &names].concat());
            assert_eq!(
                meta_records(&again).map(|n| n.to_string()),
                Some(want.clone())
            );
            assert_eq!(records(&dir, &["merge", "m"]), want);
        }
    }
    // `--per`: the same count (every line has a timestamp).
    let per = [
        "fields", "--format", "combined", "--by", "status", "--per", "1h",
    ];
    let access_lines = wc_lines(&access).to_string();
    let a = access.to_str().unwrap();
    for i in 0..2 {
        partial(
            &dir,
            &format!("t{i}"),
            &[&["--shard", &format!("{i}/2")][..], &per, &[a]].concat(),
        );
    }
    assert_eq!(records(&dir, &["merge", "t0", "t1"]), access_lines);
}

#[test]
fn merged_csv_partials_read_the_records_pythons_csv_reads() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("records-csv");
    let fields = testdata("fixtures/fields.csv");
    let second = dir.create("b.csv", "region,path\neu,\"a\nb\"\nus,c\n\nap,\"d\"\"\"");
    let want = csv_records(&[&fields, &second]).to_string();
    let job = ["fields", "--format", "csv", "--by", "region"];
    for extra in [&["-j1"][..], &["-j2", "--chunk-size", "7"]] {
        partial(
            &dir,
            "a.p",
            &[extra, &job, &[fields.to_str().unwrap()]].concat(),
        );
        partial(&dir, "b.p", &[extra, &job, &["b.csv"]].concat());
        assert_eq!(records(&dir, &["merge", "a.p", "b.p"]), want, "{extra:?}");
        // The partial of one run over both says the same.
        let both = partial(
            &dir,
            "ab.p",
            &[extra, &job, &[fields.to_str().unwrap(), "b.csv"]].concat(),
        );
        assert_eq!(
            meta_records(&both).map(|n| n.to_string()),
            Some(want.clone())
        );
    }
}

#[test]
fn state_files_carry_the_records_of_every_run() {
    if !require_tools(&["wc", "tail"]) {
        return;
    }
    let dir = Dir::new("records-state");
    for (run, extra) in [
        (0, &["-j1"][..]),
        (1, &["-j2", "--chunk-size", "1K"]),
        (2, &["-j2", "--chunk-size", "7"]),
    ] {
        let (name, st) = (format!("s{run}.log"), format!("st{run}"));
        let log = dir.create(&name, "a b\nc\n");
        let since = [extra, &["words", "--state", &st, "--since-last", &name]].concat();
        assert_eq!(records(&dir, &since), "2");
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        // A last line without its end waits for the next run.
        std::io::Write::write_all(&mut f, b"d\ne f\ng\nh").unwrap();
        // `--since-last`: the records of this run's range.
        assert_eq!(records(&dir, &since), "3", "{extra:?}");
        assert_eq!(meta_records(&dir.read(&st)), Some(5));
        std::io::Write::write_all(&mut f, b" i\nj\n").unwrap();
        // The running total: every run's records, as one run over the whole file.
        let total = records(&dir, &[extra, &["words", "--state", &st, &name]].concat());
        assert_eq!(total, wc_lines(&log).to_string(), "{extra:?}");
        assert_eq!(records(&dir, &["words", &name]), total);
        assert_eq!(records(&dir, &["merge", &st]), total);
    }
    // A state file of an older logmill does not say: unknown, and stays so.
    let old = testdata("v1/words.state");
    std::fs::copy(&old, dir.path("old.state")).unwrap();
    dir.create("app.log", "alpha beta\n");
    let args = ["words", "--state", "old.state", "app.log"];
    assert_eq!(records(&dir, &args), "unknown");
}

/// `text` (a version-2 partial) as a logmill before records were recorded wrote it: without
/// its `#meta` line, the end marker's checksum made again.
fn without_meta(text: &[u8]) -> Vec<u8> {
    let lines: Vec<&[u8]> = text
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"#meta\t"))
        .collect();
    let (header, rest) = lines.split_first().unwrap();
    let body: Vec<u8> = rest[..rest.len() - 1].concat();
    let rows = rest.len()
        - 1
        - body
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"#"))
            .count();
    let mut out = header.to_vec();
    out.extend_from_slice(&body);
    out.extend_from_slice(format!("#logmill-end\t{rows}\t{:08x}\n", crc32(&body)).as_bytes());
    out
}

/// CRC-32 (IEEE), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn partials_that_do_not_record_it_make_the_count_unknown() {
    let dir = Dir::new("records-old");
    dir.create("a.log", "x y\nz\n");
    dir.create("b.log", "w\n");
    let a = partial(&dir, "a.p", &["words", "a.log"]);
    partial(&dir, "b.p", &["words", "b.log"]);
    assert_eq!(records(&dir, &["merge", "a.p", "b.p"]), "3");
    std::fs::write(dir.path("old.p"), without_meta(&a)).unwrap();
    // The rewritten partial is well formed: it merges, with the same rows.
    let rows = page(&dir, &["merge", "old.p", "b.p"]);
    assert_eq!(rows, page(&dir, &["merge", "a.p", "b.p"]));
    assert_eq!(records(&dir, &["merge", "old.p", "b.p"]), "unknown");
    assert_eq!(records(&dir, &["merge", "b.p", "old.p"]), "unknown");
    // Unknown survives a merge written as a partial: no `records` in its `#meta` line.
    let merged = partial(&dir, "m.p", &["merge", "b.p", "old.p"]);
    assert_eq!(meta_records(&merged), None);
    dir.create("c.log", "v\n");
    partial(&dir, "c.p", &["words", "c.log"]);
    assert_eq!(records(&dir, &["merge", "m.p", "c.p"]), "unknown");
    // A version-1 partial too.
    let v1 = testdata("v1/words.partial");
    assert_eq!(
        records(&dir, &["merge", "b.p", v1.to_str().unwrap()]),
        "unknown"
    );
    // An empty input read is 0 records, not unknown.
    dir.create("empty.log", "");
    partial(&dir, "e.p", &["words", "empty.log"]);
    assert_eq!(records(&dir, &["merge", "e.p"]), "0");
}

#[test]
fn key_partitions_carry_the_count_once() {
    let dir = Dir::new("records-partition");
    let log = testdata("apache_access.log");
    partial(&dir, "all.p", &["words", log.to_str().unwrap()]);
    let mut names = Vec::new();
    let mut with_meta = 0;
    for p in 0..3 {
        let name = format!("k{p}");
        let text = partial(
            &dir,
            &name,
            &["merge", "--partition", &format!("{p}/3"), "all.p"],
        );
        with_meta += usize::from(meta_records(&text).is_some());
        names.push(name);
    }
    assert_eq!(with_meta, 1, "one partition holds the count");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(
        records(&dir, &[&["merge", "--complete"][..], &names].concat()),
        records(&dir, &["merge", "all.p"])
    );
}

#[test]
fn diff_pages_say_what_each_side_read() {
    let dir = Dir::new("records-diff");
    dir.create("old.log", "a\nb\nb\n");
    dir.create("new.log", "b\nc\nc\nc\n");
    partial(&dir, "old.p", &["words", "old.log"]);
    let new = partial(&dir, "new.p", &["words", "new.log"]);
    let html = page(&dir, &["diff", "old.p", "new.p", "--output-format", "html"]);
    assert_eq!(said(&html, "Records read (old)").as_deref(), Some("3"));
    assert_eq!(said(&html, "Records read (new)").as_deref(), Some("4"));
    std::fs::write(dir.path("unknown.p"), without_meta(&new)).unwrap();
    let html = page(
        &dir,
        &["diff", "old.p", "unknown.p", "--output-format", "html"],
    );
    assert_eq!(said(&html, "Records read (old)").as_deref(), Some("3"));
    assert_eq!(
        said(&html, "Records read (new)").as_deref(),
        Some("unknown")
    );
    // `--diff` with `--state`: the previous total and this one.
    let state = [
        "words",
        "--state",
        "st",
        "--diff",
        "--output-format",
        "html",
        "old.log",
    ];
    page(&dir, &state);
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path("old.log"))
        .unwrap();
    std::io::Write::write_all(&mut f, b"d\n").unwrap();
    let html = page(&dir, &state);
    assert_eq!(said(&html, "Records read (old)").as_deref(), Some("3"));
    assert_eq!(said(&html, "Records read (new)").as_deref(), Some("4"));
}
