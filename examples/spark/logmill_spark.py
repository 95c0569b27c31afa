#!/usr/bin/env python3
"""Run any logmill job on Apache Spark, when one machine is not enough.

Two ways, one result: the same bytes as `logmill JOB ARGS... INPUTS...` on one machine, for
every job (words, grep, match, lines, fields). `fields --format csv` runs in neither mode: its records
may span lines and each input starts with a header, so it can be neither split by `textFile`
nor sharded by byte ranges (logmill refuses `--shard` for it). Multi-line records
(`--records`, `--record-start`) run in exact mode only: `textFile` splits lines.

    spark-submit [--master local[2]] examples/spark/logmill_spark.py \\
        --mode streaming|exact [--logmill PATH] [--shards N] [--reducers R] \\
        [--out PATH] [--partial-out PATH] \\
        -- JOB ARGS... -- INPUTS...

    spark-submit examples/spark/logmill_spark.py --batch RUNS.txt

Example (a day of access logs, requests and bytes per status code):

    spark-submit --master 'local[2]' examples/spark/logmill_spark.py \\
        --mode exact --logmill "$PWD/target/release/logmill" --shards 8 --out status.tsv \\
        -- match '" ([0-9]{3}) ([0-9]+|-)' --sum 2 -- /shared/logs/access-2025-05-17.log

Modes
-----
streaming   Hadoop Streaming style. `textFile(INPUTS)` -> `pipe("logmill map JOB ARGS")` (one
            process per input split, combined per process) -> partition by key (crc32 of the
            text before the first TAB) with `repartitionAndSortWithinPartitions` -> `pipe("logmill
            reduce JOB ARGS --emit partial")` (one process per reducer). INPUTS may be any
            Hadoop file system URI or glob. Caveat: `textFile` decodes lines as UTF-8, so an
            invalid byte becomes U+FFFD (EF BF BD) before logmill sees it, `\\r\\n` and a lone `\\r`
            end a line, and a last line without `\\n` gets one: on input that is not clean
            UTF-8 with `\\n` line ends the result can differ from the single-machine run (on
            clean input it is byte-identical).
exact       Byte-exact. Task i of N runs `logmill --shard i/N --emit partial JOB ARGS INPUTS`
            on the input files themselves (which must be at the same path on every worker:
            shared storage, or the local file system for `local[...]`); logmill reads the bytes
            as they are. The partial's data lines are partitioned by key and merged by `logmill
            reduce JOB ARGS --emit partial`, one process per reducer. The stages move bytes, not
            text, so invalid UTF-8 survives.

In both modes the header line of each shard's partial is checked against the job's own header
(it is never shuffled as a record), and the `#meta<TAB>{...}` lines that carry job-wide facts
(records rejected by `match --sum`, with an example) all have the same key, `#meta` (a data key
starting with `#` is written `\\#...`), so the partitioner sends them all to one reducer, which
merges them. The reducers' key sets are disjoint; the driver gathers their lines and runs
`logmill reduce JOB ARGS` once on them, so the final order and formatting are logmill's own.
In exact mode each shard's partial also records what it covers (a `#coverage` line: the whole
input set, and the byte range the shard read); those lines share the key `#coverage`, pass
through one reducer, and the driver's final `logmill merge --complete` fails the run, listing
`missing: shard I/N ...` lines, if any byte of any input was not counted exactly once.
The final result table (one line per distinct key) passes through the driver, like `--top`
output; it must fit there.

Options
-------
--mode streaming|exact   see above (required).
--logmill PATH           the logmill binary, at this path on every worker (default: `logmill`
                         on PATH, resolved on the driver).
--shards N               map tasks: `--shard` count (exact) or textFile minPartitions
                         (streaming). Default: the context's default parallelism.
--reducers R             reduce tasks (default: the context's default parallelism).
--threads T              LOGMILL_THREADS for every stage process (default 1: Spark already
                         runs one task per core).
--out PATH               final results (`-`: stdout, the default when --partial-out is not
                         given), written atomically by `logmill reduce -o`.
--partial-out PATH       also (or instead) write the result as one partial file (header,
                         `#meta`, KEY<TAB>STATE), for `logmill merge` with other partials.
--map-pipe python|jvm    streaming only: pipe the map stage through PySpark's `RDD.pipe`
                         (default) or on the JVM side, so input lines never pass through Python
                         (faster; uses PySpark internals).
--master URL             set spark.master when run with plain `python` (spark-submit's
                         `--master` does the same). Default: local[2].
--name NAME              a label for the timing line on stderr.
--batch FILE             run several jobs in one SparkContext (pay the start-up once): each
                         non-empty line of FILE not starting with `#` holds one run's arguments
                         in shell syntax, including the two `--` separators.

JOB ARGS are passed verbatim to every stage, so output flags (`--top`, `--sort`,
`--output-format`, `--header`) work: the stages ignore them and the final reduce applies them.
Flags that would break the stages (`-o`, `--emit`, `--shard`, `--state`, `--since-last`,
`--files-from`, `-j`, `--rejects`) are refused: use --out, --partial-out and --threads.

Stage processes get an explicit environment (`RDD.pipe` would otherwise start them with an
empty one): PATH, LC_ALL=C, LOGMILL_THREADS. A job with time options (`--per`, `--since`,
`--until`, `--time`, `--time-format`, `--time-field`, `--sorted`) gets what it would take from
its surroundings resolved once, on the driver, and passed to every stage as flags: `--tz` (the
zone `logmill` finds in the driver's `TZ` or /etc/localtime) and `--now` (the driver's clock),
unless JOB ARGS give them. Year-less timestamps (syslog) take `--year` when given; else in exact
mode the stages read the files and date them by their modification times as one process does,
and in streaming mode (stages read stdin) by `--now`: give `--year` there. Streaming mode
refuses `--per` (its keys start with binary bucket bytes, which `RDD.pipe` cannot carry as
UTF-8 text). Every stage's exit
code is checked
(`checkCode=True`); a failing stage fails the Spark job and the driver exits 2 with one line.

The result flags `--fail-if`, `--max-rejects` and `--top-per` go to the final reduce only
(they apply to final results; the stages write partials).

Exit codes, as logmill's: 0 success; 1 nothing matched (grep-style jobs); 3, 4, 5 results written
but the run fails a policy (3 some inputs failed with --keep-going, 4 --max-rejects, 5
--fail-if): the final stage's code, a result, not a stage failure; 2 error. With --batch, the
largest exit code of the runs (it stops at the first error).

Environment: for local runs set SPARK_LOCAL_IP=127.0.0.1 (set here when unset and the master
is local, for plain `python` runs) and PYSPARK_PYTHON to the Python that has pyspark. The UI is
off (spark.ui.enabled=false).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Iterable, Iterator, List, Optional

PROG = "logmill_spark"

# Flags of logmill that would make a stage write somewhere else, shard twice, or keep state.
REFUSED_FLAGS = {
    "-o": "--out",
    "--output": "--out",
    "--emit": "--partial-out",
    "--shard": "--shards",
    "--state": None,
    "--since-last": None,
    "--files-from": "INPUTS",
    "-j": "--threads",
    "--threads": "--threads",
    "--rejects": None,
}


# Flags that apply to final results: given to the final reduce only, never to the stages.
FINAL_ONLY_FLAGS = ("--fail-if", "--max-rejects", "--top-per")

# Exit codes of the final stage that are results (written), not failures.
RESULT_CODES = (0, 1, 3, 4, 5)


def split_final_flags(args: List[str]):
    """(stage args, final-only args): `--fail-if EXPR`, `--max-rejects N` and `--top-per N`
    (or `--flag=V`) moved out of the stages' arguments."""
    stage: List[str] = []
    final: List[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a in FINAL_ONLY_FLAGS and i + 1 < len(args):
            final += args[i : i + 2]
            i += 2
            continue
        (final if a.split("=", 1)[0] in FINAL_ONLY_FLAGS else stage).append(a)
        i += 1
    return stage, final


class UsageError(Exception):
    """Bad driver arguments: exit 2 before any Spark work."""


class StageError(RuntimeError):
    """A logmill stage process failed (raised inside Spark tasks and on the driver)."""


@dataclass
class Run:
    """One job to run: what the command line (or one --batch line) says."""

    mode: str
    logmill: str
    job_args: List[str]
    inputs: List[str]
    shards: Optional[int] = None
    reducers: Optional[int] = None
    threads: int = 1
    out: Optional[str] = None
    partial_out: Optional[str] = None
    map_pipe: str = "python"
    name: str = ""
    master: Optional[str] = None
    header: bytes = field(default=b"", repr=False)
    final_args: List[str] = field(default_factory=list)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=PROG,
        usage="%(prog)s --mode streaming|exact [options] -- JOB ARGS... -- INPUTS...\n"
        "       %(prog)s --batch FILE",
        description="Run a logmill job on Spark (see the module docstring).",
    )
    p.add_argument("--mode", choices=["streaming", "exact"])
    p.add_argument("--logmill", default="logmill")
    p.add_argument("--shards", type=int)
    p.add_argument("--reducers", type=int)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out")
    p.add_argument("--partial-out")
    p.add_argument("--map-pipe", choices=["python", "jvm"], default="python")
    p.add_argument("--master")
    p.add_argument("--name", default="")
    p.add_argument("--batch")
    return p


