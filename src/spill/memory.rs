//! The `--memory` limit: the flag, `LOGMILL_MEMORY`, and the default of half of physical
//! memory. The engine accounts partials against it (see `engine/budget.rs`).

use crate::error::{Error, Result};

/// The environment variable that sets `--memory` when the flag is absent.
pub const MEMORY_ENV: &str = "LOGMILL_MEMORY";

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
        (Some(s), _) => crate::size::parse_size("--memory", s),
        (None, Some(v)) => {
            let text = v.to_string_lossy().into_owned();
            crate::size::parse_size("--memory", &text).map_err(|e| match e {
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
}
