"""Features of a collection: OGC items requests answered with the row API's filters, keyset cursor and GeoJSON."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

import duckdb
import numpy as np
import orjson
import pyarrow as pa

from wierde.errors import NotFound
from wierde.publish import ogc_crs, ogc_memory, spatial_copy
from wierde.publish.ogc_source import Context, Layer, link
from wierde.publish.row_cursor import encode_cursor
from wierde.publish.row_model import RESERVED, QueryError, RowQuery
from wierde.publish.row_params import cursor_position
from wierde.publish.row_values import json_value
from wierde.publish.rows import ROW, SOURCE, filter_sql, parse_query
from wierde.sqltext import quote_ident, to_crs84

DEFAULT_LIMIT = 10
MAX_LIMIT = 10000
ITEMS_PARAMS = frozenset({"f", "bbox", "bbox-crs", "crs", "datetime", "limit", "cursor", "lang"})
ITEM_PARAMS = frozenset({"f", "crs", "lang"})
GEOJSON = "application/geo+json"
# The row API's own switches; the OGC API has no sorting or column choice, so they are unknown parameters here.
_ROW_ONLY = frozenset(RESERVED) - {"limit", "cursor"}
_CRS84 = (ogc_crs.CRS84, ogc_crs.WGS84)  # the same x/y coordinates (the axis order differs only in the API)


@dataclass(frozen=True)
class Features:
    """A FeatureCollection or a Feature, and the CRS its coordinates are in (for the Content-Crs header)."""

    document: dict[str, Any]
    crs: str

    @property
    def content_crs(self) -> str:
        return f"<{ogc_crs.uri_of(self.crs)}>"


@dataclass(frozen=True)
class _Where:
    """The property and datetime filters, and the bbox test apart from them (the sorted copy may skip it)."""

    filters: list[str]
    filter_params: list[Any]
    box: ogc_crs.Box | None = None
    box_test: tuple[str, list[Any]] | None = None  # exact: the geometry intersects the box

    @property
    def conditions(self) -> list[str]:
        return ([self.box_test[0]] if self.box_test else []) + self.filters

    @property
    def params(self) -> list[Any]:
        return (list(self.box_test[1]) if self.box_test else []) + self.filter_params


def items(ctx: Context, layer: Layer, params: Sequence[tuple[str, str]], *, raw: bool = False) -> Features:
    """One page of features. `params` are the query string as given; links repeat them (with a new cursor).
    With `raw` the features may come as ready JSON (orjson fragments), for a caller that only serialises them."""
    options, filters = _split(params, ITEMS_PARAMS, layer)
    target = ogc_crs.choose("crs", options.get("crs"), layer.crs)
    query = parse_query([*filters, *_paging(options)], layer.columns, default_limit=DEFAULT_LIMIT,
                        max_limit=MAX_LIMIT)
    con = ctx.store.duck()
    where = _where(layer, query, options)
    position = cursor_position(query, layer.columns)
    after = position[1] if position else -1
    copy = _sorted_copy(ctx, layer) if where.box is not None else None
    held = _held(con, layer, copy, target, where) if raw and copy is not None else None
    features: list[Any]
    if held is not None and where.box is not None:
        matches = held.within(_parts(where.box))
        rows, more, prev = _window(matches, after, query.limit, first=position is None)
        features, matched, last = [held.feature(r) for r in rows], len(matches), rows[-1] if rows else None
    else:
        if copy is not None:
            found, more, prev, matched = _bbox_page(con, layer, copy, target, where, after, query.limit,
                                                    first=position is None)
        else:
            where = _tested(con, layer, where)
            found, more = _page(con, layer, target, where, after, query.limit)
            prev = (_previous(con, layer, where, found[0][0] if found else after + 1, query.limit)
                    if position else None)
            matched = _matched(con, layer, where)
        features, last = [_feature(layer, row, values) for row, values in found], found[-1][0] if found else None
    document: dict[str, Any] = {
        "type": "FeatureCollection",
        "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "numberMatched": matched,
        "numberReturned": len(features),
        "features": features,
        "links": _items_links(ctx, layer, params, last if more else None, prev),
    }
    return Features(document, target)


def item(ctx: Context, layer: Layer, feature_id: str, params: Sequence[tuple[str, str]]) -> Features:
    """One feature by its id: its row number in the version's file (stable, because versions never change)."""
    options, filters = _split(params, ITEM_PARAMS, layer)
    if filters:
        raise QueryError(filters[0][0], "unknown parameter; a single feature takes only f and crs")
    target = ogc_crs.choose("crs", options.get("crs"), layer.crs)
    row = int(feature_id) if feature_id.isascii() and feature_id.isdigit() and len(feature_id) < 19 else -1
    found, _ = _page(ctx.store.duck(), layer, target, _Where([f"{ROW} = ?"], [row]), -1, 1)
    if not found:
        raise NotFound(f"the requested feature with id: {feature_id} does not exist in collection {layer.id!r}")
    here = ctx.url(f"/collections/{layer.id}/items/{row}")
    kept = [(k, v) for k, v in params if k != "f"]
    feature = _feature(layer, *found[0])
    feature["links"] = [
        link("self", GEOJSON, "This document as GeoJSON", _href(here, kept, f="json")),
        link("alternate", "text/html", "This document as HTML", _href(here, kept, f="html")),
        link("collection", "application/json", "The collection this feature belongs to",
             ctx.url(f"/collections/{layer.id}?f=json")),
    ]
    return Features(feature, target)


