//! The final order of result rows, defined once: count descending then key ascending by bytes
//! ([`SortOrder::Count`]), or key ascending alone ([`SortOrder::Key`]), and `--top N` as the
//! first N rows of that order. Both are total orders on rows with distinct keys, so output is
//! byte-identical whatever the thread count, chunk size or hash seed.
//!
//! `--top-per N` keeps the N first rows in count order within each group of rows sharing a
//! [`GroupPrefix`] (the first key column), then shows each group's rows together, groups in
//! the order of their first row. [`PerGroup`] selects from rows streamed in count order (the
//! merge of spilled runs), [`arrange_groups`] orders what was kept; [`order_rows`] does both
//! in memory.
//!
//! Rows sorted in memory ([`order_rows`]) and rows merged back from spill runs (`spill/`) use
//! the comparator and ranks here, so the two paths cannot drift apart.

use std::cmp::Ordering;

use crate::aggregate::key::leading_fields;
use crate::aggregate::{key_prefix, FastMap};

/// How final rows are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Count descending, ties by key ascending (bytes).
    #[default]
    Count,
    /// Key ascending (bytes).
    Key,
}

/// The order of the final rows and how many to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderOptions {
    /// The order of the rows.
    pub sort: SortOrder,
    /// Keep only the first N rows in that order (`--top N`).
    pub top: Option<usize>,
    /// Keep the N rows of highest count within each value of the first key column
    /// (`--top-per N`; the keys have two or more columns), before `--top`.
    pub top_per: Option<usize>,
}

/// Rows grouped by their first `fields` key columns, for keys of more columns than that
/// (composite keys of [`crate::aggregate::key`]): `--top-per` groups by the first column
/// ([`GroupPrefix::FIRST`]); a job's own grouping (e.g. `--per`) may use more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupPrefix {
    /// How many leading key columns make the group.
    pub fields: usize,
}

impl GroupPrefix {
    /// The group of the first key column.
    pub const FIRST: GroupPrefix = GroupPrefix { fields: 1 };

    /// The group of `key`: its leading columns, still encoded (equal keys, equal groups).
    #[inline]
    pub fn of<'k>(&self, key: &'k [u8]) -> &'k [u8] {
        leading_fields(key, self.fields)
    }
}

/// Selects the first `n` rows of each group from rows given in count order: the streaming
/// half of `--top-per` (memory: one entry per group).
#[derive(Debug)]
pub struct PerGroup {
    n: usize,
    group: GroupPrefix,
    seen: FastMap<Box<[u8]>, usize>,
}

impl PerGroup {
    /// At most `n` rows per group of `group`.
    pub fn new(n: usize, group: GroupPrefix) -> PerGroup {
        PerGroup {
            n,
            group,
            seen: FastMap::default(),
        }
    }

    /// Whether the next row (in count order) of `key` is kept.
    pub fn admit(&mut self, key: &[u8]) -> bool {
        let g = self.group.of(key);
        match self.seen.get_mut(g) {
            Some(k) if *k >= self.n => false,
            Some(k) => {
                *k += 1;
                true
            }
            None => {
                self.seen.insert(g.into(), 1);
                self.n > 0
            }
        }
    }
}

/// Orders rows kept by `--top-per`: each group's rows together in `sort` order, groups in
/// the order of their first row; then `--top` keeps the first rows.
pub fn arrange_groups<K: AsRef<[u8]>, S>(
    mut rows: Vec<(K, S)>,
    count: impl Fn(&S) -> u64,
    group: GroupPrefix,
    opts: OrderOptions,
) -> Vec<(K, S)> {
    rows.sort_unstable_by(|a, b| {
        compare(
            opts.sort,
            (count(&a.1), a.0.as_ref()),
            (count(&b.1), b.0.as_ref()),
        )
    });
    let ranks: Vec<usize> = {
        let mut rank: FastMap<&[u8], usize> = FastMap::default();
        rows.iter()
            .map(|(k, _)| {
                let next = rank.len();
                *rank.entry(group.of(k.as_ref())).or_insert(next)
            })
            .collect()
    };
    let mut ranked: Vec<(usize, (K, S))> = ranks.into_iter().zip(rows).collect();
    // Stable: within a group, rows keep the sort order.
    ranked.sort_by_key(|(r, _)| *r);
    ranked.truncate(opts.limit());
    ranked.into_iter().map(|(_, row)| row).collect()
}

impl OrderOptions {
    /// How many rows to keep: `--top N`, else all.
    pub fn limit(&self) -> usize {
        self.top.unwrap_or(usize::MAX)
    }
}

/// Compares two rows, each a count and a key, in `sort` order. Keys of distinct rows differ,
/// so this is a total order on a result.
#[inline]
pub fn compare(sort: SortOrder, a: (u64, &[u8]), b: (u64, &[u8])) -> Ordering {
    match sort {
        SortOrder::Count => b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1)),
        SortOrder::Key => a.1.cmp(b.1),
    }
}

