//! The registry: from one list of jobs (`registry! { module::Type, ... }` in `jobs/mod.rs`),
//! the job modules, the command line's subcommands ([`JobCommand`](super::JobCommand)), the
//! partial header's parameters ([`JobParams`](super::JobParams)) and the dispatch from
//! parameters to a typed job ([`JobVisitor`]). Nothing else names the jobs one by one.

use super::{Job, RejectArgs};
use crate::error::Result;

/// Runs generic code with a typed job: what [`JobParams::visit`](super::JobParams::visit)
/// hands the job it builds to.
pub trait JobVisitor {
    /// What the visit returns.
    type Output;
    /// Called with the job built from the parameters.
    fn visit<J: Job>(self, job: J) -> Result<Self::Output>;
}

/// Builds a job from its parameters and hands it to `visitor`.
pub fn build_and_visit<J: Job, V: JobVisitor>(
    params: &J::Params,
    bad: &RejectArgs,
    visitor: V,
) -> Result<V::Output> {
    visitor.visit(J::build(params, bad)?)
}

/// Declares the job modules and generates [`JobCommand`](super::JobCommand) and
/// [`JobParams`](super::JobParams) from the list. The variant is the job type's name; its
/// lowercase is the subcommand and the `"job"` of partial headers.
macro_rules! registry {
    ($($module:ident :: $job:ident),* $(,)?) => {
        $(pub mod $module;)*

        /// The jobs, as subcommands of the command line.
        #[derive(Debug, clap::Subcommand)]
        pub enum JobCommand {
            $(
                #[command(
                    about = <$module::$job as Job>::ABOUT,
                    after_long_help = <$module::$job as Job>::EXAMPLES
                )]
                #[allow(missing_docs)]
                $job(Box<<$module::$job as Job>::Args>),
            )*
        }

        /// What defines a job's result: the job and its parameters. Serialized in partial
        /// headers as `{"job":"NAME","params":{...}}`.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "job", content = "params", rename_all = "lowercase")]
        pub enum JobParams {
            $(
                #[allow(missing_docs)]
                $job(<$module::$job as Job>::Params),
            )*
        }

        impl JobCommand {
            /// The job's flags resolved into its parameters and the shared flags.
            pub fn parse(self) -> Result<Parsed<JobParams>> {
                match self {
                    $(JobCommand::$job(args) => {
                        let p = <$module::$job as Job>::parse(*args)?;
                        Ok(Parsed {
                            params: JobParams::$job(p.params),
                            files: p.files,
                            output: p.output,
                            bad: p.bad,
                        })
                    })*
                }
            }
        }

        impl JobParams {
            /// Builds the job these parameters define and hands it to `visitor`.
            pub fn visit<V: JobVisitor>(&self, bad: &RejectArgs, visitor: V) -> Result<V::Output> {
                match self {
                    $(JobParams::$job(p) => {
                        registry::build_and_visit::<$module::$job, V>(p, bad, visitor)
                    })*
                }
            }
        }

        impl crate::partial::format::Header for JobParams {
            fn name(&self) -> &'static str {
                match self {
                    $(JobParams::$job(_) => <$module::$job as Job>::NAME,)*
                }
            }

            fn upgrade_v1_key(&self, key: &mut Vec<u8>) {
                match self {
                    $(JobParams::$job(p) => <$module::$job as Job>::upgrade_v1_key(p, key),)*
                }
            }
        }
    };
}
