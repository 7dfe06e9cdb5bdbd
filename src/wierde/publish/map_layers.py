"""Maps without HTTP: a geodataset's features for one view of the map, and region-keyed numbers on region boundaries
(a choropleth); both behind the one access check, and never the whole of a large dataset at once.

A view gets at most MAX_FEATURES features: shapes simplified to half a screen pixel at its zoom, or, when more
features lie in view, a count per grid cell. DuckDB filters and aggregates in the stored CRS; only the coordinates
that leave are moved to CRS84, by a PROJ transformer made once per thread (DuckDB's ST_Transform sets PROJ up
again for every query: about 30 ms for RD New, more than the rest of a map answer).
"""
# ruff: noqa: S608 -- identifiers come from the version's schema and are quoted; numbers are Python floats.

from __future__ import annotations

import bisect
import hashlib
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyproj
import shapely

from wierde.errors import Forbidden, NotFound
from wierde.protect import access
from wierde.protect.access import Principal
from wierde.publish import datasets, ogc_crs
from wierde.publish.cache import ResponseCache
from wierde.publish.download import columns_for
from wierde.publish.row_model import Column, QueryError
from wierde.publish.row_values import json_value
from wierde.regions.transform import projector
from wierde.sqltext import quote_ident, to_crs84
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store

MAX_FEATURES = 3000  # per answer: more makes a browser slow to draw and the answer slow to send
CELL_PX = 48  # the side of a cluster's grid cell on the screen
SIMPLIFY_PX = 0.5  # shapes keep every bend larger than half a pixel
TILE_PX = 256
MAX_ZOOM = 24
METRES_PER_PX_Z0 = 156543.03392804097  # Web Mercator (Leaflet's map) at zoom 0 on the equator
CHOROPLETH_ZOOM = 11  # boundaries are simplified for this zoom unless another is asked
NL_LATITUDE = 52.5  # where choropleths are drawn, for their pixel size
USE_MARGIN = 5.0  # degrees around a projected CRS's area of use where its data are still looked for
LABELS = ("naam", "name", "titel", "title", "omschrijving", "statnaam")
CRS84 = ogc_crs.CRS84
LONLAT = (ogc_crs.CRS84, ogc_crs.WGS84)


@dataclass(frozen=True)
class MapAnswer:
    """A rendered map answer; `public` says whether anyone may see it, i.e. whether it may be cached."""

    body: bytes
    etag: str
    public: bool


# ------------------------------------------------------------------------------------------------ the view


@dataclass(frozen=True)
class View:
    """A box in CRS84, widened to whole tiles (nearby views share one answer), at a whole zoom level."""

    west: float
    south: float
    east: float
    north: float
    zoom: int

    @property
    def bbox(self) -> list[float]:
        return [self.west, self.south, self.east, self.north]

    @property
    def degrees_per_px(self) -> float:
        return 360.0 / (TILE_PX * 2**self.zoom)

    @property
    def decimals(self) -> int:
        """Digits after the point that still tell two pixels apart (and not many more: they cost bytes)."""
        return min(max(math.ceil(-math.log10(self.degrees_per_px)) + 1, 3), 8)

    def pixel(self, crs: str) -> tuple[float, float]:
        return pixel_size(crs, self.zoom, (self.south + self.north) / 2)


def pixel_size(crs: str, zoom: int, latitude: float) -> tuple[float, float]:
    """A screen pixel's width and height in the units of `crs`: degrees when geographic, metres otherwise."""
    shrink = math.cos(math.radians(min(max(latitude, -85.0), 85.0)))
    if ogc_crs.is_geographic(crs):
        degrees = 360.0 / (TILE_PX * 2**zoom)
        return degrees, degrees * shrink
    side = METRES_PER_PX_Z0 * shrink / 2**zoom
    return side, side


def view_of(bbox: str | None, zoom: float | None, extent: Sequence[float] | None) -> View | None:
    """The view asked for (`bbox` in CRS84, else the data's extent); None when there is nothing to show."""
    if bbox is not None:
        box = ogc_crs.parse_bbox(bbox, CRS84)
        corners = (box.west, box.south, box.east, box.north)
    elif extent:
        corners = (extent[0], extent[1], extent[2], extent[3])
    else:
        return None
    if zoom is None:
        zoom = _fitting_zoom(corners)
    elif not (math.isfinite(zoom) and 0 <= zoom <= MAX_ZOOM):
        raise QueryError("zoom", f"must be a number from 0 to {MAX_ZOOM}")
    # Leaflet zooms in quarter steps; the whole level below is at most 1.7 times coarser, still under a pixel.
    return _snapped(corners, int(zoom))


