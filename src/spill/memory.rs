//! Memory accounting for `--memory`: the budget that partial aggregates share, and its default.
//!
//! Every worker's partial reports what it holds (a table's allocation, its heap keys, and the
//! buffer it would need to be sorted for a spill) into one atomic counter. Before a worker maps
//! a chunk it asks how much more the chunk could make its partial allocate — a table that may
//! double counts the whole new allocation, since the old one lives until the move is done —
//! and spills instead when that would pass the limit (see `spill.rs`). The counter is only
//! touched once per chunk, so the hot loops stay as they are.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// The environment variable that sets `--memory` when the flag is absent.
pub const MEMORY_ENV: &str = "LOGMILL_MEMORY";

/// A memory limit shared by every worker, with the bytes accounted so far.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    /// A budget of `limit` bytes, nothing used.
    pub fn new(limit: usize) -> Budget {
        Budget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// The limit in bytes.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Bytes accounted now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    /// True when `more` bytes on top of what is used would pass the limit.
    pub fn would_exceed(&self, more: usize) -> bool {
        self.used().saturating_add(more) > self.limit
    }

    /// Moves an account from `old` to `new` bytes.
    pub fn update(&self, old: usize, new: usize) {
        if new >= old {
            self.used.fetch_add(new - old, Ordering::Relaxed);
        } else {
            self.used.fetch_sub(old - new, Ordering::Relaxed);
        }
    }
}

/// The default `--memory`: half of physical memory (1 GiB when it cannot be read).
pub fn default_memory() -> usize {
    physical_memory().map_or(1 << 30, |m| m / 2)
}

/// Physical memory in bytes: `MemTotal` of /proc/meminfo, else sysconf.
pub fn physical_memory() -> Option<usize> {
    if let Ok(text) = std::fs::read_to_string("/proc/meminfo") {
        let kib = text
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<usize>()
                    .ok()
            });
        if let Some(k) = kib {
            return k.checked_mul(1024);
        }
    }
    // SAFETY: sysconf has no preconditions; it returns -1 for unknown names.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    (pages > 0 && size > 0).then(|| (pages as usize).saturating_mul(size as usize))
}

/// The memory limit: `--memory` wins; else `LOGMILL_MEMORY` (read only when the flag is absent,
/// so a bad value in the environment cannot break a command that gives the flag); else
/// [`default_memory`].
pub fn resolve_memory(flag: Option<&str>, env: Option<std::ffi::OsString>) -> Result<usize> {
    match (flag, env) {
        (Some(s), _) => crate::config::parse_size("--memory", s),
        (None, Some(v)) => {
            let text = v.to_string_lossy().into_owned();
            crate::config::parse_size("--memory", &text).map_err(|e| match e {
                Error::InvalidArgument { value, reason, .. } => Error::InvalidArgument {
                    flag: MEMORY_ENV,
                    value,
                    reason,
                },
                other => other,
            })
        }
        (None, None) => Ok(default_memory()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_wins_then_env_then_default() {
        let env = |s: &str| Some(std::ffi::OsString::from(s));
        assert_eq!(resolve_memory(Some("1M"), env("bad")).unwrap(), 1 << 20);
        assert_eq!(resolve_memory(None, env("256M")).unwrap(), 256 << 20);
        let e = resolve_memory(None, env("lots")).unwrap_err().to_string();
        assert!(e.contains(MEMORY_ENV), "{e}");
        assert!(resolve_memory(Some("0"), None).is_err());
        assert!(resolve_memory(None, None).unwrap() >= 1 << 20);
    }

    #[test]
    fn physical_memory_is_known_here() {
        let m = physical_memory().expect("Linux reports MemTotal");
        assert!(m > 64 << 20);
        assert_eq!(default_memory(), m / 2);
    }

    #[test]
    fn budget_accounts_moves() {
        let b = Budget::new(100);
        b.update(0, 60);
        assert!(!b.would_exceed(40));
        assert!(b.would_exceed(41));
        b.update(60, 10);
        assert_eq!(b.used(), 10);
    }
}