/// A count's rank in count order: a smaller rank comes first (count descending).
#[inline]
pub fn count_rank(count: u64) -> u64 {
    u64::MAX - count
}

/// A row's rank in `sort` order: comparing ranks, then the keys' bytes on a tie, is
/// [`compare`]; most rows are ordered by their ranks alone, without reading the keys.
#[inline]
pub fn rank(sort: SortOrder, count: u64, key: &[u8]) -> (u64, u64) {
    match sort {
        SortOrder::Count => (count_rank(count), key_prefix(key)),
        SortOrder::Key => (key_prefix(key), 0),
    }
}

/// Writes into `out` (cleared first) a row's *order key*: bytes whose plain byte order is
/// [`compare`]'s order of rows, so that rows can be range-partitioned by order outside logmill
/// (the Spark driver's `--out-dir`, as Hadoop's TotalOrderPartitioner does). Count order: the
/// count's rank as 8 big-endian bytes (fixed width: ranks compare first), then the key; key
/// order: the key.
pub fn order_key(sort: SortOrder, count: u64, key: &[u8], out: &mut Vec<u8>) {
    out.clear();
    if sort == SortOrder::Count {
        out.extend_from_slice(&count_rank(count).to_be_bytes());
    }
    out.extend_from_slice(key);
}

/// Orders `rows` by `opts` (using `count` to rank under [`SortOrder::Count`]) and keeps the top
/// N. With `--top`, only the kept rows are fully sorted.
pub fn order_rows<K: AsRef<[u8]>, S>(
    mut rows: Vec<(K, S)>,
    count: impl Fn(&S) -> u64,
    opts: impl Into<OrderOptions>,
) -> Vec<(K, S)> {
    let opts = opts.into();
    if let Some(n) = opts.top_per {
        rows.sort_unstable_by(|a, b| {
            compare(
                SortOrder::Count,
                (count(&a.1), a.0.as_ref()),
                (count(&b.1), b.0.as_ref()),
            )
        });
        let mut per = PerGroup::new(n, GroupPrefix::FIRST);
        rows.retain(|(k, _)| per.admit(k.as_ref()));
        return arrange_groups(rows, count, GroupPrefix::FIRST, opts);
    }
    let cmp = |a: &(K, S), b: &(K, S)| -> Ordering {
        compare(
            opts.sort,
            (count(&a.1), a.0.as_ref()),
            (count(&b.1), b.0.as_ref()),
        )
    };
    if let Some(n) = opts.top {
        if n == 0 {
            rows.clear();
        } else if n < rows.len() {
            rows.select_nth_unstable_by(n - 1, cmp);
            rows.truncate(n);
        }
    }
    rows.sort_unstable_by(cmp);
    rows
}

/// A group of rows: their common key prefix, and the rows.
pub type Group<K, S> = (Vec<u8>, Vec<(K, S)>);

/// Splits rows into groups by the first `prefix_len` bytes of their keys (a key shorter than
/// that is its own prefix): the groups in ascending prefix order, each with its rows in the
/// order given. This is the "group prefix" of `--per` (the bucket in front of every key, so
/// rows come in time order and `--top N` is per bucket) and of a top-per-group: order each
/// group's rows with [`order_rows`] ([`order_grouped_rows`] does both).
pub fn group_rows<K: AsRef<[u8]>, S>(mut rows: Vec<(K, S)>, prefix_len: usize) -> Vec<Group<K, S>> {
    let prefix = |k: &K| -> Vec<u8> {
        let k = k.as_ref();
        k[..k.len().min(prefix_len)].to_vec()
    };
    rows.sort_by(|a, b| {
        let (a, b) = (a.0.as_ref(), b.0.as_ref());
        a[..a.len().min(prefix_len)].cmp(&b[..b.len().min(prefix_len)])
    });
    let mut groups: Vec<Group<K, S>> = Vec::new();
    for row in rows {
        let p = prefix(&row.0);
        match groups.last_mut() {
            Some((last, members)) if *last == p => members.push(row),
            _ => groups.push((p, vec![row])),
        }
    }
    groups
}

