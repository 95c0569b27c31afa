//! The partial-result format: a job's partial aggregate as text lines, so partials can be
//! written by one process and merged by another (`--emit partial`, `logmill merge`, and the map
//! and reduce stages under Hadoop Streaming or Spark).
//!
//! ```text
//! #logmill-partial<TAB>1<TAB>{"job":"words","params":{...}}     (files only: the header)
//! #meta<TAB>{"rejected":3}                                     (optional metadata lines)
//! KEY<TAB>STATE                                                (one line per key)
//! #logmill-end<TAB>ROWS<TAB>CRC32                               (files only: the end marker)
//! ```
//!
//! The end marker (version 2) gives the number of `KEY<TAB>STATE` rows and the CRC-32 (IEEE,
//! as zlib and gzip compute it; 8 lowercase hex digits) of every byte between the header line
//! and the marker, so a file cut short at a line boundary or altered is refused instead of
//! silently merged. Version 1 files have no marker; they are still read, with a warning. The
//! bare lines of `map` and `reduce --emit lines` (what Spark and Hadoop shuffle) have neither
//! header nor marker.
//!
//! KEY is the key's bytes with `\` `TAB` `LF` `CR` written as `\\` `\t` `\n` `\r`, and a
//! leading `#` as `\#`, so a key never contains the separator, never spans lines, and a data
//! line never looks like a header or metadata line; every other byte is written as it is (keys
//! need not be UTF-8). STATE is the key's aggregate state as compact JSON. The text before the
//! first TAB is the key, as Hadoop Streaming and Spark's `pipe` expect.

use std::io::{self, Write};

/// The first field of a header line.
pub const MAGIC: &str = "#logmill-partial";

/// The version of the format this build writes and reads.
pub const VERSION: u32 = 2;

/// The oldest version this build still reads (without an end marker, so unchecked).
pub const OLDEST_VERSION: u32 = 1;

/// The first field of the end marker line.
pub const END: &str = "#logmill-end";

/// CRC-32 (IEEE 802.3, reflected, as zlib computes it), by a 256-entry table: small, and ours
/// to keep stable as long as the format lives.
#[derive(Debug, Clone, Copy)]
pub struct Crc32(u32);

const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

impl Default for Crc32 {
    fn default() -> Self {
        Crc32(0xFFFF_FFFF)
    }
}

impl Crc32 {
    /// Adds `bytes`.
    pub fn update(&mut self, bytes: &[u8]) {
        let mut c = self.0;
        for &b in bytes {
            c = CRC_TABLE[((c ^ u32::from(b)) & 0xFF) as usize] ^ (c >> 8);
        }
        self.0 = c;
    }

    /// The checksum of everything added so far.
    pub fn value(&self) -> u32 {
        !self.0
    }
}

/// Counts the rows (lines not starting with `#`) and checksums the bytes of a partial's body,
/// as the end marker records them.
#[derive(Debug, Default, Clone, Copy)]
pub struct BodySum {
    crc: Crc32,
    rows: u64,
    mid_line: bool,
}

impl BodySum {
    /// Adds body bytes (any split: lines may span calls).
    pub fn update(&mut self, buf: &[u8]) {
        self.crc.update(buf);
        let mut start = 0;
        while start < buf.len() {
            if !self.mid_line {
                if buf[start] != b'#' {
                    self.rows += 1;
                }
                self.mid_line = true;
            }
            match memchr::memchr(b'\n', &buf[start..]) {
                Some(i) => {
                    start += i + 1;
                    self.mid_line = false;
                }
                None => break,
            }
        }
    }

    /// The rows seen so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The checksum so far.
    pub fn crc(&self) -> u32 {
        self.crc.value()
    }

    /// The end marker line for what was added.
    pub fn end_line(&self) -> String {
        format!("{END}\t{}\t{:08x}\n", self.rows, self.crc())
    }
}

/// A writer for a partial's body: passes bytes through and sums them ([`BodySum`]);
/// [`Body::finish`] writes the end marker.
pub struct Body<W: Write> {
    inner: W,
    sum: BodySum,
}

impl<W: Write> Body<W> {
    /// Starts a body written to `inner` (the header already written).
    pub fn new(inner: W) -> Self {
        Body {
            inner,
            sum: BodySum::default(),
        }
    }

    /// Writes the end marker and flushes.
    pub fn finish(mut self) -> io::Result<()> {
        let end = self.sum.end_line();
        self.inner.write_all(end.as_bytes())?;
        self.inner.flush()
    }
}

impl<W: Write> Write for Body<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sum.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Parses what follows the magic of an end marker: `<TAB>ROWS<TAB>CRC32`.
pub fn parse_end(rest: &[u8]) -> Option<(u64, u32)> {
    let text = std::str::from_utf8(rest.strip_prefix(b"\t")?).ok()?;
    let (rows, crc) = text.split_once('\t')?;
    if crc.len() != 8 {
        return None;
    }
    Some((rows.parse().ok()?, u32::from_str_radix(crc, 16).ok()?))
}

