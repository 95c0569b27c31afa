//! Tab-separated text: one row a line, cells joined by TAB, keys written as their raw bytes.

use std::io::{self, Write};

use super::{Emitter, Value};

/// Writes rows as `cell<TAB>cell...\n`.
pub struct TsvEmitter<W: Write> {
    out: W,
    num: itoa::Buffer,
}

impl<W: Write> TsvEmitter<W> {
    /// An emitter writing to `out` (buffer it: rows are written piecewise).
    pub fn new(out: W) -> Self {
        TsvEmitter {
            out,
            num: itoa::Buffer::new(),
        }
    }
}

impl<W: Write> Emitter for TsvEmitter<W> {
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
        let mut e = TsvEmitter::new(&mut out);
        e.row(&[Value::Bytes(b"caf\xe9"), Value::Count(42)])
            .unwrap();
        e.row(&[Value::Bytes(b""), Value::Count(0)]).unwrap();
        e.finish().unwrap();
        assert_eq!(out, b"caf\xe9\t42\n\t0\n");
    }
}
