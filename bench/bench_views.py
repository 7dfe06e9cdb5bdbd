"""Times one combining view over a 10,000,000-row traffic table on DuckDB and on Spark, and a refresh against its SQL.

The view is scenario A's question at scale: hourly traffic counts (bench/datagen.py) joined to the openings of
the province's movable bridges (by the counting site on the crossing road and the hour) and to the
municipalities, aggregated per municipality, month and "during an opening or not". It runs

- on DuckDB directly: views over the Parquet files and one `COPY (view) TO file`, nothing else;
- on Spark local mode through `SparkEngine.run` (translate, run, one Parquet file out); the session start-up
  (8-19 s, once per process) is timed apart and not in the runs;
- as a refresh of a view in a wierde instance (`combine.materialise.refresh` on the DuckDB engine: input
  versions, the view's SQL, its sort and casts, the new version), against the same SQL run directly in DuckDB
  on the instance's own version files. The issue's goal for that ratio is at most 1.3×.

Every engine's result must equal DuckDB's (`combine.compare`) or its time is not shown. Rounds are interleaved
and the median counts, after one untimed warm-up run of each (Spark's first query spends most of a minute
loading and compiling classes). The data is made once and kept in bench/.cache/views/.

    .venv/bin/python bench/bench_views.py [--rows 10000000] [--rounds 3] [--master local[2]] [--skip-refresh]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa

import datagen  # bench/datagen.py: the seeded hourly traffic counts every benchmark here uses
from wierde.combine.compare import compare_results
from wierde.combine.engine import TIME_ZONE
from wierde.demo.waterways import BRIDGES
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.duck import connect

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "views"
# The ten municipalities datagen uses, with their population and land area (approximate, 2024).
GEMEENTEN = (
    ("GM0014", "Groningen", 243_000, 197.96), ("GM1966", "Het Hogeland", 48_000, 477.07),
    ("GM1969", "Westerkwartier", 66_000, 348.74), ("GM1952", "Midden-Groningen", 61_000, 294.11),
    ("GM1979", "Eemsdelta", 45_000, 278.10), ("GM1895", "Oldambt", 39_000, 226.98),
    ("GM0765", "Pekela", 12_000, 49.93), ("GM0037", "Stadskanaal", 32_000, 117.53),
    ("GM0047", "Veendam", 29_000, 77.84), ("GM1950", "Westerwolde", 26_000, 276.83),
)
VIEW_SQL = """
WITH opening_hours AS (
    SELECT b.site_id, date_trunc('hour', o.start_time) AS uur, count(*) AS openingen,
           count(*) FILTER (WHERE o.vaartuig = 'recreatievaart') AS recreatief,
           sum(date_diff('minute', o.start_time, o.end_time)) AS minuten_open
    FROM openingen o JOIN bruggen b USING (brug_id)
    GROUP BY ALL
)
SELECT g.gemeente_code, g.naam, date_trunc('month', t.uur) AS maand, oh.openingen IS NOT NULL AS tijdens_opening,
       count(*) AS uren, sum(t.voertuigen) AS voertuigen, avg(t.snelheid) AS gem_snelheid,
       sum(coalesce(oh.minuten_open, 0)) AS minuten_open, sum(coalesce(oh.recreatief, 0)) AS recreatief,
       sum(t.voertuigen) * 1000.0 / any_value(g.inwoners) AS voertuigen_per_1000_inwoners
FROM verkeer t
LEFT JOIN opening_hours oh ON oh.site_id = t.site_id AND oh.uur = t.uur
JOIN gemeenten g ON g.gemeente_code = t.gemeente_code
GROUP BY g.gemeente_code, g.naam, maand, tijdens_opening
"""
Runs = dict[str, list[float] | str]  # engine → seconds per round, or why it has none


def bridges_table(seed: int) -> pa.Table:
    """The demo's movable bridges, each watched by a counting site in its own municipality where there is one."""
    sites = datagen.site_table(np.random.default_rng(seed))  # the same sites counts_table draws first
    rng = np.random.default_rng(seed + 1)
    taken: set[str] = set()
    site_ids = []
    for bridge in BRIDGES:
        local = [s for s, g in zip(sites["site_id"], sites["gemeente_code"], strict=True)
                 if g == bridge.gemeente and s not in taken]
        pool = local or [s for s in sites["site_id"] if s not in taken]
        site_ids.append(str(rng.choice(pool)))
        taken.add(site_ids[-1])
    return pa.table({"brug_id": [b.id for b in BRIDGES], "naam": [b.name for b in BRIDGES],
                     "vaarweg": [b.waterway for b in BRIDGES], "site_id": site_ids})


