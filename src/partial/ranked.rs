//! `--emit ranked`: a reducer's merged `KEY<TAB>STATE` lines, each preceded by its *order key*
//! ([`crate::order::order_key`], in lowercase hex) and a TAB. Sorting the lines by that first
//! field gives the final order of `--sort`, so a distributed driver can cut the result into
//! contiguous ranges by sampled order keys (as Hadoop's TotalOrderPartitioner does) and have
//! `logmill reduce` format each range: the parts, concatenated in range order, are the
//! single-process output. Metadata lines (`#coverage`, `#meta`) are written as in bare lines.

use std::io::{self, Write};

use crate::aggregate::keyed::Meta;
use crate::aggregate::KeyedTable;
use crate::error::{Error, Result};
use crate::order::{order_key, order_rows, OrderOptions, SortOrder};
use crate::partial;
use crate::partial::coverage::{self, Coverage};
use crate::partial::format::{write_meta, State};
use crate::spill::{Rows, RowsOrder};

/// The rows ranked lines hold: all of them (key order), or with `--top N` the first N in the
/// order of `sort` (a reducer's own top N: exact, since each key's whole count is in one
/// reducer).
pub fn options(sort: SortOrder, top: Option<usize>) -> OrderOptions {
    OrderOptions {
        sort,
        top,
        top_per: None,
    }
}

/// The rows of a table in memory, as [`options`] keeps them.
pub fn table_rows<S: State>(
    table: KeyedTable<S>,
    opts: OrderOptions,
    count: fn(&S) -> u64,
) -> Rows<S> {
    let mut rows: Vec<(Box<[u8]>, S)> = table.into_entries().collect();
    if opts.top.is_some() {
        rows = order_rows(rows, count, opts);
    } else {
        rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    }
    Rows::Memory(rows)
}

/// The order of spilled rows, as [`options`] keeps them.
pub fn order<S>(opts: OrderOptions, count: fn(&S) -> u64) -> RowsOrder<S> {
    match opts.top {
        Some(_) => RowsOrder::new(opts, count),
        None => RowsOrder::by_key(count),
    }
}

/// Writes `rows` (any order; written in the order given) as ranked lines, after the coverage
/// and `#meta` lines.
pub fn write_ranked<S: State>(
    meta: &Meta,
    rows: Rows<S>,
    cov: Option<&Coverage>,
    sort: SortOrder,
    count: fn(&S) -> u64,
    out: &mut dyn Write,
) -> Result<()> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    if let Some(c) = cov {
        out.write_all(&coverage::line(c)).map_err(Error::Output)?;
    }
    write_meta(meta, &mut out).map_err(Error::Output)?;
    let (mut rank, mut line, mut state) = (Vec::new(), Vec::new(), Vec::new());
    let mut hexed = Vec::new();
    rows.for_each(|key, s| {
        order_key(sort, count(s), key, &mut rank);
        hexed.clear();
        hex(&rank, &mut hexed);
        hexed.push(b'\t');
        out.write_all(&hexed).map_err(Error::Output)?;
        state.clear();
        serde_json::to_writer(&mut state, s).map_err(|e| Error::Output(e.into()))?;
        partial::write_line(&mut out, key, &state, &mut line).map_err(Error::Output)
    })?;
    out.flush().map_err(Error::Output)
}

/// Lowercase hex: two digits a byte, so hex strings compare as the bytes do.
fn hex(bytes: &[u8], out: &mut Vec<u8>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)]);
        out.push(DIGITS[usize::from(b & 15)]);
    }
}

#[cfg(test)]
mod tests {
    use super::hex;

    #[test]
    fn hex_keeps_byte_order() {
        let all: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            vec![1],
            vec![0x0f],
            vec![0x10],
            vec![0xff, 0],
        ];
        for a in &all {
            for b in &all {
                let (mut x, mut y) = (Vec::new(), Vec::new());
                hex(a, &mut x);
                hex(b, &mut y);
                assert_eq!(x.cmp(&y), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }
}
