//! The partial format: partial results as a first-class artifact.
//!
//! A partial's [`Header`] is everything that defines a job's result (the job, the pattern, the
//! flags that change what is counted). It is written in a partial file's first line, compared
//! when partials are merged, and rebuilt into a runnable job by `logmill merge` and `reduce`.
//!
//! [`Keyed`] is the canonical partial every job exports: a table of keys and mergeable,
//! serializable states, plus job-wide [`Meta`]. A run's in-process partial (per-input counts,
//! per-worker tables) is turned into a `Keyed` before it is emitted, written as a partial, or
//! merged with partials from other processes — so a result is the same wherever it was merged.

use std::io::{self, BufRead, Write};
use std::path::Path;

use serde::Serialize;

use serde::de::DeserializeOwned;

pub use crate::aggregate::keyed::{Keyed, Meta};
use crate::aggregate::Merge;
use crate::error::{Error, Result};
use crate::partial;
use crate::partial::coverage::{self, Coverage};

/// The header of a partial: what defines a job's result (the job's name and parameters),
/// serialized as `{"job":"NAME","params":{...}}`. The jobs' registry implements it; the
/// format knows nothing of any job.
pub trait Header: Serialize + DeserializeOwned + PartialEq + Clone {
    /// The job's name, as on the command line.
    fn name(&self) -> &'static str;

    /// Rewrites a key read from a version-1 partial made with these parameters into today's
    /// encoding (keys of a job whose key bytes changed since). Nothing by default.
    fn upgrade_v1_key(&self, _key: &mut Vec<u8>) {}

    /// The header line of a partial file made with these parameters.
    fn header_line(&self) -> String {
        let json = serde_json::to_string(self).expect("job parameters serialize");
        format!("{}\t{}\t{json}\n", partial::MAGIC, partial::VERSION)
    }

    /// Why partials made with `self` (in `a`) and `other` (in `b`) cannot be merged, naming the
    /// first parameter that differs; `None` when they can.
    fn mismatch(&self, a: &str, other: &Self, b: &str) -> Option<String> {
        if self == other {
            return None;
        }
        if self.name() != other.name() {
            return Some(format!(
                "{a} holds a '{}' partial but {b} holds a '{}' partial",
                self.name(),
                other.name()
            ));
        }
        let (x, y) = (
            serde_json::to_value(self).unwrap_or_default(),
            serde_json::to_value(other).unwrap_or_default(),
        );
        let field = x["params"]
            .as_object()
            .and_then(|px| {
                px.iter()
                    .find(|(k, v)| y["params"].get(k.as_str()) != Some(v))
                    .map(|(k, v)| format!("{k} = {v} in {a} but {} in {b}", y["params"][k]))
            })
            .unwrap_or_else(|| "their parameters".to_string());
        Some(format!(
            "cannot merge '{}' partials made with different parameters: {field}",
            self.name()
        ))
    }
}

impl<S: Merge> Keyed<S> {
    /// Fails when a count saturated while partials were merged (see [`Merge::saturated`]),
    /// naming the first such key (in key order) or the job-wide count.
    pub fn check_counts(&self) -> crate::error::Result<()> {
        let mut worst: Option<&[u8]> = None;
        for (k, s) in self.table.iter() {
            if s.saturated() && worst.is_none_or(|w| k < w) {
                worst = Some(k);
            }
        }
        match worst {
            Some(k) => Err(count_overflow(k)),
            None => self.check_meta_counts(),
        }
    }

    /// [`Keyed::check_counts`] for the job-wide facts alone.
    pub fn check_meta_counts(&self) -> crate::error::Result<()> {
        if self.meta.saturated() {
            return Err(crate::error::Error::CountOverflow {
                what: "rejected or bad records".to_string(),
            });
        }
        Ok(())
    }
}

