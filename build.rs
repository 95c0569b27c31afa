//! Build script: puts the git revision into `--version` when the crate is built from a git
//! checkout (`0.1.0 (rev 1a2b3c4)`), and just the package version otherwise (a tarball, a
//! vendored copy inside some other repository, or no `git` on PATH).
//!
//! It reruns only when the checked-out commit can have changed: when `HEAD`, the branch ref it
//! points to or `packed-refs` changes. Without git it watches only itself, so builds from a
//! tarball never rerun it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = env!("CARGO_PKG_VERSION");
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let full = match git_revision(&manifest_dir) {
        Some(rev) => format!("{version} (rev {rev})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=LOGMILL_VERSION={full}");
}

/// The short revision of `HEAD`, if `dir` is the top level of a git work tree (not merely
/// somewhere inside another project's repository). Also emits the rerun triggers.
fn git_revision(dir: &Path) -> Option<String> {
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if !same_dir(Path::new(&top), dir) {
        return None;
    }
    let rev = git(dir, &["rev-parse", "--short", "HEAD"])?;
    // In a linked worktree HEAD lives in the worktree's git dir and branch refs in the common
    // dir; in a plain checkout both are `.git`.
    let git_dir = absolute(dir, &git(dir, &["rev-parse", "--git-dir"])?);
    let common_dir = git(dir, &["rev-parse", "--git-common-dir"])
        .map(|d| absolute(dir, &d))
        .unwrap_or_else(|| git_dir.clone());
    let head = git_dir.join("HEAD");
    watch(&head);
    if let Ok(text) = std::fs::read_to_string(&head) {
        if let Some(reference) = text.trim().strip_prefix("ref: ") {
            let loose = [git_dir.join(reference), common_dir.join(reference)];
            loose.iter().for_each(|p| watch(p));
            if !loose.iter().any(|p| p.is_file()) {
                // A packed ref becomes a loose file at the next commit: watch where it appears.
                if let Some(parent) = loose[1].parent().filter(|d| d.is_dir()) {
                    println!("cargo:rerun-if-changed={}", parent.display());
                }
            }
        }
    }
    watch(&common_dir.join("packed-refs"));
    Some(rev)
}

/// Runs git in `dir` and returns its trimmed stdout, or None if git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!s.is_empty()).then_some(s)
}

fn absolute(base: &Path, p: &str) -> PathBuf {
    let p = Path::new(p);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

fn same_dir(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Asks cargo to rerun when `path` changes. Only existing files are named: cargo reruns a
/// build script on every build while a watched path is missing.
fn watch(path: &Path) {
    if path.is_file() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
