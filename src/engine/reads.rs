//! What a run read of each input: the provenance a partial's coverage is made of.

use std::ops::Range;
use std::path::PathBuf;

use crate::input::InputSpec;

/// What a run read of one input (after directories were expanded).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputRead {
    /// The file, when the input is one (not stdin, not bytes in memory).
    pub path: Option<PathBuf>,
    /// Its size on disk when opened; `None` for stdin, pipes and inputs that failed to open.
    pub size: Option<u64>,
    /// The bytes of the file this run mapped (a `--shard`'s range, a `--state` part, or the
    /// whole file); `None` when it read none (another shard's input, or a failed input).
    pub range: Option<Range<u64>>,
}

impl InputRead {
    /// An input not read (yet): its path when it is a file.
    pub fn unread(spec: &InputSpec) -> InputRead {
        InputRead {
            path: match spec {
                InputSpec::Path(p) | InputSpec::Part { path: p, .. } => Some(p.clone()),
                InputSpec::Stdin | InputSpec::Bytes { .. } => None,
            },
            ..InputRead::default()
        }
    }
}
