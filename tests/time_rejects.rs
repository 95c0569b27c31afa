//! A record without a timestamp, when one is needed, is a bad record on every job: counted
//! on stderr, listed by `--rejects` (in one file with the job's own bad records, in line
//! order, whatever `-j` and `--chunk-size`), an error under `--strict`.

use crate::util::{refused, require_tools, run_logmill, sh, shell_quote, Dir};

/// A log with lines without a timestamp among timed ones, some with sums that are no number.
fn log() -> String {
    let mut s = String::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..400 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let level = ["ERROR", "INFO", "WARN"][(x % 3) as usize];
        let n = if x % 11 == 0 {
            "NaN".to_string()
        } else {
            (x % 97).to_string()
        };
        match x % 7 {
            0 => s.push_str(&format!("continued {i} {level} n={n}\n")),
            _ => s.push_str(&format!(
                "2024-01-01 {:02}:{:02}:00 {level} n={n} {i}\n",
                i / 60 % 24,
                i % 60
            )),
        }
    }
    s
}

#[test]
fn every_job_lists_records_without_a_timestamp_in_line_order() {
    if !require_tools(&["awk"]) {
        return;
    }
    let dir = Dir::new("time-rejects");
    let file = dir.create("app.log", log());
    let f = file.to_str().unwrap();
    // Every job dates every line, except grep, which dates only the lines it counts.
    let untimed = |also: &str| {
        let want = sh(&format!(
            "awk '!/^[0-9][0-9][0-9][0-9]-/ {also} {{ print FILENAME \":\" NR \":\" $0 }}' {}",
            shell_quote(f)
        ));
        let expected = want.iter().filter(|&&b| b == b'\n').count();
        assert!(expected > 5, "{also}");
        (want, expected)
    };
    let rejects = dir.path("rejects.txt");
    let r = rejects.to_str().unwrap();
    let jobs: [(&[&str], &str); 5] = [
        (&["words"], ""),
        (&["grep", "-c", "ERROR"], "&& /ERROR/"),
        (&["lines"], ""),
        (&["match", "(ERROR|INFO)"], ""),
        (&["fields", "--by", "3"], ""),
    ];
    for (job, also) in jobs {
        let (want, expected) = untimed(also);
        for (j, size) in [("1", "1M"), ("2", "1"), ("2", "13"), ("3", "4096")] {
            let mut a: Vec<&str> = job.to_vec();
            a.extend(["--per", "1h", "--tz", "UTC", "--rejects", r, "-j", j]);
            a.extend(["--chunk-size", size, f]);
            let (_, code, err) = run_logmill(&a, None);
            assert_eq!(code, 0, "{a:?}: {err}");
            assert_eq!(
                String::from_utf8_lossy(&std::fs::read(&rejects).unwrap()),
                String::from_utf8_lossy(&want),
                "{job:?} -j {j} --chunk-size {size}"
            );
            assert!(
                err.contains(&format!("{expected} records without a timestamp left out"))
                    && err.contains("listed in"),
                "{job:?}: {err}"
            );
        }
    }
}

#[test]
fn the_jobs_own_bad_records_and_untimed_ones_share_one_rejects_file() {
    if !require_tools(&["awk"]) {
        return;
    }
    let dir = Dir::new("time-rejects-mixed");
    let file = dir.create("app.log", log());
    let f = file.to_str().unwrap();
    // No timestamp, or (with one) a sum that is no number.
    let want = sh(&format!(
        "awk '!/^[0-9][0-9][0-9][0-9]-/ || /n=NaN/ {{ print FILENAME \":\" NR \":\" $0 }}' {}",
        shell_quote(f)
    ));
    let rejects = dir.path("rejects.txt");
    for (j, size) in [("1", "1M"), ("2", "1"), ("2", "50")] {
        let a = [
            "match",
            r"(ERROR|INFO|WARN) n=(\S+)",
            "--sum",
            "2",
            "--per",
            "1h",
            "--tz",
            "UTC",
            "--rejects",
            rejects.to_str().unwrap(),
            "-j",
            j,
            "--chunk-size",
            size,
            f,
        ];
        let (_, code, err) = run_logmill(&a, None);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            String::from_utf8_lossy(&std::fs::read(&rejects).unwrap()),
            String::from_utf8_lossy(&want),
            "-j {j} --chunk-size {size}"
        );
    }
}

