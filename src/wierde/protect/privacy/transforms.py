"""The SQL (and the few Python functions DuckDB calls) that turn a column into its resolved form."""

# ruff: noqa: S608  -- SQL is built from quoted identifiers and literals of the version being resolved.
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa

from wierde.errors import InvalidInput
from wierde.protect.privacy.recognizers import ADDRESS, BIRTH_DATE, DWELLING, LABELS, find_all
from wierde.protect.privacy.report import Finding
from wierde.regions.hierarchy import RegionSet
from wierde.regions.keying import key_points
from wierde.sqltext import quote_ident, quote_literal

RD = "EPSG:28992"
GRID = 1000  # metres: a point generalised without a region reference moves to the centre of its 1 km cell
POINT = "__wierde_privacy_point"
YEAR = r"(?:^|[^0-9])((?:19|20)[0-9]{2})(?:[^0-9]|$)"
PC4 = "([1-9][0-9]{3}) ?[A-Za-z]{2}"


@dataclass
class Plan:
    """A SELECT over the base version (`src`), the columns it changes, and functions DuckDB must know for it."""

    replace: dict[str, str] = field(default_factory=dict)  # column → SQL expression (of `src` columns)
    drop: list[str] = field(default_factory=list)
    add: dict[str, str] = field(default_factory=dict)  # new column → expression
    functions: dict[str, Any] = field(default_factory=dict)  # name → Arrow function (VARCHAR → VARCHAR)
    source: str | None = None  # a FROM other than the base file (a keyed temporary table)
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)  # Table Schema fields of changed columns

    def sql(self, base_source: str, columns: list[str]) -> str:
        select = [self.replace.get(c, quote_ident(c)) + f" AS {quote_ident(c)}" for c in columns if c not in self.drop]
        select += [f"{expr} AS {quote_ident(name)}" for name, expr in self.add.items()]
        if not select:
            raise InvalidInput("that would leave no columns at all; drop the dataset instead")
        return f"SELECT {', '.join(select)} FROM {self.source or base_source} AS src"


def redactor(column: str) -> Any:
    """An Arrow function that replaces every recognised value in a text with its kind, e.g. "[telefoonnummer]"."""
    def redact(text: str) -> str:
        for hit in reversed(find_all(text, column)):
            text = f"{text[:hit.start]}[{LABELS.get(hit.kind, hit.kind)}]{text[hit.end:]}"
        return text

    def apply(values: pa.Array) -> pa.Array:
        return pa.array([None if v is None else redact(v) for v in values.to_pylist()], pa.string())
    return apply


def birth_year(column: str, kind: str) -> str:
    c = quote_ident(column)
    if kind.upper() == "DATE" or kind.upper().startswith("TIMESTAMP"):
        return f"CAST(year({c}) AS INTEGER)"
    return f"TRY_CAST(regexp_extract(CAST({c} AS VARCHAR), {quote_literal(YEAR)}, 1) AS INTEGER)"


def postcode_area(column: str) -> str:
    """Any postcode in the value, cut to its four digits (PC4: a few thousand addresses, not one)."""
    return f"nullif(regexp_extract(CAST({quote_ident(column)} AS VARCHAR), {quote_literal(PC4)}, 1), '')"


def _snap(expr: str) -> str:
    return f"floor(({expr}) / {GRID}) * {GRID} + {GRID // 2}"


def _rd_cell(geometry_rd: str) -> str:
    return f"ST_SetCRS(ST_Point({_snap(f'ST_X({geometry_rd})')}, {_snap(f'ST_Y({geometry_rd})')}), '{RD}')"


def geometry_crs(con: duckdb.DuckDBPyConnection, source: str, column: str, declared: str | None) -> tuple[str, bool]:
    """The column's CRS and whether its type carries it; a bare geometry gets its declared or apparent CRS."""
    relation = con.sql(f"SELECT {quote_ident(column)} FROM {source}")
    match = re.fullmatch(r"GEOMETRY\('(.+)'\)", str(relation.types[0]))
    if match:
        return match.group(1), True
    if declared:
        return declared, False
    g = quote_ident(column)
    found = con.execute(f"SELECT max(abs(ST_X(ST_Centroid({g})))) <= 180 FROM {source}").fetchone()
    return ("OGC:CRS84" if found and found[0] else RD), False


def grid_geometry(column: str, crs: str, typed: bool) -> str:
    """The centre of the 1 km RD cell each feature's centroid lies in, in the column's own CRS."""
    g = quote_ident(column)
    typed_g = g if typed else f"ST_SetCRS({g}, {quote_literal(crs)})"
    centroid = f"ST_Centroid({typed_g})"
    if crs == RD:
        return _rd_cell(centroid)
    in_rd = f"ST_Transform({centroid}, '{RD}', always_xy := true)"
    return f"ST_Transform({_rd_cell(in_rd)}, {quote_literal(crs)}, always_xy := true)"


def grid_xy(x: str, y: str, degrees: bool) -> tuple[str, str]:
    """x/y (RD metres, or lon/lat) moved to the centre of their 1 km RD cell."""
    qx, qy = quote_ident(x), quote_ident(y)
    if not degrees:
        return _snap(f"CAST({qx} AS DOUBLE)"), _snap(f"CAST({qy} AS DOUBLE)")
    point = f"ST_Transform(ST_SetCRS(ST_Point({qx}, {qy}), 'EPSG:4326'), '{RD}', always_xy := true)"
    back = f"ST_Transform({_rd_cell(point)}, 'EPSG:4326', always_xy := true)"
    return f"ST_X({back})", f"ST_Y({back})"


def xy_degrees(con: duckdb.DuckDBPyConnection, source: str, x: str) -> bool:
    found = con.execute(f"SELECT max(abs(CAST({quote_ident(x)} AS DOUBLE))) <= 180 FROM {source}").fetchone()
    return bool(found and found[0])


def neighbourhoods(
    con: duckdb.DuckDBPyConnection, points_sql: str, column: str, regions: RegionSet, crs: str | None
) -> str:
    """Key the points to their neighbourhood (bu_code) in a temporary table on `con`; returns its name."""
    keyed = key_points(con, points_sql, column, regions, ("BU",), points_crs=crs)
    return quote_ident(keyed.table)


def generalisable(findings: list[Finding]) -> Finding:
    """The one finding a generalisation acts on: a value kind with a coarser form, or text to redact."""
    for finding in findings:
        if not finding.in_text and finding.kind in (BIRTH_DATE, ADDRESS, DWELLING):
            return finding
    texts = [f for f in findings if f.in_text]
    if texts:
        return texts[0]
    kinds = ", ".join(sorted({f.kind for f in findings}))
    raise InvalidInput(f"{kinds} has no coarser form: drop or pseudonymise the column instead")
