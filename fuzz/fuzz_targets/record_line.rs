//! Fuzz target `record_line`: the property lives in `fuzz/checks/record_line.rs`, shared with the replay of
//! `fuzz/corpus-regress/record_line/` that `cargo test` runs.
#![no_main]

#[path = "../checks/record_line.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|input: &[u8]| check::check(input));
