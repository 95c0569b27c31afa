//! JSON lines: one JSON object a line, read with serde_json. Only the keys on the way to a
//! needed field are looked at; everything else is skipped without being built (serde's
//! `IgnoredAny`), so a line costs one validating pass and no allocation for the parts not
//! needed.
//!
//! A field is a key or a dotted path of keys (`req.status`). Its value is: a string's content
//! (unescaped), a number's text as written (`1.50`), `true`/`false`, or the JSON text of an
//! object or array. A missing key, a path through a non-object, and `null` are nulls. When a
//! key repeats, the last one wins (as in serde_json's `Value`). A line that is not valid JSON,
//! or not an object (a bare number of any shape included), is bad; a blank line is not a record.
//!
//! Whether a line is a record never depends on the fields asked for. Invalid UTF-8 inside a
//! string is kept as bytes (as logmill keeps it in log lines), anywhere else it makes the line
//! invalid JSON; a lone surrogate escape (`\ud800`) is accepted and reads as U+FFFD. A key
//! holding `.` or `,`, or the empty key, is named as a JSON string in double quotes
//! (`"a.b"`, `req."x,y"`, `""`; see `record::locate`).

use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::{Bad, Locator, Span};

/// One level of the key paths being looked for.
#[derive(Debug, Default)]
struct Node {
    /// The slot this exact path fills.
    slot: Vec<usize>,
    /// Keys below this one that lead to needed fields.
    children: Vec<(String, Node)>,
}

impl Node {
    fn insert(&mut self, path: &[String], slot: usize) {
        match path.split_first() {
            None => self.slot.push(slot),
            Some((key, rest)) => {
                let i = match self.children.iter().position(|(k, _)| k == key) {
                    Some(i) => i,
                    None => {
                        self.children.push((key.clone(), Node::default()));
                        self.children.len() - 1
                    }
                };
                self.children[i].1.insert(rest, slot);
            }
        }
    }
}

/// Parses JSON lines for the needed key paths.
#[derive(Debug)]
pub struct JsonParser {
    root: Node,
}

/// Where captured values go.
struct Out<'a> {
    spans: &'a mut [Span],
    scratch: &'a mut Vec<u8>,
    /// The line as read. Captured values are copied from here, so invalid UTF-8 in a string
    /// keeps its bytes.
    line: &'a [u8],
    /// Address of the text serde_json reads (the line, or its copy with invalid bytes
    /// replaced): a borrowed slice's offset in it is its offset in `line`.
    base: usize,
}

impl<'a> Out<'a> {
    /// The bytes of `line` at the place `text` (borrowed from the parsed text) occupies.
    fn original(&self, text: &[u8]) -> &'a [u8] {
        let at = text.as_ptr() as usize - self.base;
        &self.line[at..at + text.len()]
    }
}

/// The line with every byte of an invalid UTF-8 sequence replaced by `?`: valid JSON exactly
/// when the line is valid JSON but for its encoding (a non-ASCII byte outside a string is as
/// invalid as `?`), and with every value at the same offsets.
fn replace_invalid_utf8(line: &[u8]) -> Vec<u8> {
    let mut v = line.to_vec();
    let mut at = 0;
    while let Err(e) = std::str::from_utf8(&v[at..]) {
        let bad = at + e.valid_up_to();
        let n = e.error_len().unwrap_or(v.len() - bad);
        v[bad..bad + n].fill(b'?');
        at = bad + n;
    }
    v
}

fn invalid(e: serde_json::Error) -> Bad {
    Bad {
        category: "invalid JSON".into(),
        detail: format!("invalid JSON: {e}"),
    }
}

impl JsonParser {
    /// A parser filling the slots whose locators are [`Locator::Path`].
    pub fn new(locators: &[Locator]) -> JsonParser {
        let mut root = Node::default();
        for (slot, l) in locators.iter().enumerate() {
            if let Locator::Path(p) = l {
                root.insert(p, slot);
            }
        }
        JsonParser { root }
    }