def parse_run(argv: List[str]) -> Run:
    """Parses one run's arguments: `[options] -- JOB ARGS... -- INPUTS...`."""
    if argv.count("--") != 2:
        raise UsageError("expected: [options] -- JOB ARGS... -- INPUTS... (two '--' separators)")
    first = argv.index("--")
    second = argv.index("--", first + 1)
    opts, job_args, inputs = argv[:first], argv[first + 1 : second], argv[second + 1 :]
    ns = _parser().parse_args(opts)
    if ns.batch:
        raise UsageError("--batch takes no other arguments")
    if not ns.mode:
        raise UsageError("--mode streaming|exact is required")
    if not job_args:
        raise UsageError("no JOB given between the two '--'")
    if not inputs:
        raise UsageError("no INPUTS given after the second '--'")
    for a in job_args:
        flag = a.split("=", 1)[0]
        if flag in REFUSED_FLAGS or (a.startswith("-o") and not a.startswith("--")) or (
            a.startswith("-j") and not a.startswith("--")
        ):
            instead = REFUSED_FLAGS.get(flag) or REFUSED_FLAGS.get(a[:2])
            hint = f" (use the driver's {instead})" if instead else ""
            raise UsageError(f"'{a}' cannot be passed to the stages{hint}")
    if ns.mode == "streaming" and job_args[0] == "fields" and _flag_value(job_args, "--format") == "csv":
        raise UsageError(
            "fields --format csv cannot run in streaming mode: textFile splits would cut quoted "
            "records and lose the header line; convert to a line format"
        )
    if ns.mode == "streaming" and any(
        a.split("=", 1)[0] in ("--records", "--record-start") for a in job_args
    ):
        raise UsageError(
            "--records and --record-start cannot run in streaming mode: textFile splits lines, "
            "so a record (a log line with its stack trace) would be cut; use --mode exact"
        )
    if ns.mode == "streaming" and any(a.split("=", 1)[0] == "--per" for a in job_args):
        raise UsageError(
            "--per cannot run in streaming mode: its keys start with a binary time bucket, and "
            "RDD.pipe reads the map stage's output as UTF-8 text; use --mode exact"
        )
    for n, what in ((ns.shards, "--shards"), (ns.reducers, "--reducers"), (ns.threads, "--threads")):
        if n is not None and n < 1:
            raise UsageError(f"{what} must be at least 1")
    logmill = ns.logmill
    if os.sep not in logmill:
        found = shutil.which(logmill)
        if not found:
            raise UsageError(f"'{logmill}' not found on PATH (give --logmill PATH)")
        logmill = found
    logmill = os.path.abspath(logmill)
    if not os.access(logmill, os.X_OK):
        raise UsageError(f"{logmill} is not an executable file")
    if ns.mode == "exact":
        for path in inputs:
            if not os.path.isfile(path):
                raise UsageError(f"exact mode reads files at the same path on every worker; '{path}' is not a file here")
        inputs = [os.path.abspath(p) for p in inputs]
    else:
        inputs = [p if "://" in p else os.path.abspath(p) for p in inputs]
    out = ns.out
    if out is None and ns.partial_out is None:
        out = "-"
    job_args, final_args = split_final_flags(job_args)
    return Run(
        mode=ns.mode,
        logmill=logmill,
        job_args=job_args,
        final_args=final_args,
        inputs=inputs,
        shards=ns.shards,
        reducers=ns.reducers,
        threads=ns.threads,
        out=out,
        partial_out=ns.partial_out,
        map_pipe=ns.map_pipe,
        name=ns.name or f"{ns.mode} {shlex.join(job_args[:2])}",
        master=ns.master,
    )


