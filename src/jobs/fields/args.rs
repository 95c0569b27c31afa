//! Raw flags of the `fields` job: record formats, group-by fields, aggregations, filters and
//! the handling of bad records.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::jobs::args::{OutputArgs, RejectArgs};

/// Examples and notes after `logmill fields --help`.
pub const FIELDS_EXAMPLES: &str = "\
Aggregations print as columns in the order given (count if none is given); rows are ordered by
the group's record count, descending, then by key. Bad records are left out, counted on stderr
and listed by --rejects; --strict makes the first one an error (exit 2).

Examples:
  logmill fields --format combined --by status access.log
  logmill fields --format combined --by status --count --sum bytes --pct bytes:50,99 access.log
  logmill fields --format csv --by region --mean latency --where 'path~^/api/' data.csv
  logmill fields --format jsonl --by req.method --distinct user.id events.jsonl
  logmill fields --by 1 --sum 3 -d '\t' table.tsv";

/// An aggregation flag's value with its place on the command line, so aggregations of
/// different kinds print in the order they were given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered {
    /// Position among all aggregation flags parsed by this process (increasing).
    pub seq: usize,
    /// The value (a field, or empty for `--count`).
    pub value: String,
}

/// clap parses arguments left to right and calls value parsers as it goes; a process-wide
/// counter records that order.
fn ordered(s: &str) -> Result<Ordered, std::convert::Infallible> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    Ok(Ordered {
        seq: NEXT.fetch_add(1, Ordering::Relaxed),
        value: s.to_string(),
    })
}

/// Flags of `logmill fields`.
#[derive(Debug, Args)]
pub struct FieldsArgs {
    /// Records: ws, csv, jsonl, combined, common, syslog.
    ///
    /// `ws` splits on blanks like awk (or on -d CHAR like cut); `csv` reads RFC 4180 with a
    /// header; `jsonl` one JSON object a line; `combined`, `common` (access logs) and `syslog`
    /// are presets with named fields.
    #[arg(long, value_enum, default_value_t = RecordFormat::Ws, value_name = "FORMAT", hide_possible_values = true)]
    pub format: RecordFormat,

    /// Field delimiter: one byte (`,`, `|`, `\t` or `tab`).
    ///
    /// With ws, fields split on every
    /// occurrence, as cut does; with csv, the CSV delimiter.
    #[arg(short = 'd', long, value_name = "CHAR")]
    pub delimiter: Option<String>,

    /// CSV: the first record is data, not field names.
    ///
    /// Fields are then named by number.
    #[arg(long)]
    pub no_headers: bool,

    /// Group by these fields (numbers or names).
    ///
    /// Fields are 1-based numbers, or names: CSV header, JSON key path, preset field. Without --by, all records form one group. A name holding `,` or `.` (or an
    /// empty JSON key) is written in double quotes, as a JSON string: `'"a.b"'`, `'req."x,y"'`.
    #[arg(long, value_name = "FIELD,...")]
    pub by: Vec<String>,

    /// Number of records in the group (the default aggregation).
    #[arg(long, num_args = 0, default_missing_value = "", value_parser = ordered, action = clap::ArgAction::Append)]
    pub count: Vec<Ordered>,

    /// Exact decimal sum of FIELD.
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub sum: Vec<Ordered>,

    /// Smallest value of FIELD (numeric).
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub min: Vec<Ordered>,

    /// Largest value of FIELD (numeric).
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub max: Vec<Ordered>,

    /// Exact mean of FIELD, to 6 decimal places.
    ///
    /// Rounded half away from zero.
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub mean: Vec<Ordered>,

    /// Exact number of distinct values of FIELD.
    ///
    /// Memory grows with the number of distinct values.
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub distinct: Vec<Ordered>,

    /// Estimated number of distinct values of FIELD.
    ///
    /// HyperLogLog: at most 16 KiB a group, exact up to 1024 values, about 0.8% error beyond.
    #[arg(long, value_name = "FIELD", value_parser = ordered)]
    pub approx_distinct: Vec<Ordered>,

    /// Percentiles of FIELD, e.g. `latency:50,90,99`.
    ///
    /// Nearest rank, within 1% of the exact value, from a mergeable log-bucket sketch (see
    /// --exact-pct).
    #[arg(long, value_name = "FIELD:P,...", value_parser = ordered)]
    pub pct: Vec<Ordered>,

    /// Compute --pct exactly.
    ///
    /// Keeps every value in memory.
    #[arg(long)]
    pub exact_pct: bool,

    /// Keep only records where a condition holds.
    ///
    /// A condition is FIELD=VALUE (equals), FIELD~REGEX (matches), or their negations
    /// FIELD!=VALUE and FIELD!~REGEX. Repeat for several conditions (all must hold). A FIELD holding `=` or `~` is
    /// written in double quotes: `'"k=v"=1'`.
    #[arg(long = "where", value_name = "COND")]
    pub filters: Vec<String>,

    /// Where bad records go: `--rejects FILE`, `--strict`.
    #[command(flatten)]
    pub bad: RejectArgs,

    /// Output order and truncation.
    #[command(flatten)]
    pub output: OutputArgs,

    /// Input files; `-` or none reads stdin.
    #[arg(value_name = "FILE", help_heading = None::<&str>)]
    pub files: Vec<PathBuf>,
}

/// `--format` values: how records and fields are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RecordFormat {
    /// Whitespace-separated fields (or -d CHAR).
    Ws,
    /// RFC 4180 CSV.
    Csv,
    /// JSON lines.
    Jsonl,
    /// Apache/nginx combined access log.
    Combined,
    /// Apache common log format.
    Common,
    /// RFC 3164 style syslog.
    Syslog,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::jobs::JobCommand;
    use clap::Parser;

    #[test]
    fn aggregation_flags_keep_their_order() {
        let cli = Cli::try_parse_from([
            "logmill", "fields", "--sum", "a", "--count", "--mean", "b", "--sum", "c", "f.log",
        ])
        .unwrap();
        let Command::Job(JobCommand::Fields(a)) = cli.command else {
            panic!("not fields")
        };
        assert!(a.sum[0].seq < a.count[0].seq);
        assert!(a.count[0].seq < a.mean[0].seq);
        assert!(a.mean[0].seq < a.sum[1].seq);
        assert_eq!(a.count[0].value, "");
        assert_eq!(a.files, vec![PathBuf::from("f.log")]);
    }
}
