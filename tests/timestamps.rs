//! Timestamps (`logmill::timestamp`): per-hour and per-day counts of every real log sample in
//! `testdata/` against Python's `datetime.strptime` with an explicit format per file.

use std::collections::BTreeMap;
use std::path::Path;

use logmill::timestamp::{
    detect, resolve_zone, Bucketer, Format, Per, Resolver, YearRule, DETECT_LINES,
};

use crate::util::{require_tools, sh, shell_quote, testdata};

/// How the reference finds a file's timestamps: a regex whose group 1 is the timestamp text,
/// and what that text is.
pub(crate) struct Sample {
    pub(crate) file: &'static str,
    format: Format,
    regex: &'static str,
    kind: Kind,
}

pub(crate) enum Kind {
    /// `strptime` with this format (and its own `%z` when it has one).
    Civil(&'static str),
    /// `strptime` without a year; the year is given.
    YearLess(&'static str, i16),
    /// Seconds since the epoch.
    Epoch,
}

pub(crate) const SAMPLES: &[Sample] = &[
    Sample {
        file: "apache_access.log",
        format: Format::ApacheAccess,
        regex: r"\[(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})\]",
        kind: Kind::Civil("%d/%b/%Y:%H:%M:%S %z"),
    },
    Sample {
        file: "loghub/Apache_2k.log",
        format: Format::ApacheError,
        regex: r"^\[(\w{3} \w{3} \d\d \d\d:\d\d:\d\d \d{4})\]",
        kind: Kind::Civil("%a %b %d %H:%M:%S %Y"),
    },
    Sample {
        file: "loghub/HDFS_2k.log",
        format: Format::Hdfs,
        regex: r"^(\d{6} \d{6}) ",
        kind: Kind::Civil("%y%m%d %H%M%S"),
    },
    Sample {
        file: "loghub/Linux_2k.log",
        format: Format::Syslog,
        regex: r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d) ",
        kind: Kind::YearLess("%b %d %H:%M:%S", 2005),
    },
    Sample {
        file: "loghub/OpenSSH_2k.log",
        format: Format::Syslog,
        regex: r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d) ",
        kind: Kind::YearLess("%b %d %H:%M:%S", 2015),
    },
    Sample {
        file: "loghub/Mac_300.log",
        format: Format::Syslog,
        regex: r"^(\w{3} [ \d]\d \d\d:\d\d:\d\d) ",
        kind: Kind::YearLess("%b %d %H:%M:%S", 2017),
    },
    Sample {
        file: "loghub/Proxifier_2k.log",
        format: Format::Proxifier,
        regex: r"^\[(\d\d\.\d\d \d\d:\d\d:\d\d)\]",
        kind: Kind::YearLess("%m.%d %H:%M:%S", 2016),
    },
    Sample {
        file: "loghub/Android_300.log",
        format: Format::Android,
        regex: r"^(\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ",
        kind: Kind::YearLess("%m-%d %H:%M:%S.%f", 2017),
    },
    Sample {
        file: "loghub/BGL_300.log",
        format: Format::Epoch,
        regex: r"^\S+ (\d{10}) ",
        kind: Kind::Epoch,
    },
    Sample {
        file: "loghub/Thunderbird_300.log",
        format: Format::Epoch,
        regex: r"^\S+ (\d{10}) ",
        kind: Kind::Epoch,
    },
    Sample {
        file: "loghub/HPC_300.log",
        format: Format::Epoch,
        regex: r"^\S+ \S+ \S+ \S+ (\d{9,10}) ",
        kind: Kind::Epoch,
    },
    Sample {
        file: "loghub/Hadoop_300.log",
        format: Format::Rfc3339,
        regex: r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) ",
        kind: Kind::Civil("%Y-%m-%d %H:%M:%S,%f"),
    },
    Sample {
        file: "loghub/Zookeeper_300.log",
        format: Format::Rfc3339,
        regex: r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+) ",
        kind: Kind::Civil("%Y-%m-%d %H:%M:%S,%f"),
    },
    Sample {
        file: "loghub/Windows_300.log",
        format: Format::Rfc3339,
        regex: r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),",
        kind: Kind::Civil("%Y-%m-%d %H:%M:%S"),
    },
    Sample {
        file: "loghub/OpenStack_300.log",
        format: Format::Rfc3339,
        regex: r"^\S+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+) ",
        kind: Kind::Civil("%Y-%m-%d %H:%M:%S.%f"),
    },
    Sample {
        file: "loghub/Spark_300.log",
        format: Format::Spark,
        regex: r"^(\d\d/\d\d/\d\d \d\d:\d\d:\d\d) ",
        kind: Kind::Civil("%y/%m/%d %H:%M:%S"),
    },
    Sample {
        file: "loghub/HealthApp_300.log",
        format: Format::HealthApp,
        regex: r"^(\d{8}-\d+:\d+:\d+:\d+)\|",
        kind: Kind::Civil("%Y%m%d-%H:%M:%S:%f"),
    },
];

/// The lines of a file as logmill reads them: split at LF, a CR before it dropped, no empty
/// last line for a final newline.
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut v: Vec<&[u8]> = data
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect();
    if data.ends_with(b"\n") {
        v.pop();
    }
    v
}

