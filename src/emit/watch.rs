//! `--fail-if`: conditions on the result rows as they are written, in every output format and
//! for every job, by column name (the names of `--header`). The grammar is tiny on purpose:
//!
//! ```text
//! EXPR := (COLUMN=VALUE)* [COLUMN>N | COLUMN<N]      (tokens separated by spaces)
//! ```
//!
//! A condition is true when any written row has every `COLUMN=VALUE` cell equal to VALUE (as
//! bytes) and, if given, the numeric cell of the comparison above or below N.
//!
//! The pipeline runs the emit of a result inside [`watching`]; [`super::emitter`] then wraps
//! each emitter it makes in one that checks the rows (on the thread that writes them, which is
//! the one that called [`watching`]).

use std::cell::RefCell;
use std::cmp::Ordering;
use std::io;

use super::{Emitter, Value};

/// The grammar, for messages.
pub const GRAMMAR: &str = "zero or more COLUMN=VALUE filters, then optionally one COLUMN>N or \
                           COLUMN<N, separated by spaces (e.g. 'count>1000', \
                           'status=500 count>100', 'change=new')";

/// One `--fail-if` condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    /// The expression as given, for messages.
    pub text: String,
    filters: Vec<(String, Vec<u8>)>,
    test: Option<(String, Ordering, f64)>,
}

impl Condition {
    /// Parses one `--fail-if` expression; the error says what is wrong and shows the grammar.
    pub fn parse(expr: &str) -> Result<Condition, String> {
        let refuse = |what: String| Err(format!("{what}; the grammar is {GRAMMAR}"));
        let tokens: Vec<&str> = expr.split_whitespace().collect();
        if tokens.is_empty() {
            return refuse("empty condition".into());
        }
        let mut c = Condition {
            text: tokens.join(" "),
            filters: Vec::new(),
            test: None,
        };
        for t in &tokens {
            let Some(at) = t.find(['=', '>', '<']) else {
                return refuse(format!("'{t}' has no =, > or <"));
            };
            let (column, op, value) = (&t[..at], t.as_bytes()[at], &t[at + 1..]);
            if column.is_empty() {
                return refuse(format!("'{t}' names no column"));
            }
            if c.test.is_some() {
                return refuse(format!(
                    "'{t}' follows the comparison, which must come last"
                ));
            }
            match op {
                b'=' => c
                    .filters
                    .push((column.to_string(), value.as_bytes().to_vec())),
                _ => {
                    let Some(n) = number(value.as_bytes()) else {
                        return refuse(format!("'{value}' in '{t}' is not a number"));
                    };
                    let ord = if op == b'>' {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    };
                    c.test = Some((column.to_string(), ord, n));
                }
            }
        }
        Ok(c)
    }

    /// Every column the condition names.
    fn columns(&self) -> impl Iterator<Item = &str> {
        self.filters
            .iter()
            .map(|(c, _)| c.as_str())
            .chain(self.test.iter().map(|(c, _, _)| c.as_str()))
    }
}

/// A number written in a cell or a condition (integers, decimals, an optional sign).
fn number(b: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(b).ok()?.trim();
    if s.is_empty()
        || !s
            .bytes()
            .all(|c| c.is_ascii_digit() || b"+-.eE".contains(&c))
    {
        return None;
    }
    s.parse().ok().filter(|n: &f64| n.is_finite())
}

/// What [`watching`] saw.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Report {
    /// The first condition (in command-line order) some row met, with that row's first
    /// cell, for the message.
    pub met: Option<(String, String)>,
    /// A condition (its text) naming a column the output does not have, and why.
    pub error: Option<(String, String)>,
}

struct Active {
    conditions: Vec<Condition>,
    report: Report,
}

thread_local! {
    static ACTIVE: RefCell<Option<Active>> = const { RefCell::new(None) };
}

/// Runs `f` (which writes a result) checking each row written by an emitter of this thread
/// against `conditions`. Without conditions, `f` runs as it is.
pub fn watching<R>(conditions: &[Condition], f: impl FnOnce() -> R) -> (R, Report) {
    if conditions.is_empty() {
        return (f(), Report::default());
    }
    let previous = ACTIVE.with(|a| {
        a.borrow_mut().replace(Active {
            conditions: conditions.to_vec(),
            report: Report::default(),
        })
    });
    let r = f();
    let active = ACTIVE.with(|a| std::mem::replace(&mut *a.borrow_mut(), previous));
    (r, active.map(|a| a.report).unwrap_or_default())
}

