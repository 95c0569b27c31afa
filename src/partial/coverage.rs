//! Coverage: what a partial counts, so merges are exactly once or an error.
//!
//! A partial (and a state file) carries one `#coverage` line inside its checked body, right
//! after the header:
//!
//! ```text
//! #coverage<TAB>{"runs":[{"inputs":[{"path":"a.log","size":9,"head":..,"tail":..}],"shards":4}],
//!                "ranges":[{"path":"a.log","size":9,"head":..,"from":0,"to":4,"tail":..,"shard":[0,4]}]}
//! ```
//!
//! A *run* is the whole input set of one logmill run (every input, in order, with its size and
//! the fingerprints `--state` computes: of the first `min(size, 4096)` bytes and of as many
//! bytes before `size`), and how many `--shard`s it was cut into. A *range* is bytes
//! `[from, to)` of one input that were counted, with the fingerprint of the bytes before `to`
//! (so a range stays valid against a log that has grown since), the shard that read it, and
//! the key partition the partial holds (`keys: [p, R]`: keys whose CRC-32 mod R is p; absent
//! means every key). Coverage is (byte ranges) × (key partitions); merging unions it.
//!
//! Two ranges *overlap* when they name the same file (same path and, where comparable, the
//! same first bytes), their bytes intersect and their key partitions intersect: merging them
//! would count those lines twice. Coverage is *complete* when every input of every run is
//! covered from byte 0 to its size for every key partition.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufRead};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::{InputRead, Shard};
use crate::error::{Error, Result};
use crate::partial;

/// How many bytes each fingerprint covers.
pub const PRINT_LEN: u64 = 4096;

/// The line tag of the coverage line.
pub const TAG: &str = "#coverage";

/// One input of a run: its identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Input {
    /// The path as given, escaped by [`partial::escape_path`].
    pub path: String,
    /// Its size (for a `--state` run: the end of the last complete line read); `None` for
    /// stdin and pipes, which cannot be checked.
    pub size: Option<u64>,
    /// Fingerprint of the first `min(size, 4096)` bytes.
    pub head: u64,
    /// Fingerprint of the `min(size, 4096)` bytes before `size`.
    pub tail: u64,
}

/// The input set of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    /// Every input, in the run's order (directories expanded).
    pub inputs: Vec<Input>,
    /// `N` of `--shard I/N`, when the run was sharded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shards: Option<u64>,
}

/// Bytes `[from, to)` of one input, counted for one key partition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// The input's path, escaped.
    pub path: String,
    /// The input's size when read (see [`Input::size`]).
    pub size: u64,
    /// The input's head fingerprint (see [`Input::head`]).
    pub head: u64,
    /// First byte counted.
    pub from: u64,
    /// One past the last byte counted.
    pub to: u64,
    /// Fingerprint of the `min(to, 4096)` bytes before `to`.
    pub tail: u64,
    /// The shard `[I, N]` that read it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<[u64; 2]>,
    /// The key partition `[p, R]`: keys whose hash mod R is p. Absent: every key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<[u64; 2]>,
}

impl Span {
    fn keys(&self) -> (u64, u64) {
        self.keys.map_or((0, 1), |[p, r]| (p, r.max(1)))
    }

    /// Whether `self` and `other` are bytes of the same file: same path and, when both heads
    /// cover the same number of bytes, the same head.
    fn same_file(&self, other: &Span) -> bool {
        self.path == other.path
            && (self.size.min(PRINT_LEN) != other.size.min(PRINT_LEN) || self.head == other.head)
    }

    fn same_input(&self, input: &Input) -> bool {
        let size = input.size.unwrap_or(0);
        self.path == input.path
            && (self.size.min(PRINT_LEN) != size.min(PRINT_LEN) || self.head == input.head)
    }
}

/// What a partial covers: its runs and the ranges it counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    /// The input sets of the runs whose counts it holds.
    pub runs: Vec<Run>,
    /// The ranges counted.
    pub ranges: Vec<Span>,
}

