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
            }
        }
        self.out.write_all(b"\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
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
}
