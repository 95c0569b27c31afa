//! Signals: what happens when the run is interrupted or a mapped input shrinks under us.
//!
//! - SIGINT, SIGTERM, SIGHUP, SIGQUIT and every other signal whose default action ends the
//!   process and that can be caught ([`TERMINATING`]) end the run at once with exit code 128 +
//!   the signal (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP...), after unlinking every
//!   registered temporary file ([`register_temp`]), so an interrupted `--output` run leaves the
//!   previous result in place and no temporary file behind. SIGABRT (a panic in a release
//!   build aborts) unlinks them too, then aborts as it would have. SIGPIPE stays ignored (as
//!   Rust sets it): a closed pipe is a write error the run handles. SIGXFSZ is ignored, so a
//!   write past `ulimit -f` is a write error too. SIGKILL cannot be caught;
//!   what it leaves is removed by the next run that writes the same file (`output.rs`). Stopping
//!   in the handler (rather than setting a flag the workers poll) keeps the hot loops free of
//!   checks and makes the stop immediate even while a thread blocks on a slow stdin. A signal
//!   that was ignored when logmill started (`nohup`, a background job of a non-interactive
//!   shell) stays ignored.
//! - SIGBUS is what the kernel sends when a thread touches a page of a memory-mapped file past
//!   its end, i.e. the file was truncated while mapped. The handler unlinks the temporary files,
//!   writes one line to stderr naming the input when the faulting address lies in a range
//!   recorded with [`note_mapped`], and exits with 2 (an error) instead of dying by the signal.
//!
//! Signal handlers may only call async-signal-safe functions: no allocation, no locks, no
//! `std::io`. So both registries are fixed arrays of atomics written by ordinary code and only
//! read by the handlers: temporary paths are leaked-until-unregistered C strings behind
//! `AtomicPtr`s (whoever swaps a pointer out owns it, so a handler never reads freed memory),
//! and mapped ranges sit in slots guarded by a sequence counter (a seqlock) with the input's
//! name copied inline. A thread that creates a registered file does so inside a [`creating`]
//! window (terminating signals blocked in that thread, a count the handlers wait on), so a
//! handler on another thread cannot unlink the name a moment before the file appears under it.
//! The handlers use only atomics, `unlink(2)`, `write(2)`, `nanosleep(2)`, `pause(2)` and
//! `_exit(2)`.
//!
//! We use `libc` directly rather than `signal-hook`: signal-hook's safe API defers work to a
//! thread, which cannot stop a SIGBUS from re-faulting, and its low-level registration would
//! still leave the unlink-and-exit handlers to us. A handful of `sigaction` calls is less code
//! than the adapter.

use std::ffi::{c_char, c_int, c_void, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr;
use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Mutex, Once, PoisonError};

use crate::diag;
use crate::exit::ExitCode;

/// The signals that end the run after removing the temporary files: those whose default
/// action terminates the process and that arrive from outside (a terminal, `kill`, a timer, a
/// resource limit). SIGPIPE is left out: Rust ignores it, and a closed pipe is reported as a
/// write error instead.
pub const TERMINATING: &[c_int] = &[
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
    libc::SIGALRM,
    libc::SIGVTALRM,
    libc::SIGPROF,
    libc::SIGXCPU,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    libc::SIGIO,
    #[cfg(any(target_os = "linux", target_os = "android"))]
    libc::SIGPWR,
];

/// Installs the handlers of [`TERMINATING`], SIGABRT and SIGBUS. Call once, first thing in
/// `main`; later calls do nothing.
pub fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for &sig in TERMINATING {
            // SAFETY: `on_terminate` only uses async-signal-safe operations (see the module
            // docs); `set_handler` passes valid sigaction structs.
            unsafe { set_handler(sig, on_terminate as TerminateFn as usize, 0, true) };
        }
        // A write past the file size limit (`ulimit -f`) then fails with EFBIG, which the run
        // reports as a write error (and the atomic outputs keep the old files), instead of
        // the process dying mid-write.
        // SAFETY: setting a disposition has no preconditions.
        unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
        // SAFETY: as above for `on_abort`.
        unsafe { set_handler(libc::SIGABRT, on_abort as TerminateFn as usize, 0, false) };
        // SAFETY: as above for `on_bus`. SA_SIGINFO makes the kernel pass the faulting address;
        // SA_ONSTACK uses the alternate stack std gives every thread when there is one.
        unsafe {
            set_handler(
                libc::SIGBUS,
                on_bus as BusFn as usize,
                libc::SA_SIGINFO | libc::SA_ONSTACK,
                false,
            )
        };
    });
}