def _fitting_zoom(corners: tuple[float, float, float, float]) -> int:
    """The zoom at which the box is about 1,000 pixels wide, as a map on a page shows it."""
    width = max(abs(corners[2] - corners[0]), 1e-9)
    return min(max(int(math.log2(360 * 1024 / (TILE_PX * width))), 0), MAX_ZOOM)


def _snapped(corners: tuple[float, float, float, float], zoom: int) -> View:
    step = 360.0 / 2**zoom  # a tile's width in degrees of longitude

    def down(value: float, low: float) -> float:
        return max(math.floor(value / step) * step, low)

    def up(value: float, high: float) -> float:
        return min(math.ceil(value / step) * step, high)

    west, south, east, north = corners
    return View(down(west, -180.0), down(south, -90.0), up(east, 180.0), up(north, 90.0), zoom)


# ------------------------------------------------------------------------------------------------ map layers


@dataclass(frozen=True)
class Shape:
    """What a version's geometry is like: its extent in CRS84 and whether it holds only points."""

    extent: list[float] | None
    points_only: bool


class _Memo:
    """Facts about immutable versions, kept per version (bounded, least recently used first out)."""

    def __init__(self, size: int = 512) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple[str, ...], value: Any) -> Any:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value


_MEMO = _Memo()


def map_layer(store: Store, principal: Principal, dataset_id: str, *, bbox: str | None = None,
              zoom: float | None = None, cache: ResponseCache | None = None) -> MapAnswer:
    """GeoJSON (CRS84) of the current version's features in view: each one simplified for the zoom, or, when more
    than MAX_FEATURES are in view, their count per grid cell (`clustered`). Without `bbox`: the whole extent."""
    dataset = datasets.get_dataset(store, principal, dataset_id)  # the door: checked, and logged when not public
    geo = geo_of(store, principal, dataset)
    shape = shape_of(store, geo)
    view = view_of(bbox, zoom, shape.extent)
    key = ("map", geo.version.etag, geo.geometry, geo.label or "", repr(view))
    public = access.public(dataset)
    cache = cache if public else None  # only what anyone may see is kept
    if cache is not None and (hit := cache.get(key)) is not None:
        return MapAnswer(hit, _etag(key), True)
    body = orjson.dumps(_map_document(store, geo, shape, view))
    if cache is not None:
        cache.put(key, body)
    return MapAnswer(body, _etag(key), public)


@dataclass(frozen=True)
class Geo:
    """A geodataset's current version as a map shows it to one principal: only the columns they may read."""

    dataset: DatasetRecord
    version: VersionRecord
    path: Path
    columns: list[Column]
    geometry: str  # the first geometry column they may see
    storage: str | None  # AUTH:CODE of its CRS; None when it has no EPSG or OGC code

    @property
    def id(self) -> str:
        return self.dataset.id

    @property
    def label(self) -> str | None:
        """The column a feature is known by on the map (its tooltip)."""
        strings = [c.name for c in self.columns if c.type == "string"]
        return next((n for n in strings if n.lower() in LABELS), strings[0] if strings else None)


def geo_of(store: Store, principal: Principal, dataset: DatasetRecord) -> Geo:
    """For a dataset the caller has already let through the door (`datasets.get_dataset`, or the portal's
    `access.require`); 'not found' when it has no geometry this principal may see."""
    version = store.current_versions().get(dataset.id)
    columns = columns_for(principal, dataset, version) if version is not None else []
    shown = {c.name for c in columns}
    geometry = next((g for g in version.geometry_columns if g in shown), None) if version is not None else None
    if version is None or geometry is None:
        raise NotFound(f"dataset {dataset.id!r} has no geometry to show on a map")
    return Geo(dataset, version, store.path_of(version), columns, geometry, _storage(store, version, geometry))


