"""A geodataset's current version as a map sees it: the columns one principal may read, its geometry's CRS,
extent and kind, each read once per version."""

# ruff: noqa: S608 -- identifiers come from the version's schema and are quoted; numbers are Python floats.
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from wierde.errors import NotFound
from wierde.protect.access import Principal
from wierde.publish import ogc_crs
from wierde.publish.download import columns_for
from wierde.publish.row_model import Column
from wierde.regions.transform import projector
from wierde.sqltext import quote_ident, to_crs84
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store

LABELS = ("naam", "name", "titel", "title", "omschrijving", "statnaam")
CRS84 = ogc_crs.CRS84
LONLAT = (ogc_crs.CRS84, ogc_crs.WGS84)


@dataclass(frozen=True)
class Shape:
    """What a version's geometry is like: its extent in CRS84 and whether it holds only points."""

    extent: list[float] | None
    points_only: bool


class Memo:
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


MEMO = Memo()


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
    if (known := MEMO.get(key)) is not None:
        return known[0]
    described = store.duck().execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(store.path_of(version))])
    types = {str(row[0]): str(row[1]) for row in described.fetchall()}
    return MEMO.put(key, (ogc_crs.storage_code(types.get(geometry, "GEOMETRY")),))[0]


def extent_of(store: Store, principal: Principal, dataset: DatasetRecord) -> list[float] | None:
    """The current version's extent in CRS84 (west, south, east, north), for a map's first view; for a dataset
    the caller has already let through the door, as `geo_of`."""
    return shape_of(store, geo_of(store, principal, dataset)).extent


def shape_of(store: Store, geo: Geo) -> Shape:
    """Computed once per version (versions never change), in the stored CRS: no row is transformed."""
    key = ("shape", geo.version.etag, geo.geometry)
    if (known := MEMO.get(key)) is not None:
        return known
    geometry, crs = geometry_sql(geo)
    sql = (f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), kinds FROM (SELECT ST_Extent_Agg({geometry}) AS e, "
           f"list(DISTINCT ST_GeometryType({geometry})) FILTER (WHERE {geometry} IS NOT NULL) AS kinds "
           "FROM read_parquet(?))")
    row = store.duck().execute(sql, [str(geo.path)]).fetchone()
    assert row is not None  # an aggregate answers one row
    box = None if row[0] is None else _to_crs84_box(crs, (row[0], row[1], row[2], row[3]))
    return MEMO.put(key, Shape(box, bool(row[4]) and set(row[4]) <= {"POINT"}))


def geometry_sql(geo: Geo) -> tuple[str, str]:
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
