"""Per-format SELECT lists over an export query, so each writer receives values its format can hold."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from wierde.sqltext import (
    geojson_crs84,
    iso_time,
    iso_timestamp,
    iso_timestamptz,
    quote_ident,
    wkt_crs84,
)

_NESTED = re.compile(r"^(STRUCT|MAP|UNION)\(|\[\d*\]$")
_GEOMETRY = re.compile(r"^GEOMETRY(?:\('(?P<crs>(?:[^']|'')*)'\))?$")
# What GDAL's GeoPackage writer in DuckDB 1.5.5 stores faithfully (checked by hand: TIME came back NULL,
# HUGEINT, INTERVAL and DECIMAL wider than 18 digits were refused, STRUCT was flattened, DECIMAL drifted).
_GPKG_AS_IS = frozenset({
    "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "FLOAT", "DOUBLE",
    "VARCHAR", "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "BLOB", "UUID", "JSON",
})


@dataclass(frozen=True)
class OutColumn:
    name: str
    sql_type: str  # as DuckDB's DESCRIBE spells it
    is_geometry: bool

    @property
    def crs(self) -> str | None:
        """The CRS a GEOMETRY('...') type carries, e.g. 'EPSG:28992'."""
        match = _GEOMETRY.match(self.sql_type)
        crs = match.group("crs") if match else None
        return crs.replace("''", "'") if crs else None

    @property
    def is_text(self) -> bool:
        """Free text a spreadsheet might take for a formula (not numbers, dates or values we rendered as text)."""
        return self.sql_type == "VARCHAR" or self.sql_type.startswith("ENUM(")


def describe(
    con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any], geometry_columns: Sequence[str]
) -> list[OutColumn]:
    """The result columns of `sql` without running it; GEOMETRY-typed columns count as geometry too."""
    described = con.execute(f"DESCRIBE {sql}", list(params)).fetchall()
    wanted = set(geometry_columns)
    return [
        OutColumn(name, sql_type, name in wanted or sql_type.startswith("GEOMETRY"))
        for name, sql_type, *_ in described
    ]


def main_geometry(columns: Sequence[OutColumn], geometry_columns: Sequence[str]) -> OutColumn | None:
    """The geometry a feature is drawn with: the first named by the caller that is present, else the first found."""
    by_name = {c.name: c for c in columns if c.is_geometry}
    for name in geometry_columns:
        if name in by_name:
            return by_name[name]
    return next(iter(by_name.values()), None)


def wrap(sql: str, expressions: Sequence[str]) -> str:
    return f"SELECT {', '.join(expressions)} FROM ({sql}) AS export_rows"  # noqa: S608 - built from quoted names


def json_object_select(columns: Sequence[OutColumn]) -> list[str]:
    """One column of JSON text per row, rendered by DuckDB (far faster than Python for millions of rows)."""
    return [f"CAST(to_json({_struct(columns)}) AS VARCHAR)"]


def feature_select(columns: Sequence[OutColumn], main: OutColumn | None) -> list[str]:
    """One GeoJSON Feature per row as JSON text: `main` is drawn, the other columns are its properties."""
    geometry = _json_expr(main) if main is not None else "CAST(NULL AS JSON)"
    others = [c for c in columns if c is not main]
    properties = _struct(others) if others else "CAST('{}' AS JSON)"
    feature = f"struct_pack(type := 'Feature', geometry := {geometry}, properties := {properties})"
    return [f"CAST(to_json({feature}) AS VARCHAR)"]


def _struct(columns: Sequence[OutColumn]) -> str:
    return "struct_pack(" + ", ".join(f"{quote_ident(c.name)} := {_json_expr(c)}" for c in columns) + ")"


def _json_expr(column: OutColumn) -> str:
    """The column as a value to_json writes the way row_values.json_value does for the row API."""
    col = quote_ident(column.name)
    if column.is_geometry:
        return geojson_crs84(col)
    if column.sql_type in ("FLOAT", "DOUBLE"):
        return f"CASE WHEN isnan({col}) OR isinf({col}) THEN NULL ELSE {col} END"  # JSON has no NaN
    if column.sql_type == "BLOB":
        return f"base64({col})"
    return _iso_expr(column) or col


def _iso_expr(column: OutColumn) -> str | None:
    col = quote_ident(column.name)
    if column.sql_type == "TIMESTAMP WITH TIME ZONE":
        return iso_timestamptz(col)
    if column.sql_type.startswith("TIMESTAMP"):
        return iso_timestamp(col)
    if column.sql_type == "TIME":
        return iso_time(col)
    return None


def text_select(columns: Sequence[OutColumn]) -> list[str]:
    """For CSV: every value as text or a plain number; geometry as WKT in CRS84."""
    return [_text_expr(c) for c in columns]


def sheet_select(columns: Sequence[OutColumn]) -> list[str]:
    """For XLSX: numbers, dates and booleans stay typed so Excel can compute with them; the rest becomes text."""
    return [_sheet_expr(c) for c in columns]


def gpkg_select(columns: Sequence[OutColumn], main: OutColumn | None) -> list[str]:
    """For GeoPackage: one geometry column as stored (one per layer), values GDAL cannot hold made text."""
    return [quote_ident(c.name) if c is main else _gpkg_expr(c) for c in columns]


def _as(expr: str, column: OutColumn) -> str:
    return f"{expr} AS {quote_ident(column.name)}"


def _nested_or_odd(column: OutColumn) -> str | None:
    col = quote_ident(column.name)
    if column.is_geometry:
        return _as(wkt_crs84(col), column)
    if _NESTED.search(column.sql_type):
        return _as(f"CAST(to_json({col}) AS VARCHAR)", column)
    if column.sql_type == "BLOB":
        return _as(f"base64({col})", column)
    return None


def _text_expr(column: OutColumn) -> str:
    special = _nested_or_odd(column)
    if special:
        return special
    iso = _iso_expr(column)
    if iso:
        return _as(iso, column)  # the same ISO 8601 text as in JSON
    if column.sql_type in ("INTERVAL", "UUID", "TIME WITH TIME ZONE", "JSON", "BIT"):
        return _as(f"CAST({quote_ident(column.name)} AS VARCHAR)", column)
    return quote_ident(column.name)


def _sheet_expr(column: OutColumn) -> str:
    special = _nested_or_odd(column)
    if special:
        return special
    col = quote_ident(column.name)
    if column.sql_type in ("INTERVAL", "UUID", "JSON", "BIT", "TIME WITH TIME ZONE"):
        return _as(f"CAST({col} AS VARCHAR)", column)
    if column.sql_type in ("TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"):
        return _as(f"CAST({col} AS TIMESTAMP)", column)  # Python's datetime (and Excel) stop at microseconds
    return col


def _gpkg_expr(column: OutColumn) -> str:
    col = quote_ident(column.name)
    if column.sql_type in _GPKG_AS_IS or column.sql_type.startswith("ENUM("):
        return col
    if column.sql_type in ("TIMESTAMP_NS", "TIMESTAMP_MS", "TIMESTAMP_S"):
        return _as(f"CAST({col} AS TIMESTAMP)", column)
    if column.sql_type.startswith("DECIMAL"):
        # GDAL's own decimal conversion gave -2.3000000000000003 for DECIMAL -2.3; DuckDB's cast rounds correctly
        return _as(f"CAST({col} AS DOUBLE)", column)
    special = _nested_or_odd(column)
    if special:
        return special
    return _as(f"CAST({col} AS VARCHAR)", column)