/// Bucket label → count, plus the lines without a timestamp, computed by logmill's library.
fn our_counts(
    path: &Path,
    want: Format,
    tz: &str,
    per: &str,
    year: i16,
) -> (BTreeMap<String, u64>, u64) {
    let data = std::fs::read(path).unwrap();
    let lines = lines(&data);
    let detected = detect(lines.iter().take(DETECT_LINES).copied())
        .unwrap_or_else(|| panic!("{}: no format detected", path.display()));
    assert_eq!(detected.format, want, "{}", path.display());
    let zone = resolve_zone(Some(tz)).unwrap().tz().clone();
    let mut resolver = Resolver::new(zone.clone(), YearRule::Fixed(year));
    let mut buckets = Bucketer::new(per.parse::<Per>().unwrap(), zone);
    let mut counts = BTreeMap::new();
    let mut bad = 0;
    for line in lines {
        match detected.find(line).and_then(|s| resolver.instant(s)) {
            Some(t) => {
                let start = buckets.bucket(t);
                *counts.entry(buckets.label(start)).or_insert(0) += 1;
            }
            None => bad += 1,
        }
    }
    (counts, bad)
}

/// The same counted by Python: the timestamp text found by the sample's regex, read by
/// `datetime.strptime` (or `fromtimestamp`), naive ones in the fixed offset `tz`, truncated
/// to the hour (`h`) or day (`d`) in that offset.
pub(crate) fn python_counts(sample: &Sample, tz: &str, per: &str) -> (BTreeMap<String, u64>, u64) {
    let script = r#"
import datetime as dt, re, sys
from collections import Counter
path, regex, kind, fmt, year, tz, per = sys.argv[1:8]
sign = 1 if tz[0] == '+' else -1
h, m = tz[1:].split(':')
zone = dt.timezone(sign * dt.timedelta(hours=int(h), minutes=int(m)))
rx = re.compile(regex)
data = open(path, 'rb').read()
lines = data.split(b'\n')
if data.endswith(b'\n'):
    lines.pop()
counts, bad = Counter(), 0
for raw in lines:
    m = rx.search(raw.rstrip(b'\r').decode('latin-1'))
    if not m:
        bad += 1
        continue
    text = m.group(1)
    if kind == 'epoch':
        t = dt.datetime.fromtimestamp(int(text), dt.timezone.utc)
    else:
        t = dt.datetime.strptime(text, fmt)
        if kind == 'yearless':
            t = t.replace(year=int(year))
        if t.tzinfo is None:
            t = t.replace(tzinfo=zone)
    t = t.astimezone(zone)
    t = t.replace(minute=0, second=0, microsecond=0)
    if per == 'd':
        t = t.replace(hour=0)
    counts[t.isoformat()] += 1
for k in sorted(counts):
    print(k, counts[k])
print('bad', bad)
"#;
    let (kind, fmt, year) = match sample.kind {
        Kind::Civil(f) => ("civil", f, 0),
        Kind::YearLess(f, y) => ("yearless", f, y),
        Kind::Epoch => ("epoch", "", 0),
    };
    let out = sh(&format!(
        "python3 -c {} {} {} {kind} {} {year} {tz} {per}",
        shell_quote(script),
        shell_quote(testdata(sample.file)),
        shell_quote(sample.regex),
        shell_quote(fmt),
    ));
    let mut counts = BTreeMap::new();
    let mut bad = u64::MAX;
    for line in String::from_utf8(out).unwrap().lines() {
        let (k, n) = line.split_once(' ').unwrap();
        let n: u64 = n.parse().unwrap();
        if k == "bad" {
            bad = n;
        } else {
            counts.insert(k.to_string(), n);
        }
    }
    (counts, bad)
}

pub(crate) fn year_of(sample: &Sample) -> i16 {
    match sample.kind {
        Kind::YearLess(_, y) => y,
        _ => 1970,
    }
}

#[test]
fn hourly_and_daily_counts_of_every_sample_equal_python_strptime() {
    if !require_tools(&["python3"]) {
        return;
    }
    // UTC hours, and days in a half-hour offset so day edges fall mid-hour in UTC.
    for (tz, per, py_per) in [("+00:00", "1h", "h"), ("+05:30", "1d", "d")] {
        for sample in SAMPLES {
            let path = testdata(sample.file);
            let (ours, our_bad) = our_counts(&path, sample.format, tz, per, year_of(sample));
            let (theirs, their_bad) = python_counts(sample, tz, py_per);
            assert!(!theirs.is_empty(), "{}: python found nothing", sample.file);
            assert_eq!(ours, theirs, "{} per {per} in {tz}", sample.file);
            assert_eq!(
                our_bad, their_bad,
                "{}: lines without a timestamp",
                sample.file
            );
        }
    }
}

#[test]
fn the_leftmost_timestamp_wins_when_a_line_has_two() {
    // BGL and Thunderbird lines carry an epoch and, later, a local time hours apart.
    for file in ["loghub/BGL_300.log", "loghub/Thunderbird_300.log"] {
        let data = std::fs::read(testdata(file)).unwrap();
        let lines = lines(&data);
        let detected = detect(lines.iter().take(DETECT_LINES).copied()).unwrap();
        assert_eq!(detected.format, Format::Epoch, "{file}");
    }
}