#[test]
fn strict_stops_at_the_first_record_without_a_timestamp() {
    // grep dates only the lines it counts: the first bad record is the first with an `a`.
    let input = "2024-01-01 10:00:00 a\n2024-01-01 10:00:01 b\nno time\nalso none\n";
    for (job, line) in [
        (&["words"][..], ":3:"),
        (&["grep", "-c", "a"], ":4:"),
        (&["fields", "--by", "3"], ":3:"),
    ] {
        let mut a: Vec<&str> = job.to_vec();
        a.extend([
            "--per",
            "1h",
            "--tz",
            "UTC",
            "--strict",
            "--chunk-size",
            "1",
            "-",
        ]);
        let err = refused(&a, Some(input.as_bytes()), "no timestamp");
        assert!(err.contains(line), "{job:?}: {err}");
    }
}

#[test]
fn a_record_without_a_timestamp_is_listed_at_its_first_line_with_line_ends_escaped() {
    let dir = Dir::new("time-rejects-records");
    let file = dir.create(
        "app.log",
        "2024-01-01 10:00:00 INFO a\n\tat x.Y(Z.java:1)\nno time INFO\n\tat x.Y(Z.java:2)\n\
         2024-01-01 11:00:00 INFO b\n",
    );
    let rejects = dir.path("rejects.txt");
    let (out, code, err) = run_logmill(
        &[
            "grep",
            "-c",
            "INFO",
            "--records",
            "java",
            "--per",
            "1h",
            "--tz",
            "UTC",
            "--rejects",
            rejects.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "2024-01-01T10:00:00+00:00\t1\n2024-01-01T11:00:00+00:00\t1\n"
    );
    assert_eq!(
        std::fs::read_to_string(&rejects).unwrap(),
        format!("{}:3:no time INFO\\n\tat x.Y(Z.java:2)\n", file.display())
    );
    assert!(err.contains("1 record without a timestamp"), "{err}");
}

#[test]
fn rejects_of_jobs_that_only_reject_untimed_records_need_a_time_option() {
    let dir = Dir::new("time-rejects-refused");
    let f = dir.create("a.log", "x\n");
    let f = f.to_str().unwrap();
    let r = dir.path("r.txt");
    let r = r.to_str().unwrap();
    refused(&["words", "--rejects", r, f], None, "needs --per");
    refused(&["lines", "--strict", f], None, "needs --per");
    refused(
        &[
            "grep",
            "x",
            "--per",
            "1h",
            "--rejects",
            r,
            "--shard",
            "1/2",
            f,
        ],
        None,
        "--shard",
    );
}

#[test]
fn max_rejects_counts_records_without_a_timestamp() {
    let input = "2024-01-01 10:00:00 a\nno time a\nalso none\nnot this\n";
    let base = [
        "grep",
        "-c",
        "a",
        "--per",
        "1h",
        "--tz",
        "UTC",
        "--max-rejects",
    ];
    let run = |limit: &str| {
        let a: Vec<&str> = base.iter().copied().chain([limit, "-"]).collect();
        run_logmill(&a, Some(input.as_bytes()))
    };
    let (out, code, err) = run("1");
    assert_eq!(code, 4, "{err}");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "2024-01-01T10:00:00+00:00\t1\n"
    );
    assert!(
        err.contains("--max-rejects 1 exceeded: 2 bad record"),
        "{err}"
    );
    assert_eq!(run("2").1, 0);
}
