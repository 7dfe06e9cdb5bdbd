"""Opening a 200,000-point dataset on the portal's map: time and bytes per map request at zoom 8, 11 and 14, beside
what a map without the map endpoint has to fetch (the whole dataset as one GeoJSON).

    .venv/bin/python bench/bench_map.py [--points 200000] [--requests 15] [--out bench/results/map.md]

The points (seeded: towns plus scatter over the province of Groningen) are stored twice: in RD New, as Dutch
sources deliver them, and in CRS84. A real `wierde serve` answers over HTTP on 127.0.0.1, one request at a time.
Every timed request asks a view not asked before, so the server's answer cache cannot help (views are 1280 × 720
pixels around random places in the province); then each view is asked again, which the cache answers.
Also used by bench_ogc.py for its data.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pyarrow as pa
import pyproj

from wierde.config import Settings
from wierde.store.duck import connect
from wierde.store.repository import Store

sys.path.insert(0, str(Path(__file__).resolve().parent))
import http_bench  # noqa: E402  (a sibling script: its server start/stop helpers)

BENCH = Path(__file__).resolve().parent
DATA = BENCH / ".cache" / "data"
DEFAULT_POINTS = 200_000
DEFAULT_SEED = 20261127
PROVINCE = (6.17, 52.95, 7.23, 53.50)  # lon/lat box of the province of Groningen's land
TOWNS = ((6.5665, 53.2194, 0.35), (6.9070, 53.3270, 0.08), (6.8560, 53.1420, 0.08), (6.9580, 53.1680, 0.06),
         (6.7050, 53.3520, 0.05), (6.5270, 53.3100, 0.05), (6.9610, 53.0670, 0.05), (6.4280, 53.2380, 0.05),
         (6.6500, 53.1500, 0.05), (7.0420, 53.2060, 0.05), (6.3560, 53.1960, 0.05), (6.7660, 53.2370, 0.08))
CATEGORIES = np.array(["meetpunt", "lantaarnpaal", "boom", "bank", "afvalbak"])
VIEW_PX = (1280, 720)
ZOOMS = (8, 11, 14)


@dataclass(frozen=True)
class PointFiles:
    rd: Path  # geometry GEOMETRY('EPSG:28992'), x/y in metres
    crs84: Path  # geometry GEOMETRY('OGC:CRS84'), x/y are longitude/latitude
    count: int


def points_table(count: int, seed: int) -> pa.Table:
    """Half the points around towns (the city of Groningen holds most), half scattered over the province."""
    rng = np.random.default_rng(seed)
    town = rng.choice(len(TOWNS), size=count, p=[t[2] for t in TOWNS])
    near = rng.random(count) < 0.5
    spread = np.where(near, 0.02, 0.0)
    lon = np.where(near, np.array([t[0] for t in TOWNS])[town] + rng.normal(0, 1, count) * spread * 1.6,
                   rng.uniform(PROVINCE[0], PROVINCE[2], count))
    lat = np.where(near, np.array([t[1] for t in TOWNS])[town] + rng.normal(0, 1, count) * spread,
                   rng.uniform(PROVINCE[1], PROVINCE[3], count))
    x, y = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:28992", always_xy=True).transform(lon, lat)
    ids = np.arange(1, count + 1)
    return pa.table({
        "id": pa.array(ids), "naam": pa.array([f"punt {i}" for i in ids]),
        "categorie": pa.array(CATEGORIES[rng.integers(0, len(CATEGORIES), count)]),
        "waarde": pa.array(rng.integers(0, 1000, count)),
        "lon": pa.array(np.round(lon, 7)), "lat": pa.array(np.round(lat, 7)),
        "x_rd": pa.array(np.round(x, 2)), "y_rd": pa.array(np.round(y, 2)),
    })


def generate(count: int = DEFAULT_POINTS, seed: int = DEFAULT_SEED) -> PointFiles:
    """GeoParquet files (written by DuckDB, with their CRS), made once per count and seed."""
    DATA.mkdir(parents=True, exist_ok=True)
    files = PointFiles(DATA / f"punten-{count}-s{seed}-rd.parquet", DATA / f"punten-{count}-s{seed}-crs84.parquet",
                       count)
    if files.rd.exists() and files.crs84.exists():
        return files
    con = connect(extensions=("spatial",))
    try:
        con.register("points", points_table(count, seed))
        for path, x, y, crs in ((files.rd, "x_rd", "y_rd", "EPSG:28992"), (files.crs84, "lon", "lat", "OGC:CRS84")):
            tmp = path.with_suffix(".tmp")
            con.execute(f"COPY (SELECT id, naam, categorie, waarde, {x} AS x, {y} AS y, "
                        f"ST_SetCRS(ST_Point({x}, {y}), '{crs}') AS geometry FROM points) TO '{tmp}' (FORMAT parquet)")
            tmp.replace(path)  # complete or absent: an interrupted run never leaves a half file that looks cached
    finally:
        con.close()
    return files


FIELDS = [{"name": "id", "type": "integer"}, {"name": "naam", "type": "string"},
          {"name": "categorie", "type": "string"}, {"name": "waarde", "type": "integer"},
          {"name": "x", "type": "number"}, {"name": "y", "type": "number"}, {"name": "geometry", "type": "geometry"}]


def publish(home: Path, datasets: dict[str, Path], count: int) -> None:
    """Each file as the current, published version of a dataset in a fresh instance at `home`."""
    store = Store.open(Settings(home=home))
    try:
        for dataset_id, path in datasets.items():
            staged = store.new_tmp_path()
            staged.write_bytes(path.read_bytes())
            store.commit_version(dataset_id, staged, row_count=count, table_schema={"fields": FIELDS}, source={},
                                 report={}, meta={"title": f"{count:,} punten", "themes": ["REGI"],
                                                  "licence": "CC0-1.0"})
            store.set_status(dataset_id, "published")
    finally:
        store.close()


def view_bbox(lon: float, lat: float, zoom: int) -> str:
    """A 1280 × 720 pixel map view centred on (lon, lat), as Leaflet asks it."""
    degrees = 360.0 / (256 * 2**zoom)
    half_w = VIEW_PX[0] / 2 * degrees
    half_h = VIEW_PX[1] / 2 * degrees * math.cos(math.radians(lat))
    return f"{lon - half_w:.6f},{lat - half_h:.6f},{lon + half_w:.6f},{lat + half_h:.6f}"


@dataclass(frozen=True)
class Sample:
    dataset: str
    zoom: int
    seconds: float
    cached_seconds: float
    size: int
    features: int
    clustered: bool


def measure(client: httpx.Client, dataset: str, zoom: int, requests: int, seed: int) -> list[Sample]:
    rng = np.random.default_rng(seed + zoom)
    samples = []
    for _ in range(requests):
        lon, lat = rng.uniform(PROVINCE[0], PROVINCE[2]), rng.uniform(PROVINCE[1], PROVINCE[3])
        if zoom <= 8:  # the first view of the map: the whole province
            lon, lat = (PROVINCE[0] + PROVINCE[2]) / 2 + rng.uniform(-1.5, 1.5), (PROVINCE[1] + PROVINCE[3]) / 2
        url = f"/api/v1/datasets/{dataset}/map?bbox={view_bbox(lon, lat, zoom)}&zoom={zoom}"
        started = time.perf_counter()
        answer = client.get(url)
        elapsed = time.perf_counter() - started
        answer.raise_for_status()
        started = time.perf_counter()
        client.get(url).raise_for_status()
        cached = time.perf_counter() - started
        body = answer.json()
        samples.append(Sample(dataset, zoom, elapsed, cached, len(answer.content), body["numberReturned"],
                              body["clustered"]))
    return samples


def first_open(client: httpx.Client, dataset: str) -> tuple[float, int]:
    """The first map request for a version after the server started, as a dataset page makes it (the whole
    extent): it also reads the version's points into memory once."""
    started = time.perf_counter()
    answer = client.get(f"/api/v1/datasets/{dataset}/map?zoom=9")
    answer.raise_for_status()
    return time.perf_counter() - started, len(answer.content)