/// Whether key partitions `a` and `b` (`(p, R)`) hold a key in common.
fn keys_meet(a: (u64, u64), b: (u64, u64)) -> bool {
    let g = gcd(a.1, b.1);
    a.0 % g == b.0 % g
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a.max(1)
    } else {
        gcd(b, a % b)
    }
}

/// The key partition a key belongs to among `count`: CRC-32 (as zlib computes it) of the key
/// as a partial writes it (escaped), mod `count` — what the Spark driver partitions by.
pub fn key_partition(escaped_key: &[u8], count: u64) -> u64 {
    let mut crc = partial::Crc32::default();
    crc.update(escaped_key);
    u64::from(crc.value()) % count.max(1)
}

/// Whether the key partition `keys` (`(p, R)`; `None`: every key) holds the job-wide facts
/// (`#meta`): they belong to the partition of the key `#meta`, where the Spark driver's
/// shuffle sends them, so partitions merged back count them once.
pub fn holds_meta(keys: Option<(u64, u64)>) -> bool {
    keys.is_none_or(|(p, count)| key_partition(b"#meta", count) == p)
}

/// Fingerprints of the first `min(offset, 4096)` bytes of `file` and of the same number of
/// bytes before `offset`.
pub fn fingerprints(file: &File, offset: u64) -> io::Result<(u64, u64)> {
    let n = offset.min(PRINT_LEN) as usize;
    let mut buf = vec![0u8; n];
    file.read_exact_at(&mut buf, 0)?;
    let head = fnv1a(&buf);
    file.read_exact_at(&mut buf, offset - n as u64)?;
    Ok((head, fnv1a(&buf)))
}

/// FNV-1a, 64-bit: a fingerprint that stays the same across builds and machines.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Coverage {
    /// The coverage of a run over inputs that read `reads` (as the engine reports them), cut
    /// into `shard`. Files are opened again for their fingerprints.
    pub fn of_run(reads: &[InputRead], shard: Option<Shard>) -> Result<Coverage> {
        let mut run = Run {
            inputs: Vec::with_capacity(reads.len()),
            shards: shard.map(|s| s.count),
        };
        let mut ranges = Vec::new();
        for read in reads {
            let (path, size) = match (&read.path, read.size) {
                (Some(p), Some(size)) => (p, size),
                (p, _) => {
                    let name = p.as_ref().map_or(&b"-"[..], |p| p.as_os_str().as_bytes());
                    run.inputs.push(Input {
                        path: partial::escape_path(name),
                        size: None,
                        head: 0,
                        tail: 0,
                    });
                    continue;
                }
            };
            let read_err = |source| Error::Read {
                path: path.clone(),
                source,
            };
            let file = File::open(path).map_err(|source| Error::Open {
                path: path.clone(),
                source,
            })?;
            let (head, tail) = fingerprints(&file, size).map_err(read_err)?;
            let escaped = partial::escape_path(path.as_os_str().as_bytes());
            if let Some(r) = read.range.as_ref().filter(|r| r.start < r.end) {
                let (_, at_end) = fingerprints(&file, r.end).map_err(read_err)?;
                ranges.push(Span {
                    path: escaped.clone(),
                    size,
                    head,
                    from: r.start,
                    to: r.end,
                    tail: at_end,
                    shard: shard.map(|s| [s.index, s.count]),
                    keys: None,
                });
            }
            run.inputs.push(Input {
                path: escaped,
                size: Some(size),
                head,
                tail,
            });
        }
        Ok(Coverage {
            runs: vec![run],
            ranges,
        })
    }

    /// Adds `other`'s runs (each once) and ranges; ranges of the same file, keys and shard
    /// that meet end to end become one.
    pub fn union(&mut self, other: Coverage) {
        for run in other.runs {
            if !self.runs.contains(&run) {
                self.runs.push(run);
            }
        }
        self.ranges.extend(other.ranges);
        self.coalesce();
    }

    /// Whether a partial of this coverage holds the job-wide facts (`#meta`): unless every
    /// range it counted is of a key partition without them (see [`holds_meta`]).
    pub fn holds_meta(&self) -> bool {
        self.ranges.is_empty()
            || self
                .ranges
                .iter()
                .any(|r| holds_meta(r.keys.map(|[p, count]| (p, count))))
    }

    /// Sorts the ranges and joins those of one file, key partition and shard that meet end to
    /// end.
    fn coalesce(&mut self) {
        self.ranges.sort_by(|a, b| {
            (&a.path, a.keys(), a.from, a.to).cmp(&(&b.path, b.keys(), b.from, b.to))
        });
        let mut out: Vec<Span> = Vec::with_capacity(self.ranges.len());
        for r in self.ranges.drain(..) {
            match out.last_mut() {
                Some(last)
                    if last.same_file(&r)
                        && last.keys() == r.keys()
                        && last.to == r.from
                        && last.shard == r.shard =>
                {
                    // Ranges of different shards stay apart: a retry list names shards.
                    let from = last.from;
                    *last = Span { from, ..r };
                }
                _ => out.push(r),
            }
        }
        self.ranges = out;
    }

    /// This coverage restricted to the keys of partition `p` of `count` (`--partition`):
    /// ranges of every key get that partition; ranges of a partition that holds none of its
    /// keys are dropped. Fails when a range's partition and this one cannot be expressed as
    /// one (neither count divides the other).
    pub fn for_keys(mut self, p: u64, count: u64) -> std::result::Result<Coverage, String> {
        let mut kept = Vec::with_capacity(self.ranges.len());
        for mut r in self.ranges {
            let (q, s) = r.keys();
            if !keys_meet((q, s), (p, count)) {
                continue;
            }
            if count % s == 0 {
                r.keys = Some([p, count]);
            } else if s % count != 0 {
                return Err(format!(
                    "--partition {p}/{count}: {} holds the keys of partition {q}/{s}; \
                     partitions of {count} and {s} do not nest",
                    r.path
                ));
            }
            kept.push(r);
        }
        self.ranges = kept;
        Ok(self)
    }
}

