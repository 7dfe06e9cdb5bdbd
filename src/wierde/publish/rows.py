"""The row API without HTTP: a RowQuery becomes parameterised SQL over one Parquet file and one page of rows."""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from wierde.publish import row_counts
from wierde.publish.row_cursor import TimestampNs, encode_cursor
from wierde.publish.row_model import OPERATORS, RESERVED, Column, Filter, Page, QueryError, RowQuery, SortKey
from wierde.publish.row_params import cursor_position, parse_query
from wierde.publish.row_values import GEOMETRY, json_column
from wierde.sqltext import geojson_crs84, quote_ident

__all__ = [
    "OPERATORS", "RESERVED", "Column", "Filter", "Page", "QueryError", "RowQuery", "SortKey",
    "parse_query", "query_sql", "run_query",
]

# Every row of a version file has a stable position: it breaks ties in any sort, and the cursor seeks on it.
# DuckDB pushes `file_row_number > ?` into the Parquet scan, so a deep page skips the row groups before it.
SOURCE = "read_parquet(?, file_row_number = true)"
ROW = "file_row_number"
MAX_COUNTS = 4096
_COUNTS: OrderedDict[tuple[str, str, str], int] = OrderedDict()
_COUNTS_LOCK = threading.Lock()
_COMPARE = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def query_sql(
    parquet_path: Path, columns: Sequence[Column], query: RowQuery, *, for_export: bool
) -> tuple[str, list[Any]]:
    """The SQL and its bound parameters. An export gets every matching row with geometry left as stored;
    a page gets `limit + 1` rows (one more says whether there is a next page) with geometry as GeoJSON."""
    by_name = _checked(columns, query)
    where, params = _where(query.filters)
    path = str(parquet_path)
    if for_export:
        return _export_sql(query, by_name, where), [path, *params]
    position = cursor_position(query, columns)
    if position is not None:
        seek, seek_params = _after(query.sort, *position)
        where, params = [*where, seek], [*params, *seek_params]
    if _needs_two_steps(query, by_name):
        return _page_sql(query, by_name, where), [path, path, *params, query.limit + 1]
    return _one_step_page_sql(query, by_name, where), [path, *params, query.limit + 1]


def run_query(
    con: duckdb.DuckDBPyConnection,
    parquet_path: Path,
    columns: Sequence[Column],
    query: RowQuery,
    *,
    with_total: bool = True,
    known_total: int | None = None,
) -> Page:
    """One page of rows as JSON-ready dicts. `known_total` is the version's row count, used when nothing filters."""
    sql, params = query_sql(parquet_path, columns, query, for_export=False)
    # Arrow, not fetchall(): DuckDB's Python conversion of TIMESTAMPTZ needs pytz, Arrow's uses zoneinfo.
    table = con.execute(sql, params).to_arrow_table()
    shown = visible_columns(columns, query)
    count = min(table.num_rows, query.limit)
    page = table.slice(0, count)
    data = [_out_column(c, page.column(i)) for i, c in enumerate(shown)]
    names = [c.name for c in shown]
    rows = [dict(zip(names, values, strict=True)) for values in zip(*data, strict=True)]
    next_cursor = None
    if table.num_rows > query.limit:
        keys = [_key_value(table.column(len(shown) + k), count - 1) for k in range(len(query.sort))]
        next_cursor = encode_cursor(query.sort_spec, keys, table.column(table.num_columns - 1)[count - 1].as_py())
    total = _total(con, parquet_path, query, known_total) if with_total else None
    return Page(rows=rows, next_cursor=next_cursor, total=total, columns=shown)


def visible_columns(columns: Sequence[Column], query: RowQuery) -> list[Column]:
    if not query.fields:
        return list(columns)
    by_name = {c.name: c for c in columns}
    return [by_name[name] for name in query.fields]


