use super::*;
use jiff::tz::TimeZone;
use jiff::Timestamp;

fn c(y: i16, mo: u8, d: u8, h: u8, mi: u8, s: u8, ns: u32) -> Civil {
    Civil {
        year: y,
        month: mo,
        day: d,
        hour: h,
        minute: mi,
        second: s,
        nanosecond: ns,
    }
}

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// Detects from three copies of `line` and returns what it finds in `line`.
fn detect_one(line: &str) -> (Detected, Stamp) {
    let l = line.as_bytes();
    let d = detect([l, l, l]).unwrap_or_else(|| panic!("nothing detected in {line:?}"));
    let s = d
        .find(l)
        .unwrap_or_else(|| panic!("{d:?} finds nothing in {line:?}"));
    (d, s)
}

fn start(format: Format) -> Detected {
    Detected {
        format,
        position: Position::Start,
    }
}

fn scan(format: Format) -> Detected {
    Detected {
        format,
        position: Position::Scan,
    }
}

#[test]
fn real_sample_lines_are_detected_and_parsed() {
    let cases: Vec<(&str, Detected, Stamp)> = vec![
        ("83.149.9.216 - - [17/May/2015:10:05:03 +0000] \"GET /presentations/logstash-monitorama-2013/images/kibana-search.png HTTP/1.1\" 200 203023",
         scan(Format::ApacheAccess), Stamp::Offset(c(2015, 5, 17, 10, 5, 3, 0), 0)),
        ("[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties",
         start(Format::ApacheError), Stamp::Naive(c(2005, 12, 4, 4, 47, 44, 0))),
        ("Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
         start(Format::Syslog), Stamp::YearLess(c(0, 6, 14, 15, 16, 1, 0))),
        ("Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: IOThunderboltSwitch<0>(0x0)::listenerCallback",
         start(Format::Syslog), Stamp::YearLess(c(0, 7, 1, 9, 0, 55, 0))),
        ("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186",
         start(Format::Syslog), Stamp::YearLess(c(0, 12, 10, 6, 55, 46, 0))),
        ("17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers for [TERM, HUP, INT]",
         start(Format::Spark), Stamp::Naive(c(2017, 6, 9, 20, 10, 40, 0))),
        ("081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38865049064139660 terminating",
         start(Format::Hdfs), Stamp::Naive(c(2008, 11, 9, 20, 36, 15, 0))),
        ("20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
         start(Format::HealthApp), Stamp::Naive(c(2017, 12, 23, 22, 15, 29, 606_000_000))),
        ("20171224-0:0:0:215|Step_LSC|30002312|processHandleBroadcastAction action:android.intent.action.TIME_TICK",
         start(Format::HealthApp), Stamp::Naive(c(2017, 12, 24, 0, 0, 0, 215_000_000))),
        ("03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken",
         start(Format::Android), Stamp::YearLess(c(0, 3, 17, 16, 13, 38, 811_000_000))),
        ("[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS",
         start(Format::Proxifier), Stamp::YearLess(c(0, 10, 30, 16, 49, 6, 0))),
        ("2015-10-18 18:01:47,978 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Created MRAppMaster",
         start(Format::Rfc3339), Stamp::Naive(c(2015, 10, 18, 18, 1, 47, 978_000_000))),
        ("2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200",
         start(Format::Rfc3339), Stamp::Naive(c(2015, 7, 29, 17, 41, 44, 747_000_000))),
        // A comma followed by a blank is no fraction.
        ("2016-09-28 04:30:31, Info                  CSI    00000001@2016/9/27:20:30:31.455 WcpInitialize",
         start(Format::Rfc3339), Stamp::Naive(c(2016, 9, 28, 4, 30, 31, 0))),
        // The date in the file name is no timestamp (`_` is neither `T` nor a space).
        ("nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server",
         scan(Format::Rfc3339), Stamp::Naive(c(2017, 5, 16, 0, 0, 0, 8_000_000))),
        // Leftmost wins: the epoch, not the local time after it.
        ("- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO",
         scan(Format::Epoch), Stamp::Epoch(1_117_838_570)),
        ("- 1131566461 2005.11.09 dn228 Nov 9 12:01:01 dn228/dn228 crond(pam_unix)[2915]: session closed for user root",
         scan(Format::Epoch), Stamp::Epoch(1_131_566_461)),
        ("134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component",
         scan(Format::Epoch), Stamp::Epoch(1_077_804_742)),
        ("2024-03-31T02:30:00.5+02:00 x", start(Format::Rfc3339),
         Stamp::Offset(c(2024, 3, 31, 2, 30, 0, 500_000_000), 7200)),
        ("  2017-05-16T00:00:00Z x", start(Format::Rfc3339), Stamp::Offset(c(2017, 5, 16, 0, 0, 0, 0), 0)),
        ("[Wed Oct 11 14:32:52.123456 2000] [core:error] x", start(Format::ApacheError),
         Stamp::Naive(c(2000, 10, 11, 14, 32, 52, 123_456_000))),
    ];
    for (line, want_detected, want_stamp) in cases {
        let (d, s) = detect_one(line);
        assert_eq!((d, s), (want_detected, want_stamp), "{line}");
    }
}