def _storage(store: Store, version: VersionRecord, geometry: str) -> str | None:
    """The CRS in the geometry column's type, read from the file once per version."""
    key = ("storage", version.etag, geometry)
    if (known := _MEMO.get(key)) is not None:
        return known[0]
    described = store.duck().execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(store.path_of(version))])
    types = {str(row[0]): str(row[1]) for row in described.fetchall()}
    return _MEMO.put(key, (ogc_crs.storage_code(types.get(geometry, "GEOMETRY")),))[0]


def extent_of(store: Store, principal: Principal, dataset: DatasetRecord) -> list[float] | None:
    """The current version's extent in CRS84 (west, south, east, north), for a map's first view; for a dataset
    the caller has already let through the door, as `geo_of`."""
    return shape_of(store, geo_of(store, principal, dataset)).extent


def shape_of(store: Store, geo: Geo) -> Shape:
    """Computed once per version (versions never change), in the stored CRS: no row is transformed."""
    key = ("shape", geo.version.etag, geo.geometry)
    if (known := _MEMO.get(key)) is not None:
        return known
    geometry, crs = _subject(geo)
    sql = (f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), kinds FROM (SELECT ST_Extent_Agg({geometry}) AS e, "
           f"list(DISTINCT ST_GeometryType({geometry})) FILTER (WHERE {geometry} IS NOT NULL) AS kinds "
           "FROM read_parquet(?))")
    row = store.duck().execute(sql, [str(geo.path)]).fetchone()
    assert row is not None  # an aggregate answers one row
    box = None if row[0] is None else _to_crs84_box(crs, (row[0], row[1], row[2], row[3]))
    return _MEMO.put(key, Shape(box, bool(row[4]) and set(row[4]) <= {"POINT"}))


def _subject(geo: Geo) -> tuple[str, str]:
    """The geometry as SQL and the CRS it is in; a stored CRS without an EPSG or OGC code is compared in CRS84."""
    column = quote_ident(geo.geometry)
    return (column, geo.storage) if geo.storage else (to_crs84(column), CRS84)


def _to_crs84_box(crs: str, box: tuple[float, float, float, float]) -> list[float]:
    if crs in LONLAT:
        return [float(v) for v in box]
    # Points along the edges, not only the corners: edges curve when moved to another CRS.
    west, south, east, north = box
    across, up, zeros = (east - west) * np.linspace(0, 1, 17), (north - south) * np.linspace(0, 1, 17), np.zeros(17)
    xs = np.concatenate([west + across, east + zeros, west + across, west + zeros])
    ys = np.concatenate([south + zeros, south + up, north + zeros, south + up])
    lon, lat = projector(crs, CRS84).transform(xs, ys)
    return [float(np.min(lon)), float(np.min(lat)), float(np.max(lon)), float(np.max(lat))]


@cache
def _usable(crs: str) -> tuple[float, float, float, float] | None:
    """Where a projected CRS means something (its area of use, widened by USE_MARGIN degrees), in CRS84.
    Far outside it a projection folds over: RD New puts boxes on the other side of the earth over the Netherlands."""
    area = pyproj.CRS.from_user_input(crs).area_of_use
    if area is None:
        return None
    return (max(area.west - USE_MARGIN, -180.0), max(area.south - USE_MARGIN, -90.0),
            min(area.east + USE_MARGIN, 180.0), min(area.north + USE_MARGIN, 90.0))


def _envelopes(view: View, crs: str) -> list[tuple[float, float, float, float]]:
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
class _InView:
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


def _map_document(store: Store, geo: Geo, shape: Shape, view: View | None) -> dict[str, Any]:
    document: dict[str, Any] = {"type": "FeatureCollection", "dataset": geo.id, "version": geo.version.number}
    if view is None:
        return {**document, "clustered": False, "numberMatched": 0, "numberReturned": 0, "features": []}
    subject, crs = _subject(geo)
    in_view = _InView(subject, crs, _envelopes(view, crs))
    if not in_view.envelopes:
        return {**document, "zoom": view.zoom, "bbox": view.bbox, "clustered": False, "numberMatched": 0,
                "numberReturned": 0, "features": []}
    points = _points(store, geo) if shape.points_only and geo.storage else None
    features = points.features(view, in_view) if points is not None else _shapes(store, geo, view, in_view)
    clustered = features is None
    if features is None:
        cell = _cell(view, in_view)
        features = points.clusters(view, in_view, cell) if points else _clusters(store, geo, view, in_view, cell)
        matched = sum(f["properties"]["count"] for f in features)
    else:
        matched = len(features)
    return {**document, "zoom": view.zoom, "bbox": view.bbox, "clustered": clustered, "numberMatched": matched,
            "numberReturned": len(features), "features": features}


