"""SQL text built from names (quoting, CRS transforms) in one place, so quoting is never skipped in any layer."""

from __future__ import annotations


def quote_ident(name: str) -> str:
    """A DuckDB identifier; callers still validate names against the schema, this only makes quoting exact."""
    if "\x00" in name:
        raise ValueError("identifiers cannot contain NUL")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """A SQL string literal, for the few places DuckDB does not take a bound parameter (COPY options)."""
    if "\x00" in text:
        raise ValueError("literals cannot contain NUL")
    return "'" + text.replace("'", "''") + "'"


def to_crs84(expr: str) -> str:
    """`expr` in lon/lat WGS84. A geometry without a CRS is taken as CRS84 already, as GeoParquet says it is."""
    # always_xy: without it PROJ answers EPSG:4326 in lat/lon order (STACK.md §1)
    return f"ST_Transform({expr}, coalesce(ST_CRS({expr}), 'OGC:CRS84'), 'EPSG:4326', always_xy := true)"


def geojson_crs84(expr: str) -> str:
    return f"ST_AsGeoJSON({to_crs84(expr)})"


def wkt_crs84(expr: str) -> str:
    return f"ST_AsText({to_crs84(expr)})"


# ISO 8601 text exactly as Python's isoformat() writes it (fraction only when there is one), so a value reads
# the same in the row API (converted in Python) and in downloads (converted by DuckDB). Zoned times go as UTC 'Z'.
_ISO = "'%Y-%m-%dT%H:%M:%S.%f'"
_NO_FRACTION = r"'\.000000$'"


def iso_timestamp(expr: str) -> str:
    return f"regexp_replace(strftime(CAST({expr} AS TIMESTAMP), {_ISO}), {_NO_FRACTION}, '')"


def iso_timestamptz(expr: str) -> str:
    return f"(regexp_replace(strftime(timezone('UTC', {expr}), {_ISO}), {_NO_FRACTION}, '') || 'Z')"


def iso_time(expr: str) -> str:
    return f"regexp_replace(strftime(DATE '2000-01-01' + {expr}, '%H:%M:%S.%f'), {_NO_FRACTION}, '')"
