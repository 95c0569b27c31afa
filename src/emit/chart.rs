//! `--output-format chart`: a horizontal bar chart for the terminal. Each row becomes a label
//! (its cells other than the first count, joined by two spaces) and a bar for its first count,
//! scaled so the largest count fills the width left beside the labels and numbers; the count is
//! printed after the bar. Bars are Unicode block characters in eighths of a cell, or `#` in
//! whole cells with [`ChartStyle::ascii`].

use std::io::{self, Write};

use super::{Emitter, Value};

/// How a chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartStyle {
    /// The line width to fill (the terminal's columns).
    pub width: usize,
    /// ASCII characters only.
    pub ascii: bool,
}

impl Default for ChartStyle {
    fn default() -> Self {
        ChartStyle {
            width: 80,
            ascii: false,
        }
    }
}

/// The narrowest bar area, whatever the labels' width.
const MIN_BAR: usize = 10;

/// Collects the rows, draws them at the end.
pub struct ChartEmitter<W: Write> {
    out: W,
    style: ChartStyle,
    rows: Vec<(String, u64)>,
}

impl<W: Write> ChartEmitter<W> {
    /// A chart written to `out`.
    pub fn new(out: W, style: ChartStyle) -> Self {
        ChartEmitter {
            out,
            style,
            rows: Vec::new(),
        }
    }
}

/// A cell as label text: lossy UTF-8, control characters shown as spaces.
fn label_text(b: &[u8]) -> String {
    String::from_utf8_lossy(b)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

impl<W: Write> Emitter for ChartEmitter<W> {
    fn header(&mut self, _: &[&str]) -> io::Result<()> {
        Ok(())
    }

    fn row(&mut self, cells: &[Value<'_>]) -> io::Result<()> {
        let mut value = None;
        let mut parts = Vec::new();
        for c in cells {
            match c {
                Value::Count(n) if value.is_none() => value = Some(*n),
                Value::Count(n) => parts.push(n.to_string()),
                Value::Bytes(b) | Value::Text(b) => parts.push(label_text(b)),
                Value::Number(n) => parts.push((*n).to_string()),
            }
        }
        self.rows.push((parts.join("  "), value.unwrap_or(0)));
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let label_w = self
            .rows
            .iter()
            .map(|r| r.0.chars().count())
            .max()
            .unwrap_or(0);
        let max = self.rows.iter().map(|r| r.1).max().unwrap_or(0);
        let num_w = max.to_string().len();
        let gap = if label_w > 0 { 2 } else { 0 };
        let bar_w = self
            .style
            .width
            .saturating_sub(label_w + gap + 1 + num_w)
            .max(MIN_BAR);
        let mut w = io::BufWriter::new(&mut self.out);
        for (label, n) in &self.rows {
            let pad = label_w - label.chars().count();
            write!(w, "{label}{:pad$}{:gap$}", "", "")?;
            let bar = draw(*n, max, bar_w, self.style.ascii);
            writeln!(w, "{bar} {n}")?;
        }
        w.flush()
    }
}

/// A bar of `n` out of `max` in `width` cells: full blocks, then one partial block in eighths.
fn draw(n: u64, max: u64, width: usize, ascii: bool) -> String {
    if max == 0 {
        return String::new();
    }
    let eighths = (u128::from(n) * width as u128 * 8 / u128::from(max)) as usize;
    if ascii {
        return "#".repeat(eighths / 8);
    }
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let mut s = "█".repeat(eighths / 8);
    if eighths % 8 > 0 {
        s.push(PARTS[eighths % 8]);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest() {
        let mut out = Vec::new();
        let mut e = ChartEmitter::new(
            &mut out,
            ChartStyle {
                width: 20,
                ascii: true,
            },
        );
        e.row(&[Value::Bytes(b"ab"), Value::Count(10)]).unwrap();
        e.row(&[Value::Bytes(b"c"), Value::Count(5)]).unwrap();
        e.row(&[Value::Bytes(b"d"), Value::Count(0)]).unwrap();
        e.finish().unwrap();
        // 20 - 2 (label) - 2 (gap) - 1 - 2 (digits) = 13 cells for 10.
        let want = "ab  ############# 10\nc   ###### 5\nd    0\n";
        assert_eq!(String::from_utf8(out).unwrap(), want);
        assert_eq!(draw(1, 8, 1, false), "▏");
        assert_eq!(draw(8, 8, 2, false), "██");
    }
}
