//! The HTML report (`--output-format html`): one self-contained HTML5 page a person opens
//! from disk, a mail attachment or a static web server. Inline CSS and one small inline script
//! (sorting a column; the page is complete without it), no network, nothing external.
//!
//! Every byte shown may come from logs an attacker wrote, so every value from the data goes
//! through one escaping function for its context (HTML text, attribute value, the script's
//! JSON data), and a strict Content-Security-Policy allows only the report's own style and
//! script by hash (see [`page`]). Bytes that are not UTF-8 are shown as U+FFFD, with the
//! warning the JSON output gives.
//!
//! The page is written as rows arrive (no whole-result string): the head and the report's
//! facts at the first row, one `<tr>` a row, and at most [`Report::rows`] rows; the rest are
//! counted and the page says how many were left out. The bytes depend only on the result and
//! the [`Report`], never on the clock, so a cron job's reports diff cleanly.

pub mod chart;
pub mod page;

use std::borrow::Cow;
use std::io::{self, Write};

use html_escape::{encode_quoted_attribute_to_writer, encode_text_to_writer};

use super::{Emitter, Value};
use crate::aggregate::keyed::{Meta, RecordsRead};

/// Rows shown when `--top` is not given.
pub const DEFAULT_ROWS: usize = 1000;

/// Cells of more characters than this get their full text in a `title` tooltip as well (the
/// style sheet cuts them with an ellipsis).
const TOOLTIP_CHARS: usize = 48;

/// The most bytes of one cell a page shows (a 1 MB log line as a `lines` key would otherwise
/// make the page as large); a longer cell ends with `…` and says how many bytes were cut.
pub const MAX_CELL_BYTES: usize = 16 * 1024;

/// What the page says about the run besides its rows. Every field is optional except the
/// title, so other parts of the program can add to the report without changing the emitter's
/// callers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// The job and its arguments (the command line), as the page's title.
    pub title: String,
    /// The inputs in argument order: name (bytes, need not be UTF-8) and size when known.
    pub inputs: Vec<ReportInput>,
    /// `--rejects FILE`, named on the page (as text, never a link).
    pub rejects: Option<Vec<u8>>,
    /// The most rows shown (`--top`); [`DEFAULT_ROWS`] when None.
    pub rows: Option<usize>,
    /// When the report was made, only when the user gave one (`--now`, a state's run time):
    /// without it the page holds no time, so the same inputs give the same bytes.
    pub generated: Option<String>,
    /// The time range the inputs cover, when the job knows it.
    pub covered: Option<String>,
    /// A time series of the top keys, drawn above the table (jobs with a time axis).
    pub chart: Option<chart::Chart>,
    /// The records the result's runs read (summed over merged partials; unknown when a
    /// partial did not record it); None: the page does not say.
    pub records: Option<RecordsRead>,
    /// In a diff (`logmill diff`, `--diff`): the records the old result's runs read; the
    /// page then names both, old and new ([`Report::records`]).
    pub old_records: Option<RecordsRead>,
    /// The column whose value `new` or `gone` marks a row as a key that appeared or went
    /// away (`logmill diff`, `--diff`): the row gets that class and the cell a `<strong>` mark.
    pub change_column: Option<String>,
}

/// One input of a [`Report`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportInput {
    /// The name as given (`-` for stdin).
    pub name: Vec<u8>,
    /// Its size in bytes (None for stdin, a directory or an input that could not be read).
    pub size: Option<u64>,
}

/// Writes a result as an HTML report.
pub struct HtmlEmitter<W: Write> {
    out: W,
    report: Report,
    bad: Vec<(String, u64)>,
    rejected: (u64, Option<Box<[u8]>>),
    limit: usize,
    columns: Vec<String>,
    numeric: Vec<bool>,
    /// The index of [`Report::change_column`] among the columns.
    change: Option<usize>,
    started: bool,
    finished: bool,
    shown: u64,
    left_out: u64,
    replaced: u64,
    num: itoa::Buffer,
}