#[test]
fn lookalikes_are_not_timestamps() {
    let none = [
        "2015-13-01 10:00:00 bad month",
        "2015-02-30 10:00:00 no such day",
        "2015-01-01 24:00:00 bad hour",
        "12015-01-01 10:00:00 inside a number",
        "x2015-01-01 10:00:00 glued to a word",
        "/var/log/2015-01-01 10:00:00.log",
        "2015-01-01_10:00:00 underscore",
        "id 12345678 eight digits, 12345678901 eleven digits, 1117838570x glued",
        "Junk 14 15:16:01",
        "[17/Foo/2015:10:05:03 +0000]",
        "",
    ];
    for line in none {
        assert_eq!(detect([line.as_bytes()]), None, "{line}");
    }
}

#[test]
fn detection_at_start_refuses_a_timestamp_later_in_the_line() {
    let d = start(Format::Syslog);
    assert!(d.find(b"Jun 14 15:16:01 host x").is_some());
    assert_eq!(d.find(b"host Jun 14 15:16:01 x"), None);
    assert!(scan(Format::Syslog)
        .find(b"host Jun 14 15:16:01 x")
        .is_some());
}

#[test]
fn detection_takes_the_majority_of_sample_lines() {
    let lines: [&[u8]; 4] = [
        b"2015-10-18 18:01:47,978 INFO a",
        b"\tat org.example.Foo(Foo.java:12) Jun 14 15:16:01",
        b"2015-10-18 18:01:48,978 INFO b",
        b"  2015-10-18 18:01:49,978 INFO c",
    ];
    assert_eq!(detect(lines), Some(start(Format::Rfc3339)));
}

#[test]
fn days_from_civil_agrees_with_jiff() {
    let epoch = jiff::civil::date(1970, 1, 1);
    let mut d = jiff::civil::date(1899, 12, 25);
    while d < jiff::civil::date(2101, 1, 10) {
        let want = i64::from((d - epoch).get_days());
        let got = days_from_civil(i32::from(d.year()), d.month() as u32, d.day() as u32);
        assert_eq!(got, want, "{d}");
        d = d.tomorrow().unwrap();
    }
}

fn berlin() -> TimeZone {
    resolve_zone(Some("Europe/Berlin")).unwrap().tz().clone()
}

/// The labels of every hourly bucket met by a per-minute walk over one local day.
fn hourly_labels(day: &str, zone: &TimeZone) -> Vec<String> {
    let per: Per = "1h".parse().unwrap();
    let mut b = Bucketer::new(per, zone.clone());
    let first = parse_time_arg(day, Timestamp::UNIX_EPOCH, zone).unwrap();
    let mut out: Vec<String> = Vec::new();
    let mut t = first;
    loop {
        let start = b.bucket(t);
        assert_eq!(start, bucket_start(t, per, zone).as_second());
        let label = b.label(start);
        if !label.starts_with(day) {
            break;
        }
        if out.last() != Some(&label) {
            out.push(label);
        }
        t = t.checked_add(jiff::SignedDuration::from_secs(60)).unwrap();
    }
    out
}

