"""Choropleths: a region-keyed dataset's numbers per region (summed, averaged or counted, for one period) on the
boundaries of those regions, with legend classes; behind the same access check as every map."""

# ruff: noqa: S608 -- identifiers come from the version's schema and are quoted; numbers are Python floats.
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from wierde.errors import Forbidden, NotFound
from wierde.protect import access
from wierde.protect.access import Principal
from wierde.publish import datasets
from wierde.publish.cache import ResponseCache
from wierde.publish.download import columns_for
from wierde.publish.map_answer import MapAnswer, cached_answer
from wierde.publish.map_classes import class_of, quantile_breaks
from wierde.publish.map_features import SIMPLIFY_PX, geojson
from wierde.publish.map_geo import MEMO, Geo, geo_of, geometry_sql
from wierde.publish.map_view import pixel_size, whole_zoom
from wierde.publish.row_model import Column, QueryError
from wierde.publish.row_values import json_value
from wierde.sqltext import quote_ident
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store

CHOROPLETH_ZOOM = 11  # boundaries are simplified for this zoom unless another is asked
NL_LATITUDE = 52.5  # where choropleths are drawn, for their pixel size
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
    if (known := MEMO.get(key)) is not None:
        return known
    sql = (f"SELECT DISTINCT CAST({quote_ident(column)} AS VARCHAR) AS p FROM read_parquet(?) "
           "WHERE p IS NOT NULL ORDER BY p")
    found = [str(r[0]) for r in store.duck().execute(sql, [str(store.path_of(version))]).fetchall()]
    if len(found) > MAX_PERIODS:
        found = sorted({p[:4] for p in found if p[:4].isdigit()})
    return MEMO.put(key, tuple(found))


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
    zoom_level = CHOROPLETH_ZOOM if zoom is None else whole_zoom(zoom)
    public = access.public(dataset) and access.public(boundaries.dataset)
    key = ("choropleth", version.etag, boundaries.geo.version.etag, choice.level, choice.measure, choice.agg,
           choice.period or "", str(zoom_level))
    return cached_answer(key, public, cache, lambda: _choropleth_document(
        store, dataset, version, columns, boundaries, choice, period_column, periods, zoom_level))


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
    geometry, crs = geometry_sql(geo)
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
    texts = geojson([bytes(row[4]) for row in drawn], crs, 5)
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
