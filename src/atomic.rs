//! `-o/--output PATH`: results written atomically. The run writes to a temporary file in the
//! target's directory (so the final rename never crosses filesystems), which is registered with
//! [`crate::signals`] before it is created; on success the file is fsynced, given the mode of
//! the file it replaces, and renamed over the target. A failed run drops the temporary file
//! and an interrupted one has it unlinked by the signal handler, so the target is always either
//! the previous result or the complete new one, never a partial or empty file, and no
//! temporary file is left behind.
//!
//! A target that exists and is not a regular file (`/dev/null`, a FIFO) cannot be replaced by
//! a rename and is written directly, as a shell redirection would. `/dev/stdout`,
//! `/dev/stderr` and `/dev/fd/N` name the process's open descriptors and are written through
//! them (so `-o /dev/stdout >> log` appends, as writing to stdout would, instead of replacing
//! `log`). Any other symlink is followed: the file it points to is replaced and the link kept.
//!
//! A run killed by SIGKILL (or a power loss) cannot remove its temporary file. The next run
//! that writes the same target removes such leftovers: temporary files of this target whose
//! process is gone. Each run holds an `flock` on its temporary file, so a live run's file is
//! never taken for a leftover, even when its process id is not visible from here (another PID
//! namespace).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::signals::{self, TempGuard};

/// Where `-o` results go until they are committed.
#[derive(Debug)]
pub struct OutputFile {
    file: File,
    /// The path results end up at.
    target: PathBuf,
    /// The temporary file and its registration; None when writing the target directly.
    temp: Option<(PathBuf, TempGuard)>,
}

