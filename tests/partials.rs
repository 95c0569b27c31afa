//! Partial results as an artifact: `--emit partial`, `logmill merge`, `logmill map`/`reduce`
//! and `--shard I/N` must give the single run's bytes, whatever way the work was split.

use std::path::{Path, PathBuf};

use crate::util::{logmill, require_tools, sh, testdata, Dir};

/// stdout of a successful logmill run.
fn ok(args: &[&str]) -> Vec<u8> {
    let out = logmill().args(args).output().unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "logmill {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn s(p: &Path) -> String {
    p.to_str().unwrap().to_string()
}

/// The jobs checked, as argument lists (before the files).
fn jobs() -> Vec<Vec<&'static str>> {
    vec![
        vec!["words"],
        vec!["grep", "--by-file", "-i", "error"],
        vec!["grep", "-v", "sshd"],
        vec!["match", r#"" (\d{3}) (\d+|-)"#, "--sum", "2"],
        vec!["match", r"(\w+)\[(\d+)\]", "--all"],
        vec![
            "fields",
            "--format",
            "combined",
            "--by",
            "status",
            "--count",
            "--sum",
            "bytes",
            "--distinct",
            "ip",
            "--approx-distinct",
            "path",
            "--pct",
            "bytes:50,99",
            "--max",
            "bytes",
        ],
        vec![
            "fields",
            "--by",
            "5",
            "--count",
            "--distinct",
            "6",
            "--exact-pct",
            "--pct",
            "1:50",
        ],
    ]
}

/// Inputs with CRLF endings, no final newline, and a gzip file, in a temp dir.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = [
        "loghub/Linux_2k.log",
        "loghub/OpenSSH_2k.log",
        "apache_access.log",
    ]
    .iter()
    .map(|r| testdata(r))
    .collect();
    let gz = dir.join("apache.log.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(
        &mut e,
        &std::fs::read(testdata("loghub/Apache_2k.log")).unwrap(),
    )
    .unwrap();
    std::fs::write(&gz, e.finish().unwrap()).unwrap();
    v.push(gz);
    v
}

#[test]
fn merge_of_per_file_partials_equals_the_single_run() {
    let dir = Dir::new("merge_of_per_file_partials_equals_the_single_run");
    let files = inputs(dir.root());
    for job in jobs() {
        let mut all: Vec<String> = job.iter().map(|s| s.to_string()).collect();
        all.extend(files.iter().map(|f| s(f)));
        let all_ref: Vec<&str> = all.iter().map(String::as_str).collect();
        let expected = ok(&all_ref);
        let mut partials = Vec::new();
        // Per file, in reverse order: merge does not care about order.
        for (k, f) in files.iter().enumerate().rev() {
            let p = dir.path(format!("{k}.partial"));
            let mut args = job.clone();
            let (fs, ps) = (s(f), s(&p));
            args.extend(["--emit", "partial", "-o", &ps, &fs]);
            ok(&args);
            partials.push(ps);
        }
        let mut args = vec!["merge"];
        args.extend(partials.iter().map(String::as_str));
        let merged = ok(&args);
        if job[0] == "grep" && job.contains(&"--by-file") {
            // After a merge, argument order is unknown: files come in name order; the same
            // set of rows and the same total.
            let sort = |b: &[u8]| {
                let mut l: Vec<&[u8]> = b.split(|&c| c == b'\n').collect();
                l.sort();
                l.into_iter().map(|x| x.to_vec()).collect::<Vec<_>>()
            };
            assert_eq!(sort(&merged), sort(&expected), "{job:?}");
        } else {
            assert_bytes_eq!(merged, expected, "{job:?}");
        }
        // A merge tree: partial of partials, then final.
        let mut args = vec!["merge", "--emit", "partial"];
        args.extend(partials.iter().map(String::as_str));
        let tree = dir.create("tree.partial", ok(&args));
        assert_bytes_eq!(ok(&["merge", &s(&tree)]), merged, "{job:?} tree");
    }
}

