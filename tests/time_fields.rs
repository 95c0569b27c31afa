//! `--time-field` of `fields --format jsonl|csv`: per-hour counts equal Python's `json`, `csv`
//! and `datetime` reading the same field, with and without `--time-format`; the same bytes for
//! any `-j`, `--chunk-size` and stdin; records without the field are bad records.

use std::collections::BTreeMap;

use crate::util::{refused, require_tools, run_logmill, Dir};

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

/// A time value as a log would write it, `secs` seconds after 2024-03-30T00:00:00Z, in one of
/// the shapes auto-detection reads (a `None` shape: no time at all).
fn time_value(rng: &mut Rng, secs: i64) -> Option<(String, bool)> {
    let t = 1_711_756_800 + secs;
    let civil = |t: i64| {
        // 2024-03-30 is day 19812; these logs span a few days of March/April 2024.
        let days = t.div_euclid(86_400) - 19_812;
        let s = t.rem_euclid(86_400);
        let (m, d) = match days {
            0 => (3, 30),
            1 => (3, 31),
            n => (4, n - 1),
        };
        (m, d, s / 3600, s / 60 % 60, s % 60)
    };
    Some(match rng.below(6) {
        0 => {
            let (m, d, h, mi, s) = civil(t);
            (format!("2024-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z"), false)
        }
        1 => {
            // +05:30 local time.
            let (m, d, h, mi, s) = civil(t + 19_800);
            (
                format!("2024-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.250+05:30"),
                false,
            )
        }
        2 => {
            // Naive: read in --tz (+02:00).
            let (m, d, h, mi, s) = civil(t + 7_200);
            (format!("2024-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"), false)
        }
        3 => (t.to_string(), true),
        4 => (format!("{t}.5"), true),
        _ => return None,
    })
}