def _shapes(store: Store, geo: Geo, view: View, in_view: _InView) -> list[dict[str, Any]] | None:
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
    texts = _geojson([bytes(row[2]) for row in found], in_view.crs, view.decimals)
    return [_feature(int(row), label_value, orjson.Fragment(text))
            for (row, label_value, _), text in zip(found, texts, strict=True)]


def _feature(row: int, label: Any, geometry: Any) -> dict[str, Any]:
    return {"type": "Feature", "id": row, "geometry": geometry,
            "properties": {} if label is None else {"label": json_value(label)}}


def _geojson(wkbs: list[bytes], crs: str, decimals: int) -> list[str]:
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


def _cell(view: View, in_view: _InView) -> tuple[float, float]:
    """A cluster cell's width and height in the stored CRS: CELL_PX on the screen, larger when the view would
    otherwise hold more than MAX_FEATURES cells (a client asking a huge box at a deep zoom)."""
    width, height = (CELL_PX * side for side in view.pixel(in_view.crs))
    area = in_view.area
    grow = max(1.0, math.sqrt(area / (width * height) / MAX_FEATURES)) if area else 1.0
    return width * grow, height * grow


def _clusters(store: Store, geo: Geo, view: View, in_view: _InView,
              cell: tuple[float, float]) -> list[dict[str, Any]]:
    """Features counted per grid cell, each cell drawn at the mean position of what it holds. The grid is fixed
    to the CRS's origin, so a cell keeps its place while the map is panned."""
    g = in_view.subject
    sql = (f"SELECT floor(x / {cell[0]!r}) AS i, floor(y / {cell[1]!r}) AS j, count(*), avg(x), avg(y) "
           f"FROM (SELECT (ST_XMin({g}) + ST_XMax({g})) / 2 AS x, (ST_YMin({g}) + ST_YMax({g})) / 2 AS y "
           f"FROM read_parquet(?) WHERE {in_view.condition}) GROUP BY i, j ORDER BY i, j LIMIT {MAX_FEATURES}")
    found = store.duck().execute(sql, [str(geo.path), *in_view.params]).fetchall()
    counts = np.array([r[2] for r in found], np.int64)
    return _cluster_features(counts, np.array([r[3] for r in found], float), np.array([r[4] for r in found], float),
                             in_view.crs, view.decimals)


def _cluster_features(counts: np.ndarray, xs: np.ndarray, ys: np.ndarray, crs: str,
                      digits: int) -> list[dict[str, Any]]:
    if len(counts) and crs not in LONLAT:
        xs, ys = projector(crs, CRS84).transform(xs, ys)
    return [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [round(float(a), digits),
                                                                               round(float(b), digits)]},
             "properties": {"cluster": True, "count": int(n)}}
            for n, a, b in zip(counts, xs, ys, strict=True)]


