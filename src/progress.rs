//! Progress on stderr (indicatif): bytes processed of the total, rate and ETA, across all inputs
//! (compressed inputs by compressed bytes read). Updated once per chunk or block, never per line,
//! so it costs nothing measurable. Shown only when asked, or by default when stderr is a
//! terminal, so cron mail and CI logs stay clean.

use std::io::{self, IsTerminal, Read};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// When to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProgressMode {
    /// Only when stderr is a terminal.
    #[default]
    Auto,
    /// Always (on stderr, even when it is not a terminal).
    Always,
    /// Never.
    Never,
}

/// A handle to the progress display; cloning shares it. A hidden one does nothing.
#[derive(Clone, Default)]
pub struct Progress {
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A progress display, hidden unless `mode` says to show it. The total is set later with
    /// [`Progress::set_total`], once the inputs are open.
    pub fn new(mode: ProgressMode) -> Progress {
        let show = match mode {
            ProgressMode::Never => false,
            ProgressMode::Always => true,
            ProgressMode::Auto => io::stderr().is_terminal(),
        };
        if !show {
            return Progress::default();
        }
        // Hidden until the total is known, so no frame is drawn in the wrong style.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        Progress { bar: Some(bar) }
    }

    /// Sets the total number of bytes (`None` when unknown, e.g. stdin) and starts drawing.
    pub fn set_total(&self, total: Option<u64>) {
        let Some(bar) = &self.bar else { return };
        let style = match total {
            Some(n) => {
                bar.set_length(n);
                ProgressStyle::with_template(
                    "{bytes}/{total_bytes} [{wide_bar}] {binary_bytes_per_sec} ETA {eta}",
                )
                .expect("valid template")
                .progress_chars("=> ")
            }
            None => ProgressStyle::with_template("{spinner} {bytes} {binary_bytes_per_sec}")
                .expect("valid template"),
        };
        bar.set_style(style);
        // indicatif's own stderr target hides itself when stderr is not a terminal; `always`
        // means always, so draw through a plain stderr writer instead.
        bar.set_draw_target(if io::stderr().is_terminal() {
            ProgressDrawTarget::stderr_with_hz(8)
        } else {
            ProgressDrawTarget::term_like_with_hz(Box::new(PlainStderr), 2)
        });
        bar.enable_steady_tick(Duration::from_millis(500));
    }

    /// Counts `n` more bytes as processed.
    #[inline]
    pub fn add(&self, n: u64) {
        if let Some(b) = &self.bar {
            b.inc(n);
        }
    }

    /// Removes the display (before results or errors are printed).
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }

    /// True when something is displayed.
    pub fn is_visible(&self) -> bool {
        self.bar.is_some()
    }
}

/// A reader that reports the bytes read through it to a [`Progress`].
pub struct CountingReader<R> {
    inner: R,
    progress: Progress,
}

impl<R> CountingReader<R> {
    /// Wraps `inner`.
    pub fn new(inner: R, progress: Progress) -> Self {
        CountingReader { inner, progress }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add(n as u64);
        Ok(n)
    }
}

/// stderr as a bare terminal-like sink: each redraw is one line ending in `\r`.
#[derive(Debug)]
struct PlainStderr;

impl indicatif::TermLike for PlainStderr {
    fn width(&self) -> u16 {
        80
    }
    fn move_cursor_up(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> io::Result<()> {
        io::Write::write_all(&mut io::stderr().lock(), format!("{s}\n").as_bytes())
    }
    fn write_str(&self, s: &str) -> io::Result<()> {
        io::Write::write_all(&mut io::stderr().lock(), s.as_bytes())
    }
    fn clear_line(&self) -> io::Result<()> {
        // No escape codes on a non-terminal: blank the line with spaces.
        let blank = format!("\r{:80}\r", "");
        io::Write::write_all(&mut io::stderr().lock(), blank.as_bytes())
    }
    fn flush(&self) -> io::Result<()> {
        io::Write::flush(&mut io::stderr())
    }
}