/// Rows in prefix-group order ([`group_rows`]), each group in `opts` order with `--top N`
/// applied per group: the order of "top N per group" (`--top` under `--per`, `--top-per`).
pub fn order_grouped_rows<K: AsRef<[u8]>, S>(
    rows: Vec<(K, S)>,
    prefix_len: usize,
    count: impl Fn(&S) -> u64 + Copy,
    opts: impl Into<OrderOptions>,
) -> Vec<(K, S)> {
    let opts = opts.into();
    group_rows(rows, prefix_len)
        .into_iter()
        .flat_map(|(_, g)| order_rows(g, count, opts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_agree_with_compare() {
        let keys: [&[u8]; 7] = [b"", b"a", b"ab", b"abcdefgh", b"abcdefghi", b"b", b"\xff"];
        let rows: Vec<(u64, &[u8])> = [0, 1, 7, u64::MAX]
            .iter()
            .flat_map(|&c| keys.iter().map(move |&k| (c, k)))
            .collect();
        for sort in [SortOrder::Count, SortOrder::Key] {
            for &a in &rows {
                for &b in &rows {
                    let by_rank = rank(sort, a.0, a.1)
                        .cmp(&rank(sort, b.0, b.1))
                        .then_with(|| a.1.cmp(b.1));
                    let want = compare(sort, a, b);
                    // Key order ignores counts: rows of one key compare equal either way.
                    assert_eq!(by_rank, want, "{sort:?} {a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn order_keys_compare_as_rows_do() {
        let keys: [&[u8]; 8] = [
            b"",
            b"a",
            b"ab",
            b"abcdefgh",
            b"abcdefghi",
            b"b",
            b"\xff",
            b"\0",
        ];
        let rows: Vec<(u64, &[u8])> = [0, 1, 7, 256, u64::MAX]
            .iter()
            .flat_map(|&c| keys.iter().map(move |&k| (c, k)))
            .collect();
        let (mut x, mut y) = (Vec::new(), Vec::new());
        for sort in [SortOrder::Count, SortOrder::Key] {
            for &a in &rows {
                for &b in &rows {
                    order_key(sort, a.0, a.1, &mut x);
                    order_key(sort, b.0, b.1, &mut y);
                    assert_eq!(x.cmp(&y), compare(sort, a, b), "{sort:?} {a:?} {b:?}");
                }
            }
        }
    }

    #[test]
    fn groups_come_in_prefix_order_with_top_per_group() {
        let rows = vec![
            (b"2b".to_vec(), 1u64),
            (b"1a".to_vec(), 1),
            (b"2a".to_vec(), 5),
            (b"1b".to_vec(), 3),
            (b"2c".to_vec(), 4),
        ];
        let groups = group_rows(rows.clone(), 1);
        let prefixes: Vec<&[u8]> = groups.iter().map(|g| &g.0[..]).collect();
        assert_eq!(prefixes, vec![&b"1"[..], b"2"]);
        let top = OrderOptions {
            top: Some(2),
            ..OrderOptions::default()
        };
        let got = order_grouped_rows(rows, 1, |c| *c, top);
        let keys: Vec<&[u8]> = got.iter().map(|r| &r.0[..]).collect();
        assert_eq!(keys, vec![&b"1b"[..], b"1a", b"2a", b"2c"]);
    }

    #[test]
    fn top_keeps_the_first_rows_of_the_order() {
        let rows = || {
            vec![
                (b"b".to_vec(), 2u64),
                (b"a".to_vec(), 2),
                (b"c".to_vec(), 5),
            ]
        };
        let all = order_rows(rows(), |c| *c, OrderOptions::default());
        assert_eq!(all[0].0, b"c");
        assert_eq!(all[1].0, b"a");
        let top = order_rows(
            rows(),
            |c| *c,
            OrderOptions {
                top: Some(2),
                ..OrderOptions::default()
            },
        );
        assert_eq!(top, all[..2]);
        let none = OrderOptions {
            top: Some(0),
            top_per: None,
            ..OrderOptions::default()
        };
        assert!(order_rows(rows(), |c| *c, none).is_empty());
        assert_eq!(none.limit(), 0);
        assert_eq!(OrderOptions::default().limit(), usize::MAX);
    }

    fn key(a: &str, b: &str) -> Vec<u8> {
        let mut k = crate::aggregate::key::KeyBuilder::default();
        k.push(a.as_bytes());
        k.push(b.as_bytes());
        k.key().to_vec()
    }

    #[test]
    fn top_per_keeps_n_per_group_grouped_in_the_order_of_their_first_row() {
        let rows = vec![
            (key("/a", "200"), 5u64),
            (key("/a", "404"), 1),
            (key("/a", "500"), 1),
            (key("/b", "200"), 9),
            (key("/b", "301"), 2),
            (key("/c", "200"), 5),
        ];
        let per = |sort, top| OrderOptions {
            sort,
            top,
            top_per: Some(2),
        };
        let got = order_rows(rows.clone(), |c| *c, per(SortOrder::Count, None));
        let want = vec![
            (key("/b", "200"), 9),
            (key("/b", "301"), 2),
            (key("/a", "200"), 5),
            (key("/a", "404"), 1),
            (key("/c", "200"), 5),
        ];
        assert_eq!(got, want);
        let got = order_rows(rows.clone(), |c| *c, per(SortOrder::Count, Some(3)));
        assert_eq!(got, want[..3]);
        let got = order_rows(rows, |c| *c, per(SortOrder::Key, None));
        let keys: Vec<Vec<u8>> = got.into_iter().map(|r| r.0).collect();
        assert_eq!(
            keys,
            vec![
                key("/a", "200"),
                key("/a", "404"),
                key("/b", "200"),
                key("/b", "301"),
                key("/c", "200")
            ]
        );
    }
}
