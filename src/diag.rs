//! Diagnostics: the one place messages for the user are written. Each is a whole line, written
//! to stderr with one locked write, so lines from several threads never interleave mid-line.

use std::fmt::Display;
use std::io::Write;

/// Writes `logmill: MESSAGE` as one line on stderr.
pub fn error(message: impl Display) {
    line(format_args!("logmill: {message}"));
}

/// Writes `logmill: note: MESSAGE` as one line on stderr.
pub fn note(message: impl Display) {
    line(format_args!("logmill: note: {message}"));
}

/// Writes `logmill: warning: MESSAGE` as one line on stderr.
pub fn warning(message: impl Display) {
    line(format_args!("logmill: warning: {message}"));
}

fn line(text: std::fmt::Arguments<'_>) {
    let mut s = text.to_string();
    // One message, one line: fold any newline a message carries.
    s = s.replace('\n', " ");
    s.push('\n');
    // Nothing sensible can be done if stderr itself is gone.
    let _ = std::io::stderr().lock().write_all(s.as_bytes());
}