#[test]
fn a_dst_day_in_berlin_has_23_or_25_hourly_buckets() {
    let spring = hourly_labels("2024-03-31", &berlin());
    assert_eq!(spring.len(), 23, "{spring:?}");
    assert_eq!(spring[1], "2024-03-31T01:00:00+01:00");
    assert_eq!(spring[2], "2024-03-31T03:00:00+02:00");
    let autumn = hourly_labels("2024-10-27", &berlin());
    assert_eq!(autumn.len(), 25, "{autumn:?}");
    assert_eq!(autumn[2], "2024-10-27T02:00:00+02:00");
    assert_eq!(autumn[3], "2024-10-27T02:00:00+01:00");
    assert_eq!(hourly_labels("2024-06-01", &berlin()).len(), 24);
    // `next_start` walks the same buckets (what `--fill` needs).
    let b = Bucketer::new("1h".parse().unwrap(), berlin());
    let mut t = parse_time_arg("2024-10-27", Timestamp::UNIX_EPOCH, &berlin())
        .unwrap()
        .as_second();
    let mut walked = Vec::new();
    while walked.len() < 25 {
        walked.push(b.label(t));
        t = b.next_start(t);
    }
    assert_eq!(walked, autumn);
    assert_eq!(b.label(t), "2024-10-28T00:00:00+01:00");
}

#[test]
fn day_and_week_buckets_follow_the_local_calendar() {
    let z = berlin();
    let day: Per = "1d".parse().unwrap();
    let (s, e) = bucket_range(ts("2024-03-31T12:00:00Z"), day, &z);
    assert_eq!(format_bucket(s, &z), "2024-03-31T00:00:00+01:00");
    assert_eq!(format_bucket(e, &z), "2024-04-01T00:00:00+02:00");
    assert_eq!(e.as_second() - s.as_second(), 23 * 3600);
    // 23:30 UTC on Saturday is already Sunday in Berlin; its week began Monday the 25th.
    let week: Per = "1w".parse().unwrap();
    let w = bucket_start(ts("2024-03-30T23:30:00Z"), week, &z);
    assert_eq!(format_bucket(w, &z), "2024-03-25T00:00:00+01:00");
    let w = bucket_start(ts("2024-04-01T00:00:00+02:00"), week, &z);
    assert_eq!(format_bucket(w, &z), "2024-04-01T00:00:00+02:00");
    let fifteen: Per = "15m".parse().unwrap();
    let f = bucket_start(ts("2015-05-17T10:44:59Z"), fifteen, &TimeZone::UTC);
    assert_eq!(
        format_bucket(f, &TimeZone::UTC),
        "2015-05-17T10:30:00+00:00"
    );
    let six: Per = "6h".parse().unwrap();
    let kolkata = resolve_zone(Some("+05:30")).unwrap().tz().clone();
    let f = bucket_start(ts("2015-05-17T10:44:59Z"), six, &kolkata);
    assert_eq!(format_bucket(f, &kolkata), "2015-05-17T12:00:00+05:30");
}

#[test]
fn per_parses_and_refuses() {
    for (s, secs) in [
        ("1s", 1),
        ("5m", 300),
        ("15m", 900),
        ("1h", 3600),
        ("6h", 21600),
    ] {
        let p: Per = s.parse().unwrap();
        assert_eq!((p.seconds(), p.to_string()), (secs, s.to_string()));
    }
    assert_eq!("1d".parse::<Per>().unwrap().unit(), PerUnit::Day);
    assert_eq!("2w".parse::<Per>().unwrap().count(), 2);
    assert_eq!("h".parse::<Per>().unwrap().to_string(), "1h");
    for bad in ["", "0m", "1x", "-1h", "1.5h", "25h", "h1", "1 h"] {
        assert!(bad.parse::<Per>().is_err(), "{bad}");
    }
    let msg = "25h".parse::<Per>().unwrap_err().to_string();
    assert!(msg.contains("'25h'") && msg.contains("use d or w"), "{msg}");
}