def whole_geojson(client: httpx.Client, dataset: str) -> tuple[float, int]:
    started = time.perf_counter()
    size = 0
    with client.stream("GET", f"/api/v1/datasets/{dataset}/download?format=geojson") as answer:
        answer.raise_for_status()
        for chunk in answer.iter_bytes():
            size += len(chunk)
    return time.perf_counter() - started, size


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f}"


def report(samples: list[Sample], whole: dict[str, tuple[float, int]], first: dict[str, tuple[float, int]],
           count: int, requests: int) -> str:
    lines = ["# Map layer: opening a large point dataset", "",
             f"{count:,} points · {requests} views per row, each a 1280 × 720 px view never asked before "
             f"(then asked again: cached) · one request at a time over HTTP · {time.strftime('%Y-%m-%d %H:%M')}", "",
             "| dataset | zoom | median ms | p90 ms | cached ms | median KB | features (median) | clustered |",
             "|---|---|---|---|---|---|---|---|"]
    groups: dict[tuple[str, int], list[Sample]] = {}
    for sample in samples:
        groups.setdefault((sample.dataset, sample.zoom), []).append(sample)
    for (dataset, zoom), group in groups.items():
        times = sorted(s.seconds for s in group)
        p90 = times[min(len(times) - 1, math.ceil(0.9 * len(times)) - 1)]
        clustered = sum(s.clustered for s in group)
        lines.append(f"| {dataset} | {zoom} | {ms(statistics.median(times))} | {ms(p90)} | "
                     f"{ms(statistics.median(s.cached_seconds for s in group))} | "
                     f"{statistics.median(s.size for s in group) / 1024:,.1f} | "
                     f"{statistics.median(s.features for s in group):,.0f} | {clustered}/{len(group)} |")
    lines += ["", "The first map request of a dataset after the server started (zoom 9, the whole extent; it reads "
              "the version's points into memory once):", ""]
    lines += [f"- {d}: {ms(seconds)} ms, {size / 1024:,.1f} KB" for d, (seconds, size) in first.items()]
    lines += ["", f"1-minute load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."]
    lines += ["", "Without the map endpoint a map has to fetch the whole dataset:", "",
              "| dataset | whole GeoJSON download | MB |", "|---|---|---|"]
    lines += [f"| {d} | {seconds:,.1f} s | {size / 1e6:,.1f} |" for d, (seconds, size) in whole.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=DEFAULT_POINTS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--requests", type=int, default=15, help="views per dataset and zoom")
    parser.add_argument("--out", type=Path, default=BENCH / "results" / "map.md")
    args = parser.parse_args(argv)
    files = generate(args.points, args.seed)
    datasets = {"punten-rd": files.rd, "punten-crs84": files.crs84}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    (BENCH / ".cache").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wierde-map-", dir=BENCH / ".cache") as folder:
        home = Path(folder) / "home"
        publish(home, datasets, files.count)
        (args.out.parent / "logs").mkdir(exist_ok=True)
        procs = http_bench.Processes(args.out.parent / "logs", [])
        port = http_bench.free_port()
        base = f"http://127.0.0.1:{port}"
        try:
            procs.start("wierde-map", [str(http_bench.PROJECT_BIN / "wierde"), "serve", "--home", str(home),
                                       "--port", str(port)], base, "/api/v1/datasets")
            with httpx.Client(base_url=base, timeout=300, trust_env=False) as client:
                first = {d: first_open(client, d) for d in datasets}
                samples = [s for d in datasets for z in ZOOMS for s in measure(client, d, z, args.requests, args.seed)]
                whole = {d: whole_geojson(client, d) for d in datasets}
        finally:
            procs.stop_all()
    text = report(samples, whole, first, files.count, args.requests)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
