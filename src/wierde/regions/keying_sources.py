"""Every way a dataset's rows could be keyed to regions, found from its columns, in order of preference."""

# ruff: noqa: S608  -- the SQL is assembled from quoted identifiers and literals only.
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import duckdb

from wierde.regions.codes import LEVELS, Level
from wierde.regions.keying_columns import (
    CODE_COLUMNS,
    DEPTH,
    FLOW_NAMES,
    GM_NUMBER_NAMES,
    IDENTITY_NAMES,
    LAT_NAMES,
    LON_NAMES,
    MUNICIPALITY_NAMES,
    NUMERIC,
    POSTCODE_NAMES,
    RD_X_NAMES,
    RD_Y_NAMES,
    REGION_CODE_RE,
    REGION_HINT_NAMES,
    code_sql,
    plain_name,
)
from wierde.regions.keying_profiles import SAMPLE_ROWS, Profile, mostly
from wierde.regions.keying_reference import Reference, resolve_municipality
from wierde.sqltext import quote_ident, quote_literal

MAX_SOURCES = 15  # the row-wise choice packs a source's number into 4 bits

Kind = Literal["geometry", "coordinates", "code", "postcode", "name"]


@dataclass(frozen=True)
class Source:
    """One way the rows can be keyed: its kind, the columns it reads, and the finest level it can reach."""

    kind: Kind
    columns: tuple[str, ...]
    finest: Level
    detail: str = ""  # "points"/"shapes", the coordinates' CRS, "municipality numbers", ...

    @property
    def label(self) -> str:
        return f"{self.kind}: {', '.join(self.columns)}" + (f" ({self.detail})" if self.detail else "")

    @property
    def levels(self) -> tuple[Level, ...]:
        return LEVELS[: DEPTH[self.finest]]


def code_sources(profiles: Mapping[str, Profile]) -> list[Source]:
    """Columns of CBS region codes (any mix of levels), and municipality numbers in a column named for them."""
    found = []
    for name, p in profiles.items():
        plain = plain_name(name)
        if FLOW_NAMES.fullmatch(plain):
            continue
        if p.kind == "varchar" and mostly(p, p.region, bool(REGION_HINT_NAMES.fullmatch(plain))):
            found.append(Source("code", (name,), LEVELS[p.finest - 1]))
        elif GM_NUMBER_NAMES.fullmatch(plain) and p.share(p.bare) >= 0.9:
            found.append(Source("code", (name,), "GM", "municipality numbers"))
    # The standard columns first: among codes of one level the first source wins.
    return sorted(found, key=lambda s: s.columns[0] not in CODE_COLUMNS.values())


def coordinate_source(profiles: Mapping[str, Profile]) -> Source | None:
    """lat/lon (EPSG:4326) or else RD x/y (EPSG:28992) number columns, by name and by where their values lie."""
    def pick(pattern: re.Pattern[str], within: str) -> str | None:
        return next((n for n, p in profiles.items() if p.kind in NUMERIC and pattern.fullmatch(plain_name(n))
                     and p.share(p.ranges.get(within, 0)) >= 0.9), None)

    lat, lon = pick(LAT_NAMES, "lat"), pick(LON_NAMES, "lon")
    if lat and lon:
        return Source("coordinates", (lon, lat), LEVELS[-1], "EPSG:4326")
    x, y = pick(RD_X_NAMES, "x"), pick(RD_Y_NAMES, "y")
    if x and y:
        return Source("coordinates", (x, y), LEVELS[-1], "EPSG:28992")
    return None


def postcode_source(profiles: Mapping[str, Profile]) -> Source | None:
    for name, p in profiles.items():
        plain = plain_name(name)
        if FLOW_NAMES.fullmatch(plain):
            continue
        hinted = bool(POSTCODE_NAMES.fullmatch(plain))
        if p.kind == "varchar" and (mostly(p, p.pc6 + p.pc4, hinted) if hinted else mostly(p, p.pc6, False)):
            return Source("postcode", (name,), "BU")
        if hinted and p.kind in NUMERIC and p.share(p.bare) >= 0.9:
            return Source("postcode", (name,), "BU", "PC4 numbers")
    return None


def name_source(con: duckdb.DuckDBPyConnection, table_sql: str, profiles: Mapping[str, Profile],
                reference: Reference) -> Source | None:
    """A municipality name column: named like one, and at least half its distinct values resolve."""
    for name, p in profiles.items():
        if p.kind != "varchar" or not MUNICIPALITY_NAMES.fullmatch(plain_name(name)):
            continue
        values = [v for (v,) in con.sql(f"SELECT DISTINCT {quote_ident(name)} FROM (SELECT * FROM ({table_sql}) "
                                        f"LIMIT {SAMPLE_ROWS}) WHERE {quote_ident(name)} IS NOT NULL LIMIT 200")
                  .fetchall()]
        known = sum(resolve_municipality(v, None, reference) is not None for v in values)
        if values and known / len(values) >= 0.5:
            return Source("name", (name,), "GM")
    return None


