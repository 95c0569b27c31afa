"""Results that never pass through the driver: the part of examples/spark/logmill_spark.py that
writes `--out-dir` and `--partial-out-dir`, and keeps each reducer's own `--top N`.

Shipped to the executors with `SparkContext.addPyFile` (functions here are pickled by
reference). Everything that runs a logmill process comes in as `stage` (the driver's
`run_stage`: bytes in, bytes out, exit code checked), so the stage contract is defined once.

--out-dir DIR (tsv, jsonl, csv; json/html/chart refused)
    1. The map stage as usual, then one `logmill --emit ranked reduce JOB ARGS` per reducer
       (keys partitioned by CRC-32): its merged lines, each preceded by the row's *order key*
       (hex bytes whose byte order is logmill's final order, count or key; see src/order.rs).
    2. The driver samples order keys (a fixed number, as Hadoop's InputSampler does) and picks
       P-1 boundaries: part p holds the rows whose order key falls in [b[p-1], b[p]) — one
       contiguous slice of the final order (TotalOrderPartitioner).
    3. Each part's rows go to one `logmill reduce JOB ARGS` that orders and formats them; the
       formatted bytes are written by Spark's text writer (any Hadoop file system, committed
       only when the task succeeds: a retried task leaves no duplicate) as
       DIR/part-NNNNN-*.txt. The header (csv, or tsv with --header) is kept in part 0 only.
       `cat DIR/part-*` is the single-process output, byte for byte; only the sample
       (P x 1000 order keys at most), the `#meta` and `#coverage` lines and one status per
       part reach the driver.

--partial-out-dir DIR (exact mode)
    Keys partitioned by CRC-32 into R reducers; reducer p runs `logmill --emit partial reduce
    --partition p/R JOB ARGS` over its keys and every shard's `#coverage` line (sent to every
    reducer), so its part is a complete partial file (header, coverage restricted to keys of
    partition p/R, rows, end marker). `logmill merge --complete DIR/part-*` accepts the parts
    as they are, and names a missing one.

--top N (with --out, without --partial-out)
    Each reducer runs `logmill --emit ranked reduce JOB ARGS` with --top N: it keeps its own
    first N rows (exact: a key's whole count is in one reducer), so the driver merges at most
    R x N rows.
"""

from __future__ import annotations

import bisect
import zlib
from typing import Callable, Iterable, Iterator, List, Optional, Tuple

COVERAGE = b"#coverage"
META = b"#meta"
# Order keys sampled per output part: enough for parts within a few percent of each other.
SAMPLES_PER_PART = 1000
# Formats whose concatenated parts are the whole output (json is one array).
PART_FORMATS = ("tsv", "csv", "jsonl")


def flag_value(args: List[str], flag: str) -> Optional[str]:
    """The value of `flag` in `args` (`--flag V` or `--flag=V`), the last one wins."""
    value = None
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith(flag + "="):
            value = a[len(flag) + 1 :]
    return value


def has_flag(args: List[str], flag: str) -> bool:
    return any(a == flag or a.startswith(flag + "=") for a in args)


def check(mode: str, job_args: List[str], final_args: List[str], out, partial_out, out_dir, partial_out_dir) -> Optional[str]:
    """Why this run's --out-dir/--partial-out-dir cannot be done (a message), or None."""
    if out_dir is None and partial_out_dir is None:
        return None
    given = [f for f, v in (("--out", out), ("--partial-out", partial_out)) if v is not None]
    if out_dir is not None and partial_out_dir is not None:
        return "give one of --out-dir and --partial-out-dir (run twice for both)"
    if given:
        return f"{given[0]} and --out-dir/--partial-out-dir: give one destination"
    if partial_out_dir is not None:
        if mode != "exact":
            return ("--partial-out-dir needs --mode exact: streaming's map lines carry no coverage, "
                    "so `logmill merge --complete` could not check the parts")
        return None
    job = job_args[0]
    fmt = flag_value(job_args, "--output-format") or "tsv"
    if fmt not in PART_FORMATS:
        return (f"--out-dir writes tsv, jsonl or csv parts that concatenate to the whole output; "
                f"--output-format {fmt} is one document (use --out)")
    if job == "grep":
        return "grep's result is a few rows (a total, or one per file): use --out"
    if job == "fields" and not has_flag(job_args, "--by"):
        return "fields without --by gives one row (or one per time bucket): use --out"
    for flag, why in (
        ("--top", "with --top the result is small and each reducer keeps its own top N: use --out"),
        ("--per", "--per orders rows by time bucket first: use --out"),
        ("--fill", "--fill adds rows between buckets: use --out"),
    ):
        if has_flag(job_args, flag):
            return f"{flag} and --out-dir: {why}"
    for a in final_args:
        flag = a.split("=", 1)[0]
        if flag.startswith("--"):
            return f"{flag} and --out-dir: it judges the whole result on one machine; use --out"
    return None