/// Writes a path's bytes losslessly as text: UTF-8 as it is, `\` as `\\`, and each byte that
/// is not UTF-8 as `\xHH`, so two names that differ only in such bytes stay two names.
pub fn escape_path(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// Appends `key` escaped for a partial line.
pub fn escape_key(key: &[u8], out: &mut Vec<u8>) {
    if key.first() == Some(&b'#') {
        out.extend_from_slice(b"\\#");
        escape_rest(&key[1..], out);
    } else {
        escape_rest(key, out);
    }
}

fn escape_rest(key: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    for (i, &b) in key.iter().enumerate() {
        let esc: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&key[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&key[start..]);
}

/// Why an escaped key could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEscape {
    /// Byte offset of the bad escape in the escaped key.
    pub at: usize,
}

/// Decodes a key written by [`escape_key`], into `out` (cleared first).
pub fn unescape_key(escaped: &[u8], out: &mut Vec<u8>) -> Result<(), BadEscape> {
    out.clear();
    let mut i = 0;
    while i < escaped.len() {
        let b = escaped[i];
        if b != b'\\' {
            out.push(b);
            i += 1;
            continue;
        }
        let decoded = match escaped.get(i + 1) {
            Some(b'\\') => b'\\',
            Some(b't') => b'\t',
            Some(b'n') => b'\n',
            Some(b'r') => b'\r',
            Some(b'#') if i == 0 => b'#',
            _ => return Err(BadEscape { at: i }),
        };
        out.push(decoded);
        i += 2;
    }
    Ok(())
}

/// Writes one `KEY<TAB>STATE` line.
pub fn write_line<W: Write + ?Sized>(
    out: &mut W,
    key: &[u8],
    state_json: &[u8],
    scratch: &mut Vec<u8>,
) -> io::Result<()> {
    scratch.clear();
    escape_key(key, scratch);
    scratch.push(b'\t');
    scratch.extend_from_slice(state_json);
    scratch.push(b'\n');
    out.write_all(scratch)
}

/// Splits a data line (without its line end) into its escaped key and its state text.
pub fn split_line(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let tab = memchr::memchr(b'\t', line)?;
    Some((&line[..tab], &line[tab + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn esc(key: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        escape_key(key, &mut v);
        v
    }

    #[test]
    fn escapes_separators_and_a_leading_hash() {
        assert_eq!(esc(b"a\tb\nc\rd\\e"), b"a\\tb\\nc\\rd\\\\e");
        assert_eq!(esc(b"#x#"), b"\\#x#");
        assert_eq!(esc(b"caf\xe9"), b"caf\xe9");
        let mut back = Vec::new();
        assert!(unescape_key(b"a\\x", &mut back).is_err());
        assert!(unescape_key(b"a\\", &mut back).is_err());
        assert!(
            unescape_key(b"a\\#", &mut back).is_err(),
            "\\# only at the start"
        );
    }

    #[test]
    fn crc32_matches_zlib() {
        let mut c = Crc32::default();
        c.update(b"123456789");
        assert_eq!(c.value(), 0xCBF4_3926);
    }

    #[test]
    fn body_sum_counts_rows_across_writes() {
        let mut whole = BodySum::default();
        whole.update(b"#meta\t{}\na\t1\nb\t2\n");
        let mut split = BodySum::default();
        for part in [&b"#me"[..], b"ta\t{}\n", b"a", b"\t1\nb\t2", b"\n"] {
            split.update(part);
        }
        assert_eq!((whole.rows(), whole.crc()), (2, split.crc()));
        assert_eq!(split.rows(), 2);
        assert_eq!(parse_end(b"\t2\t0000abcd"), Some((2, 0xabcd)));
        assert_eq!(parse_end(b"\t2\tabcd"), None);
    }

    #[test]
    fn paths_escape_losslessly() {
        assert_eq!(escape_path(b"x\xff.log"), "x\\xFF.log");
        assert_ne!(escape_path(b"x\xff.log"), escape_path(b"x\xfe.log"));
        assert_eq!(escape_path(b"a\\xFF"), "a\\\\xFF");
        assert_eq!(escape_path("caf\u{e9}".as_bytes()), "caf\u{e9}");
    }

    proptest! {
        #[test]
        fn keys_round_trip_and_stay_on_one_field(key in proptest::collection::vec(any::<u8>(), 0..40)) {
            let e = esc(&key);
            prop_assert!(!e.contains(&b'\t') && !e.contains(&b'\n') && !e.contains(&b'\r'));
            prop_assert!(e.first() != Some(&b'#'));
            let mut back = Vec::new();
            unescape_key(&e, &mut back).unwrap();
            prop_assert_eq!(back, key);
        }
    }
}