/// The error of a count that saturated for `key`.
pub fn count_overflow(key: &[u8]) -> crate::error::Error {
    let mut e = Vec::new();
    crate::partial::escape_key(key, &mut e);
    crate::error::Error::CountOverflow {
        what: format!("key '{}'", String::from_utf8_lossy(&e)),
    }
}

pub use crate::aggregate::State;

/// What a run prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EmitMode {
    /// Final results in the chosen format.
    #[default]
    Final,
    /// A partial file: a header line naming the job, then `KEY<TAB>STATE` lines.
    Partial,
    /// Bare `KEY<TAB>STATE` lines, no header: the map (and reduce) stage of Hadoop Streaming
    /// and Spark's `pipe`, where every line is a record.
    Lines,
    /// Bare lines each preceded by the row's order key (`logmill reduce --emit ranked`, see
    /// [`crate::partial::ranked`]).
    Ranked,
}

/// Writes `keyed` as a partial: the header and the end marker (unless `Lines`), the
/// `#coverage` line of `cov` and a `#meta` line when there is anything to say, then one line
/// per key in key order, so the same input always gives the same partial bytes.
pub fn write_partial<S: State>(
    params: &impl Header,
    keyed: &Keyed<S>,
    cov: Option<&Coverage>,
    mode: EmitMode,
    out: &mut dyn Write,
) -> io::Result<()> {
    if mode == EmitMode::Partial {
        out.write_all(params.header_line().as_bytes())?;
        let mut body = partial::Body::new(&mut *out);
        write_partial(params, keyed, cov, EmitMode::Lines, &mut body)?;
        return body.finish();
    }
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    if let Some(c) = cov {
        out.write_all(&coverage::line(c))?;
    }
    write_meta(&keyed.meta, &mut out)?;
    let mut rows: Vec<(&[u8], &S)> = keyed.table.iter().collect();
    rows.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut line = Vec::new();
    let mut state = Vec::new();
    for (key, s) in rows {
        state.clear();
        serde_json::to_writer(&mut state, s)?;
        partial::write_line(&mut out, key, &state, &mut line)?;
    }
    out.flush()
}

