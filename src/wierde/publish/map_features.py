"""A map view's features read from the version's file: shapes simplified to half a pixel, or, when more than
MAX_FEATURES lie in view, a count per grid cell.

DuckDB filters and aggregates in the stored CRS; only the coordinates that leave are moved to CRS84, by a PROJ
transformer made once per thread (DuckDB's ST_Transform sets PROJ up again for every query: about 30 ms for RD
New, more than the rest of a map answer).
"""
# ruff: noqa: S608 -- identifiers come from the version's schema and are quoted; numbers are Python floats.

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import orjson
import pyproj
import shapely

from wierde.publish import ogc_crs
from wierde.publish.map_geo import CRS84, LONLAT, Geo
from wierde.publish.map_view import View
from wierde.publish.row_values import json_value
from wierde.regions.transform import projector
from wierde.sqltext import quote_ident
from wierde.store.repository import Store

MAX_FEATURES = 3000  # per answer: more makes a browser slow to draw and the answer slow to send
CELL_PX = 48  # the side of a cluster's grid cell on the screen
SIMPLIFY_PX = 0.5  # shapes keep every bend larger than half a pixel
USE_MARGIN = 5.0  # degrees around a projected CRS's area of use where its data are still looked for


@cache
def _usable(crs: str) -> tuple[float, float, float, float] | None:
    """Where a projected CRS means something (its area of use, widened by USE_MARGIN degrees), in CRS84.
    Far outside it a projection folds over: RD New puts boxes on the other side of the earth over the Netherlands."""
    area = pyproj.CRS.from_user_input(crs).area_of_use
    if area is None:
        return None
    return (max(area.west - USE_MARGIN, -180.0), max(area.south - USE_MARGIN, -90.0),
            min(area.east + USE_MARGIN, 180.0), min(area.north + USE_MARGIN, 90.0))


def view_envelopes(view: View, crs: str) -> list[tuple[float, float, float, float]]:
    """The view in the stored CRS: the envelope of its (densified) edges, one per side of the antimeridian; only
    the part of the view where the CRS is usable, and nothing when they do not meet."""
    parts = ogc_crs.Box(view.west, view.south, view.east, view.north, CRS84).parts()
    if crs in LONLAT:
        return [(p.west, p.south, p.east, p.north) for p in parts]
    usable = _usable(crs)
    found = []
    for whole in parts:
        part = whole if usable is None else ogc_crs.Box(max(whole.west, usable[0]), max(whole.south, usable[1]),
                                                        min(whole.east, usable[2]), min(whole.north, usable[3]), CRS84)
        if part.west >= part.east or part.south >= part.north:
            continue
        ring = shapely.get_coordinates(shapely.from_wkt(part.wkt()))
        x, y = projector(CRS84, crs).transform(ring[:, 0], ring[:, 1])
        keep = np.isfinite(x) & np.isfinite(y)
        if keep.any():
            found.append((float(x[keep].min()), float(y[keep].min()), float(x[keep].max()), float(y[keep].max())))
    return found


@dataclass(frozen=True)
class InView:
    """The features in view, as SQL: the geometry (in `crs`, the stored CRS) and the condition that keeps them."""

    subject: str
    crs: str
    envelopes: list[tuple[float, float, float, float]]

    @property
    def condition(self) -> str:
        box = f"st_intersects_extent({self.subject}, ST_MakeEnvelope(?, ?, ?, ?))"
        boxes = " OR ".join([box] * len(self.envelopes))
        return f"{self.subject} IS NOT NULL AND ({boxes})"

    @property
    def params(self) -> list[float]:
        return [value for box in self.envelopes for value in box]

    @property
    def area(self) -> float:
        return sum(max(e[2] - e[0], 0) * max(e[3] - e[1], 0) for e in self.envelopes)