#[test]
fn syslog_across_new_year_takes_the_year_before_for_late_months() {
    let z = TimeZone::UTC;
    let file_time = ts("2025-01-01T00:10:00Z");
    let years = YearRule::from_reference(file_time, &z);
    assert_eq!(
        years,
        YearRule::Reference {
            year: 2025,
            month: 1
        }
    );
    let mut r = Resolver::new(z.clone(), years);
    let d = start(Format::Syslog);
    let dec = d.find(b"Dec 31 23:59:59 host cron[1]: x").unwrap();
    let jan = d.find(b"Jan  1 00:00:01 host cron[1]: y").unwrap();
    assert_eq!(r.instant(dec), Some(ts("2024-12-31T23:59:59Z")));
    assert_eq!(r.instant(jan), Some(ts("2025-01-01T00:00:01Z")));
    let mut fixed = Resolver::new(z, YearRule::Fixed(2005));
    assert_eq!(fixed.instant(dec), Some(ts("2005-12-31T23:59:59Z")));
    // February 29 exists only in leap years.
    let feb29 = d.find(b"Feb 29 12:00:00 host x").unwrap();
    assert_eq!(fixed.instant(feb29), None);
    let mut leap = Resolver::new(TimeZone::UTC, YearRule::Fixed(2024));
    assert_eq!(leap.instant(feb29), Some(ts("2024-02-29T12:00:00Z")));
}

#[test]
fn the_resolver_cache_never_changes_a_result_near_dst_changes() {
    let z = berlin();
    let mut cached = Resolver::new(z.clone(), YearRule::Fixed(2024));
    // Walk local wall-clock minutes over both 2024 changes, forwards then backwards.
    let mut minutes = Vec::new();
    for day in ["2024-03-29", "2024-10-25"] {
        let d: jiff::civil::Date = day.parse().unwrap();
        let mut t = d.at(0, 0, 0, 0);
        for _ in 0..(4 * 24 * 60) {
            minutes.push(t);
            t = t.checked_add(jiff::Span::new().minutes(1)).unwrap();
        }
    }
    let rev: Vec<_> = minutes.iter().rev().copied().collect();
    for dt in minutes.into_iter().chain(rev) {
        let civ = c(
            dt.year(),
            dt.month() as u8,
            dt.day() as u8,
            dt.hour() as u8,
            dt.minute() as u8,
            0,
            0,
        );
        let want = z.to_ambiguous_timestamp(dt).compatible().unwrap();
        let before = format!("{:?}", cached);
        assert_eq!(
            cached.instant(Stamp::Naive(civ)),
            Some(want),
            "{dt} {before}"
        );
    }
}

#[test]
fn offsets_and_epochs_keep_their_instant_whatever_the_zone() {
    let mut r = Resolver::new(berlin(), YearRule::Fixed(2000));
    let (_, s) = detect_one("1.2.3.4 - - [17/May/2015:10:05:03 -0700] \"GET / HTTP/1.1\" 200 1");
    assert_eq!(r.instant(s), Some(ts("2015-05-17T17:05:03Z")));
    assert_eq!(
        r.instant(Stamp::Epoch(1_117_838_570)),
        Some(ts("2005-06-03T22:42:50Z"))
    );
    let (_, s) = detect_one("2015-10-18 18:01:47,978 INFO x");
    assert_eq!(r.instant(s), Some(ts("2015-10-18T16:01:47.978Z")));
}

