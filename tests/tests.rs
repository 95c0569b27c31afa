//! Integration tests, built as one binary (one link, one run). One module per area.

#[macro_use]
mod util;

mod adversarial;
mod answers_safe;
mod cli;
mod fields;
mod fuzz_regress;
mod grep;
mod inputs;
mod inputs_safe;
mod layering;
mod matches;
mod output;
mod outputs_safe;
mod partials;
mod records_safe;
mod spill;
mod state;
mod state_safe;
mod timestamps;
mod words;
