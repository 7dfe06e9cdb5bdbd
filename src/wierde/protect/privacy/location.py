"""Locations that pinpoint a home: many precise points, each with a record or two about a person."""

# ruff: noqa: S608  -- SQL is built from quoted identifiers of the scanned table only.
from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from wierde.protect.privacy.recognizers import BULLET, DWELLING
from wierde.protect.privacy.report import Finding
from wierde.sqltext import quote_ident

MIN_POINTS = 20  # fewer distinct points than this are no register of homes
MAX_ROWS_PER_POINT = 3.0  # a point shared by more rows is a building, a station or a neighbourhood centroid
MIN_PRECISE_SHARE = 0.5  # half the points finer than ~100 m: address precision, not a grid
# Coordinate column pairs, lower-case; checked against the Dutch extent before they count.
XY_PAIRS = (
    ("x", "y"), ("x_coord", "y_coord"), ("xcoord", "ycoord"), ("x_rd", "y_rd"), ("rd_x", "rd_y"),
    ("coord_x", "coord_y"), ("x_coordinaat", "y_coordinaat"), ("xcoordinaat", "ycoordinaat"),
    ("lon", "lat"), ("lng", "lat"), ("longitude", "latitude"), ("lengtegraad", "breedtegraad"),
)
RD_EXTENT = (0.0, 289_000.0, 300_000.0, 629_000.0)  # EPSG:28992, metres
LONLAT_EXTENT = (3.0, 50.5, 7.5, 53.8)  # the Netherlands in degrees
NUMERIC = re.compile(r"^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|FLOAT|DOUBLE|DECIMAL.*|REAL)$")


@dataclass(frozen=True)
class PointStats:
    rows: int  # rows with a location
    points: int
    distinct: int
    precise: int
    degrees: bool
    examples: tuple[tuple[float, float], ...]

    def pinpoints_homes(self) -> bool:
        if self.points < 0.9 * self.rows or self.distinct < MIN_POINTS:
            return False
        return self.points / self.distinct <= MAX_ROWS_PER_POINT and self.precise >= MIN_PRECISE_SHARE * self.points


def _stats(con: duckdb.DuckDBPyConnection, xy_sql: str, rows: int, degrees: bool) -> PointStats:
    """Counts over `xy_sql` (columns x, y of the point rows only)."""
    grid = "round(x, 3) <> x OR round(y, 3) <> y" if degrees else "round(x, -2) <> x OR round(y, -2) <> y"
    found = con.execute(
        f"SELECT count(*), count(DISTINCT (x, y)), coalesce(count_if({grid}), 0) FROM ({xy_sql})"
    ).fetchone()
    examples = con.execute(f"SELECT x, y FROM ({xy_sql}) LIMIT 3").fetchall()
    points, distinct, precise = found if found else (0, 0, 0)
    return PointStats(rows, int(points or 0), int(distinct or 0), int(precise or 0), degrees, tuple(examples))


def _mask(x: float, y: float, degrees: bool) -> str:
    """Only the leading digits: enough to see the area (tens of km), never the address."""
    def hide(value: float) -> str:
        text = f"{value:.5f}" if degrees else f"{value:.0f}"
        return text[:3] + re.sub(r"\d", BULLET, text[3:])
    return f"{hide(x)}, {hide(y)}"


def _finding(column: str, partner: tuple[str, ...], stats: PointStats) -> Finding:
    return Finding(
        column=column, kind=DWELLING, count=stats.points, share=round(stats.points / max(stats.rows, 1), 4),
        examples=tuple(_mask(x, y, stats.degrees) for x, y in stats.examples), confidence=0.8,
        with_columns=partner,
    )


def _geometry_crs(kind: str, declared: str | None) -> str | None:
    match = re.fullmatch(r"GEOMETRY\('(.+)'\)", kind)
    return match.group(1) if match else declared


def geometry_findings(
    con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str], declared_crs: dict[str, str | None]
) -> list[Finding]:
    findings = []
    for column, kind in types.items():
        if not kind.upper().startswith("GEOMETRY"):
            continue
        g = quote_ident(column)
        base = f"FROM {quote_ident(table)} WHERE {g} IS NOT NULL"
        rows_found = con.execute(f"SELECT count(*) {base}").fetchone()
        rows = int(rows_found[0]) if rows_found else 0
        if rows == 0:
            continue
        xy = f"SELECT ST_X({g}) AS x, ST_Y({g}) AS y {base} AND ST_GeometryType({g}) = 'POINT' AND NOT ST_IsEmpty({g})"
        crs = _geometry_crs(kind, declared_crs.get(column))
        degrees = crs in ("EPSG:4326", "OGC:CRS84", "CRS84") if crs else _looks_like_degrees(con, xy)
        stats = _stats(con, xy, rows, degrees)
        if stats.pinpoints_homes():
            findings.append(_finding(column, (), stats))
    return findings


def _looks_like_degrees(con: duckdb.DuckDBPyConnection, xy_sql: str) -> bool:
    found = con.execute(f"SELECT max(abs(x)) <= 180 AND max(abs(y)) <= 90 FROM ({xy_sql})").fetchone()
    return bool(found and found[0])


def _pairs(types: dict[str, str]) -> list[tuple[str, str]]:
    by_lower = {name.lower(): name for name, kind in types.items() if NUMERIC.match(kind.upper())}
    return [(by_lower[a], by_lower[b]) for a, b in XY_PAIRS if a in by_lower and b in by_lower]


def xy_findings(con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str]) -> list[Finding]:
    """x/y (or lon/lat) column pairs inside the Netherlands, judged like point geometries."""
    findings = []
    for x_name, y_name in _pairs(types):
        x, y = quote_ident(x_name), quote_ident(y_name)
        xy = (f"SELECT CAST({x} AS DOUBLE) AS x, CAST({y} AS DOUBLE) AS y FROM {quote_ident(table)} "
              f"WHERE {x} IS NOT NULL AND {y} IS NOT NULL")
        for degrees, (x0, y0, x1, y1) in ((False, RD_EXTENT), (True, LONLAT_EXTENT)):
            inside = f"{xy} AND {x} BETWEEN {x0} AND {x1} AND {y} BETWEEN {y0} AND {y1}"
            counted = con.execute(f"SELECT (SELECT count(*) FROM ({xy})), count(*) FROM ({inside})").fetchone()
            rows, within = counted if counted else (0, 0)
            if rows and within >= 0.9 * rows:
                stats = _stats(con, inside, int(rows), degrees)
                if stats.pinpoints_homes():
                    findings.append(_finding(x_name, (y_name,), stats))
                break
    return findings