/// One partial's coverage as read, with the name of the file (and section) it came from.
#[derive(Debug, Clone)]
pub struct Named {
    /// The file, as named on the command line (with `(partial N)` for a later section).
    pub name: String,
    /// Its coverage.
    pub coverage: Coverage,
}

/// The first overlap between partials of different files: two files counting the same bytes
/// of an input (for intersecting key partitions), as a message naming both.
pub fn first_overlap(partials: &[Named]) -> Option<String> {
    let mut all: Vec<(usize, &Span)> = partials
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.coverage.ranges.iter().map(move |r| (i, r)))
        .collect();
    all.sort_by(|a, b| (&a.1.path, a.1.from).cmp(&(&b.1.path, b.1.from)));
    for (k, &(i, a)) in all.iter().enumerate() {
        for &(j, b) in &all[k + 1..] {
            if b.path != a.path || b.from >= a.to {
                break;
            }
            if i != j && a.same_file(b) && keys_meet(a.keys(), b.keys()) {
                let (lo, hi) = (b.from, a.to.min(b.to));
                let (x, y) = if i < j { (i, j) } else { (j, i) };
                return Some(format!(
                    "{} and {} both count bytes {lo}..{hi} of {}: merging them would count \
                     those lines twice (merge each partial once; --allow-overlap if you mean it)",
                    partials[x].name, partials[y].name, a.path
                ));
            }
        }
    }
    None
}

/// The most key partitions a completeness check follows (the lcm of the partition counts).
const MAX_KEY_PARTITIONS: u64 = 1 << 16;