/// The `#meta` line (when there is anything to say).
pub(crate) fn write_meta(meta: &Meta, out: &mut dyn Write) -> io::Result<()> {
    if !meta.is_empty() {
        out.write_all(b"#meta\t")?;
        serde_json::to_writer(&mut *out, meta)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// [`write_partial`] from rows already in key order (a spilled run's merge): the same bytes.
pub fn write_partial_rows<S: State>(
    params: &impl Header,
    meta: &Meta,
    rows: crate::spill::Rows<S>,
    cov: Option<&Coverage>,
    mode: EmitMode,
    out: &mut dyn Write,
) -> Result<()> {
    if mode == EmitMode::Partial {
        out.write_all(params.header_line().as_bytes())
            .map_err(Error::Output)?;
        let mut body = partial::Body::new(&mut *out);
        write_partial_rows(params, meta, rows, cov, EmitMode::Lines, &mut body)?;
        return body.finish().map_err(Error::Output);
    }
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    if let Some(c) = cov {
        out.write_all(&coverage::line(c)).map_err(Error::Output)?;
    }
    write_meta(meta, &mut out).map_err(Error::Output)?;
    let mut line = Vec::new();
    let mut state = Vec::new();
    rows.for_each(|key, s| {
        state.clear();
        serde_json::to_writer(&mut state, s).map_err(|e| Error::Output(e.into()))?;
        partial::write_line(&mut out, key, &state, &mut line).map_err(Error::Output)
    })?;
    out.flush().map_err(Error::Output)
}

/// Reads partial lines from `reader` (named `name` in errors) into `into`. A header, when
/// present, must match `params` (when known); the first header seen is returned.
pub fn read_partial<S: State, H: Header>(
    name: &Path,
    reader: &mut dyn BufRead,
    params: Option<&H>,
    into: &mut Keyed<S>,
) -> Result<Option<H>> {
    read_partial_with(
        name,
        reader,
        params,
        into,
        &mut Vec::new(),
        None,
        &mut |_| Ok(()),
    )
}

/// Records [`read_partial_with`] reads between two calls of its hook.
pub const RECORDS_PER_HOOK: usize = 4096;

/// [`read_partial`], calling `hook` with the table every [`RECORDS_PER_HOOK`] records (so a
/// caller can keep it within `--memory` by spilling it), and pushing onto `sections` one
/// entry per partial (header) read: its `#coverage`, or `None` when it has none. With
/// `keys` `(p, R)`, only the keys of that partition are kept (see [`coverage::key_partition`]).
pub fn read_partial_with<S: State, H: Header>(
    name: &Path,
    reader: &mut dyn BufRead,
    params: Option<&H>,
    into: &mut Keyed<S>,
    sections: &mut Vec<Option<Coverage>>,
    keys: Option<(u64, u64)>,
    hook: &mut dyn FnMut(&mut Keyed<S>) -> Result<()>,
) -> Result<Option<H>> {
    let mut records = 0usize;
    let bad = |line_no: usize, what: String| Error::BadPartial {
        path: name.to_path_buf(),
        line: line_no,
        reason: what,
    };
    let mut header: Option<H> = None;
    let mut line = Vec::new();
    let mut key = Vec::new();
    let mut line_no = 0;
    // The open version-2 section (after a header, before its end marker) and its line number.
    let mut section: Option<(partial::BodySum, usize)> = None;
    // Whether the rows being read come from a version-1 partial (keys may need upgrading).
    let mut v1 = false;
    // The open partial (header) section, and whether it had a `#meta` line so far: one that
    // ends without one did not record the records its runs read (see `close_section`).
    let mut open_meta: Option<bool> = None;
    let truncated = |line_no: usize, at: &str| {
        bad(
            line_no,
            format!(
                "truncated: the partial that starts at line {line_no} {at} without its \
                 '{}' line (cut short, or not written to the end?)",
                partial::END
            ),
        )
    };
    loop {
        line.clear();
        let n = reader
            .read_until(b'\n', &mut line)
            .map_err(|source| Error::Read {
                path: name.to_path_buf(),
                source,
            })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        if let Some(rest) = text.strip_prefix(partial::END.as_bytes()) {
            close_section(&mut open_meta, sections.last(), keys, &mut into.meta);
            // Outside a section (the bare lines of a shuffle), a marker has nothing to check.
            if let Some((sum, _)) = section.take() {
                let (rows, crc) = partial::parse_end(rest).ok_or_else(|| {
                    bad(
                        line_no,
                        format!("corrupt: malformed '{}' line", partial::END),
                    )
                })?;
                if rows != sum.rows() || crc != sum.crc() {
                    return Err(bad(
                        line_no,
                        format!(
                            "corrupt: the end marker says {rows} rows with checksum {crc:08x}, \
                             but {} rows with checksum {:08x} precede it",
                            sum.rows(),
                            sum.crc()
                        ),
                    ));
                }
            }
            continue;
        }
        let is_header = text.starts_with(partial::MAGIC.as_bytes());
        if let Some((sum, _)) = &mut section {
            if !is_header {
                sum.update(&line);
            }
        }
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            continue;
        }
        if let Some(rest) = text.strip_prefix(partial::MAGIC.as_bytes()) {
            if let Some((_, start)) = section {
                return Err(truncated(start, &format!("ends at line {line_no}")));
            }
            // A version-1 partial ends where the next one starts.
            close_section(&mut open_meta, sections.last(), keys, &mut into.meta);
            open_meta = Some(false);
            let (version, found) = parse_header(rest).map_err(|e| bad(line_no, e))?;
            let expected = params.or(header.as_ref());
            if let Some(why) = expected.and_then(|p| p.mismatch("the job", &found, "this file")) {
                return Err(bad(line_no, why));
            }
            v1 = version < partial::VERSION;
            if v1 {
                crate::diag::warning(format_args!(
                    "{}: line {line_no}: partial format version {version} has no end marker; \
                     it cannot be checked for truncation or corruption (write it again with \
                     this logmill to get one)",
                    name.display()
                ));
            } else {
                section = Some((partial::BodySum::default(), line_no));
            }
            header.get_or_insert(found);
            sections.push(None);
            continue;
        }
        if let Some(json) = text.strip_prefix(format!("{}\t", coverage::TAG).as_bytes()) {
            let found = coverage::parse(json).map_err(|e| bad(line_no, e))?;
            // In a partial, its coverage; among bare lines (a reducer's input), one more.
            match (section.is_some(), sections.last_mut()) {
                (true, Some(last)) => *last = Some(found),
                _ => sections.push(Some(found)),
            }
            continue;
        }
        if let Some(json) = text.strip_prefix(b"#meta\t") {
            let meta: Meta = serde_json::from_slice(json)
                .map_err(|e| bad(line_no, format!("bad #meta line: {}", json_problem(&e))))?;
            // Job-wide facts belong to one key partition, the one of the key `#meta` (where
            // the Spark driver's shuffle sends them), so partitions merged back count them once.
            if coverage::holds_meta(keys) {
                into.meta.merge(meta);
            }
            if let Some(seen) = open_meta.as_mut() {
                *seen = true;
            }
            continue;
        }
        if text.first() == Some(&b'#') {
            // Other metadata (a state file's `#file` lines): data keys never start with `#`
            // (it is escaped), so this is not a record.
            continue;
        }
        let (k, state) = partial::split_line(text)
            .ok_or_else(|| bad(line_no, "expected KEY<TAB>STATE".to_string()))?;
        if keys.is_some_and(|(p, count)| coverage::key_partition(k, count) != p) {
            continue;
        }
        partial::unescape_key(k, &mut key)
            .map_err(|e| bad(line_no, format!("bad escape in the key at byte {}", e.at)))?;
        if v1 {
            if let Some(h) = header.as_ref() {
                h.upgrade_v1_key(&mut key);
            }
        }
        let state: S = serde_json::from_slice(state).map_err(|e| {
            bad(
                line_no,
                format!(
                    "the value after the TAB is not a '{}' state: {}",
                    job_name(params, &header),
                    json_problem(&e)
                ),
            )
        })?;
        into.table.entry(&key).merge(state);
        records += 1;
        if records % RECORDS_PER_HOOK == 0 {
            hook(into)?;
        }
    }
    if let Some((_, start)) = section {
        return Err(truncated(start, "ends"));
    }
    close_section(&mut open_meta, sections.last(), keys, &mut into.meta);
    Ok(header)
}

/// At the end of a partial (header) section: one without a `#meta` line, from a logmill that
/// did not record the records its runs read, makes the count unknown — unless the section
/// holds a key partition without the job-wide facts (its coverage says so), or the reader
/// keeps only such a partition (`keys`). `open` is taken (the section is closed).
fn close_section(
    open: &mut Option<bool>,
    coverage: Option<&Option<Coverage>>,
    keys: Option<(u64, u64)>,
    meta: &mut Meta,
) {
    if open.take() != Some(false) || !coverage::holds_meta(keys) {
        return;
    }
    if coverage
        .and_then(Option::as_ref)
        .is_none_or(Coverage::holds_meta)
    {
        meta.records = crate::aggregate::keyed::RecordsRead::unknown();
    }
}

/// What a JSON error says, in terms of the file rather than of the program's types: serde's
/// "invalid type: floating point `1e+23`, expected u64" becomes "found the number 1e+23 where
/// a count (a whole number from 0 to 18446744073709551615) belongs".
pub fn json_problem(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let at = match e.column() {
        0 => String::new(),
        c => format!(" (at column {c} of the value)"),
    };
    match e.classify() {
        Category::Syntax | Category::Eof => {
            format!("not valid JSON{at}")
        }
        Category::Io => "could not be read".to_string(),
        Category::Data => {
            let raw = e.to_string();
            let raw = raw.split(" at line ").next().unwrap_or(&raw);
            let (found, expected) = match raw
                .strip_prefix("invalid type: ")
                .or_else(|| raw.strip_prefix("invalid value: "))
                .and_then(|r| r.split_once(", expected "))
            {
                Some((f, x)) => (f, x),
                None => {
                    let text = raw.replace("missing field", "the field is missing:");
                    return format!("{text}{at}");
                }
            };
            format!(
                "found {} where {} belongs{at}",
                user_found(found),
                user_expected(expected)
            )
        }
    }
}

/// serde's name of a JSON value, as a user would say it.
fn user_found(found: &str) -> String {
    let strip_ticks = |s: &str| s.trim_matches('`').to_string();
    for (prefix, say) in [
        ("floating point ", "the number "),
        ("integer ", "the number "),
        ("string ", "the text "),
        ("boolean ", ""),
    ] {
        if let Some(v) = found.strip_prefix(prefix) {
            return format!("{say}{}", strip_ticks(v));
        }
    }
    match found {
        "map" => "an object".into(),
        "sequence" => "a list".into(),
        "unit value" | "null" => "null".into(),
        other => other.into(),
    }
}

/// serde's name of the type that was expected, as a user would say it.
fn user_expected(expected: &str) -> String {
    match expected {
        "u64" | "u32" | "usize" => "a count (a whole number from 0 to 18446744073709551615)".into(),
        "i64" | "i128" | "u128" => "a whole number".into(),
        "f64" => "a number".into(),
        "a string" | "a borrowed string" => "text".into(),
        "a boolean" => "true or false".into(),
        e if e.starts_with("struct ") || e.starts_with("a map") => "an object".into(),
        e if e.starts_with("a sequence") || e.starts_with("tuple") => "a list".into(),
        e => e.into(),
    }
}

fn job_name<H: Header>(params: Option<&H>, header: &Option<H>) -> &'static str {
    params.or(header.as_ref()).map_or("logmill", H::name)
}

