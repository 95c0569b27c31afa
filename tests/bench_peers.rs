//! The benchmark scripts of issues 14-16 (benches/time.sh, records.sh, answers.sh) check their
//! peers against logmill before timing them; these tests check the same on small inputs, so a
//! benchmark never times a peer that computes something else: the Java log generator
//! (scripts/gen_java_log.py) is deterministic, lands on its size and has the shape the records
//! benchmark claims, its counts equal `logmill grep --records java` and the awk and Python
//! record joiners of benches/peer/; the gawk mktime bucketing of benches/peer/per_hour.awk
//! equals `logmill grep --per 1h` and `logmill fields --per 1h` (offsets other than +0000
//! included); the scripts parse and answer --help.

use crate::util::{self, Dir};

fn repo_file(rel: &str) -> String {
    util::shell_quote(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel))
}

fn text(out: Vec<u8>) -> String {
    String::from_utf8(out).expect("UTF-8 output")
}

/// The generator's `--stats` lines as (name, value).
fn stats(dir: &Dir, bytes: usize, seed: u32, name: &str) -> Vec<(String, u64)> {
    let log = dir.path(name);
    let out = util::sh(&format!(
        "python3 {} --bytes {bytes} --seed {seed} -o {} --stats 2>&1 >/dev/null",
        repo_file("scripts/gen_java_log.py"),
        util::shell_quote(&log)
    ));
    text(out)
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('\t').expect("name<TAB>value");
            (k.to_string(), v.parse().expect("a number"))
        })
        .collect()
}

fn stat(stats: &[(String, u64)], name: &str) -> u64 {
    stats
        .iter()
        .find(|(k, _)| k == name)
        .unwrap_or_else(|| panic!("no {name} in {stats:?}"))
        .1
}

#[test]
fn java_log_generator_is_deterministic_and_exact_in_size() {
    if !util::require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("bench-gen-java");
    let a = stats(&dir, 300_000, 3, "a.log");
    let b = stats(&dir, 300_000, 3, "b.log");
    stats(&dir, 300_000, 4, "c.log");
    assert_eq!(a, b);
    let (a, b, c) = (dir.read("a.log"), dir.read("b.log"), dir.read("c.log"));
    assert_eq!(a, b, "the same seed gives the same bytes");
    assert_ne!(a, c, "another seed gives other bytes");
    assert_eq!(a.len(), 300_000);
    assert_eq!(c.len(), 300_000);
    assert!(a.ends_with(b"\n"));
    assert!(a.is_ascii());
}

/// Every record is a log4j line alone or with a 20-60-line stack trace, about 5% of them with
/// one; every continuation line is one `--records java` continues.
#[test]
fn java_log_has_the_shape_the_benchmark_claims() {
    if !util::require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("bench-java-shape");
    let s = stats(&dir, 2_000_000, 7, "app.log");
    let data = text(dir.read("app.log"));
    let is_start = |l: &str| {
        let b = l.as_bytes();
        b.len() > 24
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'-'
            && b[7] == b'-'
            && b[10] == b' '
            && b[23] == b' '
    };
    let mut sizes = Vec::new();
    for line in data.lines() {
        if is_start(line) {
            sizes.push(1usize);
        } else {
            assert!(
                line.starts_with('\t')
                    || line.starts_with("Caused by: ")
                    || line.split(':').next().is_some_and(|name| {
                        name.contains('.')
                            && (name.ends_with("Exception") || name.ends_with("Error"))
                    }),
                "not a continuation --records java knows: {line:?}"
            );
            *sizes
                .last_mut()
                .expect("the log starts with a record start") += 1;
        }
    }
    assert_eq!(sizes.len() as u64, stat(&s, "events"));
    assert_eq!(data.lines().count() as u64, stat(&s, "lines"));
    let traces = sizes.iter().filter(|&&n| n > 1).count();
    assert_eq!(traces as u64, stat(&s, "traces"));
    assert!(
        sizes.iter().all(|&n| n == 1 || (21..=61).contains(&n)),
        "{sizes:?}"
    );
    let share = traces as f64 / sizes.len() as f64;
    assert!(
        (0.04..0.06).contains(&share),
        "share of events with a trace: {share}"
    );
}

/// The record counts of benches/records.sh agree: the generator's, logmill's with
/// `--records java` and `--record-start`, the awk joiner's under mawk and gawk, the Python
/// joiner's; and the line counts: the generator's and `logmill grep`'s.
#[test]
fn java_record_peers_agree_with_logmill_and_the_generator() {
    if !util::require_tools(&["python3", "mawk", "gawk"]) {
        return;
    }
    let dir = Dir::new("bench-java-peers");
    let s = stats(&dir, 1_500_000, 11, "app.log");
    let log = util::shell_quote(dir.path("app.log"));
    let want = stat(&s, "exception_records");
    assert!(want > 100, "too few records with Exception: {want}");
    let count = |script: String| -> u64 {
        text(util::sh(&script))
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    };
    let awk = repo_file("benches/peer/java_records.awk");
    let py = repo_file("benches/peer/java_records.py");
    assert_eq!(count(format!("mawk -f {awk} {log}")), want);
    assert_eq!(count(format!("gawk -f {awk} {log}")), want);
    assert_eq!(count(format!("python3 {py} {log}")), want);
    let records = util::run_ok(
        &["grep", "--records", "java", "Exception", "-"],
        &dir.read("app.log"),
    );
    assert_eq!(text(records).trim(), want.to_string());
    let path = dir.path("app.log");
    let path = path.to_str().unwrap();
    let start = util::run_ok(
        &[
            "grep",
            "--record-start",
            r"^\d{4}-\d\d-\d\d ",
            "Exception",
            path,
        ],
        b"",
    );
    assert_eq!(text(start).trim(), want.to_string());
    let all = util::run_ok(&["grep", "--records", "java", "", path], b"");
    assert_eq!(text(all).trim(), stat(&s, "events").to_string());
    let lines = util::run_ok(&["grep", "Exception", path], b"");
    assert_eq!(text(lines).trim(), stat(&s, "exception_lines").to_string());
    // Lines before the first record start form a record of their own, for the peers too.
    let head = dir.create("head.log", "java.lang.IllegalStateException: x\n\tat A.b(A.java:1)\n2026-11-29 00:00:00,000 INFO  [m] A - Exception\n");
    let head = util::shell_quote(head);
    assert_eq!(count(format!("mawk -f {awk} {head}")), 2);
    assert_eq!(count(format!("python3 {py} {head}")), 2);
}