def _split(params: Sequence[tuple[str, str]], known: frozenset[str],
           layer: Layer) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """OGC parameters apart from property filters (`name=value`, which go to the row API's parser)."""
    options: dict[str, str] = {}
    filters: list[tuple[str, str]] = []
    names = {c.name for c in layer.columns}
    for key, value in params:
        if key in known:
            if key in options:
                raise QueryError(key, "given more than once")
            options[key] = value
        elif key in _ROW_ONLY or key in ITEMS_PARAMS or (key not in names and key.rpartition("__")[0] not in names):
            raise QueryError(key, f"unknown parameter; use {', '.join(sorted(known))} or a property as "
                                  "name=value (see the collection's queryables)")
        else:
            filters.append((key, value))
    return options, filters


def _paging(options: dict[str, str]) -> list[tuple[str, str]]:
    paging = []
    if "limit" in options:
        text = options["limit"].strip()
        # Part 1 lets a server answer fewer features than asked; a too large limit is served at the maximum.
        paging.append(("limit", str(MAX_LIMIT) if text.isdigit() and int(text) > MAX_LIMIT else text))
    if options.get("cursor"):
        paging.append(("cursor", options["cursor"]))
    return paging


def _where(layer: Layer, query: RowQuery, options: dict[str, str]) -> _Where:
    """The property filters (the row API's SQL), the datetime and the bbox (its test added by `_tested`), without
    the cursor."""
    clause, params = filter_sql(query, layer.columns)
    conditions = [clause.removeprefix(" WHERE ")] if clause else []
    if "datetime" in options:
        sql, values = _datetime(layer, options["datetime"])
        conditions.append(sql)
        params = [*params, *values]
    if "bbox" not in options:
        return _Where(conditions, params)
    box = ogc_crs.parse_bbox(options["bbox"], ogc_crs.choose("bbox-crs", options.get("bbox-crs"), layer.crs))
    return _Where(conditions, params, box)


def _tested(con: duckdb.DuckDBPyConnection, layer: Layer, where: _Where) -> _Where:
    """`where` with the exact test of its box (if any) among the conditions."""
    return where if where.box is None else replace(where, box_test=_bbox(con, layer, where.box))


