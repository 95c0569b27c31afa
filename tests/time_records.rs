//! `--per`, `--since` and `--until` over multi-line records (`--records`, `--record-start`):
//! a record is dated by its first line, its continuation lines are not lines without a
//! timestamp; counts equal Python's (the independent record parser of `records.rs`, then
//! `datetime`) on the real multi-line logs of testdata; the same bytes for any `-j`,
//! `--chunk-size` (1 byte up) and stdin when records straddle chunk edges.

use std::collections::BTreeMap;

use crate::records::py_records;
use crate::util::{require_tools, run_logmill, testdata, Dir};

fn ok(args: &[&str], stdin: Option<&[u8]>) -> (Vec<u8>, String) {
    let (out, code, err) = run_logmill(args, stdin);
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {err}");
    (out, err)
}

/// The number in "N records without a timestamp", 0 when there is none.
fn untimed(err: &str) -> u64 {
    err.lines()
        .find(|l| l.contains("without a timestamp"))
        .map_or(0, |l| {
            let w = l.split("warning: ").nth(1).unwrap();
            w.split(' ').next().unwrap().parse().unwrap()
        })
}

/// Second (or hour) bucket label of a record's first line `YYYY-MM-DD HH:MM:SS...` read in
/// UTC, as Python's `datetime` gives it; None when the first line has no such time.
fn py_bucket_counts(
    records: &[String],
    per_hour: bool,
    needle: &str,
) -> (BTreeMap<String, u64>, u64) {
    let script = r#"
import json, sys
from datetime import datetime, timezone
records = json.load(sys.stdin)
per_hour, needle = sys.argv[1] == 'h', sys.argv[2]
counts, untimed = {}, 0
for r in records:
    # grep dates only the records it counts: untimed counts those with the needle.
    if needle not in r:
        continue
    first = r.split('\n', 1)[0]
    try:
        t = datetime.strptime(first[:19], '%Y-%m-%d %H:%M:%S').replace(tzinfo=timezone.utc)
    except ValueError:
        untimed += 1
        continue
    if per_hour:
        t = t.replace(minute=0, second=0)
    k = t.isoformat()
    counts[k] = counts.get(k, 0) + 1
for k in sorted(counts):
    print(f"{k}\t{counts[k]}")
print(f"untimed\t{untimed}")
"#;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script, if per_hour { "h" } else { "s" }, needle])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(serde_json::to_string(records).unwrap().as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let mut counts = BTreeMap::new();
    let mut untimed = 0;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (k, n) = line.split_once('\t').unwrap();
        if k == "untimed" {
            untimed = n.parse().unwrap();
        } else {
            counts.insert(k.to_string(), n.parse().unwrap());
        }
    }
    (counts, untimed)
}

fn per_counts(out: &[u8]) -> BTreeMap<String, u64> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| {
            let (t, n) = l.rsplit_once('\t').unwrap();
            (t.to_string(), n.parse().unwrap())
        })
        .filter(|(_, n)| *n > 0)
        .collect()
}