def _checked(columns: Sequence[Column], query: RowQuery) -> dict[str, Column]:
    # A RowQuery can be built by hand, not only by parse_query: identifiers are checked again where SQL is made.
    by_name = {c.name: c for c in columns}
    names = [f.column for f in query.filters] + [k.column for k in query.sort] + list(query.fields or ())
    for name in names:
        if name not in by_name:
            raise QueryError(name, "unknown column")
    for f in query.filters:
        if f.op not in OPERATORS:
            raise QueryError(f.column, f"unknown operator {f.op!r}")
    return by_name


def _where(filters: Sequence[Filter]) -> tuple[list[str], list[Any]]:
    conditions: list[str] = []
    params: list[Any] = []
    for f in filters:
        sql, values = _condition(f)
        conditions.append(sql)
        params.extend(values)
    return conditions, params


def _condition(f: Filter) -> tuple[str, list[Any]]:
    col = quote_ident(f.column)
    if f.op == "isnull":
        return f"{col} IS {'' if f.value else 'NOT '}NULL", []
    if f.op == "in":
        values = list(f.value)
        return f"{col} IN ({', '.join('?' * len(values))})", values
    if f.op == "contains":
        return f"contains(lower({col}), lower(?))", [f.value]
    if f.op == "ne":
        # rows without a value are "not equal" too; a plain <> would silently drop them
        return f"{col} IS DISTINCT FROM ?", [f.value]
    return f"{col} {_COMPARE[f.op]} ?", [f.value]


def _after(sort: Sequence[SortKey], values: Sequence[Any], row: int) -> tuple[str, list[Any]]:
    """Rows strictly after (values, row) in ORDER BY sort NULLS LAST, row — built inside out from the row number."""
    sql, params = f"{ROW} > ?", [row]
    for key, value in reversed(list(zip(sort, values, strict=True))):
        col = quote_ident(key.column)
        if value is None:
            # NULLs sort last either way: after a NULL only other NULLs can follow
            sql = f"({col} IS NULL AND {sql})"
            continue
        beyond = "<" if key.descending else ">"
        slot, bound = ("make_timestamp_ns(?)", value.nanos) if isinstance(value, TimestampNs) else ("?", value)
        sql = f"({col} {beyond} {slot} OR {col} IS NULL OR ({col} = {slot} AND {sql}))"
        params = [bound, bound, *params]
    return sql, params


def _order(sort: Sequence[SortKey], refs: Sequence[str], row_ref: str) -> str:
    parts = [f"{ref} {'DESC' if key.descending else 'ASC'} NULLS LAST" for key, ref in zip(sort, refs, strict=True)]
    return ", ".join([*parts, row_ref])


def _where_clause(conditions: Sequence[str]) -> str:
    return f" WHERE {' AND '.join(conditions)}" if conditions else ""


def _export_sql(query: RowQuery, by_name: dict[str, Column], where: Sequence[str]) -> str:
    names = query.fields or tuple(by_name)
    select = ", ".join(quote_ident(n) for n in names)
    sql = f"SELECT {select} FROM {SOURCE}{_where_clause(where)}"  # noqa: S608 - identifiers quoted, values bound
    if query.sort:
        # without a sort DuckDB keeps file order (preserve_insertion_order), so no costly ORDER BY is added
        sql += " ORDER BY " + _order(query.sort, [quote_ident(k.column) for k in query.sort], ROW)
    return sql


def _needs_two_steps(query: RowQuery, by_name: dict[str, Column]) -> bool:
    shown = query.fields or tuple(by_name)
    return bool(query.sort) and any(by_name[n].type == GEOMETRY for n in shown)


def _one_step_page_sql(query: RowQuery, by_name: dict[str, Column], where: Sequence[str]) -> str:
    # Without geometry to transform, one scan that stops at the page's end is the cheapest plan.
    shown = [by_name[n] for n in query.fields] if query.fields else list(by_name.values())
    select = [_select_expr(c) for c in shown] + [quote_ident(k.column) for k in query.sort] + [ROW]
    if not query.sort:
        # File order is DuckDB's order for a plain scan (preserve_insertion_order), so no sort is needed and the
        # scan stops as soon as the page is full.
        return f"SELECT {', '.join(select)} FROM {SOURCE}{_where_clause(where)} LIMIT ?"  # noqa: S608
    order = _order(query.sort, [quote_ident(k.column) for k in query.sort], ROW)
    return f"SELECT {', '.join(select)} FROM {SOURCE}{_where_clause(where)} ORDER BY {order} LIMIT ?"  # noqa: S608


