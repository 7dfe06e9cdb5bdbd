"""Geo-keying side by side: which municipality, district and neighbourhood each of 200,000 points lies in.

Wierde's `key_points` (rows stay in DuckDB; coordinates go out as Arrow, are sorted by x and tested per region
against its prepared polygon within its bounding box, and the codes come back as Arrow) against DuckDB's own
spatial join (the SPATIAL_JOIN operator DuckDB 1.5 plans for ST_Intersects), shapely's STRtree and geopandas'
`sjoin`, on the same seeded points and the demo bundle's regions (the ten real municipalities when ../shared is
there, their districts and neighbourhoods). Every method must give every
point the same three codes (a point on a border gets the lower code) or its time is not shown.

Each method starts from its natural input, built before the clock starts (a DuckDB table of points for Wierde and
DuckDB, an array of shapely points for shapely, a GeoDataFrame for geopandas), and stops at its natural output (a
DuckDB table, numpy arrays, a DataFrame); reading the answers for the comparison is not timed. Rounds are
interleaved; the median counts.

    .venv/bin/python bench/bench_geokey.py [--points 200000] [--rounds 5] [--out bench/results/geokey.md]

geopandas is not a project dependency: it is in the `bench` dependency group (`uv sync --locked --group bench`).
Without it that column is skipped with a note.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import shapely

from wierde.demo.bundle import find_boundaries, generate_bundle
from wierde.regions import RegionSet, key_points
from wierde.store.duck import connect

LEVELS = ("GM", "WK", "BU")
HERE = Path(__file__).resolve().parent
Codes = dict[str, list[str | None]]


def make_points(regions: RegionSet, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """90 % inside the province (uniform over its land), 10 % anywhere in its bounding box (sea, Germany, Drenthe)."""
    province = shapely.union_all([r.geometry for r in regions.level("GM")])
    x0, y0, x1, y1 = province.bounds
    rng = np.random.default_rng(seed)
    inside_wanted = count * 9 // 10
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    found = 0
    shapely.prepare(province)
    while found < inside_wanted:
        x, y = rng.uniform(x0, x1, count), rng.uniform(y0, y1, count)
        keep = shapely.contains_xy(province, x, y)
        xs.append(x[keep])
        ys.append(y[keep])
        found += int(keep.sum())
    rest = count - inside_wanted
    x = np.concatenate([np.concatenate(xs)[:inside_wanted], rng.uniform(x0, x1, rest)])
    y = np.concatenate([np.concatenate(ys)[:inside_wanted], rng.uniform(y0, y1, rest)])
    order = rng.permutation(count)
    return x[order], y[order]


Method = tuple[Callable[[], Any], Callable[[Any], Codes]]  # (the timed work, reading its answer afterwards)


def from_table(con: duckdb.DuckDBPyConnection, table: str) -> Codes:
    rows = con.sql(f"SELECT gm_code, wk_code, bu_code FROM {table}").fetchall()  # noqa: S608
    return {lv: [row[i] for row in rows] for i, lv in enumerate(LEVELS)}


def wierde_method(con: duckdb.DuckDBPyConnection, regions: RegionSet) -> Method:
    def run() -> str:
        return key_points(con, "SELECT id, geom FROM points", "geom", regions, LEVELS, table="keyed").table

    return run, lambda table: from_table(con, table)


def duckdb_join_method(con: duckdb.DuckDBPyConnection) -> Method:
    """All in DuckDB: a spatial join per level (DuckDB plans SPATIAL_JOIN, an R-tree built on the fly), min code."""

    def run() -> str:
        joins = " ".join(
            f"LEFT JOIN (SELECT p.id, min(r.code) AS code FROM points p JOIN regions r ON r.level = '{lv}' "
            f"AND ST_Intersects(r.geom, p.geom) GROUP BY p.id) {lv} ON {lv}.id = points.id"
            for lv in LEVELS
        )
        con.execute(f"CREATE OR REPLACE TEMP TABLE joined AS SELECT points.*, GM.code AS gm_code, "  # noqa: S608
                    f"WK.code AS wk_code, BU.code AS bu_code FROM points {joins} ORDER BY points.id")
        return "joined"

    return run, lambda table: from_table(con, table)


def shapely_method(points: np.ndarray, regions: RegionSet) -> Method:
    """STRtree over the polygons, queried with all points at once; the lowest code per point and level by numpy."""
    polygons = [r for r in regions if r.level in LEVELS and r.geometry is not None]
    codes = np.array(sorted({r.code for r in polygons}), dtype=object)
    rank = {code: i for i, code in enumerate(codes)}
    region_rank = np.array([rank[r.code] for r in polygons])
    region_level = np.array([LEVELS.index(r.level) for r in polygons])

    def run() -> dict[str, np.ndarray]:
        point_index, polygon_index = shapely.STRtree([r.geometry for r in polygons]).query(
            points, predicate="intersects")
        out = {}
        for number, level in enumerate(LEVELS):
            mine = region_level[polygon_index] == number
            best = np.full(len(points), len(codes))
            np.minimum.at(best, point_index[mine], region_rank[polygon_index[mine]])
            out[level] = best
        return out

    def answer(out: dict[str, np.ndarray]) -> Codes:
        return {lv: [codes[i] if i < len(codes) else None for i in out[lv].tolist()] for lv in LEVELS}

    return run, answer


def geopandas_method(x: np.ndarray, y: np.ndarray, regions: RegionSet) -> Method | str:
    try:
        import geopandas as gpd
    except ImportError:
        return "skipped: geopandas is not installed; it is in the `bench` dependency group (uv sync --group bench)"
    crs = "EPSG:4326" if regions.crs in ("EPSG:4326", "OGC:CRS84") else regions.crs
    points = gpd.GeoDataFrame({"id": np.arange(len(x))}, geometry=gpd.points_from_xy(x, y), crs=crs)
    rows = [r for r in regions if r.level in LEVELS and r.geometry is not None]
    polygons = gpd.GeoDataFrame({"level": [r.level for r in rows], "code": [r.code for r in rows]},
                                geometry=[r.geometry for r in rows], crs=crs)

    def run() -> Any:
        joined = gpd.sjoin(points, polygons, how="inner", predicate="intersects")
        # One code per point and level; on a shared border the smallest code wins, as in the other methods.
        # (A pandas groupby-min over string codes would take seconds and measure pandas, not the join.)
        ordered = joined.sort_values("code", ascending=False, kind="stable")
        wide = {}
        for lv in LEVELS:
            at_level = ordered[ordered["level"] == lv]
            codes = np.full(len(x), None, dtype=object)
            codes[at_level.index.to_numpy()] = at_level["code"].to_numpy()  # later (smaller) codes win
            wide[lv] = codes
        return wide

    def answer(wide: Any) -> Codes:
        return {lv: [c if isinstance(c, str) else None for c in wide[lv].tolist()] for lv in LEVELS}

    return run, answer


def load_duckdb(con: duckdb.DuckDBPyConnection, regions: RegionSet, x: np.ndarray, y: np.ndarray) -> None:
    con.register("xy", pa.table({"id": np.arange(len(x)), "x": x, "y": y}))
    con.execute(f"CREATE TABLE points AS SELECT id, ST_SetCRS(ST_Point(x, y), '{regions.crs}') AS geom FROM xy "
                "ORDER BY id")
    rows = [r for r in regions if r.level in LEVELS and r.geometry is not None]
    con.register("polygons", pa.table({
        "level": [r.level for r in rows], "code": [r.code for r in rows],
        "wkb": pa.array([shapely.to_wkb(r.geometry) for r in rows], pa.binary()),
    }))
    con.execute(f"CREATE TABLE regions AS SELECT level, code, ST_SetCRS(ST_GeomFromWKB(wkb), '{regions.crs}') AS geom "
                "FROM polygons")


def table(results: dict[str, list[float] | str], reference: str, points: int, regions: int) -> str:
    rounds = max((len(v) for v in results.values() if isinstance(v, list)), default=0)
    lines = [
        f"Keying {points:,} points to {regions} regions (GM, WK, BU) in {rounds} interleaved rounds; the ratios "
        "compare medians (below 1× is faster).",
        "",
        "| method | median s | fastest s | vs geopandas | vs shapely STRtree |",
        "|---|---|---|---|---|",
    ]
    medians = {k: statistics.median(v) for k, v in results.items() if isinstance(v, list)}
    for name, value in results.items():
        if isinstance(value, str):
            lines.append(f"| {name} | n/a | n/a | | |")
            continue
        ratio = {peer: f"{medians[name] / medians[peer]:.2f}×" if peer in medians else "n/a"
                 for peer in ("geopandas sjoin", reference)}
        lines.append(f"| {name} | {medians[name]:.3f} | {min(value):.3f} | {ratio['geopandas sjoin']} | "
                     f"{ratio[reference]} |")
    notes = [f"- {name}: {value}" for name, value in results.items() if isinstance(value, str)]
    return "\n".join(lines + ([""] + ["Notes:"] + notes if notes else [])) + "\n"


def plan_operator(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    plan = "".join(str(row[1]) for row in con.sql(f"EXPLAIN {sql}").fetchall())
    return "SPATIAL_JOIN" if "SPATIAL_JOIN" in plan else "no SPATIAL_JOIN (nested loop?)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--out", type=Path, default=HERE / "results" / "geokey.md")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        generate_bundle(Path(folder), boundaries=find_boundaries())
        con = connect(extensions=("spatial",))
        regions = RegionSet.from_bundle(Path(folder), con=con)
    x, y = make_points(regions, args.points, args.seed)
    load_duckdb(con, regions, x, y)
    points = shapely.points(x, y)
    methods: dict[str, Method | str] = {
        "Wierde key_points": wierde_method(con, regions),
        "DuckDB spatial join": duckdb_join_method(con),
        "shapely STRtree": shapely_method(points, regions),
        "geopandas sjoin": geopandas_method(x, y, regions),
    }
    results: dict[str, list[float] | str] = {k: v if isinstance(v, str) else [] for k, v in methods.items()}
    answers: dict[str, Codes] = {}
    for round_number in range(args.rounds):
        names = [n for n, m in methods.items() if not isinstance(m, str)]
        shift = round_number % len(names)
        for name in names[shift:] + names[:shift]:  # rotate the order: no method always runs first or last
            method = methods[name]
            assert not isinstance(method, str)
            run, answer = method
            start = time.perf_counter()
            output = run()
            seconds = time.perf_counter() - start
            times = results[name]
            assert isinstance(times, list)
            times.append(seconds)
            if name not in answers:
                answers[name] = answer(output)
    reference = answers["shapely STRtree"]
    for name, codes in answers.items():
        if codes != reference:
            wrong = sum(a != b for lv in LEVELS for a, b in zip(codes[lv], reference[lv], strict=True))
            results[name] = f"answers differ from shapely's for {wrong} point-levels; time not shown"
    inside = sum(c is not None for c in reference["GM"])
    text = table(results, "shapely STRtree", args.points, len([r for r in regions if r.level in LEVELS]))
    plan = plan_operator(con, "SELECT count(*) FROM points p JOIN regions r ON ST_Intersects(r.geom, p.geom)")
    con.execute("CREATE INDEX regions_rtree ON regions USING RTREE (geom)")
    indexed = plan_operator(con, "SELECT count(*) FROM points p JOIN regions r ON ST_Intersects(r.geom, p.geom)")
    text += (f"\n{inside:,} of the points lie in a municipality. DuckDB's plan for the spatial join: {plan}; "
             f"with an R-tree index (CREATE INDEX … USING RTREE) on the regions: {indexed}.\n")
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