    /// Fills `spans` with ranges of `scratch` holding the needed values of `line`.
    ///
    /// Whether a line is a record does not depend on the fields asked for: the whole line is
    /// checked as JSON (strings may hold invalid UTF-8, kept as bytes, and lone surrogate
    /// escapes), and it must be an object.
    pub fn parse(&self, line: &[u8], spans: &mut [Span], scratch: &mut Vec<u8>) -> Result<(), Bad> {
        // serde_json checks UTF-8 only in the strings it reads, so a line with invalid bytes
        // would be good or bad depending on the fields asked for; it parses a copy instead.
        let replaced;
        let text = if std::str::from_utf8(line).is_ok() {
            line
        } else {
            replaced = replace_invalid_utf8(line);
            &replaced[..]
        };
        let mut de = serde_json::Deserializer::from_slice(text);
        let mut out = Out {
            spans,
            scratch,
            line,
            base: text.as_ptr() as usize,
        };
        let is_object = ObjectSeed {
            node: &self.root,
            out: &mut out,
        }
        .deserialize(&mut de)
        .map_err(invalid)?;
        de.end().map_err(invalid)?;
        if !is_object {
            return Err(Bad {
                category: "not a JSON object".into(),
                detail: "the line is JSON but not an object".into(),
            });
        }
        Ok(())
    }
}

/// Reads a value at a node: captures it for the node's slots and descends into its keys.
struct ValueSeed<'n, 'o, 'a> {
    node: &'n Node,
    out: &'o mut Out<'a>,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_, '_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        if self.node.slot.is_empty() {
            ObjectSeed {
                node: self.node,
                out: self.out,
            }
            .deserialize(d)
            .map(|_| ())
        } else {
            let raw: &RawValue = serde::Deserialize::deserialize(d)?;
            capture(raw.get(), self.node, self.out).map_err(de::Error::custom)
        }
    }
}

/// Stores the value whose JSON text is `text` in the node's slots, then looks inside it for
/// the node's children.
fn capture(text: &str, node: &Node, out: &mut Out<'_>) -> Result<(), serde_json::Error> {
    let start = out.scratch.len();
    let bytes = out.original(text.as_bytes());
    if bytes.first() == Some(&b'"') {
        let content = &bytes[1..bytes.len() - 1];
        if memchr::memchr(b'\\', content).is_none() {
            out.scratch.extend_from_slice(content);
        } else {
            unescape(content, out.scratch);
        }
    } else if text == "null" {
        return Ok(());
    } else {
        out.scratch.extend_from_slice(bytes);
    }
    let end = out.scratch.len();
    for &slot in &node.slot {
        out.spans[slot] = Some(start..end);
    }
    if !node.children.is_empty() && text.starts_with('{') {
        let mut de = serde_json::Deserializer::from_str(text);
        ObjectSeed { node, out }.deserialize(&mut de)?;
    }
    Ok(())
}

/// Appends the content of a JSON string (between its quotes, already checked by serde_json)
/// with its escapes decoded; other bytes are copied as they are. A lone surrogate escape
/// becomes U+FFFD.
fn unescape(s: &[u8], out: &mut Vec<u8>) {
    let hex = |at: usize| {
        s.get(at..at + 4)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u16::from_str_radix(h, 16).ok())
    };
    let mut i = 0;
    while i < s.len() {
        let Some(n) = memchr::memchr(b'\\', &s[i..]) else {
            out.extend_from_slice(&s[i..]);
            break;
        };
        out.extend_from_slice(&s[i..i + n]);
        i += n + 1;
        let Some(&e) = s.get(i) else { break };
        i += 1;
        let c = match e {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let Some(u) = hex(i) else { break };
                i += 4;
                if (0xD800..0xDC00).contains(&u)
                    && s.get(i..i + 2) == Some(b"\\u")
                    && hex(i + 2).is_some_and(|l| (0xDC00..0xE000).contains(&l))
                {
                    let l = hex(i + 2).unwrap_or_default();
                    i += 6;
                    let c = 0x10000 + ((u32::from(u) - 0xD800) << 10) + (u32::from(l) - 0xDC00);
                    char::from_u32(c).unwrap_or('\u{FFFD}')
                } else {
                    char::from_u32(u32::from(u)).unwrap_or('\u{FFFD}')
                }
            }
            other => char::from(other),
        };
        let mut buf = [0; 4];
        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
    }
}

/// Reads any value; when it is an object, visits the node's children in it. Returns whether
/// the value was an object.
struct ObjectSeed<'n, 'o, 'a> {
    node: &'n Node,
    out: &'o mut Out<'a>,
}

