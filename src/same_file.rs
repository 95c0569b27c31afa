//! Outputs never overwrite inputs. Before anything is read, every output a run writes (`-o`,
//! `--rejects`, `--state`) is compared with every input and with the other outputs; a clash is
//! refused with one line naming both, and no file is touched.
//!
//! Two names are the same file when they have the same device and inode (hard links, symlinks,
//! `/dev/stdin`, stdin redirected from the file: `fstat` of fd 0), or, for an output that does
//! not exist yet, the same path once its directory is resolved. Only regular files (and names
//! that do not exist yet) are compared: a terminal, a pipe or `/dev/null` is not destroyed by
//! being both read and written, and a terminal is stdin and stdout at once.
//!
//! Inputs are the files named on the command line, the files a `-r` walk would read (found by
//! listing names only, nothing is opened), stdin when it is read, and the `--files-from` list.
//! `--state` is read and replaced by design, so it is compared with the inputs and the other
//! outputs, not with itself. `logmill merge A B -o A` is allowed: it accumulates a partial in
//! place, and the atomic `-o` (temporary file, rename) reads all of `A` before replacing it.

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use walkdir::DirEntryExt;

use crate::config::{Action, Config};
use crate::error::{Error, Result};
use crate::input::walk;
use crate::input::InputSpec;

/// What identifies a file for the comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Identity {
    /// Device and inode, when it exists.
    dev_ino: Option<(u64, u64)>,
    /// The path with every symlink resolved (for a name that does not exist yet: its resolved
    /// directory joined with its name).
    resolved: Option<PathBuf>,
}

impl Identity {
    /// The identity of `path`, or None when it is not a regular file (nor a name to be created).
    fn of(path: &Path) -> Option<Identity> {
        match fs::metadata(path) {
            Ok(m) if m.is_file() => Some(Identity {
                dev_ino: Some((m.dev(), m.ino())),
                resolved: fs::canonicalize(path).ok(),
            }),
            Ok(_) => None,
            // Does not exist (or a dangling symlink, which an output replaces): the same path
            // once the directory is resolved.
            Err(_) => {
                let name = path.file_name()?;
                let dir = match path.parent() {
                    Some(d) if !d.as_os_str().is_empty() => d,
                    _ => Path::new("."),
                };
                Some(Identity {
                    dev_ino: None,
                    resolved: fs::canonicalize(dir).ok().map(|d| d.join(name)),
                })
            }
        }
    }

    /// The identity of what is open on `fd`, when it is a regular file.
    fn of_fd(fd: i32) -> Option<Identity> {
        // SAFETY: fstat(2) writes into the zeroed struct we own; a closed fd fails with EBADF.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        if unsafe { libc::fstat(fd, &mut st) } != 0 || st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return None;
        }
        Some(Identity {
            dev_ino: Some((st.st_dev as u64, st.st_ino as u64)),
            resolved: None,
        })
    }

    fn same_as(&self, other: &Identity) -> bool {
        matches!((self.dev_ino, other.dev_ino), (Some(a), Some(b)) if a == b)
            || matches!((&self.resolved, &other.resolved), (Some(a), Some(b)) if a == b)
    }
}

/// One output of the run.
struct Output<'a> {
    flag: &'static str,
    path: &'a Path,
    id: Identity,
}

impl Output<'_> {
    fn describe(&self) -> String {
        format!("{} {}", self.flag, self.path.display())
    }
}

