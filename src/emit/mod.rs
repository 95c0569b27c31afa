//! Emit: write the final rows, in the deterministic order of [`crate::order`] (count
//! descending, then key ascending by bytes, or key alone), so the output is byte-identical
//! whatever the thread count, chunk size or hash seed. One file per output format
//! behind the [`Emitter`] trait; [`emitter`] picks one from an [`OutputFormat`].

pub mod capture;
pub mod chart;
pub mod csv;
pub mod extra;
pub mod html;
pub mod json;
pub mod tsv;
pub mod watch;

use std::io::{self, Write};
use std::sync::Arc;

use crate::aggregate::keyed::Meta;
use crate::diag;

// The order lives in `order.rs`; these keep `emit::SortOrder` and `emit::order_rows` working.
use crate::order::OrderOptions;
pub use crate::order::{order_rows, SortOrder};

pub use self::csv::CsvEmitter;
pub use html::{HtmlEmitter, Report, ReportInput};
pub use json::JsonEmitter;
pub use tsv::TsvEmitter;

/// Ordering, truncation and format of the final rows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmitOptions {
    /// The order of the rows.
    pub sort: SortOrder,
    /// Keep only the first N rows in that order.
    pub top: Option<usize>,
    /// `--top-per N`: the first N rows in count order within each value of the first key
    /// column (see [`crate::order`]).
    pub top_per: Option<usize>,
    /// The output format.
    pub format: OutputFormat,
    /// Print a header line of column names in TSV (CSV always has one).
    pub header: bool,
    /// What an HTML report says besides its rows (title, inputs, ...); other formats
    /// ignore it. None gives a report with a plain title.
    pub report: Option<Arc<Report>>,
    /// Columns a wrapper job adds after the job's own (see [`extra`]).
    pub extra: Vec<String>,
}

/// The output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// `cell<TAB>cell` lines, cells as raw bytes (see [`TsvEmitter`]).
    #[default]
    Tsv,
    /// RFC 4180 CSV with a header record, cells as raw bytes, quoted when needed.
    Csv,
    /// One JSON array of objects keyed by column name (see [`JsonEmitter`]).
    Json,
    /// One JSON object a line (JSON Lines).
    Jsonl,
    /// A horizontal bar chart (see [`chart`]).
    Chart(chart::ChartStyle),
    /// Cells recorded for the caller to write again (see [`capture`]); never user-facing.
    Capture,
    /// A self-contained HTML report (see [`HtmlEmitter`]).
    Html,
}

/// An emitter for `format` writing to `out`. Each format does its own buffering, so `out` can
/// be unbuffered (stdout, a file). `header` asks TSV for a header line; CSV always writes one
/// and JSON uses the column names as object keys. Inside [`watch::watching`], the rows
/// are also checked against its conditions.
pub fn emitter<'a, W: Write + 'a>(
    format: OutputFormat,
    header: bool,
    out: W,
) -> Box<dyn Emitter + 'a> {
    const BUF: usize = 1 << 16;
    let e: Box<dyn Emitter + 'a> = match format {
        OutputFormat::Tsv => Box::new(TsvEmitter::new(
            io::BufWriter::with_capacity(BUF, out),
            header,
        )),
        OutputFormat::Csv => Box::new(CsvEmitter::new(out)),
        OutputFormat::Json => Box::new(JsonEmitter::new(
            io::BufWriter::with_capacity(BUF, out),
            false,
        )),
        OutputFormat::Jsonl => Box::new(JsonEmitter::new(
            io::BufWriter::with_capacity(BUF, out),
            true,
        )),
        OutputFormat::Chart(style) => Box::new(chart::ChartEmitter::new(out, style)),
        OutputFormat::Capture => Box::new(capture::CaptureEmitter::new(out)),
        OutputFormat::Html => Box::new(HtmlEmitter::new(
            io::BufWriter::with_capacity(BUF, out),
            Report::default(),
            &Meta::default(),
        )),
    };
    // Checked against `--fail-if` when the pipeline watches this emit.
    watch::wrap(e)
}