def reducer_keeps_top(job_args: List[str], final_args: List[str], partial_out) -> bool:
    """Whether each reducer may keep only its own first N rows: --top N, no partial wanted,
    and an order that ranked lines express (not grep's, nor --per's buckets, nor --top-per)."""
    return (
        has_flag(job_args, "--top")
        and partial_out is None
        and job_args[0] != "grep"
        and not has_flag(job_args, "--per")
        and not any(a.split("=", 1)[0] == "--top-per" for a in final_args)
    )


def strip_rank(line):
    """A ranked line without its order key (metadata lines pass as they are)."""
    sep, hash_ = (b"\t", b"#") if isinstance(line, bytes) else ("\t", "#")
    if line.startswith(hash_):
        return line
    return line.split(sep, 1)[1]


def crc32_partition(key) -> int:
    """The partition of a shuffled key: CRC-32 of the escaped key (what `--partition P/R`
    keeps), or the reducer a broadcast `(tag, p)` copy is addressed to."""
    if isinstance(key, tuple):
        return key[1]
    return zlib.crc32(key if isinstance(key, bytes) else key.encode("utf-8"))


class Status:
    """Accumulator of each part's outcome: {part: (exit code, rows, bytes, stderr tail)}. A
    retried task reports again under the same part: idempotent."""

    @staticmethod
    def param():
        from pyspark.accumulators import AccumulatorParam

        class DictParam(AccumulatorParam):
            def zero(self, value):
                return {}

            def addInPlace(self, a, b):
                a.update(b)
                return a

        return DictParam()


def _write_parts(sc, rdd, out_dir: str) -> None:
    """Writes `rdd` (bytearray rows, one per output line, partition p -> part p) under
    `out_dir` with Spark's text writer: part-NNNNN-*.txt, committed per task, `_SUCCESS` last.
    Binary cast to string keeps the bytes as they are (invalid UTF-8 included)."""
    from pyspark.sql import SparkSession
    from pyspark.sql.types import BinaryType, StructField, StructType

    spark = SparkSession.builder.getOrCreate()
    schema = StructType([StructField("v", BinaryType(), False)])
    df = spark.createDataFrame(rdd.map(lambda b: (b,)), schema)
    df.selectExpr("CAST(v AS STRING) AS value").write.mode("errorifexists").text(out_dir)


def exists(sc, path: str) -> bool:
    """Whether `path` exists on its Hadoop file system (checked before any work)."""
    jvm = sc._jvm
    p = jvm.org.apache.hadoop.fs.Path(path)
    return p.getFileSystem(sc._jsc.hadoopConfiguration()).exists(p)