#[test]
fn per_second_counts_of_the_real_multi_line_logs_equal_python() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("time-records-real");
    for (preset, file, needle) in [
        ("java", "records/java-app.log", "Exception"),
        ("python", "records/python-app.log", "Traceback"),
    ] {
        let path = testdata(file);
        let records = py_records(&dir, preset, &path);
        let p = path.to_str().unwrap();
        for (per, hour) in [("1s", false), ("1h", true)] {
            let (want, want_untimed) = py_bucket_counts(&records, hour, needle);
            let (all, all_untimed) = py_bucket_counts(&records, hour, "");
            assert!(!want.is_empty(), "{file}");
            let base = ["--records", preset, "--per", per, "--tz", "UTC"];
            let run = |job: &[&str]| {
                let a: Vec<&str> = job.iter().chain(&base).copied().chain([p]).collect();
                ok(&a, None)
            };
            // grep counts the records that match; fields without --by counts every record.
            let (out, err) = run(&["grep", "-c", needle]);
            assert_eq!(per_counts(&out), want, "{file} {per}");
            assert_eq!(untimed(&err), want_untimed, "{file}: {err}");
            let (out, err) = run(&["fields"]);
            assert_eq!(per_counts(&out), all, "{file} {per}");
            assert_eq!(untimed(&err), all_untimed, "{file}: {err}");
            // Line by line, the continuation lines would be lines without a timestamp.
            let (_, err) = ok(
                &["grep", "-c", needle, "--per", per, "--tz", "UTC", p],
                None,
            );
            assert!(untimed(&err) > want_untimed, "{err}");
        }
    }
}

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A log of records spread over hours: event lines, some with stack traces, some records
/// without a time, sometimes an orphan trace before the first record and no final newline.
fn random_log(seed: u64) -> Vec<u8> {
    let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = String::new();
    if r.below(2) == 0 {
        out.push_str("\tat orphan.Frame(before the first start)\n");
    }
    let mut t = 0u64;
    for i in 0..r.below(80) + 40 {
        t += r.below(900);
        let level = ["INFO", "WARN", "SEVERE"][r.below(3) as usize];
        if r.below(15) == 0 {
            out.push_str(&format!(
                "no time here {i}\n\tat still.Continued(X.java:1)\n"
            ));
            continue;
        }
        out.push_str(&format!(
            "2024-01-01 {:02}:{:02}:{:02} {level} event {}\n",
            t / 3600 % 24,
            t / 60 % 60,
            t % 60,
            r.below(9)
        ));
        if r.below(3) == 0 {
            out.push_str(&format!("java.io.IOException: boom {}\n", r.below(4)));
            for f in 0..r.below(6) {
                out.push_str(&format!("\tat com.x.C{f}.m(C.java:{})\n", r.below(99)));
            }
            if r.below(4) == 0 {
                out.push('\n');
            }
        }
    }
    if r.below(2) == 0 {
        out.pop();
    }
    out.into_bytes()
}

#[test]
fn records_across_chunk_edges_give_the_same_bytes_for_any_split() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("time-records-split");
    let jobs: [&[&str]; 5] = [
        &["grep", "-c", "SEVERE"],
        &["match", r"(\w+Exception)"],
        &["lines"],
        &["words"],
        &["fields", "--by", "3"],
    ];
    for seed in 1..=3u64 {
        let data = random_log(seed);
        let file = dir.create(format!("log{seed}.log"), &data);
        let f = file.to_str().unwrap();
        let records = py_records(&dir, "java", &file);
        let (want_counts, grep_untimed) = py_bucket_counts(&records, true, "SEVERE");
        let (_, all_untimed) = py_bucket_counts(&records, true, "");
        for job in jobs {
            let with = |extra: &[&str], input: Option<&[u8]>| {
                let mut a: Vec<&str> = job.to_vec();
                a.extend(["--records", "java", "--per", "1h", "--tz", "UTC"]);
                a.extend_from_slice(extra);
                if input.is_none() {
                    a.push(f);
                }
                ok(&a, input)
            };
            let (want, err) = with(&["-j", "1"], None);
            assert!(!want.is_empty(), "{job:?}");
            let want_untimed = match job[0] {
                "grep" => grep_untimed,
                _ => all_untimed,
            };
            assert_eq!(untimed(&err), want_untimed, "{job:?}: {err}");
            if job[0] == "grep" {
                assert_eq!(per_counts(&want), want_counts, "seed {seed}");
            }
            for j in ["1", "3"] {
                for size in ["1", "2", "17", "300", "1M"] {
                    let extra = ["-j", j, "--chunk-size", size];
                    assert_eq!(
                        with(&extra, None).0,
                        want,
                        "seed {seed} {job:?} -j {j} {size}"
                    );
                    assert_eq!(
                        with(&extra, Some(&data)).0,
                        want,
                        "stdin seed {seed} {job:?} -j {j} {size}"
                    );
                }
            }
        }
    }
}

#[test]
fn since_and_until_keep_whole_records_by_their_first_line() {
    let log = "2024-01-01 09:59:59 INFO a\n\tat x.Y(Z.java:1)\n\
               2024-01-01 10:00:00 SEVERE b\njava.io.IOException: boom\n\tat x.Y(Z.java:2)\n\
               2024-01-01 11:00:00 SEVERE c\n\tat x.Y(Z.java:3)\n";
    let (out, err) = ok(
        &[
            "lines",
            "--records",
            "java",
            "--since",
            "2024-01-01T10:00:00Z",
            "--until",
            "2024-01-01T11:00:00Z",
            "--tz",
            "UTC",
            "-",
        ],
        Some(log.as_bytes()),
    );
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "2024-01-01 10:00:00 SEVERE b\\njava.io.IOException: boom\\n\\tat x.Y(Z.java:2)\t1\n"
    );
    assert_eq!(untimed(&err), 0, "{err}");
}