def _flag_value(args: List[str], flag: str) -> Optional[str]:
    """The value of `flag` in `args` (`--flag V` or `--flag=V`), the last one wins."""
    value = None
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith(flag + "="):
            value = a[len(flag) + 1 :]
    return value


TIME_FLAGS = ("--per", "--since", "--until", "--time", "--time-format", "--time-field", "--sorted")


def pin_time(run: Run) -> None:
    """Resolves once, on the driver, what a timed job takes from its surroundings, and appends
    it to JOB ARGS so every stage gets it explicitly: `--tz` as logmill resolves the driver's
    zone (from the partial header of an empty run in the driver's own environment) and `--now`."""
    args = run.job_args
    if not any(a.split("=", 1)[0] in TIME_FLAGS for a in args):
        return
    pinned: List[str] = []
    if _flag_value(args, "--tz") is None:
        cmd = [run.logmill, "--progress", "never", "--emit", "partial", *args]
        r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True)
        first = r.stdout.split(b"\n", 1)[0].split(b"\t", 2)
        zone = None
        if r.returncode == 0 and len(first) == 3:
            zone = json.loads(first[2]).get("time", {}).get("zone")
        if not zone:
            msg = r.stderr.decode("utf-8", "replace").strip()
            raise UsageError(f"{shlex.join(cmd)} resolved no time zone: {msg}")
        pinned += ["--tz", zone]
    if _flag_value(args, "--now") is None:
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        pinned += ["--now", now.isoformat().replace("+00:00", "Z")]
    run.job_args = args + pinned


