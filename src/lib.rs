//! logmill: MapReduce-style counting and aggregation of logs and text on one machine.
//!
//! Inputs are memory-mapped (or streamed in bounded blocks) and cut into newline-aligned chunks
//! ([`chunk`]); a job's [`engine::Mapper`] folds each chunk into a partial aggregate on a rayon
//! pool; partials merge through [`aggregate::Merge`] in a reduce tree ([`engine::Engine`]);
//! [`order`] puts the result in its deterministic order and [`emit`] writes it. Every job is one
//! implementation of [`jobs::Job`]; [`pipeline`] drives any of them. The binary is a thin layer
//! over [`run`].
//!
//! ```
//! use logmill::{jobs::words::WordsParams, Config, InputSpec, JobParams};
//!
//! let input = InputSpec::Bytes {
//!     name: "example".into(),
//!     data: b"To be, or not to be\nto BE\n".to_vec(),
//! };
//! let mut config = Config::new(JobParams::Words(WordsParams::default()), vec![input]);
//! config.threads = 2;
//! config.chunk_size = 8; // tiny chunks still give the same answer
//! let mut out = Vec::new();
//! logmill::run(config, &mut out).unwrap();
//! assert_eq!(out, b"to\t3\nbe\t2\nbe,\t1\nnot\t1\nor\t1\n");
//! ```
#![deny(missing_docs)]

pub mod aggregate;
pub mod atomic;
pub mod chunk;
pub mod cli;
pub mod config;
pub mod diag;
pub mod diff;
pub mod docs;
pub mod emit;
pub mod engine;
pub mod error;
pub mod exit;
pub mod input;
pub mod jobs;
pub mod num;
pub mod order;
pub mod partial;
pub mod pipeline;
pub mod progress;
pub mod same_file;
pub mod signals;
pub mod size;
pub mod spill;
pub mod timestamp;

pub use config::Config;
pub use error::{Error, Result};
pub use exit::{ExitCode, Outcome};
pub use input::InputSpec;
pub use jobs::JobParams;
pub use pipeline::{run, run_to};