/// Parses what follows the magic in a header line: `<TAB>VERSION<TAB>JSON`.
fn parse_header<H: Header>(rest: &[u8]) -> std::result::Result<(u32, H), String> {
    let rest = rest.strip_prefix(b"\t").ok_or("malformed partial header")?;
    let tab = memchr::memchr(b'\t', rest).ok_or("malformed partial header")?;
    let version = std::str::from_utf8(&rest[..tab])
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .ok_or("malformed partial format version")?;
    if !(partial::OLDEST_VERSION..=partial::VERSION).contains(&version) {
        return Err(format!(
            "partial format version {version}; this logmill reads versions {} to {}",
            partial::OLDEST_VERSION,
            partial::VERSION
        ));
    }
    let params = serde_json::from_slice(&rest[tab + 1..]).map_err(|e| {
        format!(
            "the header's job parameters are not ones this logmill knows: {}",
            json_problem(&e)
        )
    })?;
    Ok((version, params))
}

/// The longest header line [`peek_header`] reads.
const MAX_HEADER: u64 = 1 << 20;

/// Reads the header of a partial file without reading the rest.
pub fn peek_header<H: Header>(name: &Path, reader: &mut dyn BufRead) -> Result<H> {
    let mut first = Vec::new();
    // A header is a short line: read no more than a header can be, so that a first input with
    // no newline (`logmill merge /dev/zero`) is refused instead of filling memory.
    std::io::Read::take(reader, MAX_HEADER)
        .read_until(b'\n', &mut first)
        .map_err(|source| Error::Read {
            path: name.to_path_buf(),
            source,
        })?;
    let bad = |reason: String| Error::BadPartial {
        path: name.to_path_buf(),
        line: 1,
        reason,
    };
    let text = first.strip_suffix(b"\n").unwrap_or(&first);
    let rest = text
        .strip_prefix(partial::MAGIC.as_bytes())
        .ok_or_else(|| bad("not a logmill partial (no '#logmill-partial' header)".into()))?;
    parse_header(rest).map(|(_, p)| p).map_err(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::jobs::matches::MatchParams;
    use crate::jobs::pattern::PatternOptions;
    use crate::jobs::words::WordsParams;
    use crate::jobs::JobParams;

    fn words() -> JobParams {
        JobParams::Words(WordsParams {
            unicode: false,
            records: None,
        })
    }

    #[test]
    fn partial_round_trips_keys_states_and_meta() {
        let mut k = Keyed::<u64>::default();
        for key in [&b"a\tb"[..], b"#hash", b"", b"caf\xe9", b"line\nbreak"] {
            *k.table.entry(key) += key.len() as u64 + 1;
        }
        k.meta.rejected.count = 2;
        let mut out = Vec::new();
        write_partial(&words(), &k, None, EmitMode::Partial, &mut out).unwrap();
        assert!(out.starts_with(b"#logmill-partial\t2\t{\"job\":\"words\""));
        assert!(
            out.ends_with(b"\n")
                && out
                    .split(|&b| b == b'\n')
                    .rev()
                    .nth(1)
                    .unwrap()
                    .starts_with(b"#logmill-end\t5\t")
        );
        let mut back = Keyed::<u64>::default();
        let h = read_partial(Path::new("p"), &mut &out[..], None, &mut back).unwrap();
        assert_eq!(h, Some(words()));
        assert_eq!(back.table, k.table);
        assert_eq!(back.meta, k.meta);
        // Cut at a line boundary: refused.
        let cut: Vec<u8> = out
            .split_inclusive(|&b| b == b'\n')
            .take(3)
            .flatten()
            .copied()
            .collect();
        let e = read_partial(
            Path::new("p"),
            &mut &cut[..],
            None::<&JobParams>,
            &mut Keyed::<u64>::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("truncated"), "{e}");
        // Reading twice merges.
        read_partial(Path::new("p"), &mut &out[..], Some(&words()), &mut back).unwrap();
        assert_eq!(back.table.get(b"#hash"), Some(&12));
    }

    #[test]
    fn mismatched_headers_name_the_difference() {
        let a = JobParams::Match(MatchParams {
            pattern: "(a)".into(),
            options: PatternOptions::default(),
            sum: None,
            all: false,
            records: None,
        });
        let mut b = a.clone();
        if let JobParams::Match(p) = &mut b {
            p.all = true;
        }
        let why = a.mismatch("x.partial", &b, "y.partial").unwrap();
        assert!(why.contains("all") && why.contains("x.partial"), "{why}");
        let why = a.mismatch("x", &words(), "y").unwrap();
        assert!(why.contains("'match'") && why.contains("'words'"), "{why}");
        assert_eq!(a.mismatch("x", &a.clone(), "y"), None);
    }

    #[test]
    fn bad_lines_are_errors_with_line_numbers() {
        let cases: [(&[u8], &str); 4] = [
            (b"a\t1\nno-tab-here\n", "line 2"),
            (b"a\tnot-json\n", "line 1"),
            (b"a\\q\t1\n", "escape"),
            (b"#logmill-partial\t9\t{}\n", "version 9"),
        ];
        for (input, needle) in cases {
            let mut k = Keyed::<u64>::default();
            let e = read_partial(Path::new("in"), &mut &input[..], None::<&JobParams>, &mut k)
                .unwrap_err()
                .to_string();
            assert!(e.contains(needle) && e.contains("in"), "{e}");
        }
    }
}
