//! JSON output, through serde: `json` is one array of objects, one object a line between the
//! brackets; `jsonl` is one object a line (JSON Lines). Objects are keyed by the job's column
//! names in column order; counts are JSON numbers (exact: serde_json reads them back as `u64`).
//!
//! Keys are bytes and need not be UTF-8, but a JSON string holds Unicode text. The policy:
//! a cell that is valid UTF-8 becomes that string, escaped as JSON requires; a cell that is not
//! becomes its lossy decoding, each invalid byte sequence replaced by U+FFFD (as
//! `String::from_utf8_lossy` does), and when the output is complete one warning line on stderr
//! says how many cells were replaced and that TSV and CSV keep the exact bytes. The output is
//! always valid JSON; it is never silently different from the input.

use std::cell::Cell;
use std::io::{self, Write};
use std::str::FromStr;

use serde::ser::{Serialize, SerializeMap, Serializer};

use super::{Emitter, Value};

/// Writes rows as JSON objects, in an array (`json`) or one a line (`jsonl`).
pub struct JsonEmitter<W: Write> {
    out: W,
    lines: bool,
    columns: Vec<String>,
    rows: u64,
    replaced: Cell<u64>,
    finished: bool,
}

impl<W: Write> JsonEmitter<W> {
    /// An emitter writing to `out` (buffer it: rows are written piecewise): JSON Lines when
    /// `lines`, otherwise a single array.
    pub fn new(out: W, lines: bool) -> Self {
        JsonEmitter {
            out,
            lines,
            columns: Vec::new(),
            rows: 0,
            replaced: Cell::new(0),
            finished: false,
        }
    }

    /// How many cells so far were not valid UTF-8 and were written with U+FFFD replacements.
    pub fn replaced_cells(&self) -> u64 {
        self.replaced.get()
    }
}

impl<W: Write> Emitter for JsonEmitter<W> {
    fn header(&mut self, columns: &[&str]) -> io::Result<()> {
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        Ok(())
    }

    fn row(&mut self, cells: &[Value<'_>]) -> io::Result<()> {
        if !self.lines {
            self.out
                .write_all(if self.rows == 0 { b"[\n" } else { b",\n" })?;
        }
        let row = Row {
            columns: &self.columns,
            cells,
            replaced: &self.replaced,
        };
        serde_json::to_writer(&mut self.out, &row)?;
        if self.lines {
            self.out.write_all(b"\n")?;
        }
        self.rows += 1;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        if !self.finished {
            self.finished = true;
            if !self.lines {
                self.out
                    .write_all(if self.rows == 0 { b"[]\n" } else { b"\n]\n" })?;
            }
        }
        self.out.flush()?;
        super::warn_replaced(self.replaced.replace(0), "JSON output");
        Ok(())
    }
}

/// One row as a JSON object: column name → cell.
struct Row<'a> {
    columns: &'a [String],
    cells: &'a [Value<'a>],
    replaced: &'a Cell<u64>,
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.cells.len()))?;
        for (i, cell) in self.cells.iter().enumerate() {
            match self.columns.get(i) {
                Some(name) => map.serialize_key(name)?,
                // More cells than columns is a caller's bug; name the extra ones by position
                // rather than write invalid JSON.
                None => map.serialize_key(&i.to_string())?,
            }
            match *cell {
                Value::Count(n) => map.serialize_value(&n)?,
                // An exact decimal as a JSON number, digits as they are (no float rounding).
                Value::Number(n) => match serde_json::Number::from_str(n) {
                    Ok(num) => map.serialize_value(&num)?,
                    Err(_) => map.serialize_value(n)?,
                },
                Value::Bytes(b) | Value::Text(b) => match std::str::from_utf8(b) {
                    Ok(text) => map.serialize_value(text)?,
                    Err(_) => {
                        self.replaced.set(self.replaced.get() + 1);
                        map.serialize_value(&String::from_utf8_lossy(b))?
                    }
                },
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(lines: bool, rows: &[(&[u8], u64)]) -> (Vec<u8>, u64) {
        let mut out = Vec::new();
        let mut e = JsonEmitter::new(&mut out, lines);
        e.header(&["word", "count"]).unwrap();
        for (k, n) in rows {
            e.row(&[Value::Bytes(k), Value::Count(*n)]).unwrap();
        }
        let replaced = e.replaced_cells();
        e.finish().unwrap();
        drop(e);
        (out, replaced)
    }

    #[test]
    fn array_of_objects() {
        let (out, _) = write(false, &[(b"a", 2), (b"b\"\\\n\t", 1)]);
        assert_eq!(
            out,
            b"[\n{\"word\":\"a\",\"count\":2},\n{\"word\":\"b\\\"\\\\\\n\\t\",\"count\":1}\n]\n"
        );
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v[1]["word"], "b\"\\\n\t");
        assert_eq!(v[1]["count"], 1);
    }

    #[test]
    fn empty_array_and_empty_lines() {
        assert_eq!(write(false, &[]).0, b"[]\n");
        assert_eq!(write(true, &[]).0, b"");
    }

    #[test]
    fn lines_hold_one_object_each_with_exact_numbers() {
        let (out, _) = write(true, &[(b"x", u64::MAX), (b"caf\xc3\xa9", 0)]);
        let objs: Vec<serde_json::Value> = out
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| serde_json::from_slice(l).unwrap())
            .collect();
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0]["count"].as_u64(), Some(u64::MAX));
        assert_eq!(objs[1]["word"], "café");
    }

    #[test]
    fn invalid_utf8_is_replaced_and_counted() {
        let (out, replaced) = write(true, &[(b"caf\xe9", 1), (b"ok", 1), (b"\xff\xfe", 1)]);
        assert_eq!(replaced, 2);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("\"caf\u{fffd}\""), "{text}");
        assert!(text.contains("\"\u{fffd}\u{fffd}\""), "{text}");
    }

    #[test]
    fn finish_twice_closes_once() {
        let mut out = Vec::new();
        let mut e = JsonEmitter::new(&mut out, false);
        e.header(&["k"]).unwrap();
        e.row(&[Value::Count(1)]).unwrap();
        e.finish().unwrap();
        e.finish().unwrap();
        drop(e);
        assert_eq!(out, b"[\n{\"k\":1}\n]\n");
    }
}