impl<W: Write> HtmlEmitter<W> {
    /// An emitter writing the report for `report` to `out` (buffer it: the page is written
    /// piecewise), with the job-wide facts of `meta` (bad records by reason, rejected values).
    pub fn new(out: W, report: Report, meta: &Meta) -> Self {
        HtmlEmitter {
            out,
            limit: report.rows.unwrap_or(DEFAULT_ROWS),
            report,
            bad: meta.bad.iter().map(|(k, v)| (k.clone(), *v)).collect(),
            rejected: (meta.rejected.count, meta.rejected.example.clone()),
            columns: Vec::new(),
            numeric: Vec::new(),
            change: None,
            started: false,
            finished: false,
            shown: 0,
            left_out: 0,
            replaced: 0,
            num: itoa::Buffer::new(),
        }
    }

    /// How many values so far were not valid UTF-8 and are shown with U+FFFD replacements.
    pub fn replaced_cells(&self) -> u64 {
        self.replaced
    }

    /// `bytes` as text: itself when UTF-8, else its lossy decoding (counted). NUL, which the
    /// HTML parser drops from text but turns into U+FFFD in attributes, is shown as U+FFFD in
    /// both, so the text and its tooltip agree.
    fn text<'b>(&mut self, bytes: &'b [u8]) -> Cow<'b, str> {
        let text = String::from_utf8_lossy(bytes);
        if matches!(text, Cow::Owned(_)) {
            self.replaced += 1;
        }
        if text.contains('\0') {
            Cow::Owned(text.replace('\0', "\u{fffd}"))
        } else {
            text
        }
    }

    /// Writes the page up to the table's first row: head, title, facts, column headers.
    fn start(&mut self, numeric: &[bool]) -> io::Result<()> {
        self.started = true;
        self.numeric = numeric.to_vec();
        let report = std::mem::take(&mut self.report);
        self.out.write_all(
            b"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
              <meta http-equiv=\"Content-Security-Policy\" content=\"",
        )?;
        encode_quoted_attribute_to_writer(page::csp(), &mut self.out)?;
        self.out.write_all(
            b"\">\n<meta name=\"referrer\" content=\"no-referrer\">\n\
              <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
              <meta name=\"generator\" content=\"logmill\">\n<title>",
        )?;
        let title = self.text(report.title.as_bytes()).into_owned();
        encode_text_to_writer(&title, &mut self.out)?;
        self.out.write_all(b"</title>\n<style>")?;
        self.out.write_all(page::STYLE.as_bytes())?;
        self.out.write_all(b"</style>\n</head>\n<body>\n<h1>")?;
        encode_text_to_writer(&title, &mut self.out)?;
        self.out.write_all(b"</h1>\n<dl class=\"facts\">\n")?;
        self.write_inputs(&report.inputs)?;
        if let Some(range) = &report.covered {
            self.fact("Covers", range)?;
        }
        if let Some(at) = &report.generated {
            self.fact("Made", at)?;
        }
        match (report.old_records, report.records) {
            (Some(old), new) => {
                self.records("Records read (old)", old)?;
                self.records("Records read (new)", new.unwrap_or(RecordsRead::unknown()))?;
            }
            (None, Some(n)) => self.records("Records read", n)?,
            (None, None) => {}
        }
        self.write_bad(report.rejects.as_deref())?;
        self.out.write_all(b"</dl>\n")?;
        if let Some(c) = &report.chart {
            self.replaced += chart::write_chart(&mut self.out, c)?;
        }
        self.report = report;
        self.out
            .write_all(b"<table id=\"logmill-table\">\n<thead><tr>")?;
        let columns = std::mem::take(&mut self.columns);
        self.change = self
            .report
            .change_column
            .as_ref()
            .and_then(|c| columns.iter().position(|n| n == c));
        for (i, name) in columns.iter().enumerate() {
            let class = if self.numeric.get(i) == Some(&true) {
                "n"
            } else {
                "k"
            };
            write!(self.out, "<th scope=\"col\" class=\"{class}\">")?;
            encode_text_to_writer(name, &mut self.out)?;
            self.out.write_all(b"</th>")?;
        }
        self.columns = columns;
        self.out.write_all(b"</tr></thead>\n<tbody>\n")
    }

    /// The records read, or a note that the partials merged do not say.
    fn records(&mut self, term: &str, n: RecordsRead) -> io::Result<()> {
        match n.get() {
            Some(n) => writeln!(
                self.out,
                "<dt>{term}</dt><dd><span class=\"n\">{n}</span></dd>"
            ),
            None => writeln!(
                self.out,
                "<dt>{term}</dt><dd>unknown (a partial or state written by an older logmill \
                 does not record it)</dd>"
            ),
        }
    }

    fn fact(&mut self, term: &str, text: &str) -> io::Result<()> {
        write!(self.out, "<dt>{term}</dt><dd>")?;
        encode_text_to_writer(text, &mut self.out)?;
        self.out.write_all(b"</dd>\n")
    }

    fn write_inputs(&mut self, inputs: &[ReportInput]) -> io::Result<()> {
        if inputs.is_empty() {
            return Ok(());
        }
        self.out
            .write_all(b"<dt>Inputs</dt><dd><ul class=\"inputs\">\n")?;
        for input in inputs {
            let name = self.text(&input.name).into_owned();
            self.out.write_all(b"<li><code>")?;
            encode_text_to_writer(&name, &mut self.out)?;
            self.out.write_all(b"</code>")?;
            if let Some(size) = input.size {
                write!(self.out, " <span class=\"n\">{}</span>", human_bytes(size))?;
            }
            self.out.write_all(b"</li>\n")?;
        }
        self.out.write_all(b"</ul></dd>\n")
    }

    fn write_bad(&mut self, rejects: Option<&[u8]>) -> io::Result<()> {
        let total: u64 = self.bad.iter().map(|b| b.1).sum();
        if total > 0 {
            writeln!(
                self.out,
                "<dt>Bad records</dt><dd>{total} left out<ul class=\"bad\">"
            )?;
            for (reason, n) in std::mem::take(&mut self.bad) {
                write!(self.out, "<li><span class=\"n\">{n}</span> ")?;
                encode_text_to_writer(&reason, &mut self.out)?;
                self.out.write_all(b"</li>\n")?;
            }
            self.out.write_all(b"</ul></dd>\n")?;
        }
        if self.rejected.0 > 0 {
            let n = self.rejected.0;
            write!(self.out, "<dt>Rejected</dt><dd>{n} value")?;
            self.out.write_all(if n == 1 { b"" } else { b"s" })?;
            self.out.write_all(b" left out (not a number")?;
            if let Some(e) = self.rejected.1.take() {
                let e = self.text(&e).into_owned();
                self.out.write_all(b", e.g. <code>")?;
                encode_text_to_writer(&e, &mut self.out)?;
                self.out.write_all(b"</code>")?;
            }
            self.out.write_all(b")</dd>\n")?;
        }
        if let Some(path) = rejects {
            let path = self.text(path).into_owned();
            self.out
                .write_all(b"<dt>Rejects</dt><dd>listed in <code>")?;
            encode_text_to_writer(&path, &mut self.out)?;
            self.out.write_all(b"</code></dd>\n")?;
        }
        Ok(())
    }

    /// One cell: its text (cut at [`MAX_CELL_BYTES`]), with a tooltip when long.
    fn cell(&mut self, numeric: bool, text: &str) -> io::Result<()> {
        let (shown, cut) = match text.len() > MAX_CELL_BYTES {
            true => {
                let mut end = MAX_CELL_BYTES;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                (&text[..end], text.len() - end)
            }
            false => (text, 0),
        };
        self.out.write_all(if numeric {
            b"<td class=\"n\""
        } else {
            b"<td class=\"k\""
        })?;
        if cut > 0 || shown.chars().nth(TOOLTIP_CHARS).is_some() {
            self.out.write_all(b" title=\"")?;
            encode_quoted_attribute_to_writer(shown, &mut self.out)?;
            self.out.write_all(b"\"")?;
        }
        self.out.write_all(b">")?;
        encode_text_to_writer(shown, &mut self.out)?;
        if cut > 0 {
            write!(self.out, "\u{2026} <i>({cut} more bytes)</i>")?;
        }
        self.out.write_all(b"</td>")
    }
}