def openings_table(hours: int, seed: int) -> pa.Table:
    """Openings per bridge and day over the counts' period: many in the recreation season, few in winter."""
    rng = np.random.default_rng(seed + 2)
    days = np.arange(hours // 24 + 1)
    day_of_year = (days % 365.25).astype(int)
    season = 2 + 10 * np.exp(-(((day_of_year - 200) / 45.0) ** 2))  # a summer peak around mid-July
    per_day = rng.poisson(np.tile(season, len(BRIDGES)))
    bridge = np.repeat(np.arange(len(BRIDGES)), len(days))
    day = np.tile(days, len(BRIDGES))
    which = np.repeat(np.arange(len(per_day)), per_day)
    count = len(which)
    minute = rng.integers(6 * 60, 22 * 60, count)
    start = datagen.START + (day[which] * 86_400 + minute * 60).astype("timedelta64[s]")
    recreational = rng.random(count) < 0.4 + 0.4 * (season[day[which]] > 6)
    return pa.table({
        "brug_id": pa.array(np.array([b.id for b in BRIDGES])[bridge[which]]),
        "start_time": pa.array(start),
        "end_time": pa.array(start + rng.integers(180, 600, count).astype("timedelta64[s]")),
        "vaartuig": pa.array(np.where(recreational, "recreatievaart", "beroepsvaart")),
    })


def make_data(rows: int, seed: int) -> dict[str, Path]:
    """The four inputs as Parquet files written by DuckDB, made once per size and seed."""
    folder = CACHE / f"data-{rows}-s{seed}"
    files = {name: folder / f"{name}.parquet" for name in ("verkeer", "bruggen", "openingen", "gemeenten")}
    if all(path.exists() for path in files.values()):
        return files
    folder.mkdir(parents=True, exist_ok=True)
    con = connect(extensions=())
    con.register("counts", datagen.counts_table(rows, seed))
    con.register("bridges", bridges_table(seed))
    con.register("openings", openings_table(rows // datagen.SITES + 1, seed))
    con.register("municipalities", pa.table({k: [g[i] for g in GEMEENTEN] for i, k in
                                             enumerate(("gemeente_code", "naam", "inwoners", "oppervlakte_km2"))}))
    sources = {
        "verkeer": "SELECT site_id, gemeente_code, CAST(timestamp AS TIMESTAMP) AS uur, vehicles AS voertuigen, "
                   "mean_speed AS snelheid FROM counts",
        "bruggen": "SELECT * FROM bridges",
        "openingen": "SELECT brug_id, CAST(start_time AS TIMESTAMP) AS start_time, "
                     "CAST(end_time AS TIMESTAMP) AS end_time, vaartuig FROM openings",
        "gemeenten": "SELECT gemeente_code, naam, CAST(inwoners AS INTEGER) AS inwoners, "
                     "CAST(oppervlakte_km2 AS DECIMAL(8,2)) AS oppervlakte_km2 FROM municipalities",
    }
    for name, sql in sources.items():
        partial = files[name].with_suffix(".tmp")
        con.execute(f"COPY ({sql}) TO {quote_literal(str(partial))} (FORMAT parquet)")
        partial.replace(files[name])  # complete files only: an interrupted run never leaves a cached half
    con.close()
    return files


def duckdb_direct(tables: dict[str, Path], out: Path) -> Callable[[], None]:
    """DuckDB on its own: views over the files and one COPY, in the engine's time zone; nothing else."""

    def run() -> None:
        con = connect(extensions=())
        try:
            con.execute(f"SET TimeZone = {quote_literal(TIME_ZONE)}")
            for name, path in tables.items():
                source = f"read_parquet({quote_literal(str(path))})"
                con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM {source}")
            con.execute(f"COPY ({VIEW_SQL}) TO {quote_literal(str(out))} (FORMAT parquet)")
        finally:
            con.close()

    return run


def spark_engine(master: str, tables: dict[str, Path], out: Path) -> tuple[Callable[[], None], float]:
    """SparkEngine.run, after starting the session once (returned: the start-up seconds)."""
    from wierde.combine.spark_engine import SparkEngine, spark_session

    started = time.perf_counter()
    spark_session(master)
    startup = time.perf_counter() - started
    engine = SparkEngine(master)

    def run() -> None:
        engine.run(VIEW_SQL, tables, out)

    return run, startup


def refresh_pair(tables: dict[str, Path], home: Path, out: Path) -> tuple[Callable[[], None], Callable[[], None], Path]:
    """(refresh of the view in an instance, the same SQL directly on the instance's version files, the result)."""
    from wierde.collect.ingest import ingest
    from wierde.combine.materialise import refresh
    from wierde.combine.spec import parse_view
    from wierde.config import Settings
    from wierde.store.repository import Store

    store = Store.open(Settings(home=home))
    for name, path in tables.items():
        ingest(store, path, name, meta={"title": name}, key_regions=False)
    view = parse_view({"id": "verkeer-bij-openingen", "title": "Verkeer bij brugopeningen", "sql": VIEW_SQL},
                      "bench")
    versions = {name: store.path_of(store.version(name)) for name in tables}
    result = home / "refreshed"

    def run_refresh() -> None:
        refreshed = refresh(store, view)
        result.write_text(str(store.path_of(refreshed.version)))

    return run_refresh, duckdb_direct(versions, out), result


def timed(run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def measure(methods: dict[str, Callable[[], None]], rounds: int) -> dict[str, list[float]]:
    """Each method once per round, in a rotating order so no method always runs on a warm or a busy machine.

    One untimed warm-up run each first: Spark's first query loads and compiles classes for a minute."""
    for name, run in methods.items():
        print(f"  warm-up: {name} {timed(run):.2f} s", flush=True)
    times: dict[str, list[float]] = {name: [] for name in methods}
    names = list(methods)
    for round_number in range(rounds):
        for name in names[round_number % len(names):] + names[: round_number % len(names)]:
            times[name].append(timed(methods[name]))
            print(f"  round {round_number + 1}: {name} {times[name][-1]:.2f} s", flush=True)
    return times


def table(runs: Runs, rows: int, startup: float | None, notes: list[str]) -> str:
    medians = {k: statistics.median(v) for k, v in runs.items() if isinstance(v, list)}
    base = medians.get("DuckDB direct (COPY)")
    lines = [
        f"One view (traffic ⋈ bridge openings by site and hour ⋈ municipalities, aggregated) over {rows:,} hourly "
        f"counts; median of {max((len(v) for v in runs.values() if isinstance(v, list)), default=0)} interleaved "
        "rounds.",
        "",
        "| engine | median s | fastest s | input rows/s | vs DuckDB direct |",
        "|---|---|---|---|---|",
    ]
    for name, value in runs.items():
        if isinstance(value, str):
            lines.append(f"| {name} | n/a | n/a | n/a | |")
            notes.append(f"{name}: {value}")
            continue
        ratio = f"{medians[name] / base:.2f}×" if base else "n/a"
        lines.append(f"| {name} | {medians[name]:.2f} | {min(value):.2f} | {rows / medians[name]:,.0f} | {ratio} |")
    if startup is not None:
        notes.insert(0, f"Spark session start-up (once per process, not in the times above): {startup:.1f} s")
    return "\n".join(lines + ([""] + ["Notes:"] + [f"- {n}" for n in notes] if notes else [])) + "\n"


def check_same(runs: Runs, name: str, reference: Path, result: Path, notes: list[str]) -> None:
    """A method whose result is not DuckDB's gets no time."""
    difference = compare_results(reference, result, labels=("DuckDB", name))
    if difference:
        runs[name] = f"result differs from DuckDB's: {difference}"
    else:
        notes.append(f"{name}: result identical to DuckDB's (combine.compare)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=datagen.DEFAULT_SEED)
    parser.add_argument("--master", default="local[2]", help="Spark master URL (default local[2])")
    parser.add_argument("--skip-spark", action="store_true")
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "views.md")
    args = parser.parse_args()

    started = time.perf_counter()
    tables = make_data(args.rows, args.seed)
    print(f"data ready in {time.perf_counter() - started:.1f} s: {tables['verkeer'].parent}", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        folder = Path(scratch)
        outs = {name: folder / f"{name}.parquet" for name in ("duckdb", "spark", "store")}
        methods: dict[str, Callable[[], None]] = {"DuckDB direct (COPY)": duckdb_direct(tables, outs["duckdb"])}
        startup = None
        if not args.skip_spark:
            methods[f"Spark {args.master} (SparkEngine)"], startup = spark_engine(args.master, tables, outs["spark"])
        refreshed_path = None
        if not args.skip_refresh:
            print("ingesting the inputs into a fresh instance (not timed) ...", flush=True)
            refresh, direct, refreshed_path = refresh_pair(tables, folder / "home", outs["store"])
            methods["refresh (DuckDB engine, materialise)"] = refresh
            methods["the same SQL directly on the instance's files"] = direct
        runs: Runs = dict(measure(methods, args.rounds))
        notes: list[str] = []
        if not args.skip_spark:
            check_same(runs, f"Spark {args.master} (SparkEngine)", outs["duckdb"], outs["spark"], notes)
        if refreshed_path is not None:
            check_same(runs, "refresh (DuckDB engine, materialise)", outs["store"],
                       Path(refreshed_path.read_text()), notes)
            medians = {k: statistics.median(v) for k, v in runs.items() if isinstance(v, list)}
            pair = ("refresh (DuckDB engine, materialise)", "the same SQL directly on the instance's files")
            if all(name in medians for name in pair):
                notes.append(f"refresh vs direct SQL on the same files: {medians[pair[0]] / medians[pair[1]]:.2f}× "
                             "(goal ≤ 1.3×)")
        text = table(runs, args.rows, startup, notes)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