/// Python's counts per (hour bucket in +02:00, level) of the time field `ts`/`when` of a
/// JSON lines or CSV file, and how many records had no time; `fmt` is a strptime format for
/// the field (else ISO 8601 or an epoch number).
const PYTHON: &str = r#"
import csv, json, sys
from datetime import datetime, timedelta, timezone
path, kind, fmt = sys.argv[1], sys.argv[2], sys.argv[3]
tz = timezone(timedelta(hours=2))
def stamp(v):
    if v is None:
        return None
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        return datetime.fromtimestamp(int(v // 1), timezone.utc)
    v = str(v).strip()
    if fmt:
        try:
            t = datetime.strptime(v, fmt)
        except ValueError:
            return None
    else:
        try:
            return datetime.fromtimestamp(int(float(v) // 1), timezone.utc)
        except ValueError:
            pass
        try:
            t = datetime.fromisoformat(v)
        except ValueError:
            return None
    return t if t.tzinfo else t.replace(tzinfo=tz)
def records():
    if kind == 'jsonl':
        with open(path, encoding='utf-8') as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    o = json.loads(line)
                except ValueError:
                    yield None, None
                    continue
                yield o.get('ts'), o.get('lvl')
    else:
        with open(path, newline='', encoding='utf-8') as f:
            r = csv.reader(f)
            next(r)
            for row in r:
                yield (row[0] or None), row[1]
counts, untimed = {}, 0
for v, lvl in records():
    t = stamp(v)
    if t is None:
        untimed += 1
        continue
    local = t.astimezone(tz)
    b = local.replace(minute=0, second=0, microsecond=0).isoformat()
    counts[(b, lvl)] = counts.get((b, lvl), 0) + 1
for (b, lvl), n in sorted(counts.items()):
    print(f"{b}\t{lvl}\t{n}")
print(f"untimed\t{untimed}")
"#;

fn python(path: &std::path::Path, kind: &str, fmt: &str) -> (BTreeMap<(String, String), u64>, u64) {
    let out = std::process::Command::new("python3")
        .args(["-c", PYTHON, path.to_str().unwrap(), kind, fmt])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut counts = BTreeMap::new();
    let mut untimed = 0;
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let cells: Vec<&str> = line.split('\t').collect();
        match cells.as_slice() {
            ["untimed", n] => untimed = n.parse().unwrap(),
            [b, lvl, n] => {
                counts.insert((b.to_string(), lvl.to_string()), n.parse().unwrap());
            }
            _ => panic!("{line}"),
        }
    }
    (counts, untimed)
}

/// logmill's rows as a map, and the untimed count on stderr.
fn ours(args: &[&str], stdin: Option<&[u8]>) -> (Vec<u8>, BTreeMap<(String, String), u64>, u64) {
    let (out, code, err) = run_logmill(args, stdin);
    assert_eq!(code, 0, "{args:?}: {err}");
    let counts = String::from_utf8(out.clone())
        .unwrap()
        .lines()
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            ((c[0].to_string(), c[1].to_string()), c[2].parse().unwrap())
        })
        .collect();
    let untimed = err
        .lines()
        .find(|l| l.contains("without a timestamp"))
        .map_or(0, |l| {
            l.split("warning: ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        });
    (out, counts, untimed)
}

/// A JSON lines log: times in every shape, some missing, null, invalid JSON and blank lines.
fn jsonl_log(n: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let mut s = String::new();
    for i in 0..n {
        let secs = (i as i64) * 97 + rng.below(60) as i64;
        let lvl = ["INFO", "WARN", "ERROR"][rng.below(3) as usize];
        match (time_value(&mut rng, secs), rng.below(20)) {
            (_, 0) => s.push_str("{\"lvl\": \"INFO\", \"ts\": null}\n"),
            (_, 1) => s.push_str("not json at all\n"),
            (_, 2) => s.push('\n'),
            (Some((v, true)), _) => s.push_str(&format!("{{\"ts\": {v}, \"lvl\": \"{lvl}\"}}\n")),
            (Some((v, false)), _) => {
                s.push_str(&format!("{{\"lvl\":\"{lvl}\",\"ts\":\"{v}\",\"n\":{i}}}\n"))
            }
            (None, _) => s.push_str(&format!("{{\"lvl\":\"{lvl}\"}}\n")),
        }
    }
    s
}

/// A CSV log with a header, quoted messages holding newlines and commas, and empty times.
fn csv_log(n: usize, seed: u64, custom: bool) -> String {
    let mut rng = Rng(seed);
    let mut s = String::from("when,lvl,msg\n");
    for i in 0..n {
        let secs = (i as i64) * 89 + rng.below(60) as i64;
        let lvl = ["INFO", "WARN", "ERROR"][rng.below(3) as usize];
        let when = if custom {
            // dd/mm/YYYY HH:MM in +02:00, or nothing.
            let t = 1_711_756_800 + secs + 7_200;
            let day = t.div_euclid(86_400) - 19_812; // 2024-03-30 is day 19812
            let (d, m) = match day {
                0 => (30, 3),
                1 => (31, 3),
                n => (n - 1, 4),
            };
            let s = t.rem_euclid(86_400);
            match rng.below(10) {
                0 => String::new(),
                _ => format!("{d:02}/{m:02}/2024 {:02}:{:02}", s / 3600, s / 60 % 60),
            }
        } else {
            time_value(&mut rng, secs).map_or(String::new(), |(v, _)| v)
        };
        let msg = match rng.below(4) {
            0 => format!("\"line one, {i}\nline \"\"two\"\"\""),
            _ => format!("m{i}"),
        };
        s.push_str(&format!("{when},{lvl},{msg}\n"));
    }
    s
}

#[test]
fn jsonl_time_field_counts_equal_python() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("time-field-jsonl");
    let data = jsonl_log(3000, 0x9e37_79b9_7f4a_7c15);
    let f = dir.create("log.jsonl", &data);
    let fs = f.to_str().unwrap();
    let (want, want_untimed) = python(&f, "jsonl", "");
    let base = [
        "fields",
        "--format",
        "jsonl",
        "--time-field",
        "ts",
        "--by",
        "lvl",
        "--per",
        "1h",
        "--tz",
        "+02:00",
    ];
    let args = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|s| s.to_string()).collect()
    };
    let run = |extra: &[&str], stdin: Option<&[u8]>| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        ours(&a, stdin)
    };
    let (bytes, got, untimed) = run(&[fs], None);
    assert!(want.len() > 100, "{want:?}");
    assert_eq!(got, want);
    assert_eq!(untimed, want_untimed);
    assert!(untimed > 0);
    for (j, c) in [("1", "1"), ("2", "1"), ("2", "77"), ("2", "4096")] {
        let (b, _, u) = run(&["-j", j, "--chunk-size", c, fs], None);
        assert_eq!(b, bytes, "-j {j} --chunk-size {c}");
        assert_eq!(u, untimed);
    }
    let (b, _, _) = run(&["--chunk-size", "100", "-"], Some(data.as_bytes()));
    assert_eq!(b, bytes, "stdin");
}