impl<'de> DeserializeSeed<'de> for ObjectSeed<'_, '_, '_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ObjectSeed<'_, '_, '_> {
    type Value = bool;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        while let Some(key) = map.next_key_seed(KeySeed { node: self.node })? {
            match key {
                Key::Child(i) => map.next_value_seed(ValueSeed {
                    node: &self.node.children[i].1,
                    out: self.out,
                })?,
                Key::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
                // serde_json (arbitrary_precision) hands a number that does not fit an i64,
                // u64 or f64 as a map of one private key: a number, not an object.
                Key::Number => {
                    map.next_value::<IgnoredAny>()?;
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(false)
    }

    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// A key of an object, as [`KeySeed`] reads it.
enum Key {
    /// The key names this child of the node.
    Child(usize),
    /// A key not looked for.
    Other,
    /// Not a key: serde_json's marker of a number read as a map.
    Number,
}

/// Reads a key and says which child of the node it names, if any, without allocating when
/// the key has no escapes.
struct KeySeed<'n> {
    node: &'n Node,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Key;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        // As bytes: serde_json then neither checks UTF-8 (the line was checked whole) nor
        // refuses a lone surrogate escape, which it does not check in skipped strings either.
        d.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_bytes<E>(self, key: &[u8]) -> Result<Key, E> {
        Ok(
            match self
                .node
                .children
                .iter()
                .position(|(k, _)| k.as_bytes() == key)
            {
                Some(i) => Key::Child(i),
                None => Key::Other,
            },
        )
    }

    // Keys of JSON text come as bytes; only serde_json's number marker comes as a string.
    fn visit_str<E>(self, _: &str) -> Result<Key, E> {
        Ok(Key::Number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(line: &str, fields: &[&str]) -> Result<Vec<Option<String>>, Bad> {
        let locs: Vec<Locator> = fields
            .iter()
            .map(|f| Locator::Path(f.split('.').map(str::to_string).collect()))
            .collect();
        let p = JsonParser::new(&locs);
        let mut spans = vec![None; fields.len()];
        let mut scratch = Vec::new();
        p.parse(line.as_bytes(), &mut spans, &mut scratch)?;
        Ok(spans
            .into_iter()
            .map(|s| s.map(|r| String::from_utf8(scratch[r].to_vec()).unwrap()))
            .collect())
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_string())
    }

    #[test]
    fn values_by_key_and_path() {
        let line = r#"{"a": "x\ty\u00e9", "n": 1.50, "req": {"status": 404, "h": {"k": [1, {"z": 2}]}}, "t": true, "nul": null, "o": {"p": 1}}"#;
        assert_eq!(
            get(
                line,
                &[
                    "a",
                    "n",
                    "req.status",
                    "t",
                    "nul",
                    "missing",
                    "a.b",
                    "o",
                    "req.h.k"
                ]
            )
            .unwrap(),
            vec![
                s("x\tyé"),
                s("1.50"),
                s("404"),
                s("true"),
                None,
                None,
                None,
                s(r#"{"p": 1}"#),
                s(r#"[1, {"z": 2}]"#)
            ]
        );
    }

    #[test]
    fn a_field_and_a_path_below_it() {
        let line = r#"{"r": {"s": 1}, "r": {"s": 2, "t": 3}}"#;
        assert_eq!(
            get(line, &["r.s", "r", "r.t"]).unwrap(),
            vec![s("2"), s(r#"{"s": 2, "t": 3}"#), s("3")]
        );
    }

    #[test]
    fn bad_lines() {
        for line in ["", "{", r#"{"a":1} x"#, r#"{"a":}"#, "nul"] {
            assert_eq!(
                get(line, &["a"]).unwrap_err().category,
                "invalid JSON",
                "{line:?}"
            );
        }
        for line in [
            "[1]",
            "3",
            "\"s\"",
            "null",
            "1.5",
            "-0",
            "1e3",
            "100000000000000000000",
        ] {
            assert_eq!(get(line, &["a"]).unwrap_err().category, "not a JSON object");
        }
    }

    #[test]
    fn unescape_decodes_escapes_and_keeps_other_bytes() {
        let mut out = Vec::new();
        unescape(b"a\\\"\\/\\n\\u00e9\\ud83d\\ude00\\ud800x\xff", &mut out);
        assert_eq!(
            out,
            "a\"/\né😀\u{FFFD}x"
                .bytes()
                .chain([0xff])
                .collect::<Vec<u8>>()
        );
    }
}
