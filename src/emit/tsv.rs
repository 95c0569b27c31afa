//! Tab-separated text: one row a line, cells joined by TAB, keys written as their raw bytes.

use std::io::{self, Write};

use super::{Emitter, Value};

/// Writes rows as `cell<TAB>cell...\n`.
pub struct TsvEmitter<W: Write> {
    out: W,
    num: itoa::Buffer,
    print_header: bool,
}

impl<W: Write> TsvEmitter<W> {
    /// An emitter writing to `out` (buffer it: rows are written piecewise), with a header
    /// line of column names when `print_header` is set.
    pub fn new(out: W, print_header: bool) -> Self {
        TsvEmitter {
            out,
            num: itoa::Buffer::new(),
            print_header,
        }
    }
}

impl<W: Write> Emitter for TsvEmitter<W> {
    fn header(&mut self, columns: &[&str]) -> io::Result<()> {
        if self.print_header {
            self.out.write_all(columns.join("\t").as_bytes())?;
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }

    fn row(&mut self, cells: &[Value<'_>]) -> io::Result<()> {
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                self.out.write_all(b"\t")?;
            }
            match cell {
                Value::Bytes(b) => self.out.write_all(b)?,
                Value::Count(n) => self.out.write_all(self.num.format(*n).as_bytes())?,
                Value::Text(b) => write_escaped(&mut self.out, b)?,
                Value::Number(s) => self.out.write_all(s.as_bytes())?,
            }
        }
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes `text` with `\\`, TAB, LF and CR escaped, so a cell never breaks a row or a column
/// and the escaping can be undone unambiguously.
fn write_escaped<W: Write>(out: &mut W, text: &[u8]) -> io::Result<()> {
    let mut rest = text;
    while let Some(i) = rest
        .iter()
        .position(|&b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
    {
        out.write_all(&rest[..i])?;
        out.write_all(match rest[i] {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            _ => b"\\r",
        })?;
        rest = &rest[i + 1..];
    }
    out.write_all(rest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_tab_separated_lines() {
        let mut out = Vec::new();
        let mut e = TsvEmitter::new(&mut out, true);
        e.header(&["word", "count"]).unwrap();
        e.row(&[Value::Bytes(b"caf\xe9"), Value::Count(42)])
            .unwrap();
        e.row(&[Value::Bytes(b""), Value::Count(0)]).unwrap();
        e.finish().unwrap();
        assert_eq!(out, b"word\tcount\ncaf\xe9\t42\n\t0\n");
    }

    #[test]
    fn text_cells_are_escaped() {
        let mut out = Vec::new();
        let mut e = TsvEmitter::new(&mut out, false);
        e.row(&[
            Value::Text(b"a\tb\\n\nc\r\xff"),
            Value::Number("-1.5"),
            Value::Bytes(b"raw\\"),
        ])
        .unwrap();
        e.finish().unwrap();
        assert_eq!(out, b"a\\tb\\\\n\\nc\\r\xff\t-1.5\traw\\\n");
    }
}