/// What `coverage` lacks to be complete: one retry line per missing piece, e.g.
/// `missing: shard 2/4 of /logs/a.log (bytes 5242880..7864320)`. Inputs without a size
/// (stdin) cannot be checked and are listed in the second vector.
pub fn missing(coverage: &Coverage) -> (Vec<String>, Vec<String>) {
    let mut lines = Vec::new();
    let mut unchecked = Vec::new();
    let mut seen: BTreeMap<(String, u64, u64), ()> = BTreeMap::new();
    for run in &coverage.runs {
        let total: u64 = run.inputs.iter().filter_map(|i| i.size).sum();
        // The shards of this run that were read (a range of any of its inputs): a shard whose
        // cut point falls in a gap's last line is not the one missing.
        let present: Vec<u64> = coverage
            .ranges
            .iter()
            .filter(|r| run.inputs.iter().any(|i| r.same_input(i)))
            .filter_map(|r| r.shard.filter(|s| Some(s[1]) == run.shards).map(|s| s[0]))
            .collect();
        let mut offset = 0u64;
        for input in &run.inputs {
            let Some(size) = input.size else {
                unchecked.push(input.path.clone());
                continue;
            };
            let start = offset;
            offset += size;
            if seen
                .insert((input.path.clone(), size, input.head), ())
                .is_some()
            {
                continue;
            }
            let spans: Vec<&Span> = coverage
                .ranges
                .iter()
                .filter(|r| r.same_input(input))
                .collect();
            let modulus = spans.iter().fold(1u64, |l, r| {
                let k = r.keys().1;
                (l / gcd(l, k)).saturating_mul(k).min(MAX_KEY_PARTITIONS)
            });
            // Gaps by key residue, then residues by gap.
            let mut by_gap: BTreeMap<(u64, u64), Vec<u64>> = BTreeMap::new();
            for residue in 0..modulus {
                let mut held: Vec<(u64, u64)> = spans
                    .iter()
                    .filter(|r| {
                        let (p, k) = r.keys();
                        residue % k == p
                    })
                    .map(|r| (r.from, r.to))
                    .collect();
                held.sort_unstable();
                let mut at = 0u64;
                for (from, to) in held.into_iter().chain([(size, size)]) {
                    if from > at {
                        by_gap
                            .entry((at, from.min(size)))
                            .or_default()
                            .push(residue);
                    }
                    at = at.max(to);
                    if at >= size {
                        break;
                    }
                }
            }
            for ((a, b), residues) in by_gap {
                let keys = if residues.len() as u64 == modulus {
                    String::new()
                } else {
                    let list: Vec<String> = residues.iter().map(|r| r.to_string()).collect();
                    format!(", keys with hash mod {modulus} in {{{}}}", list.join(","))
                };
                let pieces = shard_pieces(run.shards, total, start, (a, b), &present);
                if pieces.is_empty() {
                    lines.push(format!("missing: {} (bytes {a}..{b}{keys})", input.path));
                }
                for (i, n, x, y) in pieces {
                    lines.push(format!(
                        "missing: shard {i}/{n} of {} (bytes {x}..{y}{keys})",
                        input.path
                    ));
                }
            }
        }
    }
    (lines, unchecked)
}

/// The missing shards of a run of `shards` over `total` bytes that explain the gap `(a, b)`
/// of the input starting at global byte `start`: `(I, N, from, to)` each, in file bytes.
fn shard_pieces(
    shards: Option<u64>,
    total: u64,
    start: u64,
    (a, b): (u64, u64),
    present: &[u64],
) -> Vec<(u64, u64, u64, u64)> {
    let Some(n) = shards.filter(|&n| n > 0) else {
        return Vec::new();
    };
    let cut = |k: u64| (u128::from(total) * u128::from(k) / u128::from(n)) as u64;
    let (ga, gb) = (start + a, start + b);
    let mut out: Vec<(u64, u64, u64, u64)> = Vec::new();
    for i in 0..n {
        if present.contains(&i) {
            continue;
        }
        let (lo, hi) = (cut(i).max(ga), cut(i + 1).min(gb));
        if lo < hi {
            out.push((i, n, lo - start, hi - start));
        }
    }
    // The gap's ends are exact (line starts); only boundaries between two missing shards
    // fall on the cut points.
    if let Some(first) = out.first_mut() {
        first.2 = a;
    }
    if let Some(last) = out.last_mut() {
        last.3 = b;
    }
    out
}

