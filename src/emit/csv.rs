//! CSV (RFC 4180, with `\n` line ends): a header record of column names, then one record a row.
//! The csv crate quotes a cell only when it must (a comma, a quote, CR or LF in it) and doubles
//! quotes inside it. Cells are written as raw bytes through a reused `ByteRecord`, so keys that
//! are not UTF-8 come out exactly as they were read.

use std::io::{self, Write};

use super::{Emitter, Value};

/// Writes rows as CSV records. Buffers internally; `out` need not be buffered.
pub struct CsvEmitter<W: Write> {
    out: csv::Writer<W>,
    record: csv::ByteRecord,
    num: itoa::Buffer,
}

impl<W: Write> CsvEmitter<W> {
    /// An emitter writing CSV to `out`.
    pub fn new(out: W) -> Self {
        CsvEmitter {
            out: csv::WriterBuilder::new()
                .buffer_capacity(1 << 16)
                // Every record has the columns of the header; a mismatch is a bug, not data.
                .flexible(false)
                .from_writer(out),
            record: csv::ByteRecord::new(),
            num: itoa::Buffer::new(),
        }
    }
}

impl<W: Write> Emitter for CsvEmitter<W> {
    fn header(&mut self, columns: &[&str]) -> io::Result<()> {
        self.out.write_record(columns).map_err(into_io)
    }

    fn row(&mut self, cells: &[Value<'_>]) -> io::Result<()> {
        self.record.clear();
        for cell in cells {
            match cell {
                Value::Bytes(b) | Value::Text(b) => self.record.push_field(b),
                Value::Count(n) => self.record.push_field(self.num.format(*n).as_bytes()),
                Value::Number(n) => self.record.push_field(n.as_bytes()),
            }
        }
        self.out.write_byte_record(&self.record).map_err(into_io)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Gives back the I/O error inside a csv error unchanged, so a closed stdout is still seen as
/// a broken pipe by the binary.
fn into_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("CSV: {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(rows: &[(&[u8], u64)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = CsvEmitter::new(&mut out);
        e.header(&["word", "count"]).unwrap();
        for (k, n) in rows {
            e.row(&[Value::Bytes(k), Value::Count(*n)]).unwrap();
        }
        e.finish().unwrap();
        drop(e);
        out
    }

    #[test]
    fn quotes_only_what_needs_quoting() {
        let out = write(&[
            (b"plain", 1),
            (b"a,b", 2),
            (b"say \"hi\"", 3),
            (b"two\nlines", 4),
            (b"cr\r", 5),
            (b"", 6),
        ]);
        assert_eq!(
            out,
            b"word,count\nplain,1\n\"a,b\",2\n\"say \"\"hi\"\"\",3\n\"two\nlines\",4\n\"cr\r\",5\n,6\n"
        );
    }

    #[test]
    fn parses_back_to_the_same_bytes() {
        let rows: Vec<(&[u8], u64)> = vec![
            (b"caf\xe9", 1),
            (b"\xff,\"\n\t", 2),
            (b" lead and trail ", 3),
            (b"\"", u64::MAX),
        ];
        let out = write(&rows);
        let mut r = csv::ReaderBuilder::new().from_reader(&out[..]);
        assert_eq!(r.byte_headers().unwrap(), vec!["word", "count"]);
        let got: Vec<(Vec<u8>, u64)> = r
            .byte_records()
            .map(|rec| {
                let rec = rec.unwrap();
                let n = std::str::from_utf8(&rec[1]).unwrap().parse().unwrap();
                (rec[0].to_vec(), n)
            })
            .collect();
        let want: Vec<(Vec<u8>, u64)> = rows.iter().map(|(k, n)| (k.to_vec(), *n)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn header_only_when_there_are_no_rows() {
        assert_eq!(write(&[]), b"word,count\n");
    }
}
