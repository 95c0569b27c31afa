//! Fuzz target `partial`: the property lives in `fuzz/checks/partial.rs`, shared with the replay of
//! `fuzz/corpus-regress/partial/` that `cargo test` runs.
#![no_main]

#[path = "../checks/partial.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|input: &[u8]| check::check(input));