@dataclass(frozen=True)
class _Points:
    """A point layer's coordinates (in its stored CRS), row numbers and labels, read once per version: after that
    a view is a numpy mask rather than a scan that decodes every geometry (about 80 ms for 200,000 points)."""

    rows: np.ndarray
    x: np.ndarray
    y: np.ndarray
    labels: pa.Array | None

    @property
    def nbytes(self) -> int:
        return self.rows.nbytes + self.x.nbytes + self.y.nbytes + (self.labels.nbytes if self.labels else 0)

    def inside(self, in_view: _InView) -> np.ndarray:
        mask = np.zeros(len(self.x), bool)
        for west, south, east, north in in_view.envelopes:
            mask |= (self.x >= west) & (self.x <= east) & (self.y >= south) & (self.y <= north)
        return np.flatnonzero(mask)

    def features(self, view: View, in_view: _InView) -> list[dict[str, Any]] | None:
        """As `_shapes` answers, for points."""
        found = self.inside(in_view)
        if len(found) > MAX_FEATURES:
            return None
        xs, ys = self.x[found], self.y[found]
        if len(found) and in_view.crs not in LONLAT:
            xs, ys = projector(in_view.crs, CRS84).transform(xs, ys)
        xs, ys = np.round(xs, view.decimals), np.round(ys, view.decimals)
        labels = self.labels.take(pa.array(found)).to_pylist() if self.labels is not None else [None] * len(found)
        return [_feature(int(row), label, {"type": "Point", "coordinates": [float(a), float(b)]})
                for row, label, a, b in zip(self.rows[found], labels, xs, ys, strict=True)]

    def clusters(self, view: View, in_view: _InView, cell: tuple[float, float]) -> list[dict[str, Any]]:
        """As `_clusters` answers, for points: the same cells, counts and mean positions."""
        found = self.inside(in_view)
        xs, ys = self.x[found], self.y[found]
        if not len(found):
            return []
        i, j = np.floor(xs / cell[0]).astype(np.int64), np.floor(ys / cell[1]).astype(np.int64)
        # One integer per cell, in (i, j) order; the view holds about MAX_FEATURES cells (see `_cell`), so counting
        # into a dense array of them is cheaper than sorting the points.
        i, j = i - i.min(), j - j.min()
        key = i * (int(j.max()) + 1) + j
        if int(key.max()) > 64 * MAX_FEATURES:  # never expected (see `_cell`); then sort instead of a huge array
            _, key = np.unique(key, return_inverse=True)
        counts = np.bincount(key)
        used = np.flatnonzero(counts)[:MAX_FEATURES]
        mean_x = np.bincount(key, weights=xs)[used] / counts[used]
        mean_y = np.bincount(key, weights=ys)[used] / counts[used]
        return _cluster_features(counts[used], mean_x, mean_y, in_view.crs, view.decimals)


POINTS_MAX_ROWS = 5_000_000  # larger point layers are scanned per view instead of kept in memory
POINTS_MAX_BYTES = 256 * 1024 * 1024  # all kept point layers together
_POINTS: OrderedDict[tuple[str, str, str], _Points] = OrderedDict()
_POINTS_LOCK = threading.Lock()


def _points(store: Store, geo: Geo) -> _Points | None:
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
    points = _Points(table.column(0).to_numpy(), table.column(1).to_numpy(), table.column(2).to_numpy(),
                     table.column(3).combine_chunks() if label else None)
    with _POINTS_LOCK:
        _POINTS[key] = points
        while sum(p.nbytes for p in _POINTS.values()) > POINTS_MAX_BYTES and len(_POINTS) > 1:
            _POINTS.popitem(last=False)
    return points


def _etag(key: tuple[str, ...]) -> str:
    return '"' + hashlib.sha256("\x1f".join(key).encode()).hexdigest()[:24] + '"'


# ------------------------------------------------------------------------------------------------ choropleths

LEVELS: dict[str, tuple[str, str]] = {  # level -> (its code column in keyed data, the dataset of its boundaries)
    "gemeente": ("gm_code", "gemeenten"), "wijk": ("wk_code", "wijken"), "buurt": ("bu_code", "buurten"),
}
FINER: dict[str, tuple[str, ...]] = {"gemeente": ("wk_code", "bu_code"), "wijk": ("bu_code",), "buurt": ()}
AGGREGATES = ("sum", "avg", "count")  # count: rows (or features) per region, whatever the measure
NUMERIC = frozenset({"integer", "number"})
NOT_MEASURES = frozenset({"lat", "lon", "latitude", "longitude", "x", "y", "x_rd", "y_rd", "rd_x", "rd_y", "id",
                          "fid", "objectid", "jaar", "year"})
REGION_CODES = ("code", "statcode", "regiocode")
REGION_NAMES = ("naam", "name", "statnaam", "regionaam")
PERIOD = "period"  # the standard period column geo-keying adds ("2023", "2023-05", "2023-Q2")
MAX_PERIODS = 36  # more distinct periods than this are offered by year
CLASSES = 5


