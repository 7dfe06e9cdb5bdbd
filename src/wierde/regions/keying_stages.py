"""The keyed table's SQL, built stage by stage: base rows, keying by place, each source's codes, the row's choice."""

# ruff: noqa: S608  -- the SQL is assembled from quoted identifiers and literals only.
from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from wierde.errors import InvalidInput
from wierde.regions import postcodes as pc
from wierde.regions.codes import LEVELS, Level
from wierde.regions.keying import key_points, key_shapes
from wierde.regions.keying_columns import (
    CODE_COLUMNS,
    DEPTH,
    NUMERIC,
    OUTPUT_COLUMNS,
    PERIOD_COLUMN,
    REGION_CODE_RE,
    SHARE_COLUMNS,
    code_sql,
)
from wierde.regions.keying_periods import Period
from wierde.regions.keying_reference import Reference, resolve_municipality
from wierde.regions.keying_sources import MAX_SOURCES, Source
from wierde.sqltext import quote_ident, quote_literal

_names = itertools.count(1)
ROW = "__wierde_n"
POINT = "__wierde_point"


def _derive(level: Level, code: str, provinces: Mapping[str, str]) -> str:
    """SQL for the `level` code of a valid code at any level (NULL where it is coarser than `level`)."""
    prefix = f"left({code}, 2)"
    if level == "BU":
        return f"CASE WHEN {prefix} = 'BU' THEN {code} END"
    if level == "WK":
        return f"CASE {prefix} WHEN 'BU' THEN 'WK' || substr({code}, 3, 6) WHEN 'WK' THEN {code} END"
    gm = f"CASE WHEN {prefix} IN ('BU', 'WK') THEN 'GM' || substr({code}, 3, 4) WHEN {prefix} = 'GM' THEN {code} END"
    if level == "GM":
        return gm
    by_province: dict[str, list[str]] = {}
    for municipality, province in sorted(provinces.items()):
        by_province.setdefault(province, []).append(quote_literal(municipality))
    lookups = " ".join(f"WHEN ({gm}) IN ({', '.join(codes)}) THEN {quote_literal(pv)}"
                       for pv, codes in by_province.items())
    return f"CASE WHEN {prefix} = 'PV' THEN {code} {lookups} END"


@dataclass
class Build:
    """The SQL as it grows stage by stage, with what each stage leaves for the next."""

    con: duckdb.DuckDBPyConnection
    staged: Path
    columns: list[str]
    kinds: dict[str, str]
    reference: Reference
    notes: list[str]
    renamed: dict[str, str] = field(default_factory=dict)  # a standard column the data has → its name meanwhile
    temporary: list[str] = field(default_factory=list)  # tables to drop
    registered: list[str] = field(default_factory=list)  # Arrow tables to unregister
    sql: str = ""

    def ref(self, column: str) -> str:
        return quote_ident(self.renamed.get(column, column))

    def text(self, column: str) -> str:
        """A column as text; a whole number as its digits (14.0 → '14'), as codes and postcodes need."""
        if self.kinds.get(column) in NUMERIC:
            return f"CAST(TRY_CAST({self.ref(column)} AS BIGINT) AS VARCHAR)"
        return f"CAST({self.ref(column)} AS VARCHAR)"

    def table(self, prefix: str) -> str:
        name = f"__wierde_{prefix}_{next(_names)}"
        self.temporary.append(name)
        return name

    def close(self) -> None:
        for name in self.registered:
            self.con.unregister(name)
        for name in self.temporary:
            self.con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")


def shape_levels(build: Build) -> tuple[Level, ...]:
    """The levels key_shapes measured shares for: every level of the reference."""
    return build.reference.regions.levels() if build.reference.regions is not None else ()


def select_base(build: Build, sources: Sequence[Source], *, numbered: bool) -> None:
    """The staged rows (numbered if asked), standard columns the data has already moved aside, coordinates made
    points."""
    build.renamed = {c: f"__wierde_keep_{c}" for c in build.columns if c in OUTPUT_COLUMNS}
    outputs = [f"{quote_ident(c)} AS {build.ref(c)}" if c in build.renamed else quote_ident(c) for c in build.columns]
    if numbered:
        outputs.append(f"row_number() OVER () AS {ROW}")
    if sources and sources[0].kind == "coordinates":
        x, y = (f"TRY_CAST({build.ref(c)} AS DOUBLE)" for c in sources[0].columns)
        outputs.append(f"CASE WHEN {x} IS NOT NULL AND {y} IS NOT NULL THEN ST_SetCRS(ST_Point({x}, {y}), "
                       f"{quote_literal(sources[0].detail)}) END AS {POINT}")
    build.sql = f"SELECT {', '.join(outputs)} FROM read_parquet({quote_literal(str(build.staged))})"


