"""Point layers held in memory per version, so a map view of points is a numpy mask, not a scan of the file."""

# ruff: noqa: S608 -- identifiers come from the version's schema and are quoted; numbers are Python floats.
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from wierde.publish.map_features import MAX_FEATURES, InView, cluster_features, feature
from wierde.publish.map_geo import CRS84, LONLAT, Geo
from wierde.publish.map_view import View
from wierde.regions.transform import projector
from wierde.sqltext import quote_ident
from wierde.store.repository import Store


@dataclass(frozen=True)
class Points:
    """A point layer's coordinates (in its stored CRS), row numbers and labels, read once per version: after that
    a view is a numpy mask rather than a scan that decodes every geometry (about 80 ms for 200,000 points)."""

    rows: np.ndarray
    x: np.ndarray
    y: np.ndarray
    labels: pa.Array | None

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.x.nbytes + self.y.nbytes + (self.labels.nbytes if self.labels else 0)

    def inside(self, in_view: InView) -> np.ndarray:
        mask = np.zeros(len(self.x), bool)
        for west, south, east, north in in_view.envelopes:
            mask |= (self.x >= west) & (self.x <= east) & (self.y >= south) & (self.y <= north)
        return np.flatnonzero(mask)

    def features(self, view: View, in_view: InView) -> list[dict[str, Any]] | None:
        """As `shapes_in_view` answers, for points."""
        found = self.inside(in_view)
        if len(found) > MAX_FEATURES:
            return None
        xs, ys = self.x[found], self.y[found]
        if len(found) and in_view.crs not in LONLAT:
            xs, ys = projector(in_view.crs, CRS84).transform(xs, ys)
        xs, ys = np.round(xs, view.decimals), np.round(ys, view.decimals)
        labels = self.labels.take(pa.array(found)).to_pylist() if self.labels is not None else [None] * len(found)
        return [feature(int(row), label, {"type": "Point", "coordinates": [float(a), float(b)]})
                for row, label, a, b in zip(self.rows[found], labels, xs, ys, strict=True)]

    def clusters(self, view: View, in_view: InView, cell: tuple[float, float]) -> list[dict[str, Any]]:
        """As `clusters_in_view` answers, for points: the same cells, counts and mean positions."""
        found = self.inside(in_view)
        xs, ys = self.x[found], self.y[found]
        if not len(found):
            return []
        i, j = np.floor(xs / cell[0]).astype(np.int64), np.floor(ys / cell[1]).astype(np.int64)
        # One integer per cell, in (i, j) order; the view holds about MAX_FEATURES cells (see `cell_size`), so counting
        # into a dense array of them is cheaper than sorting the points.
        i, j = i - i.min(), j - j.min()
        key = i * (int(j.max()) + 1) + j
        if int(key.max()) > 64 * MAX_FEATURES:  # never expected (see `cell_size`); then sort instead of a huge array
            _, key = np.unique(key, return_inverse=True)
        counts = np.bincount(key)
        used = np.flatnonzero(counts)[:MAX_FEATURES]
        mean_x = np.bincount(key, weights=xs)[used] / counts[used]
        mean_y = np.bincount(key, weights=ys)[used] / counts[used]
        return cluster_features(counts[used], mean_x, mean_y, in_view.crs, view.decimals)


POINTS_MAX_ROWS = 5_000_000  # larger point layers are scanned per view instead of kept in memory
POINTS_MAX_BYTES = 256 * 1024 * 1024  # all kept point layers together
_POINTS: OrderedDict[tuple[str, str, str], Points] = OrderedDict()
_POINTS_LOCK = threading.Lock()


def points_of(store: Store, geo: Geo) -> Points | None:
    """The point index of a version, from memory or read now; None for a layer too large to keep. Kept per label
    column too: someone who may not read that column gets an index without it."""
    if geo.version.row_count > POINTS_MAX_ROWS:
        return None
    label = geo.label
    key = (geo.version.etag, geo.geometry, label or "")
    with _POINTS_LOCK:
        if key in _POINTS:
            _POINTS.move_to_end(key)
            return _POINTS[key]
    g = quote_ident(geo.geometry)
    sql = (f"SELECT file_row_number, ST_X({g}) AS x, ST_Y({g}) AS y{', ' + quote_ident(label) if label else ''} "
           f"FROM read_parquet(?, file_row_number = true) WHERE {g} IS NOT NULL AND NOT ST_IsEmpty({g})")
    table = store.duck().execute(sql, [str(geo.path)]).to_arrow_table()
    points = Points(table.column(0).to_numpy(), table.column(1).to_numpy(), table.column(2).to_numpy(),
                    table.column(3).combine_chunks() if label else None)
    with _POINTS_LOCK:
        _POINTS[key] = points
        while sum(p.nbytes for p in _POINTS.values()) > POINTS_MAX_BYTES and len(_POINTS) > 1:
            _POINTS.popitem(last=False)
    return points
