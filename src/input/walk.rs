//! Turning the paths a user gave into the list of inputs: `-` is stdin, a directory is walked
//! with `-r` (in name order, so the input order is deterministic), skipping hidden entries and
//! binary files unless asked, as ripgrep does. Without `-r` a directory stays a directory, and
//! opening it is an error.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use super::{decompress, InputSpec};
use crate::error::Error;

/// How directories are expanded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WalkOptions {
    /// Walk directories (`-r`).
    pub recursive: bool,
    /// Include hidden files and directories (names starting with `.`) in walks.
    pub hidden: bool,
    /// Include binary files (a NUL byte in the first 8 KiB, and not compressed) in walks.
    pub binary: bool,
}

/// The inputs found, with what could not be read while walking.
#[derive(Debug, Default)]
pub struct Expanded {
    /// Inputs in order: the user's order, each directory's files in name order.
    pub inputs: Vec<InputSpec>,
    /// Errors met while walking (unreadable directories).
    pub errors: Vec<Error>,
    /// Files skipped as binary.
    pub skipped_binary: usize,
}

/// How much of a file is sniffed for NUL bytes.
const SNIFF: u64 = 8 << 10;

/// Expands `specs` (directories walked when `opts.recursive`).
pub fn expand(specs: Vec<InputSpec>, opts: WalkOptions) -> Expanded {
    let mut out = Expanded::default();
    for spec in specs {
        match spec {
            InputSpec::Path(p) if opts.recursive && p.is_dir() => walk(&p, opts, &mut out),
            other => out.inputs.push(other),
        }
    }
    out
}

/// The entries a walk of `root` visits (hidden ones left out unless `opts.hidden`), in name
/// order. Only names are read: a walk's files are sniffed for binary content in [`expand`].
pub(crate) fn walker(
    root: &Path,
    opts: WalkOptions,
) -> impl Iterator<Item = walkdir::Result<walkdir::DirEntry>> {
    walkdir::WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| e.depth() == 0 || opts.hidden || !is_hidden(e.file_name()))
}

fn walk(root: &Path, opts: WalkOptions, out: &mut Expanded) {
    for entry in walker(root, opts) {
        match entry {
            Err(e) => {
                let path = e.path().unwrap_or(root).to_path_buf();
                let source = e
                    .into_io_error()
                    .unwrap_or_else(|| std::io::Error::other("filesystem loop"));
                out.errors.push(Error::Open { path, source });
            }
            // An atomic output's temporary file (this run's `-o` may be inside the walk).
            Ok(e) if crate::atomic::is_temp_name(e.file_name()) => {}
            Ok(e) if e.file_type().is_file() => {
                let path = e.into_path();
                if !opts.binary && is_binary(&path) {
                    out.skipped_binary += 1;
                } else {
                    out.inputs.push(InputSpec::Path(path));
                }
            }
            // Directories are descended into; symlinks, FIFOs and sockets met in a walk are
            // skipped (name them on the command line to read them).
            Ok(_) => {}
        }
    }
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// A NUL byte in the first 8 KiB of an uncompressed file marks it binary, as in grep and
/// ripgrep. Unreadable files are not binary: opening them later reports the error.
fn is_binary(path: &PathBuf) -> bool {
    let mut head = Vec::with_capacity(SNIFF as usize);
    let Ok(f) = File::open(path) else {
        return false;
    };
    if f.take(SNIFF).read_to_end(&mut head).is_err() {
        return false;
    }
    decompress::detect(&head).is_none() && memchr::memchr(0, &head).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_in_name_order_skipping_hidden_and_binary() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("b/sub")).unwrap();
        std::fs::create_dir_all(r.join(".git")).unwrap();
        std::fs::write(r.join("b/sub/z.log"), "z\n").unwrap();
        std::fs::write(r.join("b/a.log"), "a\n").unwrap();
        std::fs::write(r.join("a.log"), "a\n").unwrap();
        std::fs::write(r.join(".hidden.log"), "h\n").unwrap();
        std::fs::write(r.join(".git/config"), "c\n").unwrap();
        std::fs::write(r.join("bin.dat"), b"x\0y").unwrap();
        let names = |opts| {
            let e = expand(vec![InputSpec::Path(r.to_path_buf())], opts);
            let v: Vec<String> = e
                .inputs
                .iter()
                .map(|i| match i {
                    InputSpec::Path(p) => p.strip_prefix(r).unwrap().display().to_string(),
                    _ => unreachable!(),
                })
                .collect();
            (v, e.skipped_binary)
        };
        let plain = WalkOptions {
            recursive: true,
            ..Default::default()
        };
        assert_eq!(
            names(plain),
            (
                vec!["a.log".into(), "b/a.log".into(), "b/sub/z.log".into()],
                1
            )
        );
        let all = WalkOptions {
            recursive: true,
            hidden: true,
            binary: true,
        };
        assert_eq!(names(all).0.len(), 6);
        // Without -r the directory is passed through (and refused when opened).
        assert_eq!(
            expand(
                vec![InputSpec::Path(r.to_path_buf())],
                WalkOptions::default()
            )
            .inputs,
            vec![InputSpec::Path(r.to_path_buf())]
        );
    }
}
