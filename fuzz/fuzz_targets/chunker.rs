//! Fuzz target `chunker`: the property lives in `fuzz/checks/chunker.rs`, shared with the replay of
//! `fuzz/corpus-regress/chunker/` that `cargo test` runs.
#![no_main]

#[path = "../checks/chunker.rs"]
mod check;

libfuzzer_sys::fuzz_target!(|input: &[u8]| check::check(input));