#[test]
fn csv_time_field_counts_equal_python_with_and_without_a_format() {
    if !require_tools(&["python3"]) {
        return;
    }
    let dir = Dir::new("time-field-csv");
    for (custom, fmt) in [(false, ""), (true, "%d/%m/%Y %H:%M")] {
        let data = csv_log(2000, 0x2545_f491_4f6c_dd1d + custom as u64, custom);
        let f = dir.create("log.csv", &data);
        let fs = f.to_str().unwrap();
        let (want, want_untimed) = python(&f, "csv", fmt);
        let mut base = vec![
            "fields",
            "--format",
            "csv",
            "--time-field",
            "when",
            "--by",
            "lvl",
            "--per",
            "1h",
            "--tz",
            "+02:00",
        ];
        if custom {
            base.extend(["--time-format", fmt]);
        }
        let run = |extra: &[&str], stdin: Option<&[u8]>| {
            let a: Vec<&str> = base.iter().chain(extra).copied().collect();
            ours(&a, stdin)
        };
        let (bytes, got, untimed) = run(&[fs], None);
        assert!(want.len() > 100, "{want:?}");
        assert_eq!(got, want, "{fmt}");
        assert_eq!(untimed, want_untimed, "{fmt}");
        assert!(untimed > 0);
        for (j, c) in [("1", "1"), ("2", "1"), ("2", "61"), ("2", "5000")] {
            let (b, _, _) = run(&["-j", j, "--chunk-size", c, fs], None);
            assert_eq!(b, bytes, "{fmt}: -j {j} --chunk-size {c}");
        }
        let (b, _, _) = run(&["--chunk-size", "64", "-"], Some(data.as_bytes()));
        assert_eq!(b, bytes, "{fmt}: stdin");
        // By 1-based number too.
        let by_number: Vec<&str> = base
            .iter()
            .map(|a| if *a == "when" { "1" } else { a })
            .chain([fs])
            .collect();
        assert_eq!(ours(&by_number, None).0, bytes);
    }
}

#[test]
fn time_field_is_refused_where_it_means_nothing() {
    let dir = Dir::new("time-field-refused");
    let f = dir.create("a.csv", "when,x\n2024-01-01T00:00:00Z,1\n");
    let f = f.to_str().unwrap();
    refused(
        &["grep", "x", "--time-field", "when", "--per", "1h", f],
        None,
        "--time-field",
    );
    refused(
        &[
            "fields",
            "--format",
            "ws",
            "--time-field",
            "1",
            "--per",
            "1h",
            f,
        ],
        None,
        "--time-field",
    );
    refused(
        &[
            "fields",
            "--format",
            "jsonl",
            "--time-field",
            "a..b",
            "--per",
            "1h",
            f,
        ],
        None,
        "--time-field",
    );
    let (_, code, err) = run_logmill(
        &[
            "fields",
            "--format",
            "csv",
            "--time-field",
            "nope",
            "--per",
            "1h",
            f,
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no column named \"nope\""), "{err}");
}
