"""Times ingest_file against a bare DuckDB CSV→Parquet COPY on the same file, and its peak memory on a ~1 GB CSV."""

from __future__ import annotations

import argparse
import hashlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import datagen  # bench/datagen.py: the seeded hourly traffic counts every benchmark here uses
from wierde.collect.files import ReadOptions, ingest_file
from wierde.store.duck import connect

ROUNDS = 3
GIB = 1 << 30


def bare_copy(csv: Path, out: Path) -> Callable[[], None]:
    """(a) What DuckDB does on its own: sniff, read, write Parquet, nothing checked or reported."""
    con = connect()

    def run() -> None:
        con.execute(f"COPY (SELECT * FROM read_csv('{csv}')) TO '{out}' (FORMAT parquet)")

    return run


def ingest(csv: Path, out: Path) -> Callable[[], None]:
    """(b) ingest_file with its defaults: encoding and dialect detection, type inference and checks, bad-row report."""
    con = connect()

    def run() -> None:
        ingest_file(con, csv, out, ReadOptions())

    return run


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(run: Callable[[], None]) -> tuple[float, float]:
    """Wall-clock and CPU seconds; CPU time is the steadier measure on a shared machine."""
    start, cpu = time.perf_counter(), cpu_seconds()
    run()
    return time.perf_counter() - start, cpu_seconds() - cpu


def speed(csv: Path, folder: Path, rounds: int) -> None:
    """Interleaved rounds (the order flips each round, so neither side always gets the warmer cache)."""
    a_out, b_out = folder / "bare.parquet", folder / "ingest.parquet"
    runs = {"a": bare_copy(csv, a_out), "b": ingest(csv, b_out)}
    wall: dict[str, list[float]] = {"a": [], "b": []}
    cpu: dict[str, list[float]] = {"a": [], "b": []}
    digests = set()
    for round_ in range(rounds):
        for key in ("a", "b") if round_ % 2 == 0 else ("b", "a"):
            seconds, cpu_used = timed(runs[key])
            wall[key].append(seconds)
            cpu[key].append(cpu_used)
        digests.add(sha256(b_out))
    rows = sum(1 for _ in csv.open("rb")) - 1
    print(f"\nCSV: {csv.stat().st_size / 1e6:.1f} MB, {rows:,} rows, {rounds} interleaved rounds\n")
    print("| run | median wall (s) | all runs (s) | rows/s | median CPU (s) |")
    print("|---|---|---|---|---|")
    for key, label in (("a", "(a) bare DuckDB read_csv → Parquet COPY"), ("b", "(b) ingest_file")):
        median = statistics.median(wall[key])
        runs_text = ", ".join(f"{t:.3f}" for t in wall[key])
        print(f"| {label} | {median:.3f} | {runs_text} | {rows / median:,.0f} | {statistics.median(cpu[key]):.3f} |")
    ratio = statistics.median(wall["a"]) / statistics.median(wall["b"])
    cpu_ratio = statistics.median(cpu["a"]) / statistics.median(cpu["b"])
    print(f"\nspeed of (b) relative to (a): **{ratio:.2f}×** wall clock, {cpu_ratio:.2f}× CPU time (target ≥ 0.70×)")
    print(f"ingest output byte-identical across runs: {len(digests) == 1}")


def big_csv(csv: Path, target: Path, size: int) -> Path:
    """The small CSV's data rows repeated until the file passes `size` bytes (one header)."""
    lines = csv.read_bytes().splitlines(keepends=True)
    header, body = lines[0], b"".join(lines[1:])
    with target.open("wb") as handle:
        handle.write(header)
        while handle.tell() < size:
            handle.write(body)
    return target


def memory(csv: Path, folder: Path, size: int, memory_limit: str) -> None:
    """Peak RSS of a child process that only ingests the big file (RUSAGE_CHILDREN covers only that child)."""
    big = big_csv(csv, folder / "big.csv", size)
    out = folder / "big.parquet"
    command = [sys.executable, __file__, "--child", str(big), str(out), "--memory-limit", memory_limit]
    start = time.perf_counter()
    subprocess.run(command, check=True)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # KiB on Linux
    print("\n| file | memory_limit | wall time (s) | peak RSS |\n|---|---|---|---|")
    print(f"| {big.stat().st_size / 1e9:.2f} GB CSV | {memory_limit} | {elapsed:.1f} | {peak_kib / 1024:.0f} MiB |")
    print(f"\npeak RSS under 1 GiB: {peak_kib * 1024 < GIB}")


def child(csv: Path, out: Path, memory_limit: str) -> None:
    temp = out.parent / "duckdb-tmp"
    con = connect(memory_limit=memory_limit, temp_directory=temp)
    result = ingest_file(con, csv, out, ReadOptions())
    print(f"child: {result.row_count:,} rows, {out.stat().st_size / 1e6:.0f} MB Parquet")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=datagen.DEFAULT_ROWS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--memory", action="store_true", help="also measure peak RSS on a ~1 GB CSV")
    parser.add_argument("--size", type=float, default=1.0, help="size of the big CSV in GiB (with --memory)")
    parser.add_argument("--memory-limit", default="512MB", help="DuckDB memory_limit for the --memory run")
    parser.add_argument("--child", nargs=2, type=Path, metavar=("CSV", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], args.child[1], args.memory_limit)
        return 0
    with tempfile.TemporaryDirectory(prefix="wierde-bench-ingest-") as tmp:
        folder = Path(tmp)
        csv = datagen.generate(args.rows, datagen.DEFAULT_SEED, folder / "data").csv
        speed(csv, folder, args.rounds)
        if args.memory:
            memory(csv, folder, int(args.size * GIB), args.memory_limit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