def shapes_in_view(store: Store, geo: Geo, view: View, in_view: InView) -> list[dict[str, Any]] | None:
    """Every feature in view, simplified for the zoom; None when there are more than MAX_FEATURES.
    No ORDER BY: the LIMIT then stops the scan early, and DuckDB keeps file order (preserve_insertion_order)."""
    label = geo.label
    tolerance = SIMPLIFY_PX * min(view.pixel(in_view.crs))
    sql = (f"SELECT file_row_number, {quote_ident(label) if label else 'NULL'}, "
           f"ST_AsWKB(ST_SimplifyPreserveTopology({in_view.subject}, ?)) "
           f"FROM read_parquet(?, file_row_number = true) WHERE {in_view.condition} LIMIT ?")
    found = store.duck().execute(sql, [tolerance, str(geo.path), *in_view.params, MAX_FEATURES + 1]).fetchall()
    if len(found) > MAX_FEATURES:
        return None
    texts = geojson([bytes(row[2]) for row in found], in_view.crs, view.decimals)
    return [feature(int(row), label_value, orjson.Fragment(text))
            for (row, label_value, _), text in zip(found, texts, strict=True)]


def feature(row: int, label: Any, geometry: Any) -> dict[str, Any]:
    """A feature as the map draws it: its row number as id, and its label as the only property."""
    return {"type": "Feature", "id": row, "geometry": geometry,
            "properties": {} if label is None else {"label": json_value(label)}}


def geojson(wkbs: list[bytes], crs: str, decimals: int) -> list[str]:
    """GeoJSON geometries in CRS84 with coordinates rounded to what the zoom can show."""
    if not wkbs:
        return []
    mover = None if crs in LONLAT else projector(crs, CRS84)

    def move(coords: np.ndarray) -> np.ndarray:
        if mover is not None:
            coords = np.column_stack(mover.transform(coords[:, 0], coords[:, 1]))
        return np.round(coords, decimals)

    geometries = shapely.transform(shapely.from_wkb(wkbs), move)
    return [str(text) for text in shapely.to_geojson(geometries)]


def cell_size(view: View, in_view: InView) -> tuple[float, float]:
    """A cluster cell's width and height in the stored CRS: CELL_PX on the screen, larger when the view would
    otherwise hold more than MAX_FEATURES cells (a client asking a huge box at a deep zoom)."""
    width, height = (CELL_PX * side for side in view.pixel(in_view.crs))
    area = in_view.area
    grow = max(1.0, math.sqrt(area / (width * height) / MAX_FEATURES)) if area else 1.0
    return width * grow, height * grow


def clusters_in_view(store: Store, geo: Geo, view: View, in_view: InView,
                     cell: tuple[float, float]) -> list[dict[str, Any]]:
    """Features counted per grid cell, each cell drawn at the mean position of what it holds. The grid is fixed
    to the CRS's origin, so a cell keeps its place while the map is panned."""
    g = in_view.subject
    sql = (f"SELECT floor(x / {cell[0]!r}) AS i, floor(y / {cell[1]!r}) AS j, count(*), avg(x), avg(y) "
           f"FROM (SELECT (ST_XMin({g}) + ST_XMax({g})) / 2 AS x, (ST_YMin({g}) + ST_YMax({g})) / 2 AS y "
           f"FROM read_parquet(?) WHERE {in_view.condition}) GROUP BY i, j ORDER BY i, j LIMIT {MAX_FEATURES}")
    found = store.duck().execute(sql, [str(geo.path), *in_view.params]).fetchall()
    counts = np.array([r[2] for r in found], np.int64)
    return cluster_features(counts, np.array([r[3] for r in found], float), np.array([r[4] for r in found], float),
                            in_view.crs, view.decimals)


def cluster_features(counts: np.ndarray, xs: np.ndarray, ys: np.ndarray, crs: str,
                     digits: int) -> list[dict[str, Any]]:
    """One point feature per grid cell, at its mean position in CRS84, with the count of what it holds."""
    if len(counts) and crs not in LONLAT:
        xs, ys = projector(crs, CRS84).transform(xs, ys)
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(a), digits),
                                                                               round(float(b), digits)]},
             "properties": {"cluster": True, "count": int(n)}}
            for n, a, b in zip(counts, xs, ys, strict=True)]