def _bbox(con: duckdb.DuckDBPyConnection, layer: Layer, box: ogc_crs.Box) -> tuple[str, list[Any]]:
    geometry = quote_ident(layer.geometry)
    # A stored CRS without a usable name is compared in CRS84, which DuckDB can always reach.
    subject, target = (geometry, layer.storage) if layer.storage else (to_crs84(geometry), ogc_crs.CRS84)
    moved: list[str | None] = [None] * len(box.parts())
    if ogc_crs.needs_moving(box, target):
        sql, params = ogc_crs.moved_box_sql(box, target)
        result = con.execute(sql, params).fetchone()
        moved = list(result) if result else moved
    return ogc_crs.bbox_condition(subject, box, moved)


def _datetime(layer: Layer, text: str) -> tuple[str, list[Any]]:
    """An instant or an interval (`start/end`, `..` for an open end) on the collection's temporal column.
    A date means the whole day; the ends of an interval are included."""
    column = layer.time_sql
    if column is None:
        raise QueryError("datetime", "this collection has no date or date-time column to filter on")
    parts = text.split("/")
    if len(parts) == 1:
        low, high, whole_day = _moment(parts[0])
        return (f"({column} >= ? AND {column} < ?)", [low, high]) if whole_day else (f"{column} = ?", [low])
    if len(parts) != 2:
        raise QueryError("datetime", "give one instant, or an interval start/end (.. for an open end)")
    start = None if parts[0].strip() in ("", "..") else _moment(parts[0])
    end = None if parts[1].strip() in ("", "..") else _moment(parts[1])
    if start and end and start[0] > end[1]:
        raise QueryError("datetime", "the interval ends before it starts")
    conditions, params = [f"{column} IS NOT NULL"], []
    if start:
        conditions.append(f"{column} >= ?")
        params.append(start[0])
    if end:
        conditions.append(f"{column} {'<' if end[2] else '<='} ?")
        params.append(end[1])
    return "(" + " AND ".join(conditions) + ")", params


def _moment(text: str) -> tuple[dt.datetime, dt.datetime, bool]:
    """(start, end, whole day) in UTC without a zone, as `Layer.time_sql` compares; a date ends at next midnight."""
    text = text.strip()
    if len(text) == 11 and text.endswith("T"):
        text = text[:-1]  # GDAL 3.6 writes a date it pushes down from -where as 2024-01-10T
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            start = dt.datetime.combine(day, dt.time())
            return start, start + dt.timedelta(days=1), True
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise QueryError("datetime", f"{text!r} is not an RFC 3339 date or date-time, such as 2024-01-31 or "
                                     "2024-01-31T12:00:00Z") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment, moment, False


def _sorted_copy(ctx: Context, layer: Layer) -> spatial_copy.SortedCopy | None:
    return spatial_copy.sorted_copy(ctx.store.duck(), ctx.store.settings.data_dir, layer.path, layer.geometry,
                                    layer.storage)


def _parts(box: ogc_crs.Box) -> list[spatial_copy.Part]:
    return [(p.west, p.south, p.east, p.north) for p in box.parts()]


def _held(con: duckdb.DuckDBPyConnection, layer: Layer, copy: spatial_copy.SortedCopy, target: str,
          where: _Where) -> ogc_memory.HeldFeatures | None:
    """The layer's features in memory, for a plain CRS84 bbox on open point data (else, or not yet: None)."""
    if not (layer.cacheable and copy.points_only and target == ogc_crs.CRS84 and where.box is not None
            and where.box.crs in _CRS84 and not where.filters):
        return None
    select = _copy_select(layer, target)
    return ogc_memory.MEMORY.get(copy, layer.version.row_count, lambda: ogc_memory.build(
        con, copy, select, lambda row, values: _feature(layer, row, values), _python_values))