@dataclass(frozen=True)
class ChoroplethOptions:
    """What a region-keyed dataset can be mapped by, for the portal's level and measure choice."""

    levels: tuple[str, ...]  # those with a code column in the data and boundaries this caller may see
    measures: tuple[str, ...]
    period_column: str | None
    periods: tuple[str, ...]


@dataclass(frozen=True)
class _Boundaries:
    dataset: DatasetRecord
    geo: Geo
    code: str
    name: str | None


def choropleth_options(store: Store, principal: Principal, dataset: DatasetRecord) -> ChoroplethOptions | None:
    """What a portal page can offer, for a dataset the caller has already let through the door: None unless it
    has a region code column (gm_code, wk_code, bu_code) with boundaries this principal may see, and numbers."""
    version = store.current_versions().get(dataset.id)
    if version is None:
        return None
    columns = columns_for(principal, dataset, version)
    names = {c.name for c in columns}
    measures = tuple(c.name for c in columns if _is_measure(c))
    levels = tuple(lv for lv, (code, _) in LEVELS.items()
                   if code in names and _boundaries(store, principal, lv, read=False) is not None)
    if not levels or not measures:
        return None
    period = _period_column(columns)
    return ChoroplethOptions(levels, measures, period, _periods(store, version, period) if period else ())


def _is_measure(column: Column) -> bool:
    name = column.name.lower()
    return column.type in NUMERIC and name not in NOT_MEASURES and not name.endswith(("_share", "_code", "_id"))


def _period_column(columns: Sequence[Column]) -> str | None:
    """The standard `period` column, or else a year column (CBS tables before keying have `jaar`)."""
    if any(c.name == PERIOD for c in columns):
        return PERIOD
    return next((c.name for c in columns if c.type == "year"), None)


def _periods(store: Store, version: VersionRecord, column: str) -> tuple[str, ...]:
    """The periods to choose from, oldest first: as in the data, or their years when there are more than
    MAX_PERIODS (daily counts give hundreds of days; a year of them is what a map of regions shows)."""
    key = ("periods", version.etag, column)
    if (known := _MEMO.get(key)) is not None:
        return known
    sql = (f"SELECT DISTINCT CAST({quote_ident(column)} AS VARCHAR) AS p FROM read_parquet(?) "
           "WHERE p IS NOT NULL ORDER BY p")
    found = [str(r[0]) for r in store.duck().execute(sql, [str(store.path_of(version))]).fetchall()]
    if len(found) > MAX_PERIODS:
        found = sorted({p[:4] for p in found if p[:4].isdigit()})
    return _MEMO.put(key, tuple(found))


def _boundaries(store: Store, principal: Principal, level: str, *, read: bool) -> _Boundaries | None:
    """The current version of the level's region dataset, if this caller may see it and its geometry. Reading
    it goes through the door (`read`); offering it on a page only asks whether they could."""
    try:
        dataset = store.dataset(LEVELS[level][1])
        if read:
            dataset = datasets.get_dataset(store, principal, dataset.id)
        elif not access.can_see(principal, dataset):
            return None
        geo = geo_of(store, principal, dataset)
    except (NotFound, Forbidden):
        return None
    names = [c.name for c in geo.columns]
    code = next((n for n in REGION_CODES if n in names), LEVELS[level][0] if LEVELS[level][0] in names else None)
    if code is None:
        return None
    return _Boundaries(dataset, geo, code, next((n for n in REGION_NAMES if n in names), None))


@dataclass(frozen=True)
class Choice:
    level: str
    measure: str
    agg: str
    period: str | None