def geometry_source(con: duckdb.DuckDBPyConnection, table_sql: str) -> Source | None:
    """The first geometry column: points, or shapes (lines, polygons) when any feature is not a point."""
    relation = con.sql(table_sql)
    column = next((n for n, t in zip(relation.columns, relation.types, strict=True) if t.id == "geometry"), None)
    if column is None:
        return None
    shapes = con.sql(f"SELECT count(*) FROM ({table_sql}) WHERE {quote_ident(column)} IS NOT NULL AND "
                     f"ST_GeometryType({quote_ident(column)}) <> 'POINT'").fetchone()
    return Source("geometry", (column,), LEVELS[-1], "shapes" if shapes and shapes[0] else "points")


def _identifies_features(con: duckdb.DuckDBPyConnection, table_sql: str, source: Source) -> bool:
    """A column named as a region's own code, with a different valid code on every feature: the features are
    regions themselves (gemeenten, wijken, buurten), and keying them by their shapes would put a district in one
    of its own neighbourhoods."""
    if plain_name(source.columns[0]) not in IDENTITY_NAMES:
        return False
    code = code_sql(quote_ident(source.columns[0]))
    row = con.sql(f"SELECT count(*), count(DISTINCT {code}) FILTER (WHERE regexp_full_match({code}, "
                  f"'{REGION_CODE_RE}')) FROM ({table_sql})").fetchone()
    return bool(row and row[0] and row[0] == row[1])


def spatial_source(con: duckdb.DuckDBPyConnection, table_sql: str, profiles: Mapping[str, Profile],
                   codes: Sequence[Source], reference: Reference, notes: list[str]) -> Source | None:
    """Geometry, else coordinates, reaching the finest level the region reference has."""
    geometry = geometry_source(con, table_sql)
    if geometry is not None and geometry.detail == "shapes":
        own = next((s for s in codes if _identifies_features(con, table_sql, s)), None)
        if own is not None:
            notes.append(f"the features are regions themselves (each has its own code in {own.columns[0]!r}), so "
                         "they are keyed by that code, not by their geometry")
            geometry = None
    found = geometry or coordinate_source(profiles)
    if found is None:
        return None
    regions = reference.regions
    if regions is None or regions.crs is None:
        why = reference.regions_note or "the region reference has no geometry"
        notes.append(f"{found.kind} ({', '.join(found.columns)}) not keyed by place: {why}")
        return None
    return replace(found, finest=regions.levels()[-1])


def _finest_in_full(con: duckdb.DuckDBPyConnection, table_sql: str, codes: list[Source]) -> list[Source]:
    """Code sources with the finest level over all rows, not just the sample (tried on distinct values only)."""
    depth = " ".join(f"WHEN {quote_literal(lv)} THEN {d}" for lv, d in DEPTH.items())
    found = []
    for source in codes:
        if not source.detail:  # not municipality numbers
            code = code_sql(quote_ident(source.columns[0]))
            row = con.sql(f"SELECT max(CASE left(v, 2) {depth} END) FROM (SELECT DISTINCT {code} AS v FROM "
                          f"({table_sql})) WHERE regexp_full_match(v, '{REGION_CODE_RE}')").fetchone()
            if row and row[0]:
                source = replace(source, finest=LEVELS[int(row[0]) - 1])
        found.append(source)
    return found


def find_sources(con: duckdb.DuckDBPyConnection, table_sql: str, profiles: Mapping[str, Profile],
                 reference: Reference, notes: list[str]) -> list[Source]:
    """Everything the rows could be keyed on, in order of preference."""
    codes = _finest_in_full(con, table_sql, code_sources(profiles))
    spatial = spatial_source(con, table_sql, profiles, codes, reference, notes)
    postcode = postcode_source(profiles)
    if postcode is not None and reference.postcodes is None:
        notes.append(f"postcode column {postcode.columns[0]!r} not keyed: {reference.postcodes_note}")
        postcode = None
    name = name_source(con, table_sql, profiles, reference)
    found = [s for s in (spatial, *codes, postcode, name) if s is not None]
    flows = [n for n, p in profiles.items() if FLOW_NAMES.fullmatch(plain_name(n)) and (p.region or p.pc6)]
    if flows:
        notes.append(f"{', '.join(repr(f) for f in flows)} name the ends of a flow (from, to), not the place of a "
                     "row, so they are not keyed")
    return found[:MAX_SOURCES]
