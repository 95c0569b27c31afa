#!/usr/bin/env python3
"""Any logmill job as one Hadoop Streaming step, through mrjob.

The mapper is `logmill map JOB ARGS` (records on stdin, combined `KEY<TAB>STATE` lines out);
the reducer is `logmill --emit partial reduce JOB ARGS` (such lines in, sorted by key, merged
lines out). Hadoop Streaming's contract: the key is the text before the first TAB, every key
goes to one reducer, and each reducer sees its keys sorted. The reducers' outputs are disjoint
partial lines; one last `logmill reduce JOB ARGS` turns them into the final, ordered results.

    python examples/mrjob/logmill_mr.py -r local --cmdenv LOGMILL_THREADS=1 \\
        --logmill "$PWD/target/release/logmill" --job "words" testdata/kjv.txt > kjv.lines
    logmill reduce words < kjv.lines > kjv.tsv        # = logmill words testdata/kjv.txt

`--job` holds JOB ARGS in shell syntax, e.g. `--job "match '\\" ([0-9]{3}) ' --sum 2"`.
`-r local` simulates Hadoop Streaming (input splits, sort, partition) with subprocesses and
passes bytes through unchanged, so the result is byte-identical to the single-machine run, also
on input that is not UTF-8. On a Hadoop cluster use `-r hadoop`, with logmill at the same path
on every node. (mrjob 0.7.4 is unmaintained: it runs on Python 3.11; 3.12 needs setuptools;
3.13 lacks its `pipes` module. `-r inline` cannot run command steps.)
"""

import shlex

from mrjob.job import MRJob
from mrjob.step import MRStep


class LogmillJob(MRJob):
    """One streaming step whose mapper and reducer are logmill's own stages."""

    def configure_args(self):
        super().configure_args()
        self.add_passthru_arg("--logmill", default="logmill", help="the logmill binary (same path on every node)")
        self.add_passthru_arg("--job", required=True, help="JOB ARGS in shell syntax, e.g. \"words\"")

    def steps(self):
        job = shlex.split(self.options.job)
        base = [self.options.logmill, "--progress", "never"]
        return [
            MRStep(
                mapper_cmd=shlex.join(base + ["map", *job]),
                reducer_cmd=shlex.join(base + ["--emit", "partial", "reduce", *job]),
            )
        ]


if __name__ == "__main__":
    LogmillJob.run()
