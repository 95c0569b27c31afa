//! `--shard I/N`: which bytes of the input set one of N processes maps.

use std::ops::Range;

use crate::chunk::Framing;
use crate::error::{Error, Result};
use crate::input::Source;

/// One of N byte-range shards of the input set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

/// For each opened input, the part that belongs to `shard`: `Some(range)` of a slice's bytes,
/// `Some(..)` (whole) for a stream that belongs to it, `None` for an input of another shard.
///
/// The inputs' sizes are laid end to end and cut into `N` equal byte ranges; a line belongs to
/// the shard that holds its first byte, so the shards cover every line exactly once (under
/// record framing, a record belongs to the shard holding its first byte). Streams
/// (compressed files, `--mmap never`) cannot be cut: each belongs whole to the shard that
/// holds its first byte. Stdin and pipes have no size: they cannot be sharded.
pub(super) fn shard_ranges(
    opened: &[(usize, Source)],
    shard: Shard,
    framing: Framing,
) -> Result<Vec<Option<Range<usize>>>> {
    let mut sizes = Vec::with_capacity(opened.len());
    for (_, s) in opened {
        match s {
            Source::Slice { window, .. } => sizes.push(window.len() as u64),
            Source::Stream {
                raw_len: Some(n), ..
            } => sizes.push(*n),
            Source::Stream { name, .. } => {
                return Err(Error::InvalidArgument {
                    flag: "--shard",
                    value: format!("{}/{}", shard.index, shard.count),
                    reason: format!(
                        "{} has no size to split (stdin or a pipe); shard regular files",
                        name.display()
                    ),
                })
            }
        }
    }
    let total: u64 = sizes.iter().sum();
    let cut = |k: u64| (u128::from(total) * u128::from(k) / u128::from(shard.count)) as u64;
    let (lo, hi) = (cut(shard.index), cut(shard.index + 1));
    let mut offset = 0u64;
    let mut out = Vec::with_capacity(opened.len());
    for ((_, s), size) in opened.iter().zip(sizes) {
        let start = offset;
        offset += size;
        out.push(match s {
            Source::Slice { data, window } => {
                let data = &data[window.clone()];
                let local = |g: u64| g.saturating_sub(start).min(size) as usize;
                let (a, b) = (
                    framing.boundary_at(data, local(lo)),
                    framing.boundary_at(data, local(hi)),
                );
                (a < b).then_some(a..b)
            }
            Source::Stream { .. } => (lo <= start && start < hi).then_some(0..0),
        });
    }
    Ok(out)
}