def key_by_place(build: Build, source: Source) -> bool:
    """Key the rows by place (keying.py's vectorised path); False, with a note, when the geometry cannot be."""
    regions = build.reference.regions
    assert regions is not None  # find_sources keeps a spatial source only with regions
    column = POINT if source.kind == "coordinates" else source.columns[0]
    table = build.table("spatial")
    try:
        if source.detail == "shapes":
            keyed = key_shapes(build.con, build.sql, column, regions, regions.levels(), table=table)
        else:
            keyed = key_points(build.con, build.sql, column, regions, [source.finest], table=table)
    except InvalidInput as exc:
        build.notes.append(f"{source.label} not keyed by place: {exc}")
        return False
    made = [n for n in keyed.relation.columns if n not in build.con.sql(build.sql).columns]
    moved = ", ".join(f"{quote_ident(n)} AS {quote_ident('__geo_' + n)}" for n in made)
    build.sql = f"SELECT * EXCLUDE ({', '.join(quote_ident(n) for n in made)}), {moved} FROM {quote_ident(table)}"
    return True


def _names_table(build: Build, source: Source, key: str) -> str:
    """An Arrow table (name, year, code) resolving each distinct name as of its row's year."""
    pairs = build.con.sql(f"SELECT DISTINCT {key}, __wierde_year FROM ({build.sql}) WHERE {key} IS NOT NULL").fetchall()
    resolved = {(name, y): resolve_municipality(name, y, build.reference) for name, y in pairs}
    unknown = sorted({name for (name, _), found in resolved.items() if found is None})
    merged = sorted({name for (name, _), found in resolved.items() if found and found[1]})
    if unknown:
        build.notes.append(f"{len(unknown)} names in {source.columns[0]!r} resolve to no single municipality: "
                           + ", ".join(repr(n) for n in unknown[:10]) + (" …" if len(unknown) > 10 else ""))
    if merged:
        build.notes.append(f"names of former municipalities in {source.columns[0]!r} took their successor's code "
                           f"where the row's period is after the merger: {', '.join(repr(n) for n in merged[:10])}")
    name = f"__wierde_names_{next(_names)}"
    build.con.register(name, pa.table({
        "name": pa.array([n for n, _ in resolved], pa.string()),
        "year": pa.array([y for _, y in resolved], pa.int32()),
        "code": pa.array([f[0] if f else None for f in resolved.values()], pa.string()),
    }))
    build.registered.append(name)
    return name


def _own_code(build: Build, source: Source) -> str:
    """SQL for the valid region code in a row of a code, point or coordinates source ('' for shapes)."""
    if source.kind in ("geometry", "coordinates"):
        return "" if source.detail == "shapes" else quote_ident("__geo_" + CODE_COLUMNS[source.finest])
    if source.detail:  # municipality numbers
        digits = f"trim({build.text(source.columns[0])})"
        return f"CASE WHEN regexp_full_match({digits}, '[0-9]{{1,4}}') THEN 'GM' || lpad({digits}, 4, '0') END"
    code = code_sql(build.ref(source.columns[0]))
    return f"CASE WHEN regexp_full_match({code}, '{REGION_CODE_RE}') THEN {code} END"


def finest_codes(build: Build, sources: Sequence[Source], period: Period | None) -> list[bool]:
    """Per source a column __c<i> with the finest code of each row; False for shapes (keyed per level)."""
    own: list[str] = []
    looked_up: list[str] = []
    joins: list[str] = []
    for i, source in enumerate(sources):
        if source.kind == "postcode":
            table = build.reference.postcodes
            assert table is not None  # find_sources keeps a postcode source only with a table
            own.append(f"{pc.normalize_sql(build.text(source.columns[0]))} AS __k{i}")
            joins.append(f"LEFT JOIN ({table.pc6_sql()}) AS __pc6 ON __pc6.postcode = b.__k{i} "
                         f"LEFT JOIN ({table.pc4_sql()}) AS __pc4 ON __pc4.postcode = left(b.__k{i}, 4)")
            looked_up += [f"coalesce(__pc6.code, __pc4.code) AS __c{i}", "__pc6.code IS NOT NULL AS __pc6_hit"]
        elif source.kind == "name":
            own.append(f"{build.text(source.columns[0])} AS __k{i}")
            looked_up.append(f"__nm{i}.code AS __c{i}")
        elif expr := _own_code(build, source):
            own.append(f"{expr} AS __c{i}")
    year = f"TRY_CAST(left({period.sql}, 4) AS INTEGER)" if period else "CAST(NULL AS INTEGER)"
    build.sql = f"SELECT *, {', '.join([*own, f'{year} AS __wierde_year'])} FROM ({build.sql})"
    for i, source in enumerate(sources):
        if source.kind == "name":  # registered only now: the distinct names are read from the query so far
            names = _names_table(build, source, f"__k{i}")
            joins.append(f"LEFT JOIN {quote_ident(names)} AS __nm{i} ON __nm{i}.name = b.__k{i} "
                         f"AND __nm{i}.year IS NOT DISTINCT FROM b.__wierde_year")
    if joins:
        build.sql = f"SELECT b.*, {', '.join(looked_up)} FROM ({build.sql}) AS b {' '.join(joins)}"
    return [not (s.kind == "geometry" and s.detail == "shapes") for s in sources]