#[test]
fn zones_resolve_from_names_offsets_and_rules() {
    let t = ts("2024-07-01T00:00:00Z");
    for (spec, secs, id) in [
        ("Europe/Berlin", 7200, "Europe/Berlin"),
        ("europe/berlin", 7200, "Europe/Berlin"),
        (":Europe/Berlin", 7200, "Europe/Berlin"),
        ("UTC", 0, "UTC"),
        ("Z", 0, "UTC"),
        ("+02:00", 7200, "+02:00"),
        ("-0700", -25200, "-07:00"),
        ("+05:30", 19800, "+05:30"),
        ("-07", -25200, "-07:00"),
        ("America/New_York", -14400, "America/New_York"),
        ("EST5EDT,M3.2.0,M11.1.0", -14400, ":EST5EDT,M3.2.0,M11.1.0"),
        (":UTC+3", -10800, ":UTC+3"),
        ("<+03>-3", 10800, ":<+03>-3"),
    ] {
        let z = resolve_zone(Some(spec)).unwrap_or_else(|e| panic!("{spec}: {e}"));
        assert_eq!(
            (z.tz().to_offset(t).seconds(), z.id()),
            (secs, id),
            "{spec}"
        );
        let again = resolve_zone(Some(z.id())).unwrap();
        assert_eq!(again.tz().to_offset(t).seconds(), secs, "{spec} again");
    }
    for bad in [
        "Mars/Olympus",
        "+26:00",
        "+2:3:4",
        "",
        "+ab",
        "UTC+3",
        "gmt-2",
        ":/nonexistent/tz",
    ] {
        let e = resolve_zone(Some(bad)).unwrap_err();
        assert!(e.to_string().contains("unknown time zone"), "{bad}: {e}");
    }
}

/// Run by [`the_local_zone_honours_tz`] in a child process with `TZ` set.
#[test]
#[ignore = "run by the_local_zone_honours_tz with TZ set"]
fn tz_probe() {
    let want: i32 = std::env::var("LOGMILL_TZ_PROBE_OFFSET")
        .unwrap()
        .parse()
        .unwrap();
    let z = resolve_zone(None).unwrap();
    assert_eq!(z.tz().to_offset(ts("2024-07-01T00:00:00Z")).seconds(), want);
    let want_id = std::env::var("LOGMILL_TZ_PROBE_ID").unwrap();
    assert_eq!(z.id(), want_id);
}