def _without_mtime(header: Optional[bytes]) -> object:
    """A partial header line without what a stage resolves from its files (`time.mtime`: the
    years of year-less timestamps from the inputs' modification times), for comparing it with the
    driver's header of an empty run."""
    if header is None:
        return None
    parts = header.split(b"\t", 2)
    try:
        params = json.loads(parts[2])
        params.get("time", {}).pop("mtime", None)
    except (IndexError, ValueError, AttributeError):
        return header
    return (parts[:2], params)


def stage_env(threads: int) -> dict:
    """The environment of every stage process: `RDD.pipe` starts children with an empty one."""
    return {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LC_ALL": "C",
        "LOGMILL_THREADS": str(threads),
    }


def job_header(run: Run) -> bytes:
    """The job's partial header line (without LF), from logmill itself on empty input. This also
    checks JOB ARGS (a bad regex fails here, before Spark starts)."""
    cmd = [run.logmill, "--progress", "never", "--emit", "partial", *run.job_args]
    r = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, env=stage_env(1))
    if r.returncode != 0:
        msg = r.stderr.decode("utf-8", "replace").strip()
        raise UsageError(f"{shlex.join(cmd)} failed: {msg}")
    first = r.stdout.split(b"\n", 1)[0]
    if not first.startswith(b"#logmill-partial\t"):
        raise UsageError(f"{shlex.join(cmd)} wrote no partial header")
    return first


