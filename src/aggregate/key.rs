//! Composite keys: several byte strings (the capture groups of `match`, the fields of a
//! group-by) packed into one key of a [`crate::aggregate::KeyedTable`].
//!
//! The encoding is unambiguous for arbitrary bytes and keeps order: comparing two encoded keys
//! byte by byte compares their fields as tuples (first field, then second, …), so emit's "key
//! bytes ascending" order means the same thing for one field and for several. Each field is
//! written as is, except that a `0x00` byte becomes `0x00 0xFF`; fields are separated by
//! `0x00 0x01`. The separator sorts below every other byte sequence, so `("a", "z")` comes
//! before `("ab", "a")`. Keys of a single field are stored raw: no encoding at all, which is
//! the common case and the hot path.

use std::borrow::Cow;

const ESCAPE: u8 = 0x00;
const ESCAPED_NUL: u8 = 0xFF;
const SEPARATOR: u8 = 0x01;

/// Builds an encoded key field by field, reusing one buffer.
#[derive(Debug, Default, Clone)]
pub struct KeyBuilder {
    buf: Vec<u8>,
    fields: usize,
}

impl KeyBuilder {
    /// Starts a new key (the buffer is kept).
    #[inline]
    pub fn clear(&mut self) {
        self.buf.clear();
        self.fields = 0;
    }

    /// Appends the next field.
    #[inline]
    pub fn push(&mut self, field: &[u8]) {
        if self.fields > 0 {
            self.buf.extend_from_slice(&[ESCAPE, SEPARATOR]);
        }
        self.fields += 1;
        let mut rest = field;
        while let Some(i) = memchr::memchr(ESCAPE, rest) {
            self.buf.extend_from_slice(&rest[..i]);
            self.buf.extend_from_slice(&[ESCAPE, ESCAPED_NUL]);
            rest = &rest[i + 1..];
        }
        self.buf.extend_from_slice(rest);
    }

    /// The encoded key.
    #[inline]
    pub fn key(&self) -> &[u8] {
        &self.buf
    }
}

/// Splits a key of `n` fields (`n >= 2`) built by [`KeyBuilder`] back into its fields. A key
/// of one field is the field itself and needs no decoding; a key of zero fields is empty.
pub fn decode(key: &[u8], n: usize) -> Vec<Cow<'_, [u8]>> {
    match n {
        0 => return Vec::new(),
        1 => return vec![Cow::Borrowed(key)],
        _ => {}
    }
    let mut fields = Vec::with_capacity(n);
    let mut current: Cow<'_, [u8]> = Cow::Borrowed(&[]);
    let mut start = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr(ESCAPE, &key[i..]) {
        let at = i + off;
        let piece = &key[start..at];
        append(&mut current, piece);
        match key.get(at + 1) {
            Some(&SEPARATOR) => fields.push(std::mem::replace(&mut current, Cow::Borrowed(&[]))),
            // ESCAPED_NUL (or a malformed trailing escape, which KeyBuilder never writes).
            _ => append(&mut current, &[0]),
        }
        i = (at + 2).min(key.len());
        start = i;
    }
    append(&mut current, &key[start..]);
    fields.push(current);
    fields
}

/// The first `n` fields of a key of two or more fields, still encoded: a prefix of the key,
/// equal for keys whose first `n` fields are equal (`n` at least 1, less than the key's
/// fields). Comparing prefixes as bytes compares those fields as tuples.
pub fn leading_fields(key: &[u8], n: usize) -> &[u8] {
    let mut seen = 0;
    let mut i = 0;
    while let Some(off) = memchr::memchr(ESCAPE, &key[i..]) {
        let at = i + off;
        if key.get(at + 1) == Some(&SEPARATOR) {
            seen += 1;
            if seen == n {
                return &key[..at];
            }
        }
        i = at + 2;
        if i >= key.len() {
            break;
        }
    }
    key
}

/// Appends to a field, borrowing while the field is one unescaped piece.
fn append<'a>(field: &mut Cow<'a, [u8]>, piece: &'a [u8]) {
    if field.is_empty() {
        if let Cow::Borrowed(_) = field {
            *field = Cow::Borrowed(piece);
            return;
        }
    }
    if !piece.is_empty() {
        field.to_mut().extend_from_slice(piece);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn encode(fields: &[Vec<u8>]) -> Vec<u8> {
        let mut b = KeyBuilder::default();
        for f in fields {
            b.push(f);
        }
        b.key().to_vec()
    }

    #[test]
    fn separator_and_nul_survive_a_round_trip() {
        let fields = vec![
            b"a\0b".to_vec(),
            Vec::new(),
            b"\0".to_vec(),
            b"\x01\xff".to_vec(),
        ];
        let key = encode(&fields);
        let back: Vec<Vec<u8>> = decode(&key, 4)
            .into_iter()
            .map(|c| c.into_owned())
            .collect();
        assert_eq!(back, fields);
    }

    #[test]
    fn leading_fields_are_encoded_prefixes() {
        let key = encode(&[b"a\0\x01".to_vec(), b"b".to_vec(), b"c".to_vec()]);
        assert_eq!(leading_fields(&key, 1), encode(&[b"a\0\x01".to_vec()]));
        assert_eq!(
            leading_fields(&key, 2),
            encode(&[b"a\0\x01".to_vec(), b"b".to_vec()])
        );
        assert_eq!(leading_fields(&key, 3), &key[..]);
    }

    #[test]
    fn builder_is_reusable() {
        let mut b = KeyBuilder::default();
        b.push(b"x");
        b.push(b"y");
        b.clear();
        b.push(b"z");
        assert_eq!(b.key(), b"z");
    }

    proptest! {
        #[test]
        fn round_trip_and_tuple_order(
            a in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(vec![0u8, 1, 2, 0xff]), 0..4), 2..4),
            b in proptest::collection::vec(proptest::collection::vec(proptest::sample::select(vec![0u8, 1, 2, 0xff]), 0..4), 2..4),
        ) {
            // Same number of fields in both keys, as in a table.
            let n = a.len().min(b.len());
            let (a, b) = (&a[..n], &b[..n]);
            let (ka, kb) = (encode(a), encode(b));
            let back: Vec<Vec<u8>> = decode(&ka, n).into_iter().map(|c| c.into_owned()).collect();
            prop_assert_eq!(&back[..], a);
            prop_assert_eq!(ka.cmp(&kb), a.cmp(b));
        }
    }
}