/// A readable account of `coverage`: one line per input of each run, with the bytes covered.
pub fn describe(coverage: &Coverage, out: &mut String) {
    for run in &coverage.runs {
        let _ = writeln!(
            out,
            "  run over {} input(s){}",
            run.inputs.len(),
            run.shards
                .map_or(String::new(), |n| format!(", in {n} shards"))
        );
        for input in &run.inputs {
            let Some(size) = input.size else {
                let _ = writeln!(
                    out,
                    "    {}: no size (stdin or a pipe): unchecked",
                    input.path
                );
                continue;
            };
            let spans: Vec<String> = coverage
                .ranges
                .iter()
                .filter(|r| r.same_input(input))
                .map(|r| {
                    let mut s = format!("{}..{}", r.from, r.to);
                    if let Some([i, n]) = r.shard {
                        let _ = write!(s, " (shard {i}/{n})");
                    }
                    if let Some([p, k]) = r.keys {
                        let _ = write!(s, " (keys {p}/{k})");
                    }
                    s
                })
                .collect();
            let _ = writeln!(
                out,
                "    {}: {size} bytes; counted: {}",
                input.path,
                if spans.is_empty() {
                    "nothing".to_string()
                } else {
                    spans.join(", ")
                }
            );
        }
    }
}

/// Parses the JSON of a `#coverage` line.
pub fn parse(json: &[u8]) -> std::result::Result<Coverage, String> {
    serde_json::from_slice(json)
        .map_err(|e| format!("bad #coverage line: {}", partial::format::json_problem(&e)))
}

/// The `#coverage` line of `coverage`.
pub fn line(coverage: &Coverage) -> Vec<u8> {
    let mut out = Vec::with_capacity(256);
    out.extend_from_slice(TAG.as_bytes());
    out.push(b'\t');
    serde_json::to_writer(&mut out, coverage).expect("coverage serializes");
    out.push(b'\n');
    out
}

/// The coverage of each partial in `reader` (named `name`): one entry per header (a file may
/// hold several partials one after another), `None` for a partial without a coverage line.
/// Reads only the `#` lines; the rows are not checked (`merge` checks them).
pub fn scan(name: &Path, reader: &mut dyn BufRead) -> Result<Vec<Option<Coverage>>> {
    let mut sections = Vec::new();
    let mut line = Vec::new();
    let mut n = 0usize;
    loop {
        line.clear();
        let got = reader
            .read_until(b'\n', &mut line)
            .map_err(|source| Error::Read {
                path: name.to_path_buf(),
                source,
            })?;
        if got == 0 {
            break;
        }
        n += 1;
        if line.starts_with(partial::MAGIC.as_bytes()) {
            sections.push(None);
        } else if let Some(json) = line.strip_prefix(format!("{TAG}\t").as_bytes()) {
            let json = json.strip_suffix(b"\n").unwrap_or(json);
            let c = parse(json).map_err(|reason| Error::BadPartial {
                path: name.to_path_buf(),
                line: n,
                reason,
            })?;
            if let Some(last) = sections.last_mut() {
                *last = Some(c);
            }
        }
    }
    if sections.is_empty() {
        return Err(Error::BadPartial {
            path: name.to_path_buf(),
            line: 1,
            reason: "not a logmill partial (no '#logmill-partial' header)".into(),
        });
    }
    Ok(sections)
}

