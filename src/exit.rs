//! Process exit codes, in one place (after fd's `exit_codes.rs`). They follow grep: scripts
//! branch on them.

/// How a run ended, as the shell sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// The job ran and produced its results (for `grep`: at least one line matched).
    Success,
    /// The job ran but nothing matched (`grep` only).
    NoMatch,
    /// No result: bad arguments, an unreadable input (with `--keep-going`: every input), or a
    /// failed write (also a mapped input that shrank during the run, reported from the SIGBUS
    /// handler in `signals.rs`). Neither `-o` nor `--state` is written.
    Error,
    /// `--keep-going`: some inputs failed, the others gave their results (written).
    PartialSuccess,
    /// `--max-rejects`: more bad records than allowed (results written).
    TooManyRejects,
    /// `--fail-if`: a result row met a condition (results written).
    ConditionMet,
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
            ExitCode::PartialSuccess => 3,
            ExitCode::TooManyRejects => 4,
            ExitCode::ConditionMet => 5,
            ExitCode::Interrupted => 130,
            ExitCode::Terminated => 143,
        }
    }

    /// How severe the code is: when several apply, a run exits with the most severe, in the
    /// order interrupted/terminated, 2 (no result), 5, 4, 3, 1, 0.
    pub fn severity(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::NoMatch => 1,
            ExitCode::PartialSuccess => 2,
            ExitCode::TooManyRejects => 3,
            ExitCode::ConditionMet => 4,
            ExitCode::Error => 5,
            ExitCode::Interrupted | ExitCode::Terminated => 6,
        }
    }

    /// The more severe of two codes.
    pub fn worst(self, other: ExitCode) -> ExitCode {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// True when the run's results are complete as far as they claim, so `-o` is written
    /// and `--state` saved: every code but 2 (and the signals, which stop the run).
    pub fn has_result(self) -> bool {
        !matches!(
            self,
            ExitCode::Error | ExitCode::Interrupted | ExitCode::Terminated
        )
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

impl Outcome {
    /// Raises the code to `code` when that is more severe, with a message for stderr.
    pub fn raise(&mut self, code: ExitCode, message: Option<String>) {
        self.code = self.code.worst(code);
        self.warnings.extend(message);
    }
}

impl From<ExitCode> for Outcome {
    fn from(code: ExitCode) -> Self {
        Outcome {
            code,
            warnings: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ExitCode::*;

    #[test]
    fn the_most_severe_code_wins() {
        let order = [
            Success,
            NoMatch,
            PartialSuccess,
            TooManyRejects,
            ConditionMet,
            Error,
        ];
        for (i, a) in order.iter().enumerate() {
            for (j, b) in order.iter().enumerate() {
                assert_eq!(a.worst(*b), order[i.max(j)]);
            }
        }
        let codes: Vec<u8> = order.iter().map(|c| c.code()).collect();
        assert_eq!(codes, [0, 1, 3, 4, 5, 2]);
        assert!(ConditionMet.has_result() && NoMatch.has_result());
        assert!(!Error.has_result());
    }
}