/// An access log with the sample's lines and lines in other zones (+0530 moves a line into
/// another UTC hour, -0800 into another day), a malformed line and a line without the literal.
fn zoned_access_log(dir: &Dir) -> std::path::PathBuf {
    let mut data = std::fs::read(util::testdata("apache_access.log")).expect("the sample");
    data.extend_from_slice(
        b"10.0.0.1 - - [18/May/2015:00:20:00 +0530] \"GET /a HTTP/1.1\" 404 12 \"-\" \"curl/8\"\n\
10.0.0.2 - - [17/May/2015:23:59:59 -0800] \"GET /b HTTP/1.1\" 404 12 \"-\" \"curl/8\"\n\
10.0.0.3 - - [18/May/2015:01:00:00 +0100] \"GET /c HTTP/1.1\" 500 12 \"-\" \"curl/8\"\n\
10.0.0.4 - - [18/May/2015:01:00:00 +0000] \"GET /d HTTP/1.1\" 404 12 \"-\" \"curl/8\n\
10.0.0.5 - - [19/May/2015:02:00:00 +0000] \"GET /e\" 404 \n",
    );
    dir.create("access.log", data)
}

/// The lines of `out`, sorted, without zero counts: `logmill grep --per` prints a bucket that
/// had lines but no match with count 0, where the peers print nothing (the 1 GB benchmark
/// input has matches in every hour).
fn sorted_lines(out: Vec<u8>) -> Vec<String> {
    let mut lines: Vec<String> = text(out)
        .lines()
        .filter(|l| !l.ends_with("\t0"))
        .map(str::to_string)
        .collect();
    lines.sort();
    lines
}

#[test]
fn gawk_hour_buckets_equal_logmill_grep_per_hour() {
    if !util::require_tools(&["gawk"]) {
        return;
    }
    let dir = Dir::new("bench-per-hour-grep");
    let log = zoned_access_log(&dir);
    let awk = repo_file("benches/peer/per_hour.awk");
    let peer = util::sh(&format!(
        "gawk -v literal='\" 404 ' -f {awk} {}",
        util::shell_quote(&log)
    ));
    let ours = util::run_ok(
        &[
            "grep",
            "--tz",
            "UTC",
            "-F",
            "\" 404 ",
            "--per",
            "1h",
            log.to_str().unwrap(),
        ],
        b"",
    );
    let ours = sorted_lines(ours);
    assert_eq!(sorted_lines(peer), ours);
    // The +0530 line (2015-05-17T18:50Z) and the -0800 line (2015-05-18T07:59Z) are counted
    // in their UTC hours.
    assert!(
        ours.iter()
            .any(|l| l.starts_with("2015-05-18T07:00:00+00:00\t")),
        "{ours:?}"
    );
}

#[test]
fn gawk_hour_buckets_equal_logmill_fields_per_hour() {
    if !util::require_tools(&["gawk"]) {
        return;
    }
    let dir = Dir::new("bench-per-hour-fields");
    let log = zoned_access_log(&dir);
    let awk = repo_file("benches/peer/per_hour.awk");
    let peer = util::sh(&format!(
        "gawk -v by=status -f {awk} {}",
        util::shell_quote(&log)
    ));
    let out = util::logmill()
        .args([
            "fields", "--format", "combined", "--by", "status", "--per", "1h",
        ])
        .args(["--tz", "UTC", log.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ours = sorted_lines(out.stdout);
    assert_eq!(sorted_lines(peer), ours);
    assert!(
        ours.contains(&"2015-05-18T00:00:00+00:00\t500\t1".to_string()),
        "{ours:?}"
    );
}

#[test]
fn benchmark_scripts_parse_and_answer_help() {
    for script in [
        "benches/time.sh",
        "benches/records.sh",
        "benches/answers.sh",
    ] {
        let path = repo_file(script);
        util::sh(&format!("bash -n {path}"));
        let usage = text(util::sh(&format!("bash {path} --help")));
        assert!(usage.starts_with("usage: "), "{script}: {usage}");
        let out = std::process::Command::new("bash")
            .args([std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(script)])
            .arg("--bogus")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{script} --bogus");
        assert!(String::from_utf8_lossy(&out.stderr).contains("unknown argument: --bogus"));
    }
}
