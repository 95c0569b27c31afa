//! Fuzz target `record_csv`: the property lives in `fuzz/checks/record_csv.rs`, shared with the replay of
//! `fuzz/corpus-regress/record_csv/` that `cargo test` runs.
#![no_main]

#[path = "../checks/record_csv.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|input: &[u8]| check::check(input));
