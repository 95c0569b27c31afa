//! The parameters of `fields` (what a partial's header names) and the job built from them:
//! the record format, the slots of the fields it reads, the group-by, the aggregations and
//! the `--where` filters.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::agg::{AggKind, AggSpec};
use super::args::FieldsArgs;
use super::record::{self, Format, Locator};
use crate::error::{Error, Result};

/// A `--where` filter.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The field's slot.
    pub slot: usize,
    /// The test.
    pub test: FilterTest,
    /// `!=` or `!~`: keep records that fail the test.
    pub negate: bool,
}

/// What a `--where` filter checks of a field's value (a null reads as empty).
#[derive(Debug, Clone)]
pub enum FilterTest {
    /// `FIELD=VALUE`: equal bytes.
    Equals(Vec<u8>),
    /// `FIELD~REGEX`: the regex matches somewhere in the value.
    Matches(regex::bytes::Regex),
}

impl Filter {
    #[inline]
    pub(super) fn keeps(&self, v: &[u8]) -> bool {
        let hit = match &self.test {
            FilterTest::Equals(x) => v == x.as_slice(),
            FilterTest::Matches(re) => re.is_match(v),
        };
        hit != self.negate
    }
}

/// What defines a fields job, as given on the command line (and as a partial file's header
/// would name it): plain strings, validated by [`Fields::from_params`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldsParams {
    /// `--format`: ws, csv, jsonl, combined, common or syslog.
    pub format: String,
    /// `-d`.
    pub delimiter: Option<String>,
    /// `--no-headers`.
    pub no_headers: bool,
    /// `--by`, split at commas.
    pub by: Vec<String>,
    /// The aggregations in command-line order: `(kind, value)`, kind as the flag's name
    /// without dashes (`approx-distinct`), value as given (`bytes`, `latency:50,99`).
    pub aggs: Vec<(String, String)>,
    /// `--exact-pct`.
    pub exact_pct: bool,
    /// `--where`.
    pub filters: Vec<String>,
    // Not `--rejects`: where bad records go does not change the result, so partials made
    // with different rejects files merge (older headers still name it; serde skips it).
    /// `--strict`.
    pub strict: bool,
    /// `--records`/`--record-start`: parse each record's first line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<crate::chunk::RecordSpec>,
}

impl FieldsParams {
    /// The parameters of the flags of `logmill fields`, aggregations in command-line order.
    pub fn from_args(a: &FieldsArgs) -> Result<FieldsParams> {
        use super::args::RecordFormat;
        let format = match a.format {
            RecordFormat::Ws => "ws",
            RecordFormat::Csv => "csv",
            RecordFormat::Jsonl => "jsonl",
            RecordFormat::Combined => "combined",
            RecordFormat::Common => "common",
            RecordFormat::Syslog => "syslog",
        };
        let mut aggs: Vec<(usize, String, String)> = Vec::new();
        for (values, kind) in [
            (&a.count, "count"),
            (&a.sum, "sum"),
            (&a.min, "min"),
            (&a.max, "max"),
            (&a.mean, "mean"),
            (&a.distinct, "distinct"),
            (&a.approx_distinct, "approx-distinct"),
            (&a.pct, "pct"),
        ] {
            for v in values {
                aggs.push((v.seq, kind.to_string(), v.value.clone()));
            }
        }
        aggs.sort_by_key(|x| x.0);
        Ok(FieldsParams {
            format: format.to_string(),
            delimiter: a.delimiter.clone(),
            no_headers: a.no_headers,
            by: split_by(&a.by)?,
            aggs: aggs.into_iter().map(|(_, k, v)| (k, v)).collect(),
            exact_pct: a.exact_pct,
            filters: a.filters.clone(),
            strict: a.bad.strict,
            records: a.records.spec(),
        })
    }
}

/// The `fields` job, validated.
#[derive(Debug, Clone)]
pub struct Fields {
    /// What it was built from.
    pub params: FieldsParams,
    /// The record format.
    pub format: Format,
    /// The fields each slot reads, as named by the user.
    pub names: Vec<String>,
    /// How each slot is found.
    pub locators: Vec<Locator>,
    /// The group-by fields' slots, in order.
    pub by: Vec<usize>,
    /// The aggregations, in output order.
    pub aggs: Vec<AggSpec>,
    /// Filters, all of which must keep a record.
    pub filters: Vec<Filter>,
    /// Where to write rejected records (`--rejects`; set by the run, not a parameter of the
    /// result).
    pub rejects: Option<PathBuf>,
    /// Make the first bad record an error.
    pub strict: bool,
    /// Multi-line records, whose first lines are parsed.
    pub records: Option<&'static crate::chunk::RecordRule>,
}