/// The emitter of `emit` writing to `out`, with the job-wide facts of `meta` (bad records by
/// reason, rejected values), which the HTML report shows; other formats leave them to the
/// job's warnings on stderr.
pub fn emitter_for<'a, W: Write + 'a>(
    emit: &EmitOptions,
    meta: &Meta,
    out: W,
) -> Box<dyn Emitter + 'a> {
    let e = match emit.format {
        OutputFormat::Html => watch::wrap(Box::new(HtmlEmitter::new(
            io::BufWriter::with_capacity(1 << 16, out),
            emit.report.as_deref().cloned().unwrap_or_default(),
            meta,
        ))),
        format => emitter(format, emit.header, out),
    };
    match emit.format {
        OutputFormat::Chart(_) => e,
        _ if emit.extra.is_empty() => e,
        _ => Box::new(extra::Extra {
            inner: e,
            names: emit.extra.clone(),
        }),
    }
}

/// The one warning for output that shows bytes that are not UTF-8 as U+FFFD (`what`: "JSON
/// output", "HTML report"), once the output is complete; nothing when `n` is 0.
pub(crate) fn warn_replaced(n: u64, what: &str) {
    if n > 0 {
        diag::warning(format_args!(
            "{n} value{} not valid UTF-8; the {what} shows each invalid byte sequence \
             as U+FFFD (use --output-format tsv or csv for the exact bytes)",
            if n == 1 { " was" } else { "s were" }
        ));
    }
}

/// One output cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// Raw bytes, written as they are (keys need not be UTF-8).
    Bytes(&'a [u8]),
    /// An unsigned integer.
    Count(u64),
    /// Text that may hold any byte, TAB and newline included (captured text, file names).
    /// Each format keeps it parseable its own way: TSV escapes `\\`, TAB, LF and CR as `\\`,
    /// `\t`, `\n`, `\r` (as PostgreSQL's text format does); CSV and JSON quote.
    Text(&'a [u8]),
    /// A number already formatted exactly (an exact decimal sum), written as it is.
    Number(&'a str),
}

/// Writes rows in one output format.
pub trait Emitter {
    /// Announces the column names, once, before any row. A format decides whether to print
    /// them (TSV only when asked; CSV always; JSON uses them as object keys).
    fn header(&mut self, columns: &[&str]) -> io::Result<()>;
    /// Writes one row of cells, as many as there are columns.
    fn row(&mut self, cells: &[Value<'_>]) -> io::Result<()>;
    /// Ends the output (closing what the format opened, e.g. JSON's array) and flushes it.
    /// Called once, after the last row.
    fn finish(&mut self) -> io::Result<()>;
}

impl From<EmitOptions> for OrderOptions {
    fn from(o: EmitOptions) -> OrderOptions {
        OrderOptions::from(&o)
    }
}

impl From<&EmitOptions> for OrderOptions {
    fn from(o: &EmitOptions) -> OrderOptions {
        OrderOptions {
            sort: o.sort,
            top: o.top,
            top_per: o.top_per,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<(&'static [u8], u64)> {
        vec![(b"b", 2), (b"a", 2), (b"c", 5), (b"\xff", 1), (b"", 2)]
    }

    #[test]
    fn count_order_breaks_ties_by_key_bytes() {
        let got = order_rows(rows(), |c| *c, EmitOptions::default());
        let keys: Vec<&[u8]> = got.iter().map(|r| r.0).collect();
        assert_eq!(keys, vec![&b"c"[..], b"", b"a", b"b", b"\xff"]);
    }

    #[test]
    fn key_order_and_top() {
        let opts = EmitOptions {
            sort: SortOrder::Key,
            top: Some(2),
            ..Default::default()
        };
        let got = order_rows(rows(), |c| *c, opts);
        assert_eq!(got, vec![(&b""[..], 2), (&b"a"[..], 2)]);
    }

    #[test]
    fn top_matches_sorting_everything_then_cutting() {
        for n in 0..7 {
            let all = order_rows(rows(), |c| *c, EmitOptions::default());
            let top = order_rows(
                rows(),
                |c| *c,
                EmitOptions {
                    top: Some(n),
                    ..Default::default()
                },
            );
            assert_eq!(top, all[..n.min(all.len())].to_vec());
        }
    }
}
