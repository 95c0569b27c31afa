//! Process exit codes, in one place (after fd's `exit_codes.rs`). They follow grep: scripts
//! branch on them.

/// How a run ended, as the shell sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// The job ran and produced its results (for `grep`: at least one line matched).
    Success,
    /// The job ran but nothing matched (`grep` only).
    NoMatch,
    /// Bad arguments, an unreadable input or a failed write (also a mapped input that shrank
    /// during the run, reported from the SIGBUS handler in `signals.rs`).
    Error,
    /// Stopped by SIGINT (Ctrl-C): 130, i.e. 128 + 2, as shells report it.
    Interrupted,
    /// Stopped by SIGTERM: 143, i.e. 128 + 15.
    Terminated,
}

impl ExitCode {
    /// The numeric code handed to the operating system.
    pub fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::NoMatch => 1,
            ExitCode::Error => 2,
            ExitCode::Interrupted => 130,
            ExitCode::Terminated => 143,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c.code())
    }
}

/// How a run ended: the exit code, plus warnings for the binary to print on stderr, one line
/// each (a library never writes to stderr itself). Any job can add warnings, e.g. records it
/// had to reject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exit code.
    pub code: ExitCode,
    /// Messages for the user, each one line, without a `logmill:` prefix.
    pub warnings: Vec<String>,
}

impl From<ExitCode> for Outcome {
    fn from(code: ExitCode) -> Self {
        Outcome {
            code,
            warnings: Vec::new(),
        }
    }
}