impl<W: Write> Emitter for HtmlEmitter<W> {
    fn header(&mut self, columns: &[&str]) -> io::Result<()> {
        self.columns = columns.iter().map(|c| c.to_string()).collect();
        Ok(())
    }

    fn row(&mut self, cells: &[Value<'_>]) -> io::Result<()> {
        if !self.started {
            // A column is numeric when the first row's cell is: counts and exact numbers.
            let numeric: Vec<bool> = cells
                .iter()
                .map(|c| matches!(c, Value::Count(_) | Value::Number(_)))
                .collect();
            self.start(&numeric)?;
        }
        if self.shown >= self.limit as u64 {
            self.left_out += 1;
            return Ok(());
        }
        self.shown += 1;
        // `new` and `gone` rows of a diff: a class for the style and a mark in the text.
        let mark = self.change.and_then(|i| match cells.get(i) {
            Some(Value::Bytes(b"new")) => Some((i, "new")),
            Some(Value::Bytes(b"gone")) => Some((i, "gone")),
            _ => None,
        });
        match mark {
            Some((_, class)) => write!(self.out, "<tr class=\"{class}\">")?,
            None => self.out.write_all(b"<tr>")?,
        }
        for (i, cell) in cells.iter().enumerate() {
            let numeric = self.numeric.get(i).copied().unwrap_or(false);
            if let Some((_, word)) = mark.filter(|m| m.0 == i) {
                write!(self.out, "<td class=\"k\"><strong>{word}</strong></td>")?;
                continue;
            }
            match *cell {
                Value::Count(n) => {
                    let mut num = std::mem::take(&mut self.num);
                    self.cell(numeric, num.format(n))?;
                    self.num = num;
                }
                Value::Number(s) => self.cell(numeric, s)?,
                Value::Bytes(b) | Value::Text(b) => {
                    let text = self.text(b).into_owned();
                    self.cell(numeric, &text)?;
                }
            }
        }
        self.out.write_all(b"</tr>\n")
    }

    fn finish(&mut self) -> io::Result<()> {
        if self.finished {
            return self.out.flush();
        }
        self.finished = true;
        if !self.started {
            let numeric = vec![false; self.columns.len()];
            self.start(&numeric)?;
        }
        self.out
            .write_all(b"</tbody>\n</table>\n<p class=\"note\">")?;
        let s = |n: u64| if n == 1 { "" } else { "s" };
        match (self.shown, self.left_out) {
            (0, 0) => self.out.write_all(b"No rows.")?,
            (0, m) => write!(
                self.out,
                "No rows shown; {m} row{} left out (--top 0).",
                s(m)
            )?,
            (n, 0) => write!(self.out, "{n} row{}.", s(n))?,
            (n, m) => write!(
                self.out,
                "The first {n} row{} of {}; {m} row{} left out (--top {}).",
                s(n),
                n + m,
                s(m),
                self.limit
            )?,
        }
        self.out.write_all(b"</p>\n")?;
        let columns: Vec<serde_json::Value> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, name)| {
                serde_json::json!({
                    "name": name,
                    "numeric": self.numeric.get(i).copied().unwrap_or(false),
                })
            })
            .collect();
        let data = serde_json::json!({ "columns": columns });
        self.out
            .write_all(b"<script type=\"application/json\" id=\"logmill-columns\">")?;
        self.out.write_all(page::script_json(&data).as_bytes())?;
        self.out.write_all(b"</script>\n<script>")?;
        self.out.write_all(page::SCRIPT.as_bytes())?;
        self.out.write_all(b"</script>\n</body>\n</html>\n")?;
        self.out.flush()?;
        super::warn_replaced(std::mem::take(&mut self.replaced), "HTML report");
        Ok(())
    }
}

/// A size in bytes, exact, with a rounded binary unit beside it past 1 KiB.
fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = n as f64;
    let mut unit = None;
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = Some(u);
    }
    match unit {
        None => format!("{n} bytes"),
        Some(u) => format!("{n} bytes ({value:.1} {u})"),
    }
}

#[cfg(test)]
mod tests;