def _page_sql(query: RowQuery, by_name: dict[str, Column], where: Sequence[str]) -> str:
    # Two steps in one statement: the inner query picks the page's row numbers reading only the filter and sort
    # columns; the outer one reads the full rows (and transforms geometry) for just those numbers. Selecting all
    # columns in the sorted scan would read and reproject every geometry in the file.
    shown = [by_name[n] for n in query.fields] if query.fields else list(by_name.values())
    select = [_select_expr(c) for c in shown]
    select += [quote_ident(k.column) for k in query.sort] + [ROW]
    first_key = len(shown) + 1
    outer_order = _order(query.sort, [str(first_key + i) for i in range(len(query.sort))], str(len(select)))
    inner_order = _order(query.sort, [quote_ident(k.column) for k in query.sort], ROW)
    inner = f"SELECT {ROW} FROM {SOURCE}{_where_clause(where)} ORDER BY {inner_order} LIMIT ?"  # noqa: S608
    return f"SELECT {', '.join(select)} FROM {SOURCE} WHERE {ROW} IN ({inner}) ORDER BY {outer_order}"  # noqa: S608


def _select_expr(column: Column) -> str:
    col = quote_ident(column.name)
    return f"{geojson_crs84(col)} AS {col}" if column.type == GEOMETRY else col


def _python_values(array: pa.ChunkedArray) -> list[Any]:
    # Python's datetime stops at microseconds; nanosecond columns are shown (and exported) to the microsecond
    kind = array.type
    if (pa.types.is_timestamp(kind) or pa.types.is_time64(kind)) and kind.unit == "ns":
        target = pa.timestamp("us", kind.tz) if pa.types.is_timestamp(kind) else pa.time64("us")
        array = array.cast(target, safe=False)
    return array.to_pylist()


def _key_value(array: pa.ChunkedArray, index: int) -> Any:
    kind = array.type
    if pa.types.is_timestamp(kind) and kind.unit == "ns" and kind.tz is None:
        nanos = array.cast(pa.int64())[index].as_py()
        return None if nanos is None else TimestampNs(nanos)
    return _python_values(array.slice(index, 1))[0]


def _out_column(column: Column, array: pa.ChunkedArray) -> list[Any]:
    if column.type == GEOMETRY:
        return [None if value is None else json.loads(value) for value in array.to_pylist()]
    return json_column(array)


def _total(con: duckdb.DuckDBPyConnection, parquet_path: Path, query: RowQuery, known_total: int | None) -> int:
    if not query.filters and known_total is not None:
        return known_total
    where, params = _where(query.filters)
    # No row numbers here: asking DuckDB for file_row_number makes a count scan ~1.6x slower.
    sql = f"SELECT count(*) FROM read_parquet(?){_where_clause(where)}"  # noqa: S608 - identifiers quoted
    key = (str(parquet_path), sql, repr(params))
    # A version file never changes, so a count once made holds for every later page and every later caller.
    with _COUNTS_LOCK:
        if key in _COUNTS:
            _COUNTS.move_to_end(key)
            return _COUNTS[key]
    total = row_counts.count(parquet_path, known_total, query.filters) if known_total is not None else None
    if total is None:
        result = con.execute(sql, [str(parquet_path), *params]).fetchone()
        total = int(result[0]) if result else 0
    with _COUNTS_LOCK:
        _COUNTS[key] = total
        while len(_COUNTS) > MAX_COUNTS:
            _COUNTS.popitem(last=False)
    return total


def filter_sql(query: RowQuery, columns: Sequence[Column]) -> tuple[str, list[Any]]:
    """Only the WHERE clause (with its bound values) of a query, for callers that aggregate rather than page."""
    _checked(columns, query)
    where, params = _where(query.filters)
    return _where_clause(where), params
