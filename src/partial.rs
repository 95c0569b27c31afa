//! The partial-result format: a job's partial aggregate as text lines, so partials can be
//! written by one process and merged by another (`--emit partial`, `logmill merge`, and the map
//! and reduce stages under Hadoop Streaming or Spark).
//!
//! ```text
//! #logmill-partial<TAB>1<TAB>{"job":"words","params":{...}}     (files only: the header)
//! #meta<TAB>{"rejected":3}                                     (optional metadata lines)
//! KEY<TAB>STATE                                                (one line per key)
//! ```
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
pub const VERSION: u32 = 1;

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
