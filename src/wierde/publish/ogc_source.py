"""Which datasets are OGC API collections for a caller, and what each one's file holds (geometry, CRS, time, extent)."""

from __future__ import annotations

import datetime as dt
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from wierde.errors import NotFound
from wierde.protect import access
from wierde.protect.access import Principal
from wierde.publish import datasets, ogc_crs
from wierde.publish.cache import ResponseCache
from wierde.publish.download import columns_for
from wierde.publish.map_geo import MEMO
from wierde.publish.row_model import Column
from wierde.publish.row_values import json_value
from wierde.sqltext import quote_ident, to_crs84
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store

TEMPORAL_TYPES = ("date", "datetime")


@dataclass(frozen=True)
class Context:
    """One request to the OGC API: who asks, where the site lives (absolute, for links), in which language."""

    store: Store
    principal: Principal
    site: str  # e.g. http://127.0.0.1:8000, no trailing slash
    lang: str = "nl"
    cache: ResponseCache | None = None
    prefix: str = "/ogc"

    def url(self, path: str = "") -> str:
        """An absolute URL inside the OGC API."""
        return self.site + self.prefix + path

    def page(self, path: str) -> str:
        """An absolute URL elsewhere on the site (the portal)."""
        return self.site + path


def link(rel: str, media_type: str, title: str, href: str) -> dict[str, str]:
    """One entry of a `links` array, with the members OGC API documents use."""
    return {"rel": rel, "type": media_type, "title": title, "href": href}


@dataclass(frozen=True)
class Layer:
    """A geodataset's current version as a collection: its columns and what the OGC API needs to know of them."""

    dataset: DatasetRecord
    version: VersionRecord
    path: Path
    columns: list[Column]
    sql_types: dict[str, str]  # column name -> DuckDB type, e.g. GEOMETRY('EPSG:28992'), TIMESTAMP WITH TIME ZONE
    geometry: str  # the first geometry column: the feature's geometry; others stay properties
    storage: str | None  # AUTH:CODE of the stored CRS; None when it has no EPSG or OGC code
    temporal: str | None  # the first date or datetime column, which `datetime` filters on

    @property
    def id(self) -> str:
        return self.dataset.id

    @property
    def crs(self) -> list[str]:
        return ogc_crs.offered(self.storage)

    @property
    def time_sql(self) -> str | None:
        """The temporal column as a plain TIMESTAMP in UTC (times without a zone are taken as UTC), or None."""
        if self.temporal is None:
            return None
        col = quote_ident(self.temporal)
        if self.sql_types.get(self.temporal, "").startswith("TIMESTAMP WITH TIME ZONE"):
            return f"timezone('UTC', {col})"
        return f"CAST({col} AS TIMESTAMP)"

    @property
    def cacheable(self) -> bool:
        """Only what anyone may see is cached, as in the row API."""
        return access.public(self.dataset)


def layers(ctx: Context) -> list[Layer]:
    """The collections this caller may see: visible datasets whose current version has a geometry column."""
    current = ctx.store.current_versions()
    found = []
    for dataset in datasets.list_datasets(ctx.store, ctx.principal):
        version = current.get(dataset.id)
        if version is not None and version.geometry_columns:
            with suppress(NotFound):
                found.append(_layer(ctx, dataset, version))
    return found


def layer(ctx: Context, collection_id: str) -> Layer:
    """One collection, after the access check; a hidden dataset and one without geometry are both 'not found'."""
    missing = NotFound(f"collection {collection_id!r} does not exist")
    try:
        dataset = datasets.get_dataset(ctx.store, ctx.principal, collection_id)
    except NotFound:
        raise missing from None  # the same answer whether it is hidden or absent
    version = ctx.store.current_versions().get(dataset.id)
    if version is None or not version.geometry_columns:
        raise missing
    return _layer(ctx, dataset, version)


def _layer(ctx: Context, dataset: DatasetRecord, version: VersionRecord) -> Layer:
    path = ctx.store.path_of(version)
    sql_types = _sql_types(ctx.store, path)
    columns = columns_for(ctx.principal, dataset, version)
    shown = {c.name for c in columns}
    geometry = next((g for g in version.geometry_columns if g in shown), None)
    if geometry is None:  # the place itself is withheld from this caller: no features to give
        raise NotFound(f"collection {dataset.id!r} does not exist")
    temporal = next((c.name for c in columns if c.type in TEMPORAL_TYPES), None)
    return Layer(dataset, version, path, columns, sql_types, geometry,
                 ogc_crs.storage_code(sql_types.get(geometry, "GEOMETRY")), temporal)


def _sql_types(store: Store, path: Path) -> dict[str, str]:
    """Column name -> DuckDB type of a version file; asked once per file, as version files never change."""
    key = ("ogc-types", str(path))
    found: dict[str, str] | None = MEMO.get(key)
    if found is None:
        described = store.duck().execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        found = MEMO.put(key, {str(row[0]): str(row[1]) for row in described})
    return found


@dataclass(frozen=True)
class Extent:
    bbox: list[float] | None  # west, south, east, north in CRS84
    interval: list[str | None] | None  # first and last value of the temporal column, RFC 3339
    geometry_types: list[str]  # e.g. ["POINT"], for the queryables' geometry format


def extent(ctx: Context, layer: Layer) -> Extent:
    """Computed from the data (every geometry in CRS84) once per version: versions never change."""
    key = ("ogc-extent", layer.version.etag)
    cache = ctx.cache if layer.cacheable else None
    if cache is not None and (hit := cache.get(key)) is not None:
        return Extent(**orjson.loads(hit))
    found = _compute_extent(ctx.store, layer)
    if cache is not None:
        cache.put(key, orjson.dumps(found.__dict__))
    return found


def _compute_extent(store: Store, layer: Layer) -> Extent:
    geometry = quote_ident(layer.geometry)
    time = layer.time_sql or "NULL"
    sql = (f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1, kinds FROM ("  # noqa: S608 - quoted
           f"SELECT ST_Extent_Agg({to_crs84(geometry)}) AS e, min({time}) AS t0, max({time}) AS t1, "
           f"list(DISTINCT ST_GeometryType({geometry})) FILTER (WHERE {geometry} IS NOT NULL) AS kinds "
           "FROM read_parquet(?))")
    table = store.duck().execute(sql, [str(layer.path)]).to_arrow_table()
    values = [table.column(i)[0].as_py() for i in range(table.num_columns)]
    bbox = [float(v) for v in values[:4]] if values[0] is not None else None
    interval = [_instant(values[4]), _instant(values[5])] if layer.temporal and values[4] is not None else None
    return Extent(bbox, interval, sorted(str(k) for k in values[6] or []))


def _instant(value: Any) -> str | None:
    """RFC 3339 in UTC, as the standard wants it (the value comes from `Layer.time_sql`: a UTC TIMESTAMP)."""
    if not isinstance(value, dt.datetime):
        return None
    return str(json_value(value.replace(tzinfo=dt.UTC)))