def choropleth(store: Store, principal: Principal, dataset_id: str, *, level: str = "gemeente",
               measure: str | None = None, agg: str | None = None, period: str | None = None,
               zoom: float | None = None, cache: ResponseCache | None = None) -> MapAnswer:
    """GeoJSON of the regions of one level with the dataset's `measure` summed or averaged per region (of the
    latest period unless one is asked), and class breaks at quantiles of those values."""
    dataset = datasets.get_dataset(store, principal, dataset_id)  # the door: checked, and logged when not public
    version = store.version(dataset.id)
    columns = columns_for(principal, dataset, version)
    choice = _choice(columns, level, measure, agg, period)
    boundaries = _boundaries(store, principal, choice.level, read=True)
    if boundaries is None:
        raise NotFound(f"there are no boundaries for level {choice.level!r} "
                       f"(dataset {LEVELS[choice.level][1]!r} is missing, hidden or has no geometry)")
    period_column = _period_column(columns)
    periods = _periods(store, version, period_column) if period_column else ()
    choice = _with_period(choice, period_column, periods)
    zoom_level = CHOROPLETH_ZOOM if zoom is None else _zoom(zoom)
    public = access.public(dataset) and access.public(boundaries.dataset)
    key = ("choropleth", version.etag, boundaries.geo.version.etag, choice.level, choice.measure, choice.agg,
           choice.period or "", str(zoom_level))
    cache = cache if public else None
    if cache is not None and (hit := cache.get(key)) is not None:
        return MapAnswer(hit, _etag(key), True)
    body = orjson.dumps(_choropleth_document(store, dataset, version, columns, boundaries, choice, period_column,
                                             periods, zoom_level))
    if cache is not None:
        cache.put(key, body)
    return MapAnswer(body, _etag(key), public)


def _choice(columns: Sequence[Column], level: str, measure: str | None, agg: str | None,
            period: str | None) -> Choice:
    by_name = {c.name: c for c in columns}
    if level not in LEVELS:
        raise QueryError("level", f"{level!r} is not a level; use one of {', '.join(LEVELS)}")
    if LEVELS[level][0] not in by_name:
        offered = [lv for lv, (code, _) in LEVELS.items() if code in by_name]
        raise QueryError("level", f"this dataset has no {LEVELS[level][0]} column; it can be mapped by "
                                  f"{', '.join(offered) or 'no level (it is not keyed to regions)'}")
    measures = [c.name for c in columns if _is_measure(c)]
    name = measure if measure is not None else (measures[0] if measures else "")
    if name not in measures:
        raise QueryError("measure", f"{name!r} is not a numeric column to map; use one of: {', '.join(measures)}")
    chosen = agg if agg is not None else ("sum" if by_name[name].type == "integer" else "avg")
    if chosen not in AGGREGATES:
        raise QueryError("agg", f"{chosen!r} is not known; use {', '.join(AGGREGATES)}")
    return Choice(level, name, chosen, period)


def _with_period(choice: Choice, column: str | None, periods: Sequence[str]) -> Choice:
    """The asked period, checked; else the latest, so that years are never summed together by accident."""
    if choice.period is None:
        return Choice(choice.level, choice.measure, choice.agg, periods[-1] if periods else None)
    if column is None:
        raise QueryError("period", "this dataset has no period or year column")
    if choice.period not in periods:
        raise QueryError("period", f"{choice.period!r} is not in the data; periods: {', '.join(periods[-12:])}")
    return choice


def _zoom(zoom: float) -> int:
    if not (math.isfinite(zoom) and 0 <= zoom <= MAX_ZOOM):
        raise QueryError("zoom", f"must be a number from 0 to {MAX_ZOOM}")
    return int(zoom)


def _values_sql(version: VersionRecord, columns: Sequence[Column], choice: Choice,
                period_column: str | None) -> tuple[str, list[Any]]:
    """One value per region code. A table that has rows for a region itself (CBS tables list a municipality
    beside its districts) uses those rows; otherwise finer rows (or features lying in the region) are added up."""
    code = quote_ident(LEVELS[choice.level][0])
    names = {c.name for c in columns}  # only what this principal may read
    finer = [quote_ident(c) for c in FINER[choice.level] if c in names]
    exact = "false" if version.geometry_columns else " AND ".join(["true", *(f"{c} IS NULL" for c in finer)])
    where, params = f"{code} IS NOT NULL", []
    if choice.period is not None and period_column is not None:
        # a year also selects its months, quarters and days: 2024 holds 2024-05, 2024-Q2 and 2024-05-31
        period = f"CAST({quote_ident(period_column)} AS VARCHAR)"
        where += f" AND ({period} = ? OR starts_with({period}, ? || '-'))"
        params += [choice.period, choice.period]
    sql = (f"WITH base AS (SELECT upper(trim(CAST({code} AS VARCHAR))) AS code, {quote_ident(choice.measure)} AS v, "
           f"{exact} AS exact FROM read_parquet(?) WHERE {where}), "
           "picked AS (SELECT * FROM base WHERE exact OR NOT coalesce((SELECT bool_or(exact) FROM base), false)) "
           f"SELECT code, {'count(*)' if choice.agg == 'count' else f'{choice.agg}(v)'} AS value, count(*) AS n "
           "FROM picked GROUP BY code")
    return sql, params