def out_dir(sc, run, keyed, stage: Callable, env: dict, reducers: int) -> Tuple[int, int, List[bytes]]:
    """--out-dir: see the module docstring. `keyed`: the map stage's (key, line) pairs. Returns
    (exit code of the parts: 0, or 1 when nothing matched), the rows written, and the
    metadata lines (`#coverage`, `#meta`) for the driver's checks."""
    logmill, job_args = run.logmill, run.job_args
    ranked_cmd = [logmill, "--progress", "never", "--emit", "ranked", "reduce", *job_args]
    ranked = (
        keyed.partitionBy(reducers, crc32_partition)
        .values()
        .mapPartitions(lambda it: stage(ranked_cmd, env, feed=it))
        .map(lambda line: (b"#", line) if line.startswith(b"#") else tuple(line.split(b"\t", 1)))
    )
    from pyspark import StorageLevel

    ranked.persist(StorageLevel.MEMORY_AND_DISK)
    try:
        meta = ranked.filter(lambda kv: kv[0] == b"#").values().collect()
        data = ranked.filter(lambda kv: kv[0] != b"#")
        rows = data.count()
        parts = max(1, run.parts or reducers)
        wanted = min(rows, parts * SAMPLES_PER_PART)
        sample = sorted(data.keys().sample(False, min(1.0, wanted / rows), 17).collect()) if rows else []
        bounds = [sample[len(sample) * i // parts] for i in range(1, parts)] if sample else []
        head = _format_header(run, env)
        status = sc.accumulator({}, Status.param())
        fmt_cmd = [logmill, "--progress", "never", "reduce", *job_args]

        def format_part(index: int, it: Iterable) -> Iterator[bytearray]:
            code = [0]
            skip = head if index > 0 else b""
            n = 0
            for line in stage_all(stage, fmt_cmd, env, (line for _, line in it), code):
                if skip:
                    # The header again (csv, tsv --header): part 0's alone is kept.
                    if not skip.startswith(line + b"\n"):
                        raise RuntimeError(f"part {index}: the output does not start with the header")
                    skip = skip[len(line) + 1 :]
                    continue
                n += 1
                yield bytearray(line)
            status.add({index: (code[0], n)})

        formatted = (
            data.map(lambda kv: (bisect.bisect_right(bounds, kv[0]), kv[1]))
            .partitionBy(parts, lambda p: p)
            .mapPartitionsWithIndex(format_part)
        )
        _write_parts(sc, formatted, run.out_dir)
        codes = [v[0] for v in status.value.values()]
        return (0 if 0 in codes or not codes else 1), rows, meta
    finally:
        ranked.unpersist()


def stage_all(stage: Callable, cmd, env, feed, code: List[int]) -> Iterator[bytes]:
    """A formatting stage's lines (without LF; the text writer adds one after each). Its exit
    code 1 means "nothing matched" in this part (set in `code`), not a failure."""
    try:
        yield from stage(cmd, env, feed=feed)
    except Exception as e:  # the driver's StageError
        if "(exit 1)" not in str(e):
            raise
        code[0] = 1


def _format_header(run, env) -> bytes:
    """What the format prints for no rows (csv's header record, tsv's with --header; nothing
    for jsonl): every part after the first starts with it, and it is cut there."""
    import subprocess

    cmd = [run.logmill, "--progress", "never", "reduce", *run.job_args]
    r = subprocess.run(cmd, input=b"", capture_output=True, env=env)
    if r.returncode not in (0, 1):
        raise RuntimeError(f"{cmd}: exit {r.returncode}: {r.stderr.decode('utf-8', 'replace').strip()}")
    return r.stdout


def partial_out_dir(sc, run, keyed, stage: Callable, env: dict, reducers: int, header: bytes) -> Tuple[int, int]:
    """--partial-out-dir: see the module docstring. Returns (0, rows written)."""
    logmill, job_args = run.logmill, run.job_args
    status = sc.accumulator({}, Status.param())

    def broadcast(kv):
        key, line = kv
        if key == COVERAGE:
            return [((COVERAGE, p), line) for p in range(reducers)]
        return [kv]

    def part(index: int, it: Iterable) -> Iterator[bytearray]:
        cmd = [logmill, "--progress", "never", "--emit", "partial", "reduce", "--partition",
               f"{index}/{reducers}", *job_args]
        # The partial format: header, body, end marker (rows, CRC-32 of the body).
        yield bytearray(header)
        crc, n = 0, 0
        for line in stage(cmd, env, feed=(line for _, line in it)):
            crc = zlib.crc32(line + b"\n", crc)
            n += not line.startswith(b"#")
            yield bytearray(line)
        yield bytearray(b"#logmill-end\t%d\t%08x" % (n, crc))
        status.add({index: (0, n)})

    parts = keyed.flatMap(broadcast).partitionBy(reducers, crc32_partition).mapPartitionsWithIndex(part)
    _write_parts(sc, parts, run.partial_out_dir)
    return 0, sum(v[1] for v in status.value.values())