impl OutputFile {
    /// Prepares to write `path`: checks it can be replaced and creates the temporary file, so a
    /// bad `-o` fails before any work.
    pub fn create(path: &Path) -> Result<OutputFile> {
        let err = |source| Error::OutputFile {
            path: path.to_path_buf(),
            source,
        };
        if let Some(fd) = std_fd_of(path) {
            return Ok(OutputFile {
                file: dup_fd(fd).map_err(err)?,
                target: path.to_path_buf(),
                temp: None,
            });
        }
        // Follow a symlink to what it points to; a dangling one is replaced like a file.
        let target = match fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
            }
            _ => path.to_path_buf(),
        };
        match fs::metadata(&target) {
            Ok(m) if m.is_dir() => return Err(err(io::Error::other("is a directory"))),
            Ok(m) if !m.is_file() => {
                let file = OpenOptions::new().write(true).open(&target).map_err(err)?;
                return Ok(OutputFile {
                    file,
                    target,
                    temp: None,
                });
            }
            _ => {}
        }
        let name = target
            .file_name()
            .ok_or_else(|| err(io::Error::other("not a file name")))?;
        let dir = match target.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        // Hidden, named after the target (cut to stay under NAME_MAX) and unique per process.
        // A name taken by a file a killed run left behind is skipped.
        let mut stem = name.to_string_lossy().into_owned();
        if stem.len() > 100 {
            let mut cut = 100;
            while !stem.is_char_boundary(cut) {
                cut -= 1;
            }
            stem.truncate(cut);
        }
        remove_leftovers(&dir, &stem);
        let pid = std::process::id();
        let mut last = None;
        for n in 0..100u32 {
            let temp = dir.join(format!(".{stem}.logmill-{pid}-{n}.tmp"));
            // Registered before it exists, inside a creation window: there is no moment when
            // the file is on disk and a signal would leave it behind.
            let window = signals::creating();
            let guard = signals::register_temp(&temp);
            let opened = OpenOptions::new().write(true).create_new(true).open(&temp);
            drop(window);
            match opened {
                Ok(file) => {
                    // Marks the file as in use for `remove_leftovers` of other runs; released
                    // when the process ends, however it ends. Best effort: a filesystem
                    // without flock leaves the process-id test alone.
                    // SAFETY: flock(2) on a descriptor we own.
                    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
                    return Ok(OutputFile {
                        file,
                        target,
                        temp: Some((temp, guard)),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => return Err(err(e)),
            }
        }
        Err(err(last.unwrap_or_else(|| {
            io::Error::other("no free temporary file name")
        })))
    }

    /// The file being written, for a writer that names the target in its own errors (the
    /// `Write` impl adds the target's name to each error).
    pub(crate) fn file_mut(&mut self) -> &mut File {
        &mut self.file
    }

    /// The temporary file results are written to, if any (for tests and messages).
    pub fn temp_path(&self) -> Option<&Path> {
        self.temp.as_ref().map(|(p, _)| p.as_path())
    }

    /// Flushes and fsyncs what was written, without making it visible yet.
    pub fn sync(&mut self) -> io::Result<()> {
        self.file.flush()?;
        self.file.sync_all()
    }

    /// Makes the results visible at the target: fsync, then rename over it (keeping the
    /// replaced file's permissions), then fsync the directory so the rename itself is durable.
    pub fn commit(mut self) -> Result<()> {
        self.commit_in_place()
    }

    /// [`OutputFile::commit`] without giving up the file: later commits only flush.
    pub fn commit_in_place(&mut self) -> Result<()> {
        let err = |source| Error::OutputFile {
            path: self.target.clone(),
            source,
        };
        self.file.flush().map_err(err)?;
        let Some((temp, _guard)) = &self.temp else {
            return Ok(());
        };
        self.file.sync_all().map_err(err)?;
        if let Ok(old) = fs::metadata(&self.target) {
            // Best effort: a file we may not chmod is still replaced with default permissions.
            let _ = self.file.set_permissions(old.permissions());
        }
        fs::rename(temp, &self.target).map_err(err)?;
        if let Some(dir) = self.target.parent() {
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            // Not every filesystem can fsync a directory; the rename has happened either way.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        // Renamed away: nothing for Drop (or a signal handler) to remove.
        self.temp = None;
        Ok(())
    }
}

/// The descriptor a path names when it is one of the process's own: `/dev/stdin`,
/// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` or `/proc/self/fd/N`.
pub fn std_fd_of(path: &Path) -> Option<i32> {
    let s = path.to_str()?;
    match s {
        "/dev/stdin" => return Some(0),
        "/dev/stdout" => return Some(1),
        "/dev/stderr" => return Some(2),
        _ => {}
    }
    let n = s
        .strip_prefix("/dev/fd/")
        .or_else(|| s.strip_prefix("/proc/self/fd/"))?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// A new descriptor for the open file behind `fd`, writing where `fd` writes (same offset and
/// append mode, as a shell's `>&N`).
fn dup_fd(fd: i32) -> io::Result<File> {
    use std::os::fd::FromRawFd;
    // SAFETY: fcntl(2) with F_DUPFD_CLOEXEC only reads `fd`; a bad one fails with EBADF.
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 3) };
    if new < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `new` is a fresh descriptor that nothing else owns.
    Ok(unsafe { File::from_raw_fd(new) })
}

/// Removes temporary files that runs killed before they could clean up left beside a target:
/// `.STEM.logmill-PID-N.tmp` whose process is gone and which no process holds locked.
/// Best effort: what cannot be read or removed stays.
fn remove_leftovers(dir: &Path, stem: &str) {
    let prefix = format!(".{stem}.logmill-");
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let me = std::process::id();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name.to_str().and_then(|n| n.strip_prefix(&prefix)) else {
            continue;
        };
        let Some(pid) = leftover_pid(rest) else {
            continue;
        };
        if pid == me || process_alive(pid) {
            continue;
        }
        let path = entry.path();
        // Only a regular file, opened without following a link, and only if we can lock it:
        // a live run (in a PID namespace we cannot see) holds its lock.
        let Ok(file) = OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
        else {
            continue;
        };
        if !file.metadata().is_ok_and(|m| m.is_file()) {
            continue;
        }
        // SAFETY: flock(2) on a descriptor we own.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            continue;
        }
        let _ = fs::remove_file(&path);
    }
}

/// Whether `name` is a temporary file name of an atomic output (`.NAME.logmill-PID-N.tmp`):
/// a `-r --hidden` walk leaves them out, as they are this or another run's output in the
/// making, never data.
pub fn is_temp_name(name: &std::ffi::OsStr) -> bool {
    let Some(name) = name.to_str().and_then(|n| n.strip_prefix('.')) else {
        return false;
    };
    name.rfind(".logmill-")
        .is_some_and(|i| leftover_pid(&name[i + ".logmill-".len()..]).is_some())
}

/// The process id in the `PID-N.tmp` end of a temporary file's name.
fn leftover_pid(rest: &str) -> Option<u32> {
    let (pid, n) = rest.strip_suffix(".tmp")?.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(pid) && digits(n)).then(|| pid.parse().ok())?
}

/// Whether a process with this id exists (kill(2) with signal 0 is the test: EPERM means it
/// exists under another user).
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Where a run's results go, and how they are made final: with `--state`, the state is put in
/// place only after [`Sink::deliver`] succeeded.
pub trait Sink {
    /// The writer results are written to.
    fn writer(&mut self) -> &mut dyn Write;
    /// Makes every result written so far final (flushed; for `-o`, renamed into place).
    fn deliver(&mut self) -> Result<()>;
}