def _choropleth_document(store: Store, dataset: DatasetRecord, version: VersionRecord, columns: Sequence[Column],
                         boundaries: _Boundaries, choice: Choice, period_column: str | None,
                         periods: Sequence[str], zoom: int) -> dict[str, Any]:
    values_sql, params = _values_sql(version, columns, choice, period_column)
    geo = boundaries.geo
    geometry, crs = _subject(geo)
    tolerance = SIMPLIFY_PX * min(pixel_size(crs, zoom, NL_LATITUDE))
    name = quote_ident(boundaries.name) if boundaries.name else "NULL"
    sql = (f"WITH vals AS ({values_sql}), regions AS (SELECT upper(trim(CAST({quote_ident(boundaries.code)} "
           f"AS VARCHAR))) AS code, {name} AS name, ST_AsWKB(ST_SimplifyPreserveTopology({geometry}, ?)) AS g "
           f"FROM read_parquet(?) WHERE {geometry} IS NOT NULL QUALIFY row_number() OVER (PARTITION BY code) = 1) "
           "SELECT vals.code, regions.name, vals.value, vals.n, regions.g FROM vals LEFT JOIN regions USING (code) "
           "ORDER BY vals.code")
    found = store.duck().execute(sql, [str(store.path_of(version)), *params, tolerance, str(geo.path)]).fetchall()
    drawn = [row for row in found if row[4] is not None]
    values = [_number(row[2]) for row in drawn]
    breaks = quantile_breaks([v for v in values if v is not None])
    texts = _geojson([bytes(row[4]) for row in drawn], crs, 5)
    features = [{"type": "Feature", "id": row[0], "geometry": orjson.Fragment(text),
                 "properties": {"code": row[0], "name": json_value(row[1]), "value": value, "count": int(row[3]),
                                "class": class_of(value, breaks)}}
                for row, value, text in zip(drawn, values, texts, strict=True)]
    return {"type": "FeatureCollection", "dataset": dataset.id, "version": version.number, "level": choice.level,
            "measure": choice.measure, "agg": choice.agg, "period": choice.period, "periods": list(periods),
            "breaks": breaks, "boundaries": {"dataset": boundaries.dataset.id, "version": geo.version.number},
            "unmatched": [row[0] for row in found if row[4] is None], "features": features}


def _number(value: Any) -> int | float | None:
    if value is None or isinstance(value, int):
        return value
    number = float(value)
    return number if math.isfinite(number) else None


def quantile_breaks(values: Sequence[float], classes: int = CLASSES) -> list[float]:
    """Class limits that put about as many regions in each class (quantiles, interpolated between neighbours):
    the lowest value, the limits between classes, the highest value. Fewer classes when few values differ."""
    ordered = sorted(values)
    if not ordered:
        return []
    count = min(classes, len(set(ordered)))
    if count <= 1:
        return [_tidy(ordered[0]), _tidy(ordered[-1])]
    limits: list[float] = []
    for i in range(count + 1):
        position = (len(ordered) - 1) * i / count
        low = math.floor(position)
        high = min(low + 1, len(ordered) - 1)
        limit = _tidy(ordered[low] + (ordered[high] - ordered[low]) * (position - low))
        if not limits or limit > limits[-1]:
            limits.append(limit)
    return limits


def _tidy(value: float) -> float:
    """Six significant digits: enough for a legend, without the float noise of interpolation."""
    tidy = float(f"{value:.6g}")
    return int(tidy) if tidy.is_integer() and abs(tidy) < 2**53 else tidy


def class_of(value: float | None, breaks: Sequence[float]) -> int | None:
    """The class a value falls in: class i holds values above breaks[i] up to and including breaks[i + 1]
    (the first class also holds the lowest value itself)."""
    if value is None or len(breaks) < 2:
        return None
    return min(max(bisect.bisect_left(breaks, value, 1) - 1, 0), len(breaks) - 2)
