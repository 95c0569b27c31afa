//! The `logmill` binary: flags → config → run → exit code. Everything else is in the library.

use std::io;

use clap::Parser;

use logmill::cli::Cli;
use logmill::{Config, ExitCode};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result =
        Config::from_cli(cli).and_then(|config| logmill::run(config, &mut io::stdout().lock()));
    let code = match result {
        Ok(outcome) => {
            for w in &outcome.warnings {
                eprintln!("logmill: warning: {w}");
            }
            outcome.code
        }
        // `logmill ... | head`: the reader went away, which is not an error (as in ripgrep).
        Err(e) if e.is_broken_pipe() => ExitCode::Success,
        Err(e) => {
            eprintln!("logmill: {e}");
            ExitCode::Error
        }
    };
    code.into()
}