def run_stage(cmd: List[str], env: dict, feed: Optional[Iterable[bytes]] = None) -> Iterator[bytes]:
    """Runs `cmd`, feeding it `feed` (lines without LF) from a thread, and yields its stdout lines
    (bytes, without LF). Raises StageError, with the end of its stderr, if it exits non-zero.
    Bytes in, bytes out: unlike `RDD.pipe`, nothing is decoded as UTF-8."""
    proc = subprocess.Popen(
        cmd,
        env=env,
        stdin=subprocess.PIPE if feed is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    errors: List[BaseException] = []
    stderr_parts: List[bytes] = []

    def pump() -> None:
        try:
            for line in feed:  # type: ignore[union-attr]
                proc.stdin.write(line + b"\n")  # type: ignore[union-attr]
        except BrokenPipeError:
            pass  # the child exited early; its exit code says why
        except BaseException as e:  # an upstream task failure: re-raised below
            errors.append(e)
        finally:
            try:
                proc.stdin.close()  # type: ignore[union-attr]
            except BrokenPipeError:
                pass

    # Daemon threads: a stuck child must not keep the Python worker from exiting.
    threads = [threading.Thread(target=lambda: stderr_parts.append(proc.stderr.read()), daemon=True)]  # type: ignore[union-attr]
    if feed is not None:
        threads.append(threading.Thread(target=pump, daemon=True))
    for t in threads:
        t.start()
    finished = False
    try:
        for raw in proc.stdout:  # type: ignore[union-attr]
            yield raw[:-1] if raw.endswith(b"\n") else raw
        finished = True
    finally:
        if not finished:
            # The consumer gave up (an error downstream): stop the child now, and close our end
            # of its stdout so that anything it left writing there (a wrapper script's children)
            # gets EPIPE instead of blocking forever.
            proc.kill()
            proc.stdout.close()  # type: ignore[union-attr]
        rc = proc.wait()
        for t in threads:
            t.join(None if finished else 10)
    if errors:
        raise errors[0]
    if rc != 0:
        tail = b"".join(stderr_parts).decode("utf-8", "replace").strip().splitlines()[-3:]
        raise StageError(f"logmill stage failed (exit {rc}): {shlex.join(cmd)}: {' / '.join(tail)}")


def key_of(line):
    """The shuffle key: the text before the first TAB (the escaped key, or `#meta`)."""
    sep = b"\t" if isinstance(line, bytes) else "\t"
    return line.split(sep, 1)[0]


def crc32_partition(key) -> int:
    """Key -> partition number (Spark takes it modulo the reducer count): stable across runs and
    machines, unlike Python's salted hash."""
    return zlib.crc32(key if isinstance(key, bytes) else key.encode("utf-8"))


def shuffle(sc, keyed, run: Run):
    """Sends (key, line) pairs to the reducers by crc32 of the key, each reducer's pairs sorted
    by key (as Hadoop Streaming gives them; logmill's reduce does not need it), and drops the
    keys."""
    reducers = run.reducers or sc.defaultParallelism
    return keyed.repartitionAndSortWithinPartitions(reducers, crc32_partition).values()


def reduce_cmd(run: Run) -> List[str]:
    """The reduce stage: KEY<TAB>STATE lines in, merged KEY<TAB>STATE lines out."""
    return [run.logmill, "--progress", "never", "--emit", "partial", "reduce", *run.job_args]


def streaming(sc, run: Run) -> List[bytes]:
    """Way (a): textFile -> pipe(logmill map) -> shuffle by key -> pipe(logmill reduce)."""
    env = stage_env(run.threads)
    shards = run.shards or sc.defaultParallelism
    map_cmd = [run.logmill, "--progress", "never", "map", *run.job_args]
    src = ",".join(run.inputs)
    if run.map_pipe == "jvm":
        # Internal API: pipe on the JVM side, so the input lines never pass through Python.
        try:
            from pyspark.core.rdd import RDD  # PySpark 4
        except ImportError:  # PySpark 3
            from pyspark.rdd import RDD
        from pyspark.serializers import UTF8Deserializer

        gw = sc._gateway
        jcmd = gw.jvm.java.util.ArrayList()
        for a in map_cmd:
            jcmd.add(a)
        jenv = gw.jvm.java.util.HashMap()
        for k, v in env.items():
            jenv.put(k, v)
        # (command, env, separateWorkingDir, bufferSize, encoding): fails on a non-zero exit.
        jrdd = sc._jsc.textFile(src, shards).pipe(jcmd, jenv, False, 1 << 16, "UTF-8")
        mapped = RDD(jrdd, sc, UTF8Deserializer())
    else:
        mapped = sc.textFile(src, shards).pipe(shlex.join(map_cmd), env=env, checkCode=True)
    shuffled = shuffle(sc, mapped.map(lambda line: (key_of(line), line)), run)
    reduced = shuffled.pipe(shlex.join(reduce_cmd(run)), env=env, checkCode=True)
    return [line.encode("utf-8") for line in reduced.collect()]


def exact(sc, run: Run) -> List[bytes]:
    """Way (b): N tasks run `logmill --shard i/N --emit partial` on the files -> shuffle data and
    #meta lines by key -> `logmill reduce --emit partial` per reducer."""
    env = stage_env(run.threads)
    shards = run.shards or sc.defaultParallelism
    logmill, job_args, inputs, header = run.logmill, run.job_args, run.inputs, run.header

    def shard_task(indices: Iterable[int]):
        for i in indices:
            cmd = [logmill, "--progress", "never", "--shard", f"{i}/{shards}", "--emit", "partial", *job_args, *inputs]
            lines = run_stage(cmd, env)
            try:
                first = next(lines, None)
                if first != header and _without_mtime(first) != _without_mtime(header):
                    raise StageError(f"shard {i}/{shards}: expected the header {header!r}, got {first!r}")
                for line in lines:
                    # The shard's end marker sums the whole shard: it means nothing once the
                    # lines are shuffled (the process exited 0, so its output is complete).
                    if line and not line.startswith(b"#logmill-end\t"):
                        yield key_of(line), line
            finally:
                lines.close()  # on an error: kill the process now rather than when collected

    red_cmd = reduce_cmd(run)
    keyed = sc.parallelize(range(shards), shards).mapPartitions(shard_task)
    reduced = shuffle(sc, keyed, run).mapPartitions(lambda it: run_stage(red_cmd, env, feed=it))
    return reduced.collect()


def finish(run: Run, lines: List[bytes]) -> int:
    """Runs the final merge on the driver: the job's header, the reducers' lines and the end
    marker, into `logmill reduce JOB ARGS` (results) and/or `logmill merge --emit partial` (a
    partial file). Returns logmill's exit code: 0, 1 when a grep-style job matched nothing, 3, 4
    or 5 when the results were written but fail a policy (see the module docstring)."""
    body = b"".join(line + b"\n" for line in lines)
    # The partial format's end marker: the number of rows (lines not starting with `#`) and the
    # CRC-32 of the body; every reducer exited 0, so the gathered lines are complete.
    rows = sum(1 for line in lines if not line.startswith(b"#"))
    end = b"#logmill-end\t%d\t%08x\n" % (rows, zlib.crc32(body))
    data = b"".join([run.header, b"\n", body, end])
    env = dict(os.environ, LC_ALL="C")
    env.pop("LOGMILL_THREADS", None)
    rc = 0
    # Exact mode: the shards' partials record what they cover (their `#coverage` lines pass
    # through the shuffle and the reducers), so the final merge checks that every byte of every
    # input was counted exactly once (`--complete`): a lost or doubled shard fails the run.
    check = ["--complete"] if run.mode == "exact" else []
    if run.partial_out is not None:
        cmd = [run.logmill, "--progress", "never", "--emit", "partial", "merge", *check]
        if run.partial_out != "-":
            cmd += ["-o", run.partial_out]
        rc = _final(cmd, data, env)
    elif check:
        # No partial asked for: the same merge only as the check, its output discarded.
        cmd = [run.logmill, "--progress", "never", "--emit", "partial", "merge", *check]
        rc = _final(cmd, data, env, stdout=subprocess.DEVNULL)
    if run.out is not None:
        cmd = [run.logmill, "--progress", "never", "reduce", *run.job_args, *run.final_args]
        if run.out != "-":
            cmd += ["-o", run.out]
        rc = max(rc, _final(cmd, data, env))
    return rc


def _final(cmd: List[str], data: bytes, env: dict, stdout=None) -> int:
    sys.stdout.flush()
    # stdout/stderr pass through (warnings, and the `missing:` retry list of --complete)
    r = subprocess.run(cmd, input=data, env=env, stdout=stdout)
    if r.returncode not in RESULT_CODES:
        raise StageError(f"final stage failed (exit {r.returncode}): {shlex.join(cmd)}")
    return r.returncode


def start_spark(master: Optional[str]):
    """One SparkContext for the whole process."""
    from pyspark import SparkConf, SparkContext

    conf = SparkConf().setAppName("logmill")
    if master:
        conf.set("spark.master", master)
    conf.setIfMissing("spark.master", "local[2]")
    conf.setIfMissing("spark.ui.enabled", "false")
    conf.setIfMissing("spark.ui.showConsoleProgress", "false")
    if conf.get("spark.master", "").startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    sc = SparkContext(conf=conf)
    sc.setLogLevel("WARN")
    return sc


def execute(sc, run: Run) -> int:
    """Runs one job on `sc`; prints a timing line on stderr; returns the exit code."""
    t0 = time.monotonic()
    lines = streaming(sc, run) if run.mode == "streaming" else exact(sc, run)
    rc = finish(run, lines)
    took = time.monotonic() - t0
    print(
        f"{PROG}: timing\t{run.name}\t{took:.2f}\tmode={run.mode} shards={run.shards or sc.defaultParallelism} "
        f"reducers={run.reducers or sc.defaultParallelism} lines={len(lines)}",
        file=sys.stderr,
        flush=True,
    )
    return rc


def _summary(e: BaseException) -> str:
    """One line out of a Py4J error: our StageError's message, Spark's pipe error, or line 1."""
    text = str(e)
    for marker in ("StageError: ", "PIPE_FUNCTION_EXITED", "Subprocess exited with status"):
        for line in text.splitlines():
            if marker in line:
                return line.strip()
    return text.strip().splitlines()[0] if text.strip() else type(e).__name__


def main(argv: List[str]) -> int:
    try:
        if argv[:1] == ["--batch"] and len(argv) == 2:
            with open(argv[1], encoding="utf-8") as f:
                specs = [ln for ln in f.read().splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
            runs = [parse_run(shlex.split(spec)) for spec in specs]
        elif "--batch" in argv:
            raise UsageError("--batch FILE takes no other arguments")
        else:
            runs = [parse_run(argv)]
        if not runs:
            raise UsageError("nothing to run")
        for run in runs:
            pin_time(run)
            run.header = job_header(run)
    except (UsageError, OSError) as e:
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 2

    t0 = time.monotonic()
    try:
        sc = start_spark(runs[0].master)
    except Exception as e:  # no Java, a bad master URL...
        print(f"{PROG}: error: Spark did not start: {_summary(e)}", file=sys.stderr)
        return 2
    print(f"{PROG}: timing\tspark-start\t{time.monotonic() - t0:.2f}\tmaster={sc.master}", file=sys.stderr, flush=True)
    worst = 0
    try:
        for run in runs:
            try:
                worst = max(worst, execute(sc, run))
            except Exception as e:
                print(f"{PROG}: error: {run.name}: {_summary(e)}", file=sys.stderr)
                return 2
    finally:
        sc.stop()
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
