//! Time on the command line: `--per` buckets on every job (against Python's `datetime` on the
//! real log samples), byte-identical results whatever `-j`, `--chunk-size`, shards, merges,
//! `--state` or spill, `--since`/`--until` windows, DST days, `--fill`, the time
//! options in partial headers, and `--output-format chart`.

use std::collections::BTreeMap;

use crate::timestamps::{python_counts, year_of, SAMPLES};
use crate::util::{cmd_exists, refused, require_tools, run_logmill, testdata, Dir};

fn ok(args: &[&str]) -> (Vec<u8>, String) {
    let (out, code, err) = run_logmill(args, None);
    assert!(code == 0 || code == 1, "{args:?}: exit {code}: {err}");
    (out, err)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `time<TAB>count` rows as a map.
fn per_counts(out: &[u8]) -> BTreeMap<String, u64> {
    text(out)
        .lines()
        .map(|l| {
            let (t, n) = l.split_once('\t').unwrap();
            (t.to_string(), n.parse().unwrap())
        })
        .collect()
}

/// The count in "N lines without a timestamp" on stderr, 0 when there is none.
fn untimed(err: &str) -> u64 {
    err.lines()
        .find(|l| l.contains("without a timestamp"))
        .map_or(0, |l| {
            let w = l.split("warning: ").nth(1).unwrap();
            w.split(' ').next().unwrap().parse().unwrap()
        })
}

#[test]
fn per_hour_and_per_day_counts_of_every_sample_equal_python_datetime() {
    if !require_tools(&["python3"]) {
        return;
    }
    for (tz, per, py_per) in [("+00:00", "1h", "h"), ("+05:30", "1d", "d")] {
        for sample in SAMPLES {
            let path = testdata(sample.file);
            let path = path.to_str().unwrap();
            let year = year_of(sample).to_string();
            let (theirs, their_bad) = python_counts(sample, tz, py_per);
            for (j, chunk) in [("1", "1M"), ("3", "700")] {
                let args = [
                    "-j",
                    j,
                    "--chunk-size",
                    chunk,
                    "grep",
                    "-c",
                    "",
                    "--per",
                    per,
                    "--tz",
                    tz,
                    "--year",
                    &year,
                    path,
                ];
                let (out, err) = ok(&args);
                assert_eq!(
                    per_counts(&out),
                    theirs,
                    "{} per {per} in {tz}",
                    sample.file
                );
                assert_eq!(untimed(&err), their_bad, "{}: {err}", sample.file);
            }
        }
    }
}

/// Every way of running a job over the apache log gives the same bytes.
#[test]
fn any_j_chunk_size_shards_merges_state_and_spill_give_the_same_bytes() {
    let dir = Dir::new("time-same-bytes");
    let log = testdata("apache_access.log");
    let log = log.to_str().unwrap();
    let jobs: &[&[&str]] = &[
        &["grep", "-c", "GET"],
        &["fields", "--format", "combined", "--by", "status"],
        &["words", "--top", "3"],
        &["lines", "--sort", "key", "--top", "2"],
        &["match", r#""(\w+) "#],
    ];
    for (k, job) in jobs.iter().enumerate() {
        {
            let per = ["1h", "1d", "15m"][k % 3];
            let time = ["--per", per, "--tz", "Europe/Berlin"];
            let with = |pre: &[&str], post: &[&str]| -> Vec<String> {
                pre.iter()
                    .chain(job.iter())
                    .chain(time.iter())
                    .chain(post.iter())
                    .map(|s| s.to_string())
                    .collect()
            };
            let run = |args: Vec<String>| -> Vec<u8> {
                let (out, code, err) = run_logmill(&args, None);
                assert!(code == 0, "{args:?}: {err}");
                out
            };
            let want = run(with(&["-j", "1"], &[log]));
            assert!(want.starts_with(b"2015-05-1"), "{job:?}: {}", text(&want));
            for (j, chunk) in [("2", "4K"), ("3", "333"), ("4", "1")] {
                let got = run(with(&["-j", j, "--chunk-size", chunk], &[log]));
                assert_eq!(
                    text(&got),
                    text(&want),
                    "{job:?} -j {j} --chunk-size {chunk}"
                );
            }
            let got = run(with(&["--memory", "64K", "--chunk-size", "2K"], &[log]));
            assert_eq!(text(&got), text(&want), "{job:?} under --memory");
            // Stdin (a stream) decides the format from the same first lines.
            let args = with(&["--chunk-size", "500"], &[]);
            let (got, _, err) = run_logmill(&args, Some(&std::fs::read(log).unwrap()));
            assert_eq!(text(&got), text(&want), "{job:?} from stdin: {err}");
            let mut parts = Vec::new();
            for s in 0..3 {
                let shard = format!("{s}/3");
                let p = dir.path(format!("p{s}"));
                let args = with(&["--shard", &shard, "--emit", "partial"], &[log]);
                std::fs::write(&p, run(args)).unwrap();
                parts.push(p.to_str().unwrap().to_string());
            }
            // merge takes only output flags: --top/--sort with their values.
            let merge_args: Vec<String> = {
                let mut m = vec!["merge".to_string()];
                let mut it = job.iter();
                while let Some(a) = it.next() {
                    if *a == "--top" || *a == "--sort" {
                        m.push(a.to_string());
                        m.push(it.next().unwrap().to_string());
                    }
                }
                m.extend(parts.iter().cloned());
                m
            };
            let got = run(merge_args);
            assert_eq!(text(&got), text(&want), "{job:?}: merged shards");
            let state = dir.path("state");
            let _ = std::fs::remove_file(&state);
            let got = run(with(&["--state", state.to_str().unwrap()], &[log]));
            assert_eq!(text(&got), text(&want), "{job:?} with --state");
        }
    }
}

/// The apache log's timestamp as seconds since the epoch (its lines are all +0000).
fn apache_seconds(line: &str) -> Option<i64> {
    let i = line.find('[')?;
    let t = &line[i + 1..i + 21];
    let months = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let day: i64 = t[0..2].parse().ok()?;
    let month = months.iter().position(|m| *m == &t[3..6])? as i64 + 1;
    let year: i64 = t[7..11].parse().ok()?;
    let (h, m, s): (i64, i64, i64) = (
        t[12..14].parse().ok()?,
        t[15..17].parse().ok()?,
        t[18..20].parse().ok()?,
    );
    // Days from civil (all dates here are in 2015, after February).
    let y = year - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

#[test]
fn since_and_until_equal_filtering_the_lines_first() {
    let dir = Dir::new("time-window");
    let log = std::fs::read_to_string(testdata("apache_access.log")).unwrap();
    // 2015-05-18T09:30:00Z and 2015-05-19T17:45:00Z; --since relative to --now.
    let (since, until) = (1_431_941_400i64, 1_432_057_500i64);
    let kept: String = log
        .lines()
        .filter(|l| apache_seconds(l).is_some_and(|t| since <= t && t < until))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(kept.len() > 1000 && kept.len() < log.len() / 2);
    let filtered = dir.create("kept.log", &kept);
    let full = testdata("apache_access.log");
    for job in [
        &["words"][..],
        &["grep", "-c", "POST"],
        &["lines", "--top", "5"],
    ] {
        for window in [
            &[
                "--since",
                "2015-05-18T09:30:00Z",
                "--until",
                "2015-05-19T17:45:00Z",
            ][..],
            &[
                "--since=-1d",
                "--until",
                "2015-05-19T19:45:00+02:00",
                "--now",
                "2015-05-19T09:30:00Z",
            ],
        ] {
            let mut a: Vec<&str> = job.to_vec();
            a.extend(window);
            a.push(full.to_str().unwrap());
            let (got, _) = ok(&a);
            let mut b: Vec<&str> = job.to_vec();
            b.push(filtered.to_str().unwrap());
            let (want, _) = ok(&b);
            assert_eq!(text(&got), text(&want), "{a:?}");
        }
    }
}

#[test]
fn a_dst_day_in_berlin_has_23_and_25_hourly_buckets() {
    let dir = Dir::new("time-dst");
    let mut log = String::new();
    // Every 10 minutes in UTC from 2024-03-30 to 2024-04-01, and 2024-10-26 to 2024-10-28.
    for (start, days) in [(1_711_756_800i64, 3), (1_729_900_800, 3)] {
        let mut t = start;
        while t < start + days * 86_400 {
            let dt = jiff::Timestamp::from_second(t).unwrap();
            log.push_str(&format!("{} event\n", dt.strftime("%Y-%m-%dT%H:%M:%SZ")));
            t += 600;
        }
    }
    let f = dir.create("dst.log", &log);
    let (out, _) = ok(&[
        "grep",
        "-c",
        "event",
        "--per",
        "1h",
        "--tz",
        "Europe/Berlin",
        f.to_str().unwrap(),
    ]);
    let counts = per_counts(&out);
    let day = |d: &str| counts.keys().filter(|k| k.starts_with(d)).count();
    assert_eq!(day("2024-03-31"), 23, "{}", text(&out));
    assert_eq!(day("2024-10-27"), 25);
    assert_eq!(day("2024-04-01"), 24);
    assert!(counts.contains_key("2024-10-27T02:00:00+02:00"));
    assert!(counts.contains_key("2024-10-27T02:00:00+01:00"));
    assert!(!counts.keys().any(|k| k.starts_with("2024-03-31T02:")));
    // Days are local calendar days: 23 and 25 hours of lines.
    let (out, _) = ok(&[
        "grep",
        "-c",
        "event",
        "--per",
        "1d",
        "--tz",
        "Europe/Berlin",
        f.to_str().unwrap(),
    ]);
    let days = per_counts(&out);
    assert_eq!(days["2024-03-31T00:00:00+01:00"], 23 * 6);
    assert_eq!(days["2024-10-27T00:00:00+02:00"], 25 * 6);
}

#[test]
fn fill_adds_zero_rows_for_time_only_outputs_and_is_refused_otherwise() {
    let dir = Dir::new("time-fill");
    let f = dir.create(
        "app.log",
        "2024-01-01 10:00:01 ERROR a\n2024-01-01 10:03:00 INFO b\n2024-01-01 10:03:30 ERROR c\nno time here\nno time ERROR\n",
    );
    let f = f.to_str().unwrap();
    let (out, err) = ok(&["grep", "-c", "ERROR", "--per", "1m", "--tz", "UTC", f]);
    assert_eq!(
        text(&out),
        "2024-01-01T10:00:00+00:00\t1\n2024-01-01T10:03:00+00:00\t1\n"
    );
    assert!(
        err.contains("1 record without a timestamp left out"),
        "{err}"
    );
    let (out, _) = ok(&[
        "grep", "-c", "ERROR", "--per", "1m", "--fill", "--tz", "UTC", f,
    ]);
    assert_eq!(
        text(&out),
        "2024-01-01T10:00:00+00:00\t1\n2024-01-01T10:01:00+00:00\t0\n2024-01-01T10:02:00+00:00\t0\n2024-01-01T10:03:00+00:00\t1\n"
    );
    refused(
        &["words", "--per", "1m", "--fill", "--tz", "UTC", f],
        None,
        "--fill",
    );
    refused(&["grep", "x", "--fill", f], None, "--per");
}

#[test]
fn top_is_per_bucket_and_rows_come_in_time_order() {
    let dir = Dir::new("time-top");
    let f = dir.create(
        "a.log",
        "2024-01-01T11:00:00Z b b c\n2024-01-01T10:00:00Z a a b\n2024-01-01T10:30:00Z a\n",
    );
    let (out, _) = ok(&[
        "words",
        "--per",
        "1h",
        "--tz",
        "UTC",
        "--top",
        "1",
        f.to_str().unwrap(),
    ]);
    assert_eq!(
        text(&out),
        "2024-01-01T10:00:00+00:00\ta\t3\n2024-01-01T11:00:00+00:00\tb\t2\n"
    );
    let (out, _) = ok(&[
        "words",
        "--per",
        "1h",
        "--tz",
        "UTC",
        "--top",
        "1",
        "--output-format",
        "csv",
        f.to_str().unwrap(),
    ]);
    assert!(text(&out).starts_with("time,"), "{}", text(&out));
}

#[test]
fn time_options_are_part_of_a_partial_and_bad_values_are_refused() {
    let dir = Dir::new("time-params");
    let f = dir.create("a.log", "2024-01-01T11:00:00Z x\n");
    let f = f.to_str().unwrap();
    let part = |tz: &str| {
        let (out, _) = ok(&[
            "grep", "-c", "x", "--per", "1h", "--tz", tz, "--emit", "partial", f,
        ]);
        out
    };
    let a = dir.create("a", part("UTC"));
    let b = dir.create("b", part("Europe/Berlin"));
    let header = text(&std::fs::read(&a).unwrap());
    assert!(header.contains(r#""zone":"UTC""#), "{header}");
    refused(
        &["merge", a.to_str().unwrap(), b.to_str().unwrap()],
        None,
        "different time options",
    );
    let (out, _) = ok(&[
        "merge",
        "--allow-overlap",
        a.to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    assert_eq!(text(&out), "2024-01-01T11:00:00+00:00\t2\n");
    refused(&["grep", "x", "--per", "7q", f], None, "--per");
    refused(
        &["grep", "x", "--per", "1h", "--tz", "Mars/Olympus", f],
        None,
        "--tz",
    );
    refused(
        &["grep", "x", "--since", "yesterday-ish", f],
        None,
        "--since",
    );
    refused(&["words", "--time-field", "ts", f], None, "--time-field");
    refused(
        &["grep", "x", "--time-format", "%Q%Q", f],
        None,
        "--time-format",
    );
}

#[test]
fn time_format_reads_other_timestamps() {
    let dir = Dir::new("time-format");
    let f = dir.create("a.log", "01.02.2024 10:15 x\n01.02.2024 11:20 y\n");
    let (out, _) = ok(&[
        "grep",
        "-c",
        "",
        "--per",
        "1h",
        "--tz",
        "UTC",
        "--time-format",
        "%d.%m.%Y %H:%M",
        f.to_str().unwrap(),
    ]);
    assert_eq!(
        text(&out),
        "2024-02-01T10:00:00+00:00\t1\n2024-02-01T11:00:00+00:00\t1\n"
    );
}

const CHART_LOG: &str = "2024-01-01T10:00:00Z E\n2024-01-01T10:00:01Z E\n2024-01-01T10:00:02Z E\n2024-01-01T10:00:03Z E\n2024-01-01T10:02:00Z E\n2024-01-01T10:03:00Z E\n2024-01-01T10:03:01Z E\n";

#[test]
fn chart_bars_scale_to_the_largest_count_with_empty_buckets() {
    let dir = Dir::new("time-chart");
    let f = dir.create("a.log", CHART_LOG);
    let f = f.to_str().unwrap();
    let args = [
        "grep",
        "-c",
        "E",
        "--per",
        "1m",
        "--tz",
        "UTC",
        "--output-format",
        "chart",
        f,
    ];
    let chart = |env: &[(&str, &str)]| {
        let mut cmd = crate::util::logmill();
        cmd.args(args)
            .env_remove("LC_ALL")
            .env_remove("LC_CTYPE")
            .env_remove("LANG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        text(&out.stdout)
    };
    // 40 columns: 25 for the label, 2 of gap, 1 space and 1 digit leave 11 for the bars.
    assert_eq!(
        chart(&[("COLUMNS", "40"), ("LC_ALL", "C")]),
        "2024-01-01T10:00:00+00:00  ########### 4\n\
         2024-01-01T10:01:00+00:00   0\n\
         2024-01-01T10:02:00+00:00  ## 1\n\
         2024-01-01T10:03:00+00:00  ##### 2\n"
    );
    assert_eq!(
        chart(&[("COLUMNS", "40"), ("LANG", "en_US.UTF-8")]),
        "2024-01-01T10:00:00+00:00  ███████████ 4\n\
         2024-01-01T10:01:00+00:00   0\n\
         2024-01-01T10:02:00+00:00  ██▊ 1\n\
         2024-01-01T10:03:00+00:00  █████▌ 2\n"
    );
    let plain = chart(&[("COLUMNS", "40"), ("LC_ALL", "C")]);
    let mut cmd = crate::util::logmill();
    cmd.args(args)
        .arg("--ascii")
        .env("COLUMNS", "40")
        .env("LANG", "en_US.UTF-8");
    assert_eq!(text(&cmd.output().unwrap().stdout), plain, "--ascii");
    // Without --per: one bar per row of the job.
    let (out, _) = ok(&["words", "--output-format", "chart", "--ascii", f]);
    assert!(text(&out).starts_with("e  "), "{}", text(&out));
}

#[test]
fn chart_through_a_terminal_takes_its_width() {
    if !require_tools(&["script", "stty"]) || !cmd_exists("script") {
        return;
    }
    let dir = Dir::new("time-chart-pty");
    let f = dir.create("a.log", CHART_LOG);
    let bin = assert_cmd::cargo::cargo_bin("logmill");
    let cmd = format!(
        "stty cols 50; {} grep -c E --per 1m --tz UTC --output-format chart {}",
        bin.display(),
        f.display()
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env_remove("COLUMNS")
        .env("LC_ALL", "C")
        .output()
        .unwrap();
    let s = text(&out.stdout).replace('\r', "");
    // 50 columns: 25 + 2 + 1 + 1 leave 21 cells for 4.
    assert!(
        s.contains(&format!(
            "2024-01-01T10:00:00+00:00  {} 4\n",
            "#".repeat(21)
        )),
        "{s:?}"
    );
}

#[test]
fn sorted_gives_the_bytes_of_the_exact_filter() {
    let log = testdata("apache_access.log");
    let log = log.to_str().unwrap();
    for (since, until) in [
        ("2015-05-19T10:00:00Z", "2015-05-19T14:00:00Z"),
        ("2015-05-17T09:00:00Z", "2015-05-17T10:30:00Z"),
        ("2015-05-20T20:00:00Z", "2015-05-30T00:00:00Z"),
    ] {
        let base = [
            "grep", "-c", "GET", "--per", "1h", "--tz", "UTC", "--since", since, "--until", until,
        ];
        let (want, _) = ok(&[&base[..], &[log]].concat());
        for chunk in ["1K", "64K"] {
            let args = [
                &["-j", "2", "--chunk-size", chunk][..],
                &base,
                &["--sorted", "5m", log],
            ]
            .concat();
            let (got, _) = ok(&args);
            assert_eq!(text(&got), text(&want), "{args:?}");
        }
    }
}

#[test]
fn sorted_skips_chunks_before_the_window_and_checks_every_record_read() {
    let dir = Dir::new("time-sorted");
    let mut log = String::new();
    for i in 0..2000 {
        let t = jiff::Timestamp::from_second(1_700_000_000 + i * 60).unwrap();
        log.push_str(&format!("{} line {i}\n", t.strftime("%Y-%m-%dT%H:%M:%SZ")));
        if i == 2 {
            // Hours older than its neighbours: breaks any declaration below a day.
            log.push_str("2023-11-14T00:00:00Z early\n");
        }
    }
    let f = dir.create("a.log", &log);
    let f = f.to_str().unwrap();
    let window = [
        "--since",
        "2023-11-15T12:00:00Z",
        "--until",
        "2023-11-15T14:00:00Z",
    ];
    let base = [&["--chunk-size", "2K", "grep", "-c", "line"][..], &window].concat();
    let (want, _) = ok(&[&base[..], &[f]].concat());
    assert_eq!(text(&want), "120\n");
    // The out-of-order line is in a chunk before the window: never read, so not refused.
    let (got, _) = ok(&[&base[..], &["--sorted", "5m", f]].concat());
    assert_eq!(text(&got), text(&want));
    // Read (a window from the start), it is an error naming its line.
    let err = refused(
        &[
            "grep",
            "-c",
            "line",
            "--since",
            "2023-11-14T00:00:00Z",
            "--sorted",
            "5m",
            f,
        ],
        None,
        ":4: time 2023-11-14T00:00:00Z",
    );
    assert!(err.contains("--sorted 5m"), "{err}");
    refused(&["grep", "x", "--sorted", "soon", f], None, "--sorted");
}