/// A parse error in the flags of `fields`, with the flag.
type FlagError = (&'static str, String, String);

impl Fields {
    /// Builds the job: checks the format and its options, resolves every field against the
    /// format, assigns slots, parses aggregations and filters. No aggregation means count.
    pub fn from_params(params: &FieldsParams) -> Result<Fields> {
        let format = record_format(params)?;
        let records = super::mapper::records::rule(params)?;
        let mut aggs = Vec::with_capacity(params.aggs.len());
        for (kind, value) in &params.aggs {
            aggs.push(parse_agg(kind, value, params.exact_pct)?);
        }
        let (by, filters) = (&params.by, &params.filters);
        let (rejects, strict) = (None, params.strict);
        let mut job = Fields {
            params: params.clone(),
            format,
            names: Vec::new(),
            locators: Vec::new(),
            by: Vec::new(),
            aggs: Vec::new(),
            filters: Vec::new(),
            rejects,
            strict,
            records,
        };
        let invalid = |(flag, value, reason): FlagError| Error::InvalidArgument {
            flag,
            value,
            reason,
        };
        for f in by {
            let slot = job.slot("--by", f).map_err(invalid)?;
            job.by.push(slot);
        }
        let aggs = if aggs.is_empty() {
            vec![(AggKind::Count, String::new())]
        } else {
            aggs
        };
        for (kind, field) in aggs {
            let slot = if kind == AggKind::Count {
                0
            } else {
                job.slot("aggregation", &field).map_err(invalid)?
            };
            job.aggs.push(AggSpec { kind, field, slot });
        }
        for w in filters {
            let f = job.filter(w).map_err(invalid)?;
            job.filters.push(f);
        }
        Ok(job)
    }

    fn slot(&mut self, flag: &'static str, field: &str) -> std::result::Result<usize, FlagError> {
        if let Some(i) = self.names.iter().position(|n| n == field) {
            return Ok(i);
        }
        let loc = record::locate(&self.format, field).map_err(|r| (flag, field.to_string(), r))?;
        self.names.push(field.to_string());
        self.locators.push(loc);
        Ok(self.names.len() - 1)
    }

    fn filter(&mut self, w: &str) -> std::result::Result<Filter, FlagError> {
        let bad = |r: &str| ("--where", w.to_string(), r.to_string());
        let at = record::find_outside_quotes(w, &['=', '~']).ok_or_else(|| {
            bad("expected FIELD=VALUE, FIELD~REGEX, FIELD!=VALUE or FIELD!~REGEX")
        })?;
        let (mut field, rest) = w.split_at(at);
        let negate = field.ends_with('!');
        if negate {
            field = &field[..field.len() - 1];
        }
        if field.is_empty() {
            return Err(bad("no field before the operator"));
        }
        let slot = self.slot("--where", field)?;
        let value = &rest[1..];
        let test = if rest.starts_with('=') {
            FilterTest::Equals(value.as_bytes().to_vec())
        } else {
            FilterTest::Matches(regex::bytes::Regex::new(value).map_err(|e| bad(&e.to_string()))?)
        };
        Ok(Filter { slot, test, negate })
    }

    /// The output column names: the group-by fields, then each aggregation's columns.
    pub fn columns(&self) -> Vec<String> {
        let mut c: Vec<String> = self.by.iter().map(|&s| self.names[s].clone()).collect();
        for a in &self.aggs {
            c.extend(a.columns());
        }
        c
    }

    /// The name of an aggregation in messages: `sum(bytes)`, `pct(latency)`.
    pub(super) fn label(a: &AggSpec) -> String {
        let kind = match a.kind {
            AggKind::Count => "count",
            AggKind::Sum => "sum",
            AggKind::Min => "min",
            AggKind::Max => "max",
            AggKind::Mean => "mean",
            AggKind::Distinct => "distinct",
            AggKind::ApproxDistinct => "approx_distinct",
            AggKind::Pct { .. } => "pct",
        };
        format!("{kind}({})", a.field)
    }
}

/// The record format of `params`, with its delimiter and header options checked.
pub(crate) fn record_format(params: &FieldsParams) -> Result<Format> {
    let delimiter = params
        .delimiter
        .as_deref()
        .map(parse_delimiter)
        .transpose()?;
    let format = match params.format.as_str() {
        "ws" => delimiter.map_or(Format::Ws, Format::Delimited),
        "csv" => Format::Csv {
            delimiter: delimiter.unwrap_or(b','),
            headers: !params.no_headers,
        },
        other => {
            let format = match other {
                "jsonl" => Format::Jsonl,
                "combined" => Format::Combined,
                "common" => Format::Common,
                "syslog" => Format::Syslog,
                _ => {
                    return Err(Error::InvalidArgument {
                        flag: "--format",
                        value: other.to_string(),
                        reason: "expected ws, csv, jsonl, combined, common or syslog".into(),
                    })
                }
            };
            if let Some(d) = &params.delimiter {
                return Err(Error::InvalidArgument {
                    flag: "--delimiter",
                    value: d.clone(),
                    reason: format!("--format {} has its own field syntax", format.name()),
                });
            }
            format
        }
    };
    if params.no_headers && !matches!(format, Format::Csv { .. }) {
        return Err(Error::InvalidArgument {
            flag: "--no-headers",
            value: String::new(),
            reason: "only --format csv has headers".into(),
        });
    }
    Ok(format)
}
/// One aggregation flag (`sum`, `pct`, ...) and its value.
/// The fields of the `--by` flags: each a comma-separated list, commas inside double-quoted
/// names kept.
fn split_by(by: &[String]) -> Result<Vec<String>> {
    let mut fields = Vec::new();
    for list in by {
        let parts =
            record::split_outside_quotes(list, ',').map_err(|reason| Error::InvalidArgument {
                flag: "--by",
                value: list.clone(),
                reason,
            })?;
        fields.extend(parts.into_iter().map(str::to_string));
    }
    Ok(fields)
}

fn parse_agg(kind: &str, value: &str, exact_pct: bool) -> Result<(AggKind, String)> {
    let kind = match kind {
        "count" => {
            if !value.is_empty() {
                return Err(Error::InvalidArgument {
                    flag: "--count",
                    value: value.to_string(),
                    reason: "--count takes no value".into(),
                });
            }
            AggKind::Count
        }
        "sum" => AggKind::Sum,
        "min" => AggKind::Min,
        "max" => AggKind::Max,
        "mean" => AggKind::Mean,
        "distinct" => AggKind::Distinct,
        "approx-distinct" => AggKind::ApproxDistinct,
        "pct" => {
            let (field, points) = parse_pct(value)?;
            return Ok((
                AggKind::Pct {
                    points,
                    exact: exact_pct,
                },
                field,
            ));
        }
        other => {
            return Err(Error::InvalidArgument {
                flag: "aggregation",
                value: other.to_string(),
                reason: "unknown aggregation".into(),
            })
        }
    };
    Ok((kind, value.to_string()))
}

/// `-d`: one byte, or `\t`/`tab` for a tab.
fn parse_delimiter(s: &str) -> Result<u8> {
    match s {
        "\\t" | "tab" | "\t" => Ok(b'\t'),
        _ if s.len() == 1 => Ok(s.as_bytes()[0]),
        _ => Err(Error::InvalidArgument {
            flag: "--delimiter",
            value: s.to_string(),
            reason: "expected one byte (or \\t)".into(),
        }),
    }
}

/// `--pct FIELD:P,...`: the field (which may itself contain `:`) and percentiles in 0..=100.
fn parse_pct(s: &str) -> Result<(String, Vec<f64>)> {
    let bad = |reason: &str| Error::InvalidArgument {
        flag: "--pct",
        value: s.to_string(),
        reason: reason.to_string(),
    };
    let (field, list) = s
        .rsplit_once(':')
        .ok_or_else(|| bad("expected FIELD:P,... such as latency:50,90,99"))?;
    let mut points = Vec::new();
    for p in list.split(',') {
        let v: f64 = p
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| (0.0..=100.0).contains(v))
            .ok_or_else(|| bad("percentiles are numbers from 0 to 100"))?;
        points.push(v);
    }
    if field.is_empty() {
        return Err(bad("no field before the colon"));
    }
    Ok((field.to_string(), points))
}