/// Refuses a run whose outputs would overwrite one of its inputs or each other. Call before
/// anything is read or created.
pub fn check(config: &Config) -> Result<()> {
    let mut outputs: Vec<Output<'_>> = Vec::new();
    let named = [
        ("-o", config.output.as_deref()),
        ("--rejects", config.rejects_path()),
        ("--state", config.state.as_deref()),
    ];
    for (flag, path) in named {
        let Some(path) = path else { continue };
        let Some(id) = Identity::of(path) else {
            continue;
        };
        if let Some(prev) = outputs.iter().find(|o| o.id.same_as(&id)) {
            return Err(Error::SameFile {
                output: format!("{flag} {}", path.display()),
                other: prev.describe(),
                advice: "give each output its own file",
            });
        }
        outputs.push(Output { flag, path, id });
    }
    // `merge A B -o A` accumulates in place; merge has no other output.
    if config.action == Action::Merge {
        outputs.retain(|o| o.flag != "-o");
    }
    if outputs.is_empty() {
        return Ok(());
    }
    let clash = |o: &Output<'_>, input: String| Error::SameFile {
        output: o.describe(),
        other: input,
        advice: "refusing to overwrite an input; write the output elsewhere",
    };
    let check_one = |input: &Path, what: &dyn Fn() -> String| -> Result<()> {
        let Some(id) = Identity::of(input) else {
            return Ok(());
        };
        match outputs.iter().find(|o| o.id.same_as(&id)) {
            Some(o) => Err(clash(o, what())),
            None => Ok(()),
        }
    };
    let mut stdin_read = false;
    match config.file_list.as_deref() {
        Some(list) if list == Path::new("-") => stdin_read = true,
        Some(list) => check_one(list, &|| {
            format!("the --files-from list {}", list.display())
        })?,
        None => {}
    }
    for spec in &config.inputs {
        let path = match spec {
            InputSpec::Stdin => {
                stdin_read = true;
                continue;
            }
            InputSpec::Path(p) | InputSpec::Part { path: p, .. } => p,
            InputSpec::Bytes { .. } => continue,
        };
        if config.walk.recursive && path.is_dir() {
            check_walk(path, config, &outputs)
                .map_err(|(o, found)| clash(o, format!("input {}", found.display())))?;
        } else {
            check_one(path, &|| format!("input {}", path.display()))?;
        }
    }
    if stdin_read {
        if let Some(id) = Identity::of_fd(0) {
            if let Some(o) = outputs.iter().find(|o| o.id.same_as(&id)) {
                return Err(clash(o, "the file on standard input".into()));
            }
        }
    }
    Ok(())
}

/// Looks for an output among the files a `-r` walk of `root` would read. Only names are
/// listed; an entry is stat'ed only when its inode number matches an output's.
fn check_walk<'o, 'a>(
    root: &Path,
    config: &Config,
    outputs: &'o [Output<'a>],
) -> std::result::Result<(), (&'o Output<'a>, PathBuf)> {
    // Walk the resolved directory, so the entries' paths compare with the outputs' resolved
    // paths (a walk follows no symlinks below its root).
    let resolved = fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
    for entry in walk::walker(&resolved, config.walk).flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        for o in outputs {
            let by_path = o.id.resolved.as_deref() == Some(entry.path());
            let by_inode = o.id.dev_ino.is_some_and(|(dev, ino)| {
                entry.ino() == ino && entry.metadata().is_ok_and(|m| m.dev() == dev)
            });
            if by_path || by_inode {
                // Named as the walk names it: under the directory the user gave.
                let below = entry.path().strip_prefix(&resolved).unwrap_or(entry.path());
                return Err((o, root.join(below)));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_links_symlinks_and_new_names_are_the_same_file() {
        let d = tempfile::tempdir().unwrap();
        let a = d.path().join("a.txt");
        fs::write(&a, "x\n").unwrap();
        fs::hard_link(&a, d.path().join("hard.txt")).unwrap();
        std::os::unix::fs::symlink(&a, d.path().join("sym.txt")).unwrap();
        let id = |p: &str| Identity::of(&d.path().join(p)).unwrap();
        assert!(id("a.txt").same_as(&id("hard.txt")));
        assert!(id("a.txt").same_as(&id("sym.txt")));
        assert!(id("new.txt").same_as(&id("./new.txt")));
        assert!(!id("new.txt").same_as(&id("a.txt")));
        assert!(Identity::of(Path::new("/dev/null")).is_none());
        assert!(Identity::of(d.path()).is_none());
    }
}