type TerminateFn = extern "C" fn(c_int);
type BusFn = extern "C" fn(c_int, *mut libc::siginfo_t, *mut c_void);

/// Installs `handler` for `sig` with `flags`. With `keep_ignored`, a signal whose disposition
/// is SIG_IGN is left alone.
///
/// # Safety
/// `handler` must be an `extern "C"` function of the signature `flags` implies, and must be
/// async-signal-safe.
unsafe fn set_handler(sig: c_int, handler: usize, flags: c_int, keep_ignored: bool) {
    let mut old: libc::sigaction = std::mem::zeroed();
    if keep_ignored
        && libc::sigaction(sig, ptr::null(), &mut old) == 0
        && old.sa_sigaction == libc::SIG_IGN
    {
        return;
    }
    let mut sa: libc::sigaction = std::mem::zeroed();
    sa.sa_sigaction = handler;
    sa.sa_flags = flags;
    // Block the terminating signals while any of the handlers runs: a second signal on the
    // same thread would otherwise enter a handler that parks (see `EXITING`) on top of the one
    // that was about to `_exit`, and the process would hang.
    libc::sigemptyset(&mut sa.sa_mask);
    for &s in TERMINATING {
        libc::sigaddset(&mut sa.sa_mask, s);
    }
    // Failure leaves the default action, which still stops the process; nothing to report.
    libc::sigaction(sig, &sa, ptr::null_mut());
}

// ---------------------------------------------------------------------------------------------
// Temporary files.

/// How many temporary files can be registered at once.
const TEMP_SLOTS: usize = 64;

/// Registered temporary paths: null or a `CString::into_raw` pointer owned by the registry.
static TEMPS: [AtomicPtr<c_char>; TEMP_SLOTS] =
    [const { AtomicPtr::new(ptr::null_mut()) }; TEMP_SLOTS];

/// Keeps a temporary path registered for removal on a terminating signal; unregisters it
/// when dropped. Dropping does not remove the file: its owner does that (or renames it into
/// place) before dropping the guard.
#[derive(Debug)]
#[must_use = "the path is unregistered when the guard is dropped"]
pub struct TempGuard {
    slot: Option<usize>,
}

impl TempGuard {
    /// True when the path is registered (false only if the registry was full).
    pub fn is_registered(&self) -> bool {
        self.slot.is_some()
    }
}

/// Registers `path` to be unlinked if the process is stopped by a signal that can be caught.
/// Register before creating the file, so no moment exists when it is on disk but unknown to the
/// handlers. A relative path is resolved against the current directory at signal time (logmill
/// never changes it).
pub fn register_temp(path: &Path) -> TempGuard {
    let Ok(c) = CString::new(path.as_os_str().as_bytes()) else {
        // A path with a NUL byte cannot be created either.
        return TempGuard { slot: None };
    };
    let raw = c.into_raw();
    for (i, slot) in TEMPS.iter().enumerate() {
        if slot
            .compare_exchange(ptr::null_mut(), raw, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
        {
            return TempGuard { slot: Some(i) };
        }
    }
    // SAFETY: `raw` came from `into_raw` above and was never published.
    drop(unsafe { CString::from_raw(raw) });
    diag::warning(format_args!(
        "{}: too many temporary files to track; it may be left behind if logmill is interrupted",
        path.display()
    ));
    TempGuard { slot: None }
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(i) = self.slot {
            // Whoever swaps the pointer out owns it: if a handler got it first, we get null.
            let raw = TEMPS[i].swap(ptr::null_mut(), Ordering::AcqRel);
            if !raw.is_null() {
                // SAFETY: `raw` came from `CString::into_raw` in `register_temp`, and the swap
                // made us its only holder.
                drop(unsafe { CString::from_raw(raw) });
            }
        }
    }
}

