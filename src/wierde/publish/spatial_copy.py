"""A version's features sorted along a Hilbert curve, each with its bounding box in CRS84, for bbox queries.

A version file keeps its rows in the order they were delivered, so the features inside any bbox are spread over
every row group and a bbox query decodes every geometry in the file. This copy holds the same rows and columns,
plus `__row` (the row's number in the version file, the feature's id) and `__xmin`, `__ymin`, `__xmax`, `__ymax`,
sorted so that features near each other share small row groups. DuckDB then skips every row group whose
bounding-box statistics lie outside the query's box (GeoParquet 1.1 recommends the same layout).

The copy is a cache: built on first use from the immutable version file, written aside and renamed into place,
and safe to delete at any time (purge deletes it with the version).
"""

from __future__ import annotations

import logging
import math
import os
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pyproj

from wierde.sqltext import geojson_crs84, quote_ident, quote_literal, to_crs84

log = logging.getLogger(__name__)

ROW_GROUP_ROWS = 4096  # small enough to skip most of a province for a street-sized box, large enough to scan fast
ROW, XMIN, YMIN, XMAX, YMAX = "__row", "__xmin", "__ymin", "__xmax", "__ymax"
GEOJSON84 = "__geojson84"  # the geometry as GeoJSON in CRS84, as the API's default answer gives it
_POINTS_KEY = "wierde:points_only"
_CRS84 = ("OGC:CRS84", "EPSG:4326")
_DENSIFY = 16
_building: dict[Path, threading.Lock] = {}
_building_lock = threading.Lock()


@dataclass(frozen=True)
class SortedCopy:
    path: Path
    points_only: bool  # every feature is a point: its CRS84 box is its CRS84 position


def folder(data_dir: Path) -> Path:
    return data_dir / ".cache" / "spatial"


def copy_path(data_dir: Path, version_file: Path, geometry: str) -> Path:
    """Named after the version file (dataset folder and file name) and the geometry column."""
    column = "".join(c if c.isalnum() else "_" for c in geometry)[:40]
    return folder(data_dir) / version_file.parent.name / f"{version_file.stem}--{column}.parquet"


def copies_of(data_dir: Path, version_file: Path) -> list[Path]:
    """Every copy of a version (one per geometry column that was queried), for purge."""
    return sorted(copy_path(data_dir, version_file, "x").parent.glob(f"{version_file.stem}--*.parquet"))


def sorted_copy(con: duckdb.DuckDBPyConnection, data_dir: Path, version_file: Path, geometry: str,
                storage: str | None) -> SortedCopy | None:
    """The copy for this version and geometry column, built now if it is missing; None when it cannot be built
    (the caller then queries the version file itself)."""
    target = copy_path(data_dir, version_file, geometry)
    if not target.exists():
        with _building_lock:
            lock = _building.setdefault(target, threading.Lock())
        with lock:  # one build per copy; concurrent first requests wait for it
            try:
                if not target.exists():
                    _build(con.cursor(), version_file, target, geometry, storage)
            except (duckdb.Error, OSError) as error:
                log.warning("no sorted copy of %s for bbox queries: %s", version_file, error)
                return None
            finally:
                with _building_lock:
                    _building.pop(target, None)  # built (or failed): later callers find the file, no lock needed
    return SortedCopy(target, _points_only(target, target.stat().st_mtime_ns))


