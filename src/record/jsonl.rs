//! JSON lines: one JSON object a line, read with serde_json. Only the keys on the way to a
//! needed field are looked at; everything else is skipped without being built (serde's
//! `IgnoredAny`), so a line costs one validating pass and no allocation for the parts not
//! needed.
//!
//! A field is a key or a dotted path of keys (`req.status`). Its value is: a string's content
//! (unescaped), a number's text as written (`1.50`), `true`/`false`, or the JSON text of an
//! object or array. A missing key, a path through a non-object, and `null` are nulls. When a
//! key repeats, the last one wins (as in serde_json's `Value`). A line that is not valid JSON,
//! or not an object, is bad; a blank line is not a record.

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
    pub fn parse(&self, line: &[u8], spans: &mut [Span], scratch: &mut Vec<u8>) -> Result<(), Bad> {
        let mut de = serde_json::Deserializer::from_slice(line);
        let mut out = Out { spans, scratch };
        let is_object = ObjectSeed {
            node: &self.root,
            out: &mut out,
        }
        .deserialize(&mut de)
        .map_err(|e| Bad {
            category: "invalid JSON".into(),
            detail: format!("invalid JSON: {e}"),
        })?;
        de.end().map_err(|e| Bad {
            category: "invalid JSON".into(),
            detail: format!("invalid JSON: {e}"),
        })?;
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
    let bytes = text.as_bytes();
    let start = out.scratch.len();
    if bytes.first() == Some(&b'"') {
        if memchr::memchr(b'\\', bytes).is_none() {
            out.scratch.extend_from_slice(&bytes[1..bytes.len() - 1]);
        } else {
            let s: String = serde_json::from_str(text)?;
            out.scratch.extend_from_slice(s.as_bytes());
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
    if !node.children.is_empty() && bytes.first() == Some(&b'{') {
        let mut de = serde_json::Deserializer::from_str(text);
        ObjectSeed { node, out }.deserialize(&mut de)?;
    }
    Ok(())
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
        while let Some(child) = map.next_key_seed(KeySeed { node: self.node })? {
            match child {
                Some(i) => map.next_value_seed(ValueSeed {
                    node: &self.node.children[i].1,
                    out: self.out,
                })?,
                None => {
                    map.next_value::<IgnoredAny>()?;
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

/// Reads a key and says which child of the node it names, if any, without allocating when
/// the key has no escapes.
struct KeySeed<'n> {
    node: &'n Node,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.node.children.iter().position(|(k, _)| k == key))
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
        for line in ["[1]", "3", "\"s\"", "null"] {
            assert_eq!(get(line, &["a"]).unwrap_err().category, "not a JSON object");
        }
    }
}
