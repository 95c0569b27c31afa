//! The `logmill` binary: flags → config → run → exit code. Everything else is in the library.

use std::io;

use logmill::cli::{self, Cli, Command};
use logmill::output::OutputFile;
use logmill::{diag, docs, signals, Config, Error, ExitCode, Result};

fn main() -> std::process::ExitCode {
    // First, so that no temporary file can exist before the handlers that remove it.
    signals::install();
    let cli = cli::parse();
    let code = match run(cli) {
        Ok(code) => code,
        // `logmill ... | head`: the reader went away, which is not an error (as in ripgrep).
        Err(e) if e.is_broken_pipe() => ExitCode::Success,
        Err(e) => {
            diag::error(&e);
            ExitCode::Error
        }
    };
    code.into()
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Completions(a) => return print_docs(|out| docs::completions(a.shell, out)),
        Command::Man => return print_docs(docs::man),
        _ => {}
    }
    let config = Config::from_cli(cli)?;
    match config.output.clone() {
        None => logmill::run(config, &mut io::stdout().lock()),
        Some(path) => {
            // Created before the run, so an unwritable -o fails before any work; committed
            // (renamed into place) only if the run succeeds, removed otherwise.
            let mut file = OutputFile::create(&path)?;
            let code = logmill::run_to(config, &mut file)?;
            file.commit()?;
            Ok(code)
        }
    }
}

fn print_docs(write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> Result<ExitCode> {
    write(&mut io::stdout().lock()).map_err(Error::Output)?;
    Ok(ExitCode::Success)
}
