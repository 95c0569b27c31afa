//! Fuzz target `spill_run`: the property lives in `fuzz/checks/spill_run.rs`, shared with the replay of
//! `fuzz/corpus-regress/spill_run/` that `cargo test` runs.
#![no_main]

#[path = "../checks/spill_run.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|input: &[u8]| check::check(input));