/// Threads inside a [`creating`] window: between registering a temporary path and the moment
/// its file is on disk under that name (or, for a spill run, unlinked again).
static CREATING: AtomicUsize = AtomicUsize::new(0);

/// How long a terminating handler waits for the [`creating`] windows of other threads to close
/// before it unlinks what is registered and exits anyway: 1000 × 1 ms.
const CREATING_WAIT_STEPS: u32 = 1000;

/// While alive, the terminating signals are blocked in this thread and the handlers (running
/// on another thread) wait for the window to close before they unlink the registered files.
/// Without it a handler could unlink a registered path a moment before this thread's `open`
/// created it, and `_exit` would leave the new file behind.
#[must_use = "the window closes when the guard is dropped"]
pub struct Creating {
    old_mask: libc::sigset_t,
}

/// Opens a creation window (see [`Creating`]). If the process is already exiting by a signal,
/// the thread waits here for the handler's `_exit`, so nothing new is created.
pub fn creating() -> Creating {
    // SAFETY: sigset_t is plain data that sigemptyset initialises; pthread_sigmask only reads
    // `set` and writes `old_mask`.
    let old_mask = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &s in TERMINATING {
            libc::sigaddset(&mut set, s);
        }
        let mut old_mask: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old_mask);
        old_mask
    };
    // Announce first, then look: with the handler's store-then-load (both SeqCst) one of the
    // two sees the other.
    CREATING.fetch_add(1, Ordering::SeqCst);
    if EXITING.load(Ordering::SeqCst) {
        CREATING.fetch_sub(1, Ordering::SeqCst);
        wait_for_exit();
    }
    Creating { old_mask }
}

impl Drop for Creating {
    fn drop(&mut self) {
        CREATING.fetch_sub(1, Ordering::SeqCst);
        // SAFETY: restores the mask saved by `creating` on this same thread.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old_mask, ptr::null_mut()) };
    }
}

/// Waits (bounded) until no thread is inside a [`creating`] window. Async-signal-safe.
fn wait_for_creations() {
    let step = libc::timespec {
        tv_sec: 0,
        tv_nsec: 1_000_000,
    };
    for _ in 0..CREATING_WAIT_STEPS {
        if CREATING.load(Ordering::SeqCst) == 0 {
            return;
        }
        // SAFETY: nanosleep(2) is async-signal-safe.
        unsafe { libc::nanosleep(&step, ptr::null_mut()) };
    }
}