def _window(matches: np.ndarray, after: int, limit: int, *, first: bool
            ) -> tuple[list[int], bool, tuple[str | None] | None]:
    """From all matching row numbers (ascending): this page's, whether more follow, and the previous page's start
    ((cursor,), (None,) for the first page, or None when there is none)."""
    start = int(np.searchsorted(matches, after, side="right"))
    rows = [int(r) for r in matches[start:start + limit]]
    prev: tuple[str | None] | None = None
    if not first and start > 0:
        prev = (encode_cursor("", [], int(matches[start - limit - 1])),) if start > limit else (None,)
    return rows, len(matches) > start + limit, prev


def _copy_select(layer: Layer, target: str) -> list[str]:
    select = [_select(layer, c.name, c.type, target) for c in layer.columns]
    if target == ogc_crs.CRS84:  # worked out when the copy was made: no reprojection per request
        select[[c.name for c in layer.columns].index(layer.geometry)] = spatial_copy.GEOJSON84
    return select


def _bbox_page(con: duckdb.DuckDBPyConnection, layer: Layer, copy: spatial_copy.SortedCopy, target: str,
               where: _Where, after: int, limit: int, *, first: bool
               ) -> tuple[list[tuple[int, list[Any]]], bool, tuple[str | None] | None, int]:
    """A bbox page from the sorted copy: one query finds the row numbers of every match (their count, this page,
    the previous page's start); a second reads the page's rows. Both skip the row groups outside the box.

    A point lies in a CRS84 box when its CRS84 position does, whatever CRS it is stored in; other shapes, and
    boxes in another CRS, are tested exactly in the stored CRS."""
    assert where.box is not None
    exact_by_box = copy.points_only and where.box.crs in _CRS84
    # A box reprojected to CRS84 is widened a little (about 10 m), so the exact test below has the last word.
    near, near_params = spatial_copy.prefilter(spatial_copy.crs84_parts(_parts(where.box), where.box.crs),
                                               0.0 if exact_by_box else 1e-4)
    where = where if exact_by_box else _tested(con, layer, where)
    conditions, params = [near, *where.conditions], [*near_params, *where.params]
    source = "read_parquet(?)"
    sql = f"SELECT {spatial_copy.ROW} FROM {source} WHERE {' AND '.join(conditions)}"  # noqa: S608 - constants
    matches = np.sort(con.execute(sql, [str(copy.path), *params]).fetchnumpy()[spatial_copy.ROW])
    wanted, more, prev = _window(matches, after, limit, first=first)
    if not wanted:
        return [], False, prev, len(matches)
    select = [*_copy_select(layer, target), spatial_copy.ROW]
    fetch = (f"SELECT {', '.join(select)} FROM {source} WHERE {near} "  # noqa: S608 - built from constants
             f"AND {spatial_copy.ROW} IN (SELECT unnest(?)) ORDER BY {spatial_copy.ROW}")
    table = con.execute(fetch, [str(copy.path), *near_params, wanted]).to_arrow_table()
    return _rows_of(table, limit), more, prev, len(matches)


def _page(con: duckdb.DuckDBPyConnection, layer: Layer, target: str, where: _Where, after: int,
          limit: int) -> tuple[list[tuple[int, list[Any]]], bool]:
    """Rows after row number `after`, at most `limit`, and whether more follow. As in the row API, the inner query
    picks row numbers reading only the filter columns; the outer one reads and transforms just those rows."""
    conditions = [*where.conditions, f"{ROW} > ?"]
    inner = f"SELECT {ROW} FROM {SOURCE} WHERE {' AND '.join(conditions)} ORDER BY {ROW} LIMIT ?"  # noqa: S608
    select = [_select(layer, c.name, c.type, target) for c in layer.columns] + [ROW]
    sql = f"SELECT {', '.join(select)} FROM {SOURCE} WHERE {ROW} IN ({inner}) ORDER BY {ROW}"  # noqa: S608
    path = str(layer.path)
    table = con.execute(sql, [path, path, *where.params, after, limit + 1]).to_arrow_table()
    return _rows_of(table, limit), table.num_rows > limit