#[test]
fn the_local_zone_honours_tz() {
    let exe = std::env::current_exe().unwrap();
    // A TZif file outside any zoneinfo folder is read from the file.
    let dir = tempfile::tempdir().unwrap();
    let tzif = dir.path().join("my-zone");
    let kolkata = "/usr/share/zoneinfo/Asia/Kolkata";
    let mut cases = vec![
        ("Asia/Tokyo".to_string(), 9 * 3600, "Asia/Tokyo".to_string()),
        (":Europe/Berlin".into(), 7200, "Europe/Berlin".into()),
        ("UTC".into(), 0, "UTC".into()),
        ("".into(), 0, "UTC".into()),
        // POSIX: UTC+3 is three hours behind.
        ("UTC+3".into(), -3 * 3600, ":UTC+3".into()),
        (
            "EST5EDT,M3.2.0,M11.1.0".into(),
            -4 * 3600,
            ":EST5EDT,M3.2.0,M11.1.0".into(),
        ),
        (
            ":/nowhere/zoneinfo/Asia/Kolkata".into(),
            19800,
            "Asia/Kolkata".into(),
        ),
    ];
    if std::fs::copy(kolkata, &tzif).is_ok() {
        let path = tzif.display().to_string();
        cases.push((format!(":{path}"), 19800, format!(":{path}")));
    }
    for (tz, offset, id) in cases {
        let out = std::process::Command::new(&exe)
            .args([
                "--exact",
                "timestamp::tests::tz_probe",
                "--ignored",
                "--quiet",
            ])
            .env("TZ", &tz)
            .env("LOGMILL_TZ_PROBE_OFFSET", offset.to_string())
            .env("LOGMILL_TZ_PROBE_ID", &id)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "TZ={tz}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn time_arguments_absolute_dates_and_relative() {
    let z = berlin();
    let now = ts("2024-03-31T12:00:00Z");
    let p = |s: &str| parse_time_arg(s, now, &z).unwrap_or_else(|e| panic!("{s}: {e}"));
    assert_eq!(p("2015-05-17T10:00:00Z"), ts("2015-05-17T10:00:00Z"));
    assert_eq!(p("2015-05-17 10:00:00+02:00"), ts("2015-05-17T08:00:00Z"));
    assert_eq!(p("2015-05-17T10:00:00"), ts("2015-05-17T08:00:00Z"));
    assert_eq!(p("2015-05-17T10:00"), ts("2015-05-17T08:00:00Z"));
    assert_eq!(p("2015-05-17"), ts("2015-05-16T22:00:00Z"));
    assert_eq!(p("-2h"), ts("2024-03-31T10:00:00Z"));
    assert_eq!(p("-30m"), ts("2024-03-31T11:30:00Z"));
    assert_eq!(p("+90s"), ts("2024-03-31T12:01:30Z"));
    // A calendar day back across the spring change is 23 hours.
    assert_eq!(p("-1d"), ts("2024-03-30T13:00:00Z"));
    assert_eq!(p("now"), now);
    for bad in [
        "yesterday",
        "-2",
        "-h",
        "2015-13-01",
        "-2x",
        "2015-05-17T25:00:00Z",
        "",
    ] {
        let e = parse_time_arg(bad, now, &z).unwrap_err();
        assert!(e.to_string().contains(&format!("'{bad}'")), "{e}");
    }
}

#[test]
fn custom_formats_parse_at_line_start() {
    let f = CustomFormat::new("%d/%b/%Y:%H:%M:%S %z").unwrap();
    assert_eq!(
        f.find(b"  17/May/2015:10:05:03 +0200 rest"),
        Some(Stamp::Offset(c(2015, 5, 17, 10, 5, 3, 0), 7200))
    );
    assert_eq!(f.find(b"x 17/May/2015:10:05:03 +0200"), None);
    let f = CustomFormat::new("%Y.%m.%d %H:%M:%S").unwrap();
    assert_eq!(
        f.find(b"2005.06.03 15:42:50 x"),
        Some(Stamp::Naive(c(2005, 6, 3, 15, 42, 50, 0)))
    );
    let f = CustomFormat::new("%b %e %H:%M:%S").unwrap();
    assert_eq!(
        f.find(b"Nov  9 12:01:01 dn228"),
        Some(Stamp::YearLess(c(0, 11, 9, 12, 1, 1, 0)))
    );
    let f = CustomFormat::new("%s").unwrap();
    assert_eq!(f.find(b"1117838570 x"), Some(Stamp::Epoch(1_117_838_570)));
    for bad in ["%H:%M:%S", "no directive", "%Y-%m-%d %!"] {
        let e = CustomFormat::new(bad).unwrap_err();
        assert!(e.to_string().starts_with("bad time format"), "{bad}: {e}");
    }
}

#[test]
fn find_memo_finds_what_find_finds_line_after_line() {
    // Lines sharing a text, differing in it by one byte, with a false `[` before it, with a
    // text the memo cannot hold (a long fraction), and with none.
    let lines = [
        "1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET /\" 200 1",
        "1.2.3.4 - - [17/May/2015:10:05:03 +0000] \"GET /a\" 200 1",
        "1.2.3.4 - [x] [17/May/2015:10:05:03 +0000] \"GET /\" 200 1",
        "1.2.3.4 - - [17/May/2015:10:05:04 +0000] \"GET /\" 200 1",
        "1.2.3.4 - - [17/May/2015:10:05:04 +0100] \"GET /\" 200 1",
        "1.2.3.4 - - [17/May/2015:10:05:04.123456789 +0100] x",
        "1.2.3.4 - - [17/May/2015:10:05:04 +0100",
        "no timestamp [17/May/2015:10:05:04 +01",
        "1.2.3.4 - - [17/May/2015:10:05:04 +0100] again",
        "[Sun Dec 04 04:47:44 2005] [error] x",
    ];
    for format in [Format::ApacheAccess, Format::ApacheError] {
        let d = scan(format);
        let mut memo = StampMemo::default();
        for _ in 0..2 {
            for line in lines {
                assert_eq!(
                    d.find_memo(line.as_bytes(), &mut memo),
                    d.find(line.as_bytes()),
                    "{format:?} {line}"
                );
            }
        }
    }
}
