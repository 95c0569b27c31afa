//! Integration tests, built as one binary (one link, one run). One module per area.

#[macro_use]
mod util;

mod adversarial;
mod cli;
mod fields;
mod fuzz_regress;
mod grep;
mod inputs;
mod matches;
mod output;
mod partials;
mod spill;
mod state;
mod state_safe;
mod words;
