//! Captured rows: an internal output format that records a job's header and rows as cells, so
//! a caller can write them again with more columns (`--per` puts the bucket's `time` in front
//! of every row a job writes for that bucket). [`CaptureEmitter`] encodes, [`decode`] reads
//! back; the encoding never leaves the process.

use std::io::{self, Write};

use super::{Emitter, Value};

/// A cell as captured: [`Value`] with its bytes owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// [`Value::Bytes`].
    Bytes(Vec<u8>),
    /// [`Value::Count`].
    Count(u64),
    /// [`Value::Text`].
    Text(Vec<u8>),
    /// [`Value::Number`].
    Number(String),
}

impl Cell {
    /// The cell as a value to write.
    pub fn value(&self) -> Value<'_> {
        match self {
            Cell::Bytes(b) => Value::Bytes(b),
            Cell::Count(c) => Value::Count(*c),
            Cell::Text(t) => Value::Text(t),
            Cell::Number(n) => Value::Number(n),
        }
    }
}

/// What a job wrote: its column names (if it announced them) and its rows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Captured {
    /// The column names.
    pub header: Option<Vec<String>>,
    /// The rows, in the order written.
    pub rows: Vec<Vec<Cell>>,
}

/// Encodes header and rows into `out` for [`decode`]: a record is a kind byte (`H`, `R`), a
/// cell count, and cells of a tag byte, a length and the bytes (lengths as 8 bytes LE).
pub struct CaptureEmitter<W: Write> {
    out: W,
}

impl<W: Write> CaptureEmitter<W> {
    /// A capture into `out`.
    pub fn new(out: W) -> Self {
        CaptureEmitter { out }
    }

    fn cell(&mut self, tag: u8, b: &[u8]) -> io::Result<()> {
        self.out.write_all(&[tag])?;
        self.out.write_all(&(b.len() as u64).to_le_bytes())?;
        self.out.write_all(b)
    }

    fn record(&mut self, kind: u8, cells: usize) -> io::Result<()> {
        self.out.write_all(&[kind])?;
        self.out.write_all(&(cells as u64).to_le_bytes())
    }
}

impl<W: Write> Emitter for CaptureEmitter<W> {
    fn header(&mut self, columns: &[&str]) -> io::Result<()> {
        self.record(b'H', columns.len())?;
        for c in columns {
            self.cell(b's', c.as_bytes())?;
        }
        Ok(())
    }

    fn row(&mut self, cells: &[Value<'_>]) -> io::Result<()> {
        self.record(b'R', cells.len())?;
        for c in cells {
            match c {
                Value::Bytes(b) => self.cell(b'b', b)?,
                Value::Count(n) => self.cell(b'c', &n.to_le_bytes())?,
                Value::Text(t) => self.cell(b't', t)?,
                Value::Number(n) => self.cell(b'n', n.as_bytes())?,
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn take<'a>(data: &mut &'a [u8], n: usize) -> &'a [u8] {
    let (a, b) = data.split_at(n.min(data.len()));
    *data = b;
    a
}

fn length(data: &mut &[u8]) -> usize {
    let mut b = [0u8; 8];
    let got = take(data, 8);
    b[..got.len()].copy_from_slice(got);
    u64::from_le_bytes(b) as usize
}

/// Reads back what a [`CaptureEmitter`] wrote.
pub fn decode(mut data: &[u8]) -> Captured {
    let mut c = Captured::default();
    while !data.is_empty() {
        let kind = take(&mut data, 1)[0];
        let n = length(&mut data);
        let mut cells = Vec::with_capacity(n);
        for _ in 0..n {
            let tag = take(&mut data, 1).first().copied().unwrap_or(b'b');
            let len = length(&mut data);
            cells.push((tag, take(&mut data, len).to_vec()));
        }
        if kind == b'H' {
            c.header = Some(
                cells
                    .into_iter()
                    .map(|(_, b)| String::from_utf8_lossy(&b).into_owned())
                    .collect(),
            );
            continue;
        }
        c.rows.push(
            cells
                .into_iter()
                .map(|(tag, b)| match tag {
                    b'c' => {
                        let mut a = [0u8; 8];
                        a[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
                        Cell::Count(u64::from_le_bytes(a))
                    }
                    b't' => Cell::Text(b),
                    b'n' => Cell::Number(String::from_utf8_lossy(&b).into_owned()),
                    _ => Cell::Bytes(b),
                })
                .collect(),
        );
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut buf = Vec::new();
        let mut e = CaptureEmitter::new(&mut buf);
        e.header(&["key", "count"]).unwrap();
        e.row(&[Value::Bytes(b"a\tb"), Value::Count(7)]).unwrap();
        e.row(&[Value::Text(b""), Value::Number("1.5")]).unwrap();
        e.finish().unwrap();
        let c = decode(&buf);
        assert_eq!(c.header.unwrap(), ["key", "count"]);
        assert_eq!(
            c.rows,
            vec![
                vec![Cell::Bytes(b"a\tb".to_vec()), Cell::Count(7)],
                vec![Cell::Text(vec![]), Cell::Number("1.5".into())]
            ]
        );
    }
}
