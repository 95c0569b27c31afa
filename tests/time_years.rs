//! The year of year-less timestamps (syslog, Android): from `--year`, else from each input's
//! modification time (a December line in a January file is from the year before), else (stdin)
//! from "now" (`--now`); what was resolved is in the partial's header, and partials that dated
//! the same input differently refuse to merge.

use std::time::{Duration, SystemTime};

use crate::util::{run_logmill, Dir};

const NEW_YEAR: &str = "Dec 31 23:58:01 host cron[1]: a\nDec 31 23:59:59 host cron[1]: b\n\
Jan  1 00:00:01 host cron[1]: c\nJan  1 10:00:00 host cron[1]: d\n";

fn raw(args: &[&str], stdin: Option<&[u8]>) -> Vec<u8> {
    let (out, code, err) = run_logmill(args, stdin);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

fn ok(args: &[&str], stdin: Option<&[u8]>) -> String {
    String::from_utf8(raw(args, stdin)).unwrap()
}

/// The header line of a partial.
fn header(p: &[u8]) -> String {
    String::from_utf8_lossy(p.split(|&b| b == b'\n').next().unwrap()).into_owned()
}

/// Sets the modification time of `path` to `rfc3339` (as `touch -d` does).
fn set_mtime(path: &std::path::Path, rfc3339: &str) {
    let secs: u64 = match rfc3339 {
        "2025-01-02T12:00:00Z" => 1_735_819_200,
        "2024-03-01T00:00:00Z" => 1_709_251_200,
        "2024-05-01T00:00:00Z" => 1_714_521_600,
        other => panic!("no epoch for {other}"),
    };
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
        .unwrap();
}

const PER_DAY: [&str; 7] = ["grep", "-c", "cron", "--per", "1d", "--tz", "UTC"];

fn args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    PER_DAY
        .iter()
        .copied()
        .chain(extra.iter().copied())
        .collect()
}

#[test]
fn a_syslog_file_across_new_year_takes_its_years_from_its_modification_time() {
    let dir = Dir::new("years-mtime");
    let f = dir.create("syslog", NEW_YEAR);
    set_mtime(&f, "2025-01-02T12:00:00Z");
    let f = f.to_str().unwrap();
    let want = "2024-12-31T00:00:00+00:00\t2\n2025-01-01T00:00:00+00:00\t2\n";
    // "now" does not date a file that has a modification time.
    assert_eq!(ok(&args(&[f]), None), want);
    assert_eq!(ok(&args(&["--now", "2030-06-01T00:00:00Z", f]), None), want);
    // The same bytes in pieces and in parallel.
    for j in ["1", "2"] {
        assert_eq!(
            ok(&args(&["-j", j, "--chunk-size", "7", f]), None),
            want,
            "-j {j}"
        );
    }
    // --year wins over the file.
    assert_eq!(
        ok(&args(&["--year", "2019", f]), None),
        "2019-01-01T00:00:00+00:00\t2\n2019-12-31T00:00:00+00:00\t2\n"
    );
}

#[test]
fn stdin_takes_the_year_of_now() {
    let want = "2022-12-31T00:00:00+00:00\t2\n2023-01-01T00:00:00+00:00\t2\n";
    let out = ok(
        &args(&["--now", "2023-01-05T00:00:00Z"]),
        Some(NEW_YEAR.as_bytes()),
    );
    assert_eq!(out, want);
    // In a later month than December of "now": all of this year.
    let out = ok(
        &args(&["--now", "2023-12-31T23:00:00Z", "-"]),
        Some(NEW_YEAR.as_bytes()),
    );
    assert_eq!(
        out,
        "2023-01-01T00:00:00+00:00\t2\n2023-12-31T00:00:00+00:00\t2\n"
    );
}

#[test]
fn each_input_has_its_own_year() {
    let dir = Dir::new("years-inputs");
    let a = dir.create("a.log", NEW_YEAR);
    let b = dir.create("b.log", NEW_YEAR);
    set_mtime(&a, "2025-01-02T12:00:00Z");
    set_mtime(&b, "2024-03-01T00:00:00Z");
    let out = ok(&args(&[a.to_str().unwrap(), b.to_str().unwrap()]), None);
    assert_eq!(
        out,
        "2023-12-31T00:00:00+00:00\t2\n2024-01-01T00:00:00+00:00\t2\n\
         2024-12-31T00:00:00+00:00\t2\n2025-01-01T00:00:00+00:00\t2\n"
    );
}

#[test]
fn the_resolved_years_are_in_the_partial_and_disagreeing_partials_refuse_to_merge() {
    let dir = Dir::new("years-partials");
    let a = dir.create("a.log", NEW_YEAR);
    let b = dir.create("b.log", NEW_YEAR);
    let plain = dir.create("plain.log", "2024-01-01 10:00:00 cron x\n");
    set_mtime(&a, "2025-01-02T12:00:00Z");
    set_mtime(&b, "2024-03-01T00:00:00Z");
    let partial = |f: &std::path::Path| {
        let p = raw(&args(&["--emit", "partial", f.to_str().unwrap()]), None);
        let h = header(&p);
        (p, h)
    };
    let (pa, ha) = partial(&a);
    assert!(
        ha.contains(r#""mtime":{"#) && ha.contains("[2025,1]"),
        "{ha}"
    );
    // Only inputs whose year-less timestamps the modification time dated are named.
    let (_, hp) = partial(&plain);
    assert!(!hp.contains("mtime"), "{hp}");
    let (pb, _) = partial(&b);
    let pa_path = dir.create("a.partial", &pa);
    let pb_path = dir.create("b.partial", &pb);
    // Partials of different inputs merge, and the merge names both inputs' years.
    let merged = raw(
        &[
            "merge",
            "--emit",
            "partial",
            pa_path.to_str().unwrap(),
            pb_path.to_str().unwrap(),
        ],
        None,
    );
    let h = header(&merged);
    assert!(h.contains("[2025,1]") && h.contains("[2024,3]"), "{h}");
    // The same input dated from another modification time does not.
    set_mtime(&a, "2024-05-01T00:00:00Z");
    let (pa2, _) = partial(&a);
    let pa2_path = dir.create("a2.partial", &pa2);
    let (_, code, err) = run_logmill(
        &[
            "merge",
            pa_path.to_str().unwrap(),
            pa2_path.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("dated the year-less timestamps of") && err.contains("2025-01"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}