/// Unlinks every registered temporary file. Async-signal-safe.
fn remove_temps() {
    for slot in &TEMPS {
        let raw = slot.swap(ptr::null_mut(), Ordering::AcqRel);
        if !raw.is_null() {
            // SAFETY: a registered pointer is a valid NUL-terminated string, and the swap made
            // this call its only holder. It is not freed: free(3) is not async-signal-safe, and
            // the process is about to exit.
            unsafe { libc::unlink(raw) };
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Mapped inputs.

/// How many mapped ranges are remembered; past that the oldest is forgotten.
const MAP_SLOTS: usize = 256;
/// Bytes of an input's name kept (the end of a longer name, after `...`).
const NAME_CAP: usize = 240;

/// One remembered mapping. `seq` is odd while a writer updates the slot.
struct MapSlot {
    seq: AtomicUsize,
    start: AtomicUsize,
    len: AtomicUsize,
    name_len: AtomicUsize,
    name: [AtomicU8; NAME_CAP],
}

impl MapSlot {
    const fn new() -> Self {
        MapSlot {
            seq: AtomicUsize::new(0),
            start: AtomicUsize::new(0),
            len: AtomicUsize::new(0),
            name_len: AtomicUsize::new(0),
            name: [const { AtomicU8::new(0) }; NAME_CAP],
        }
    }

    fn overlaps(&self, start: usize, len: usize) -> bool {
        let (s, l) = (
            self.start.load(Ordering::Relaxed),
            self.len.load(Ordering::Relaxed),
        );
        l > 0 && len > 0 && s < start.saturating_add(len) && start < s.saturating_add(l)
    }

    /// Writes the slot. Callers hold `MAP_WRITER`, so writers never race each other.
    fn store(&self, start: usize, len: usize, name: &[u8]) {
        self.seq.fetch_add(1, Ordering::Relaxed);
        fence(Ordering::Release);
        self.start.store(start, Ordering::Relaxed);
        self.len.store(len, Ordering::Relaxed);
        let n = name.len().min(NAME_CAP);
        for (dst, &b) in self.name.iter().zip(&name[..n]) {
            dst.store(b, Ordering::Relaxed);
        }
        self.name_len.store(n, Ordering::Relaxed);
        self.seq.fetch_add(1, Ordering::Release);
    }

    /// Copies the name into `out` if `addr` lies in this slot's range and the slot was not
    /// being written meanwhile. Returns the name's length. Async-signal-safe.
    fn name_at(&self, addr: usize, out: &mut [u8; NAME_CAP]) -> Option<usize> {
        let seq = self.seq.load(Ordering::Acquire);
        if seq % 2 == 1 {
            return None;
        }
        let start = self.start.load(Ordering::Relaxed);
        let len = self.len.load(Ordering::Relaxed);
        let n = self.name_len.load(Ordering::Relaxed).min(NAME_CAP);
        for (dst, src) in out.iter_mut().zip(&self.name[..n]) {
            *dst = src.load(Ordering::Relaxed);
        }
        fence(Ordering::Acquire);
        let unchanged = self.seq.load(Ordering::Relaxed) == seq;
        (unchanged && len > 0 && addr >= start && addr - start < len).then_some(n)
    }
}

static MAPS: [MapSlot; MAP_SLOTS] = [const { MapSlot::new() }; MAP_SLOTS];

/// Serializes writers of `MAPS`; holds the next slot to recycle when all are in use. Handlers
/// never take it.
static MAP_WRITER: Mutex<usize> = Mutex::new(0);

/// Records that `name` is memory-mapped at `range_start..range_start + len`, so that a SIGBUS
/// there (the file shrank) can name it. A new range replaces any it overlaps (their mappings
/// must be gone, as the address space was reused); when all slots are taken, the oldest is
/// forgotten and a SIGBUS there is reported without a name.
pub fn note_mapped(name: &Path, range_start: usize, len: usize) {
    if len == 0 {
        return;
    }
    let name = printable_name(name.as_os_str().as_bytes());
    let mut next = MAP_WRITER.lock().unwrap_or_else(PoisonError::into_inner);
    let mut free = None;
    for (i, slot) in MAPS.iter().enumerate() {
        if slot.overlaps(range_start, len) {
            slot.store(0, 0, b"");
        }
        if free.is_none() && slot.len.load(Ordering::Relaxed) == 0 {
            free = Some(i);
        }
    }
    let i = free.unwrap_or_else(|| {
        let i = *next;
        *next = (i + 1) % MAP_SLOTS;
        i
    });
    MAPS[i].store(range_start, len, &name);
}

/// Forgets the range starting at `range_start` (call when unmapping, before the address space
/// can be reused).
pub fn forget_mapped(range_start: usize) {
    let _writer = MAP_WRITER.lock().unwrap_or_else(PoisonError::into_inner);
    for slot in &MAPS {
        if slot.len.load(Ordering::Relaxed) > 0 && slot.start.load(Ordering::Relaxed) == range_start
        {
            slot.store(0, 0, b"");
        }
    }
}

/// The name as it will be printed: control characters become `?` (the message stays one line),
/// and a name longer than the slot keeps its end, where the file name is.
fn printable_name(name: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = name
        .iter()
        .map(|&b| if b < 0x20 || b == 0x7f { b'?' } else { b })
        .collect();
    if v.len() > NAME_CAP {
        let tail = v.split_off(v.len() - (NAME_CAP - 3));
        v = b"...".to_vec();
        v.extend_from_slice(&tail);
    }
    v
}

/// Looks up the input mapped at `addr`. Async-signal-safe.
fn mapped_name(addr: usize, out: &mut [u8; NAME_CAP]) -> Option<usize> {
    if addr == 0 {
        return None;
    }
    MAPS.iter().find_map(|slot| slot.name_at(addr, out))
}

// ---------------------------------------------------------------------------------------------
// Handlers.

/// Set by the first fatal handler; any other thread that gets a signal then just waits for
/// `_exit`, so cleanup and the message happen once.
static EXITING: AtomicBool = AtomicBool::new(false);

/// Exit code for a terminating signal: 128 + its number, as shells report it (130 for
/// SIGINT, 143 for SIGTERM).
fn exit_code_for(sig: c_int) -> c_int {
    match sig {
        libc::SIGINT => ExitCode::Interrupted.code() as c_int,
        libc::SIGTERM => ExitCode::Terminated.code() as c_int,
        _ => 128 + sig,
    }
}

/// Parks a thread that lost the race to report until the winner's `_exit` ends the process.
fn wait_for_exit() -> ! {
    loop {
        // SAFETY: pause(2) is async-signal-safe and has no preconditions.
        unsafe { libc::pause() };
    }
}

extern "C" fn on_terminate(sig: c_int) {
    if EXITING.swap(true, Ordering::SeqCst) {
        wait_for_exit();
    }
    wait_for_creations();
    remove_temps();
    // SAFETY: _exit(2) is async-signal-safe; skipping destructors and stdio flushes is the
    // point (buffers may be mid-write, locks may be held).
    unsafe { libc::_exit(exit_code_for(sig)) }
}

/// SIGABRT: a panic of a release build (`panic = "abort"`), a failed allocation, or `abort(3)`
/// from a library. The temporary files go; then the process aborts as it would have (default
/// action re-armed, signal raised again: it is blocked while this handler runs, so it is
/// delivered as soon as the handler returns).
extern "C" fn on_abort(sig: c_int) {
    if !EXITING.swap(true, Ordering::AcqRel) {
        remove_temps();
    }
    // SAFETY: signal(2) and raise(3) are async-signal-safe.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

const SHRANK: &[u8] = b"an input file shrank while it was being read (memory-mapped); \
its results would be wrong. Rerun, or use --mmap never\n";
const SHRANK_NAMED: &[u8] = b": this input file shrank while it was being read (memory-mapped); \
its results would be wrong. Rerun, or use --mmap never\n";

extern "C" fn on_bus(_sig: c_int, info: *mut libc::siginfo_t, _ctx: *mut c_void) {
    if EXITING.swap(true, Ordering::AcqRel) {
        wait_for_exit();
    }
    remove_temps();
    let mut line = LineBuf::new();
    line.push(b"logmill: ");
    let mut name = [0u8; NAME_CAP];
    match mapped_name(fault_address(info), &mut name) {
        Some(n) => {
            line.push(&name[..n]);
            line.push(SHRANK_NAMED);
        }
        None => line.push(SHRANK),
    }
    line.write_to_stderr();
    // SAFETY: as in `on_terminate`. Returning would re-run the faulting access.
    unsafe { libc::_exit(ExitCode::Error.code() as c_int) }
}

/// The address whose access raised the signal, or 0 where the platform does not say.
fn fault_address(info: *mut libc::siginfo_t) -> usize {
    if info.is_null() {
        return 0;
    }
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler, and for SIGBUS
        // `si_addr` is the member in use.
        unsafe { (*info).si_addr() as usize }
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        // SAFETY: as above; on the BSDs and macOS `si_addr` is a plain field.
        unsafe { (*info).si_addr as usize }
    }
}

/// A fixed buffer for building one line in a signal handler, written with one `write(2)`.
struct LineBuf {
    buf: [u8; 512],
    len: usize,
}

impl LineBuf {
    fn new() -> Self {
        LineBuf {
            buf: [0; 512],
            len: 0,
        }
    }

    /// Appends what fits; a line that does not fit is cut, but always ends with a newline.
    fn push(&mut self, bytes: &[u8]) {
        let n = bytes.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&bytes[..n]);
        self.len += n;
        if self.len == self.buf.len() {
            self.buf[self.len - 1] = b'\n';
        }
    }

    fn write_to_stderr(&self) {
        let mut rest = &self.buf[..self.len];
        while !rest.is_empty() {
            // SAFETY: write(2) is async-signal-safe; the pointer and length describe `rest`.
            let n = unsafe { libc::write(2, rest.as_ptr().cast(), rest.len()) };
            if n > 0 {
                rest = &rest[n as usize..];
            } else if n < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EINTR) {
                continue;
            } else {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The registries are process-wide. The mapped-range tests take `MAPS_TEST` (one of them
    // fills the whole table) and each uses its own address range.
    static MAPS_TEST: Mutex<()> = Mutex::new(());

    fn lookup(addr: usize) -> Option<Vec<u8>> {
        let mut buf = [0u8; NAME_CAP];
        mapped_name(addr, &mut buf).map(|n| buf[..n].to_vec())
    }

    #[test]
    fn mapped_ranges_name_their_input() {
        let _serial = MAPS_TEST.lock().unwrap_or_else(PoisonError::into_inner);
        let base = 0x7000_0000_0000usize;
        note_mapped(Path::new("a.log"), base, 4096);
        note_mapped(Path::new("b\nlog"), base + 8192, 100);
        assert_eq!(lookup(base).as_deref(), Some(&b"a.log"[..]));
        assert_eq!(lookup(base + 4095).as_deref(), Some(&b"a.log"[..]));
        assert_eq!(lookup(base + 4096), None);
        assert_eq!(lookup(base + 8192 + 99).as_deref(), Some(&b"b?log"[..]));
        assert_eq!(lookup(base + 8192 + 100), None);
        // The address space is reused by a new mapping: the old names go.
        note_mapped(Path::new("c.log"), base + 2048, 8192);
        assert_eq!(lookup(base).as_deref(), None);
        assert_eq!(lookup(base + 8192 + 50).as_deref(), Some(&b"c.log"[..]));
        forget_mapped(base + 2048);
        assert_eq!(lookup(base + 3000), None);
    }

    #[test]
    fn long_names_keep_their_end() {
        let _serial = MAPS_TEST.lock().unwrap_or_else(PoisonError::into_inner);
        let base = 0x7100_0000_0000usize;
        let long = format!("{}/file.log", "d".repeat(400));
        note_mapped(Path::new(&long), base, 10);
        let got = lookup(base + 1).unwrap();
        assert_eq!(got.len(), NAME_CAP);
        assert!(got.starts_with(b"..."));
        assert!(got.ends_with(b"d/file.log"));
        forget_mapped(base);
    }

    #[test]
    fn a_full_table_forgets_the_oldest() {
        let _serial = MAPS_TEST.lock().unwrap_or_else(PoisonError::into_inner);
        let base = 0x7200_0000_0000usize;
        for i in 0..MAP_SLOTS + 10 {
            note_mapped(Path::new(&format!("f{i}")), base + i * 4096, 4096);
        }
        let last = MAP_SLOTS + 9;
        assert_eq!(
            lookup(base + last * 4096).as_deref(),
            Some(format!("f{last}").as_bytes())
        );
        for i in 0..MAP_SLOTS + 10 {
            forget_mapped(base + i * 4096);
        }
    }

    #[test]
    fn temp_guards_register_and_unregister() {
        let g = register_temp(Path::new("/nonexistent/logmill-test-a.tmp"));
        let slot = g.slot.expect("registered");
        let raw = TEMPS[slot].load(Ordering::Acquire);
        assert!(!raw.is_null());
        // SAFETY: the pointer is ours while `g` lives: only its drop or a handler frees or
        // takes it, and no signal handler runs in this test.
        let text = unsafe { std::ffi::CStr::from_ptr(raw) };
        assert_eq!(text.to_bytes(), b"/nonexistent/logmill-test-a.tmp");
        drop(g);
        // Another test may have taken the slot since, but not with our (freed) string.
        assert_ne!(TEMPS[slot].load(Ordering::Acquire), raw);
    }

    #[test]
    fn line_buffer_always_ends_a_line() {
        let mut l = LineBuf::new();
        l.push(&[b'x'; 600]);
        assert_eq!(l.len, 512);
        assert_eq!(l.buf[511], b'\n');
    }
}
