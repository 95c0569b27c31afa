//! Memory-mapping regular files: the fastest way to hand a large file to many threads at once,
//! with no copy and no read buffer.

use std::fs::File;
use std::io;
use std::path::Path;

/// Maps the whole of `file` read-only.
pub(super) fn map(file: &File, name: &Path) -> io::Result<memmap2::Mmap> {
    // SAFETY: memmap2 marks mapping unsafe because the bytes can change under us if another
    // process writes to or truncates the file while it is mapped. Invariants we rely on:
    // (1) the mapping is only ever read, as `&[u8]`, and every mapper is total over arbitrary
    //     bytes, so a concurrent write can change a run's counts (as for any reader) but cannot
    //     break memory safety in our code;
    // (2) a concurrent truncation makes pages past the new end raise SIGBUS on access; logs are
    //     appended to and rotated by rename, which leave the mapped inode whole, and
    //     `copytruncate` rotation is the case `--mmap never` exists for (documented in README).
    //     A SIGBUS there is caught by `signals.rs`, which names the input (see below), removes
    //     temporary output files and exits with 2 instead of crashing.
    // With `release` below, one of the two `unsafe` blocks of the input side; the others are in
    // `signals.rs`.
    let map = unsafe { memmap2::MmapOptions::new().map(file)? };
    crate::signals::note_mapped(name, map.as_ptr() as usize, map.len());
    // The chunks are read front to back by several threads; ask for read-ahead.
    let _ = map.advise(memmap2::Advice::Sequential);
    Ok(map)
}

/// Drops the pages that lie wholly inside `bytes`, a range of a read-only file mapping, from
/// the process's resident set. They stay in the page cache (and are read again if touched), so
/// a run over a file bigger than `--memory` does not count the whole file in its RSS.
pub(super) fn release(bytes: &[u8]) {
    // SAFETY: sysconf has no preconditions.
    let page = match unsafe { libc::sysconf(libc::_SC_PAGESIZE) } {
        n if n > 0 => n as usize,
        _ => return,
    };
    let start = (bytes.as_ptr() as usize).next_multiple_of(page);
    let end = (bytes.as_ptr() as usize + bytes.len()) / page * page;
    if end > start {
        // SAFETY: `start..end` lies inside `bytes`, a live read-only MAP_SHARED file mapping
        // (callers pass only mapped inputs). MADV_DONTNEED on such a mapping discards the page
        // table entries only: the file's contents are unchanged and a later read faults them
        // back in from the page cache, so no reader can observe a difference.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
    }
}
