//! Replays the committed fuzz regression corpus (`fuzz/corpus-regress/TARGET/`) through the
//! same property checks the fuzz targets run (`fuzz/checks/TARGET.rs`), so every input that
//! once found a bug, or that fuzzing kept as interesting, is checked by `cargo test` on stable
//! Rust without libFuzzer.

#[path = "../fuzz/checks/chunker.rs"]
mod chunker;
#[path = "../fuzz/checks/number.rs"]
mod number;
#[path = "../fuzz/checks/partial.rs"]
mod partial;
#[path = "../fuzz/checks/record_csv.rs"]
mod record_csv;
#[path = "../fuzz/checks/record_line.rs"]
mod record_line;
#[path = "../fuzz/checks/spill_run.rs"]
mod spill_run;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus-regress")
        .join(target);
    let mut n = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(
            outcome.is_ok(),
            "{target}: {} fails its check",
            path.display()
        );
        n += 1;
    }
    assert!(n > 0, "{target}: no regression inputs in {}", dir.display());
}

#[test]
fn chunker_regressions() {
    replay("chunker", chunker::check);
}

#[test]
fn number_regressions() {
    replay("number", number::check);
}

#[test]
fn partial_regressions() {
    replay("partial", partial::check);
}

#[test]
fn record_csv_regressions() {
    replay("record_csv", record_csv::check);
}

#[test]
fn record_line_regressions() {
    replay("record_line", record_line::check);
}

#[test]
fn spill_run_regressions() {
    replay("spill_run", spill_run::check);
}
