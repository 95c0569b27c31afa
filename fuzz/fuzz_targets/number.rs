//! Fuzz target `number`: the property lives in `fuzz/checks/number.rs`, shared with the replay of
//! `fuzz/corpus-regress/number/` that `cargo test` runs.
#![no_main]

#[path = "../checks/number.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|input: &[u8]| check::check(input));