/// `inner`, checked against the conditions of the enclosing [`watching`], if any.
pub(super) fn wrap<'a>(inner: Box<dyn Emitter + 'a>) -> Box<dyn Emitter + 'a> {
    let conditions = ACTIVE.with(|a| a.borrow().as_ref().map(|a| a.conditions.clone()));
    match conditions {
        None => inner,
        Some(conditions) => Box::new(Watching {
            inner,
            conditions,
            resolved: Vec::new(),
        }),
    }
}

/// A condition with its columns as indexes into the row.
struct Resolved {
    filters: Vec<(usize, Vec<u8>)>,
    test: Option<(usize, Ordering, f64)>,
}

struct Watching<'a> {
    inner: Box<dyn Emitter + 'a>,
    conditions: Vec<Condition>,
    resolved: Vec<Resolved>,
}

fn cell_bytes(v: &Value<'_>) -> Vec<u8> {
    match v {
        Value::Bytes(b) | Value::Text(b) => b.to_vec(),
        Value::Count(n) => n.to_string().into_bytes(),
        Value::Number(s) => s.as_bytes().to_vec(),
    }
}

impl Emitter for Watching<'_> {
    fn header(&mut self, columns: &[&str]) -> io::Result<()> {
        for c in &self.conditions {
            if let Some(missing) = c.columns().find(|n| !columns.contains(n)) {
                let msg = format!(
                    "the output has no column '{missing}' (its columns: {})",
                    columns.join(", ")
                );
                ACTIVE.with(|a| {
                    if let Some(a) = a.borrow_mut().as_mut() {
                        a.report.error = Some((c.text.clone(), msg.clone()));
                    }
                });
                return Err(io::Error::other(msg));
            }
        }
        let at = |n: &str| columns.iter().position(|c| *c == n).unwrap_or(0);
        self.resolved = self
            .conditions
            .iter()
            .map(|c| Resolved {
                filters: c.filters.iter().map(|(n, v)| (at(n), v.clone())).collect(),
                test: c.test.as_ref().map(|(n, o, x)| (at(n), *o, *x)),
            })
            .collect();
        self.inner.header(columns)
    }

    fn row(&mut self, cells: &[Value<'_>]) -> io::Result<()> {
        let met = self.resolved.iter().position(|r| {
            r.filters
                .iter()
                .all(|(i, v)| cells.get(*i).is_some_and(|c| cell_bytes(c) == *v))
                && r.test.as_ref().is_none_or(|(i, o, x)| {
                    cells
                        .get(*i)
                        .and_then(|c| number(&cell_bytes(c)))
                        .and_then(|n| n.partial_cmp(x))
                        == Some(*o)
                })
        });
        if let Some(m) = met {
            ACTIVE.with(|a| {
                if let Some(a) = a.borrow_mut().as_mut() {
                    let first = cells.first().map(cell_bytes).unwrap_or_default();
                    let keep = match &a.report.met {
                        None => true,
                        Some((t, _)) => {
                            let was = self.conditions.iter().position(|c| &c.text == t);
                            was.is_none_or(|w| m < w)
                        }
                    };
                    if keep {
                        a.report.met = Some((
                            self.conditions[m].text.clone(),
                            String::from_utf8_lossy(&first).into_owned(),
                        ));
                    }
                }
            });
        }
        self.inner.row(cells)
    }

    fn finish(&mut self) -> io::Result<()> {
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar() {
        let c = Condition::parse(" status=500  count>100 ").unwrap();
        assert_eq!(c.text, "status=500 count>100");
        assert_eq!(c.filters, vec![("status".into(), b"500".to_vec())]);
        assert_eq!(c.test, Some(("count".into(), Ordering::Greater, 100.0)));
        assert!(Condition::parse("change=new").unwrap().test.is_none());
        for bad in [
            "",
            "count",
            "count>=5",
            "count>1 status=500",
            "a>1 b<2",
            ">5",
            "count>x",
            "count>1e999",
        ] {
            let e = Condition::parse(bad).unwrap_err();
            assert!(e.contains("COLUMN=VALUE"), "{bad}: {e}");
        }
    }
}
