//! Integration tests, built as one binary (one link, one run). One module per concern, named
//! by what it tests; shared helpers (temporary dirs, running the binary, skips) in `util.rs`.

#[macro_use]
mod util;

mod adversarial;
mod atomic_output;
mod bench_peers;
mod cli;
mod composite_keys;
mod compressed;
mod coverage;
mod diff;
mod example;
mod example_placed;
mod exit_policy;
mod fields;
mod formats;
mod fuzz_regress;
mod grep;
mod grep_example;
mod grep_per_sparse;
mod help;
mod html;
mod html_per;
mod html_spilled;
mod inputs;
mod layering;
mod lines;
mod match_onepass;
mod matches;
mod partials;
mod ranked;
mod records;
mod records_read;
mod records_search;
mod signals;
mod spill;
mod state;
mod time;
mod time_fields;
mod time_records;
mod time_rejects;
mod time_years;
mod timestamps;
mod top_per;
mod words;
