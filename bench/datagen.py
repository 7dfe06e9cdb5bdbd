"""Makes the benchmark's data: seeded hourly traffic counts as a CSV (to ingest) and as Parquet (for the baseline)."""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from wierde.store.duck import connect

BENCH = Path(__file__).resolve().parent
CACHE = BENCH / ".cache" / "data"
DEFAULT_ROWS = 2_000_000
DEFAULT_SEED = 20261127
SITES = 229
# The ten municipalities of the province of Groningen; the weights give the city of Groningen the most sites.
GEMEENTEN = ("GM0014", "GM1966", "GM1969", "GM1952", "GM1979", "GM1895", "GM0765", "GM0037", "GM0047", "GM1950")
GEMEENTE_WEIGHTS = (0.30, 0.08, 0.09, 0.10, 0.08, 0.07, 0.07, 0.07, 0.06, 0.08)
START = np.datetime64("2024-01-01T00:00:00", "s")
# Share of a day's traffic per hour (0-23): a morning and an evening peak, quiet nights.
DAY_PROFILE = np.array(
    [0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.7, 1.3, 1.5, 1.0, 0.85, 0.85,
     0.9, 0.9, 0.95, 1.1, 1.4, 1.55, 1.2, 0.8, 0.6, 0.45, 0.35, 0.25]
)
CSV_COLUMNS = ("site_id", "gemeente_code", "timestamp", "vehicles", "mean_speed")


@dataclass(frozen=True)
class DataFiles:
    csv: Path
    parquet: Path
    digest: str  # sha256 of the CSV: the key for everything built from it (the Datasette database)
    rows: int


def hour_iso(hours: int) -> str:
    """The timestamp `hours` after the first count, as written in the CSV: 2024-01-19T05:00:00."""
    return str(START + hours * np.timedelta64(3600, "s"))


def site_table(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The fixed properties of each counting site: its id, municipality, busyness and speed limit."""
    numbers = rng.choice(np.arange(1, 2000), size=SITES, replace=False)
    prefixes = rng.choice(np.array(["PGR06", "PGR08"]), size=SITES)
    ids = np.array([f"{p}_{n:04d}" for p, n in zip(prefixes, numbers, strict=True)])
    return {
        "site_id": ids,
        "gemeente_code": rng.choice(np.array(GEMEENTEN), size=SITES, p=np.array(GEMEENTE_WEIGHTS)),
        "peak": rng.lognormal(mean=np.log(300.0), sigma=0.8, size=SITES),  # vehicles in a busy hour
        "limit": rng.choice(np.array([50.0, 80.0, 100.0]), size=SITES, p=[0.5, 0.35, 0.15]),
    }


def counts_table(rows: int, seed: int) -> pa.Table:
    """`rows` hourly counts, hour by hour, each hour listing every site in the same order (a logger's dump order)."""
    rng = np.random.default_rng(seed)
    sites = site_table(rng)
    index = np.arange(rows, dtype=np.int64)
    site = index % SITES
    hour = index // SITES
    hour_of_day = hour % 24
    weekday = (hour // 24) % 7  # 2024-01-01 is a Monday, so 5 and 6 are the weekend
    weekend = np.where(weekday >= 5, 0.6, 1.0)
    expected = sites["peak"][site] * DAY_PROFILE[hour_of_day] * weekend / DAY_PROFILE.max()
    vehicles = rng.poisson(expected).astype(np.int64)
    load = vehicles / (sites["peak"][site] * 1.2)  # busier than usual means slower
    speed = sites["limit"][site] * (1.0 - 0.35 * np.clip(load, 0.0, 1.5)) + rng.normal(0.0, 3.0, rows)
    return pa.table({
        "site_id": pa.array(sites["site_id"][site]),
        "gemeente_code": pa.array(sites["gemeente_code"][site]),
        "timestamp": pa.array(START + hour * np.timedelta64(3600, "s")),
        "vehicles": pa.array(vehicles),
        "mean_speed": pa.array(np.round(np.clip(speed, 5.0, 130.0), 1)),
    })


def write_files(table: pa.Table, csv_path: Path, parquet_path: Path) -> None:
    """The CSV with ISO timestamps, then the Parquet file that DuckDB reads back from that very CSV."""
    con = connect(extensions=())
    try:
        con.register("counts", table)
        con.execute(
            "COPY (SELECT site_id, gemeente_code, strftime(timestamp, '%Y-%m-%dT%H:%M:%S') AS timestamp, "
            f"vehicles, mean_speed FROM counts) TO '{csv_path}' (FORMAT csv, HEADER true)"
        )
        con.execute(
            f"COPY (SELECT * FROM read_csv('{csv_path}', header = true)) TO '{parquet_path}' (FORMAT parquet)"
        )
    finally:
        con.close()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def generate(rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, out_dir: Path = CACHE) -> DataFiles:
    """The data files for `rows` and `seed`, made once and then taken from `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"verkeer-{rows}-s{seed}"
    csv_path, parquet_path, hash_path = (out_dir / f"{stem}{ext}" for ext in (".csv", ".parquet", ".sha256"))
    if not (csv_path.exists() and parquet_path.exists() and hash_path.exists()):
        tmp_csv, tmp_parquet = out_dir / f"{stem}.tmp.csv", out_dir / f"{stem}.tmp.parquet"
        write_files(counts_table(rows, seed), tmp_csv, tmp_parquet)
        # Renamed only when complete, so an interrupted run never leaves a half file that looks cached.
        tmp_parquet.replace(parquet_path)
        tmp_csv.replace(csv_path)
        hash_path.write_text(sha256_of(csv_path) + "\n")
    return DataFiles(csv_path, parquet_path, hash_path.read_text().strip(), rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=CACHE, help="folder for the files (default bench/.cache/data)")
    args = parser.parse_args(argv)
    files = generate(args.rows, args.seed, args.out)
    print(f"{files.csv}\n{files.parquet}\nsha256 {files.digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