/// `logmill coverage FILE...`: for each partial, what it covers; then whether together they
/// overlap (`overlap:` line) or miss something (`missing:` lines). True when they cover every
/// input of their runs exactly once.
pub fn report(files: &[std::path::PathBuf], out: &mut dyn io::Write) -> Result<bool> {
    let mut text = String::new();
    let mut named = Vec::new();
    let mut whole = true;
    for f in files {
        let file = File::open(f).map_err(|source| Error::Open {
            path: f.clone(),
            source,
        })?;
        let sections = scan(f, &mut io::BufReader::new(file))?;
        let several = sections.len() > 1;
        for (k, c) in sections.into_iter().enumerate() {
            let name = match several {
                true => format!("{} (partial {})", f.display(), k + 1),
                false => f.display().to_string(),
            };
            let _ = writeln!(text, "{name}:");
            match c {
                Some(c) => {
                    describe(&c, &mut text);
                    named.push(Named { name, coverage: c });
                }
                None => {
                    whole = false;
                    let _ = writeln!(
                        text,
                        "  unknown: written by an older logmill, it does not record what it covers"
                    );
                }
            }
        }
    }
    if let Some(why) = first_overlap(&named) {
        whole = false;
        let _ = writeln!(text, "overlap: {why}");
    }
    let mut union = Coverage::default();
    for n in named {
        union.union(n.coverage);
    }
    let (lines, _) = missing(&union);
    for l in &lines {
        let _ = writeln!(text, "{l}");
    }
    whole &= lines.is_empty();
    if whole {
        text.push_str("complete: every input of every run is covered once\n");
    }
    out.write_all(text.as_bytes()).map_err(Error::Output)?;
    Ok(whole)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(path: &str, from: u64, to: u64, shard: Option<[u64; 2]>) -> Span {
        Span {
            path: path.into(),
            size: 100,
            head: 7,
            from,
            to,
            tail: 0,
            shard,
            keys: None,
        }
    }

    fn run(sizes: &[(&str, u64)], shards: Option<u64>) -> Run {
        Run {
            inputs: sizes
                .iter()
                .map(|(p, s)| Input {
                    path: (*p).into(),
                    size: Some(*s),
                    head: 7,
                    tail: 0,
                })
                .collect(),
            shards,
        }
    }

    #[test]
    fn a_missing_shard_is_named_with_its_bytes() {
        let c = Coverage {
            runs: vec![run(&[("a", 100), ("b", 100)], Some(4))],
            ranges: vec![
                span("a", 0, 50, Some([0, 4])),
                span("a", 50, 100, Some([1, 4])),
                span("b", 52, 100, Some([3, 4])),
            ],
        };
        let (lines, _) = missing(&c);
        assert_eq!(lines, vec!["missing: shard 2/4 of b (bytes 0..52)"]);
        // A lost shard that alone held a file: the file is still listed by the run.
        let c = Coverage {
            runs: vec![run(&[("a", 100), ("b", 100)], Some(2))],
            ranges: vec![span("a", 0, 100, Some([0, 2]))],
        };
        assert_eq!(
            missing(&c).0,
            vec!["missing: shard 1/2 of b (bytes 0..100)"]
        );
    }

    #[test]
    fn key_partitions_must_all_be_there() {
        let mut a = span("a", 0, 100, None);
        a.keys = Some([0, 2]);
        let c = Coverage {
            runs: vec![run(&[("a", 100)], None)],
            ranges: vec![a.clone()],
        };
        assert_eq!(
            missing(&c).0,
            vec!["missing: a (bytes 0..100, keys with hash mod 2 in {1})"]
        );
        let mut b = a.clone();
        b.keys = Some([1, 2]);
        let whole = Coverage {
            runs: c.runs.clone(),
            ranges: vec![a.clone(), b],
        };
        assert!(missing(&whole).0.is_empty());
        assert!(keys_meet((0, 2), (2, 4)) && !keys_meet((0, 2), (1, 4)));
    }

    #[test]
    fn overlaps_name_both_files_and_adjacent_ranges_join() {
        let named = |name: &str, r: Span| Named {
            name: name.into(),
            coverage: Coverage {
                runs: vec![],
                ranges: vec![r],
            },
        };
        let x = named("x.partial", span("a", 0, 60, None));
        let y = named("y.partial", span("a", 50, 100, None));
        let why = first_overlap(&[x.clone(), y]).unwrap();
        assert!(
            why.contains("x.partial and y.partial both count bytes 50..60 of a"),
            "{why}"
        );
        let z = named("z.partial", span("a", 60, 100, None));
        assert_eq!(first_overlap(&[x.clone(), z.clone()]), None);
        let mut u = x.coverage;
        u.union(z.coverage);
        assert_eq!(u.ranges.len(), 1);
        assert_eq!((u.ranges[0].from, u.ranges[0].to), (0, 100));
    }
}