def _build(con: duckdb.DuckDBPyConnection, source: Path, target: Path, geometry: str, storage: str | None) -> None:
    col = quote_ident(geometry)
    # A box straight from a CRS84 geometry is exact; any other CRS is reprojected once, here.
    in_crs84 = col if storage in _CRS84 else to_crs84(col)
    boxed = (f"SELECT *, file_row_number AS {ROW}, "  # noqa: S608 - names quoted, the path a literal
             f"ST_XMin(g) AS {XMIN}, ST_YMin(g) AS {YMIN}, "
             f"ST_XMax(g) AS {XMAX}, ST_YMax(g) AS {YMAX}, {geojson_crs84(col)} AS {GEOJSON84} "
             f"FROM (SELECT *, {in_crs84} AS g "
             f"FROM read_parquet({quote_literal(str(source))}, file_row_number = true))")
    found = con.execute(f"SELECT min({XMIN}), min({YMIN}), max({XMAX}), max({YMAX}), "  # noqa: S608 - quoted
                        f"coalesce(bool_and(ST_GeometryType({col}) = 'POINT'), true) FROM ({boxed})").fetchone()
    # No geometry at all: any order will do. A single place: widen the box, the curve needs an area.
    west, south, east, north = (0.0, 0.0, 0.0, 0.0) if found is None or found[0] is None else found[:4]
    bounds = (float(west), float(south), max(float(east), west + 1e-9), max(float(north), south + 1e-9))
    points = bool(found[4]) if found is not None else True
    box = ("{" + ", ".join(f"'{k}': {v!r}" for k, v in zip(("min_x", "min_y", "max_x", "max_y"), bounds,
                                                                   strict=True)) + "}::BOX_2D")
    hilbert = f"ST_Hilbert(({XMIN} + {XMAX}) / 2, ({YMIN} + {YMAX}) / 2, {box})"
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex}")
    try:
        con.execute(f"COPY (SELECT * EXCLUDE (g, file_row_number) FROM ({boxed}) "  # noqa: S608 - quoted
                    f"ORDER BY {XMIN} IS NULL, {hilbert}, {ROW}) TO {quote_literal(str(staged))} "
                    f"(FORMAT parquet, ROW_GROUP_SIZE {ROW_GROUP_ROWS}, COMPRESSION zstd, "
                    f"KV_METADATA {{'{_POINTS_KEY}': '{str(points).lower()}'}})")
        os.replace(staged, target)
    finally:
        staged.unlink(missing_ok=True)


@cache
def _points_only(path: Path, mtime_ns: int) -> bool:
    meta = pq.read_metadata(path).metadata or {}
    return meta.get(_POINTS_KEY.encode()) == b"true"


# ------------------------------------------------------------------------------------------------ the box test
Part = tuple[float, float, float, float]  # west, south, east, north


def prefilter(parts: Sequence[Part], margin: float = 0.0) -> tuple[str, list[Any]]:
    """SQL keeping the rows whose CRS84 box touches one of `parts`: these are what row-group statistics skip on."""
    conditions, params = [], []
    for west, south, east, north in parts:
        conditions.append(f"({XMAX} >= ? AND {XMIN} <= ? AND {YMAX} >= ? AND {YMIN} <= ?)")
        params.extend([west - margin, east + margin, south - margin, north + margin])
    return "(" + " OR ".join(conditions) + ")", params


def crs84_parts(parts: Sequence[Part], crs: str) -> list[Part]:
    """The box (one or two parts) in CRS84; from another CRS, the envelope of its densified outline."""
    if crs in _CRS84:
        return list(parts)
    moved = []
    for west, south, east, north in parts:
        steps = [i / _DENSIFY for i in range(_DENSIFY + 1)]
        xs = [west + (east - west) * t for t in steps] * 2 + [west] * len(steps) + [east] * len(steps)
        ys = [south] * len(steps) + [north] * len(steps) + [south + (north - south) * t for t in steps] * 2
        lons, lats = _to_crs84(crs).transform(xs, ys)
        finite = [(x, y) for x, y in zip(lons, lats, strict=True) if math.isfinite(x) and math.isfinite(y)]
        if not finite:
            return [(-180.0, -90.0, 180.0, 90.0)]  # nothing sensible to narrow down by: let the exact test decide
        moved.append((min(x for x, _ in finite), min(y for _, y in finite),
                      max(x for x, _ in finite), max(y for _, y in finite)))
    return moved


@cache
def _to_crs84(crs: str) -> pyproj.Transformer:
    return pyproj.Transformer.from_crs(crs, "OGC:CRS84", always_xy=True)
