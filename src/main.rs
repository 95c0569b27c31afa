//! The `logmill` binary: flags → config → run → exit code. Everything else is in the library.

use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use logmill::atomic::{self, OutputFile};
use logmill::cli::{self, Cli, Command};
use logmill::{diag, docs, same_file, signals, Config, Error, ExitCode, Result};

/// Whether fd 1 was closed when the process started (`logmill ... >&-`). Rust's runtime opens
/// `/dev/null` on a closed stdin, stdout or stderr before `main`, so writes to it would succeed
/// and the results vanish; this is looked at before that, from the ELF `.init_array` (which
/// runs before the runtime's own setup), and the run then refuses to start, as `cat f >&-`
/// fails with "Bad file descriptor".
static STDOUT_CLOSED_AT_START: AtomicBool = AtomicBool::new(false);

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
#[used]
#[link_section = ".init_array"]
static NOTE_CLOSED_STDOUT: extern "C" fn() = note_closed_stdout;

#[cfg(any(target_os = "linux", target_os = "android", target_os = "freebsd"))]
extern "C" fn note_closed_stdout() {
    // SAFETY: F_GETFD only asks whether the descriptor is open.
    let closed = unsafe { libc::fcntl(1, libc::F_GETFD) } == -1;
    STDOUT_CLOSED_AT_START.store(closed, Ordering::Relaxed);
}

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

/// Refuses to run when the results would go to a stdout that was closed at start.
fn check_stdout(output: Option<&Path>) -> Result<()> {
    let to_stdout = output.is_none_or(|p| atomic::std_fd_of(p) == Some(1));
    if to_stdout && STDOUT_CLOSED_AT_START.load(Ordering::Relaxed) {
        return Err(Error::Output(io::Error::other(
            "standard output is closed (Bad file descriptor): nowhere to write the results; \
             redirect it or use -o FILE",
        )));
    }
    Ok(())
}

fn run(cli: Cli) -> Result<ExitCode> {
    match &cli.command {
        Command::Completions(a) => {
            check_stdout(None)?;
            return print_docs(|out| docs::completions(a.shell, out));
        }
        Command::Man => {
            check_stdout(None)?;
            return print_docs(docs::man);
        }
        Command::Coverage(a) => {
            check_stdout(None)?;
            let whole = logmill::partial::coverage::report(&a.files, &mut io::stdout().lock())?;
            return Ok(if whole {
                ExitCode::Success
            } else {
                ExitCode::NoMatch
            });
        }
        _ => {}
    }
    let mut config = Config::from_cli(cli)?;
    config.set_command_line(std::env::args_os().skip(1));
    check_stdout(config.output.as_deref())?;
    same_file::check(&config)?;
    match config.output.clone() {
        None => logmill::run(config, &mut io::stdout().lock()),
        Some(path) => {
            // Created before the run, so an unwritable -o fails before any work; committed
            // (renamed into place) only if the run has a result (any exit code but 2),
            // removed otherwise.
            let mut file = OutputFile::create(&path)?;
            let code = logmill::run_to(config, &mut file)?;
            if code.has_result() {
                file.commit()?;
            }
            Ok(code)
        }
    }
}

fn print_docs(write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> Result<ExitCode> {
    write(&mut io::stdout().lock()).map_err(Error::Output)?;
    Ok(ExitCode::Success)
}