def _rows_of(table: pa.Table, limit: int) -> list[tuple[int, list[Any]]]:
    """(row number, values) for the first `limit` rows; the row number is the table's last column."""
    columns = [_python_values(table.column(i)) for i in range(table.num_columns)]
    return [(int(columns[-1][r]), [col[r] for col in columns[:-1]]) for r in range(min(table.num_rows, limit))]


def _select(layer: Layer, name: str, kind: str, target: str) -> str:
    col = quote_ident(name)
    return f"{ogc_crs.geojson_sql(col, layer.storage, target)} AS {col}" if kind == "geometry" else col


def _python_values(array: pa.ChunkedArray) -> list[Any]:
    # Python's datetime stops at microseconds; nanosecond columns are shown to the microsecond, as in the row API
    kind = array.type
    if (pa.types.is_timestamp(kind) or pa.types.is_time64(kind)) and kind.unit == "ns":
        array = array.cast(pa.timestamp("us", kind.tz) if pa.types.is_timestamp(kind) else pa.time64("us"),
                           safe=False)
    return array.to_pylist()


def _feature(layer: Layer, row: int, values: list[Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    geometry = None
    for column, value in zip(layer.columns, values, strict=True):
        if column.name == layer.geometry:
            geometry = orjson.loads(value) if value is not None else None
        elif column.type == "geometry":
            properties[column.name] = orjson.loads(value) if value is not None else None
        else:
            properties[column.name] = json_value(value)
    return {"type": "Feature", "id": row, "geometry": geometry, "properties": properties}


def _previous(con: duckdb.DuckDBPyConnection, layer: Layer, where: _Where, before: int,
              limit: int) -> tuple[str | None] | None:
    """Where the page before this one starts: (cursor,), (None,) for the first page, or None when there is none."""
    conditions = [*where.conditions, f"{ROW} < ?"]
    sql = (f"SELECT {ROW} FROM {SOURCE} WHERE {' AND '.join(conditions)} "  # noqa: S608 - built from constants
           f"ORDER BY {ROW} DESC LIMIT ?")
    earlier = [int(r[0]) for r in con.execute(sql, [str(layer.path), *where.params, before, limit + 1]).fetchall()]
    if not earlier:
        return None
    return (encode_cursor("", [], earlier[limit]),) if len(earlier) > limit else (None,)


def _matched(con: duckdb.DuckDBPyConnection, layer: Layer, where: _Where) -> int:
    if not where.conditions:
        return layer.version.row_count
    sql = f"SELECT count(*) FROM {SOURCE} WHERE {' AND '.join(where.conditions)}"  # noqa: S608 - built from constants
    result = con.execute(sql, [str(layer.path), *where.params]).fetchone()
    return int(result[0]) if result else 0


def _items_links(ctx: Context, layer: Layer, params: Sequence[tuple[str, str]], last: int | None,
                 prev: tuple[str | None] | None) -> list[dict[str, str]]:
    here = ctx.url(f"/collections/{layer.id}/items")
    kept = [(k, v) for k, v in params if k != "f"]
    moving = [(k, v) for k, v in kept if k != "cursor"]
    links = [
        link("self", GEOJSON, "This document as GeoJSON", _href(here, kept, f="json")),
        link("alternate", "text/html", "This document as HTML", _href(here, kept, f="html")),
    ]
    if last is not None:
        links.append(link("next", GEOJSON, "Next page", _href(here, moving, cursor=encode_cursor("", [], last),
                                                               f="json")))
    if prev is not None:
        links.append(link("prev", GEOJSON, "Previous page", _href(here, moving, cursor=prev[0], f="json")))
    links.append(link("collection", "application/json", "The collection", ctx.url(f"/collections/{layer.id}?f=json")))
    return links


def _href(path: str, params: Sequence[tuple[str, str]], **extra: str | None) -> str:
    pairs = [*params, *((k, v) for k, v in extra.items() if v is not None)]
    return path + ("?" + urlencode(pairs) if pairs else "")