impl Sink for OutputFile {
    fn writer(&mut self) -> &mut dyn Write {
        self
    }

    fn deliver(&mut self) -> Result<()> {
        self.commit_in_place()
    }
}

/// Any writer as a [`Sink`]: delivering flushes it.
pub struct Flushed<'a>(pub &'a mut dyn Write);

impl Sink for Flushed<'_> {
    fn writer(&mut self) -> &mut dyn Write {
        &mut *self.0
    }

    fn deliver(&mut self) -> Result<()> {
        self.0.flush().map_err(Error::Output)
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf).map_err(|e| self.name_error(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.file.write_all(buf).map_err(|e| self.name_error(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush().map_err(|e| self.name_error(e))
    }
}

impl OutputFile {
    /// Adds the target's name to a write error, keeping its kind.
    fn name_error(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("{}: {e}", self.target.display()))
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        // Not committed: the previous result (if any) stays, the partial one goes. The guard
        // is dropped after the file is gone, so a signal in between has nothing left to miss.
        if let Some((temp, guard)) = self.temp.take() {
            let _ = fs::remove_file(&temp);
            drop(guard);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn commit_replaces_and_keeps_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.tsv");
        fs::write(&target, "old\n").unwrap();
        fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
        let mut f = OutputFile::create(&target).unwrap();
        let temp = f.temp_path().unwrap().to_path_buf();
        assert!(temp.exists());
        assert_eq!(temp.parent(), Some(dir.path()));
        f.write_all(b"new\n").unwrap();
        // Not yet visible.
        assert_eq!(fs::read(&target).unwrap(), b"old\n");
        f.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new\n");
        let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        assert_eq!(entries(dir.path()), vec!["out.tsv"]);
    }

    #[test]
    fn dropping_without_commit_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.tsv");
        fs::write(&target, "old\n").unwrap();
        let mut f = OutputFile::create(&target).unwrap();
        f.write_all(b"partial").unwrap();
        drop(f);
        assert_eq!(fs::read(&target).unwrap(), b"old\n");
        assert_eq!(entries(dir.path()), vec!["out.tsv"]);
    }

    #[test]
    fn creates_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("fresh.json");
        let mut f = OutputFile::create(&target).unwrap();
        f.write_all(b"[]\n").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"[]\n");
    }

    #[test]
    fn symlink_is_followed_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.tsv");
        let link = dir.path().join("link.tsv");
        fs::write(&real, "old\n").unwrap();
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let mut f = OutputFile::create(&link).unwrap();
        f.write_all(b"new\n").unwrap();
        f.commit().unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read(&real).unwrap(), b"new\n");
    }

    #[test]
    fn special_files_are_written_directly() {
        let mut f = OutputFile::create(Path::new("/dev/null")).unwrap();
        assert!(f.temp_path().is_none());
        f.write_all(b"discarded").unwrap();
        f.commit().unwrap();
        assert!(fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device());
    }

    #[test]
    fn directories_and_missing_parents_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = OutputFile::create(dir.path()).unwrap_err().to_string();
        assert!(e.contains("directory"), "{e}");
        let e = OutputFile::create(&dir.path().join("no/such/dir/out"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no/such/dir/out"), "{e}");
        assert!(entries(dir.path()).is_empty());
    }

    #[test]
    fn own_descriptors_are_recognised() {
        assert_eq!(std_fd_of(Path::new("/dev/stdout")), Some(1));
        assert_eq!(std_fd_of(Path::new("/dev/stderr")), Some(2));
        assert_eq!(std_fd_of(Path::new("/dev/fd/7")), Some(7));
        assert_eq!(std_fd_of(Path::new("/proc/self/fd/3")), Some(3));
        assert_eq!(std_fd_of(Path::new("/dev/fd/x")), None);
        assert_eq!(std_fd_of(Path::new("/dev/fd/")), None);
        assert_eq!(std_fd_of(Path::new("out.tsv")), None);
    }

    #[test]
    fn temp_names_are_recognised() {
        use std::ffi::OsStr;
        assert!(is_temp_name(OsStr::new(".out.tsv.logmill-123-0.tmp")));
        assert!(is_temp_name(OsStr::new(".a.logmill-b.logmill-9-10.tmp")));
        assert!(!is_temp_name(OsStr::new("out.tsv.logmill-123-0.tmp")));
        assert!(!is_temp_name(OsStr::new(".out.logmill-x-0.tmp")));
        assert!(!is_temp_name(OsStr::new(".out.logmill-1-0.tmp.gz")));
    }

    use std::os::unix::fs::FileTypeExt;
}