#[test]
fn shards_merge_to_the_single_run_for_several_n() {
    let dir = Dir::new("shards_merge_to_the_single_run_for_several_n");
    let files = inputs(dir.root());
    let file_args: Vec<String> = files.iter().map(|f| s(f)).collect();
    for job in jobs().into_iter().filter(|j| !j.contains(&"--by-file")) {
        let mut direct = job.clone();
        direct.extend(file_args.iter().map(String::as_str));
        let expected = ok(&direct);
        for n in [1u32, 2, 3, 5, 8] {
            let mut partials = Vec::new();
            for i in 0..n {
                let p = dir.path(format!("s{i}.partial"));
                let shard = format!("{i}/{n}");
                let ps = s(&p);
                let mut args = job.clone();
                args.extend(["--shard", &shard, "--emit", "partial", "-o", &ps]);
                args.extend(file_args.iter().map(String::as_str));
                // Tiny chunks too: shard edges and chunk edges fall mid-line.
                args.extend(["--chunk-size", "3K", "-j", "2"]);
                ok(&args);
                partials.push(ps);
            }
            let mut args = vec!["merge"];
            args.extend(partials.iter().map(String::as_str));
            assert_bytes_eq!(ok(&args), expected, "{job:?} in {n} shards");
        }
    }
}

#[test]
fn map_shuffle_reduce_equals_the_single_run() {
    if !require_tools(&["sort", "shuf", "cat"]) {
        return;
    }
    let bin = assert_cmd::cargo::cargo_bin("logmill");
    let b = bin.display();
    for job in [r"words", r#"match '" (\d{3}) (\d+|-)' --sum 2"#] {
        let files = [
            "loghub/Linux_2k.log",
            "apache_access.log",
            "loghub/HDFS_2k.log",
        ];
        let paths: Vec<String> = files.iter().map(|f| s(&testdata(f))).collect();
        let expected = sh(&format!("{b} {job} {}", paths.join(" ")));
        // One map process per input split; shuffled (Spark) or sorted (Hadoop) to the reduce.
        let maps: Vec<String> = paths
            .iter()
            .map(|p| format!("{b} map {job} < {p}"))
            .collect();
        let all_maps = format!("{{ {}; }}", maps.join("; "));
        let shuffled = sh(&format!("{all_maps} | shuf | {b} reduce {job}"));
        assert_bytes_eq!(shuffled, expected, "{job} shuffled");
        let sorted = sh(&format!(
            "{all_maps} | LC_ALL=C sort -t \"$(printf '\\t')\" -k1,1 -s | {b} reduce {job} --emit partial | {b} reduce {job}"
        ));
        assert_bytes_eq!(sorted, expected, "{job} sorted, two reduce stages");
    }
}

#[test]
fn mismatched_partials_are_an_error_naming_the_difference() {
    let dir = Dir::new("mismatched_partials_are_an_error_naming_the_difference");
    let log = s(&testdata("apache_access.log"));
    let a = s(&dir.path("a.partial"));
    let b = s(&dir.path("b.partial"));
    let w = s(&dir.path("w.partial"));
    ok(&["match", r"(\d{3})", "--emit", "partial", "-o", &a, &log]);
    ok(&[
        "match", r"(\d{3})", "--all", "--emit", "partial", "-o", &b, &log,
    ]);
    ok(&["words", "--emit", "partial", "-o", &w, &log]);
    for (x, y, needle) in [(&a, &b, "all"), (&a, &w, "'words'")] {
        let out = logmill().args(["merge", x, y]).output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(needle) && err.lines().count() == 1, "{err}");
        assert!(out.stdout.is_empty());
    }
    // Not a partial at all.
    let out = logmill().args(["merge", &log]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a logmill partial"));
    // Bare map lines are for reduce, not merge.
    let lines = dir.create("m.lines", ok(&["map", "words", &log]));
    let out = logmill().args(["merge", &s(&lines)]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn shard_refuses_stdin_and_bad_specs() {
    for spec in ["3/3", "1/0", "x/2", "2"] {
        let out = logmill()
            .args(["words", "--shard", spec, &s(&testdata("small.txt"))])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{spec}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("--shard"));
    }
    let out = logmill()
        .args(["words", "--shard", "0/2"])
        .write_stdin("a b\n")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stdin"));
}