def choose_codes(build: Build, sources: Sequence[Source], finest: Sequence[bool], reach: Sequence[Level]) -> None:
    """Per source and level its code; per row the source reaching deepest (ties: the earlier); its codes; clashes."""
    provinces = build.reference.provinces
    per_source: list[dict[Level, str]] = []
    for i, source in enumerate(sources):
        if finest[i]:
            per_source.append({lv: _derive(lv, f"__c{i}", provinces) for lv in source.levels})
        else:  # shapes: each level its own region of largest overlap
            keyed = {lv: f"__geo_{CODE_COLUMNS[lv]}" for lv in shape_levels(build)}
            if "PV" not in keyed and "GM" in keyed:
                keyed = {"PV": _derive("PV", keyed["GM"], provinces), **keyed}
            per_source.append(keyed)
    level_sql = ", ".join(f"{expr} AS __s{i}_{lv}" for i, exprs in enumerate(per_source) for lv, expr in exprs.items())
    build.sql = f"SELECT *, {level_sql} FROM ({build.sql})"
    scores = []
    for i, exprs in enumerate(per_source):
        depth = " ".join(f"WHEN __s{i}_{lv} IS NOT NULL THEN {DEPTH[lv]}" for lv in reversed(LEVELS) if lv in exprs)
        scores.append(f"(CASE {depth} ELSE 0 END) * 16 + {MAX_SOURCES - i}")
    best = f"greatest({', '.join(scores)})" if len(scores) > 1 else scores[0]
    build.sql = (f"SELECT *, CASE WHEN {best} >= 16 THEN {MAX_SOURCES} - ({best}) % 16 END AS __pick "
                 f"FROM ({build.sql})")
    chosen = []
    for lv in reach:
        cases = " ".join(f"WHEN {i} THEN __s{i}_{lv}" for i, exprs in enumerate(per_source) if lv in exprs)
        chosen.append(f"CASE __pick {cases} END AS __out_{lv}")
    build.sql = f"SELECT *, {', '.join(chosen)} FROM ({build.sql})"
    clashes = [f"(__s{i}_{lv} IS NOT NULL AND __s{i}_{lv} <> __out_{lv})"
               for i, exprs in enumerate(per_source) for lv in exprs] if len(per_source) > 1 else ["false"]
    build.sql = f"SELECT *, coalesce({' OR '.join(clashes)}, false) AS __conflict FROM ({build.sql})"


def reach_of(sources: Sequence[Source]) -> list[Level]:
    """The levels at least one source can key to, coarsest first."""
    return [lv for lv in LEVELS if any(lv in s.levels for s in sources)]


def select_outputs(build: Build, sources: Sequence[Source], reach: Sequence[Level], period: Period | None,
                   ) -> tuple[list[str], list[str]]:
    """The select list of the keyed file (the data's columns, then the added ones), and the added names."""
    outputs = [f"{build.ref(c)} AS {quote_ident(c)}" if c in build.renamed else quote_ident(c) for c in build.columns]
    added = []
    for lv in reach:
        if CODE_COLUMNS[lv] not in build.columns:
            outputs.append(f"__out_{lv} AS {CODE_COLUMNS[lv]}")
            added.append(CODE_COLUMNS[lv])
    shapes = next((i for i, s in enumerate(sources) if s.detail == "shapes"), None)
    if shapes is not None:
        for lv in shape_levels(build):
            if SHARE_COLUMNS[lv] not in build.columns:
                outputs.append(f"CASE WHEN __pick = {shapes} THEN __geo_{SHARE_COLUMNS[lv]} END AS {SHARE_COLUMNS[lv]}")
                added.append(SHARE_COLUMNS[lv])
    if period is not None:
        outputs.append(f"{period.sql} AS {PERIOD_COLUMN}")
        added.append(PERIOD_COLUMN)
    return outputs, added
