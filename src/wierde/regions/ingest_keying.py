"""Every ingested dataset keyed to CBS regions and a period, so two datasets combine with a join on codes and period.

What a dataset can be keyed on is read from its columns, in this order of preference: a geometry column; lat/lon or
RD x/y coordinates; region code columns; a postcode column; a municipality name column. Each row takes the source
that reaches the finest level for it (a tie goes to the earlier one), and its coarser codes follow from that one
code (BU → WK → GM by the digits, GM → PV from the region reference), so a row's codes never contradict each other.
Lines and polygons are the exception: each level gets the region holding most of the feature, with
`<level>_share`. The standard columns are keying.py's `pv_code`, `gm_code`, `wk_code`, `bu_code` and `period`; a
dataset that has one already keeps it as it is. Rows that cannot be keyed keep NULL codes; no row is dropped.

This module runs the steps and counts the result; each step is a module of its own: keying_columns (names and
patterns), keying_reference (the regions and postcodes keyed against), keying_profiles (what a column holds),
keying_sources (what the rows can be keyed on), keying_periods, keying_stages (the keyed table's SQL) and
keying_report.
"""

# ruff: noqa: S608  -- the SQL is assembled from quoted identifiers and literals only.
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb

from wierde.regions.codes import Level
from wierde.regions.keying_columns import CODE_COLUMNS, PERIOD_COLUMN, SHARE_COLUMNS
from wierde.regions.keying_periods import GRANULARITIES, GRANULARITY_SQL, Period, find_period, granularity_of
from wierde.regions.keying_profiles import profile_columns
from wierde.regions.keying_reference import Reference, reference_from_store
from wierde.regions.keying_report import Keying, KeyingReport, LevelCount, schema_fields
from wierde.regions.keying_sources import Source, find_sources
from wierde.regions.keying_stages import (
    ROW,
    Build,
    choose_codes,
    finest_codes,
    key_by_place,
    reach_of,
    select_base,
    select_outputs,
    shape_levels,
)
from wierde.sqltext import quote_ident, quote_literal

# What callers (ingest, privacy generalisation) use, importable from here as before the steps had modules.
__all__ = ["Keying", "KeyingReport", "Reference", "key_staged", "reference_from_store"]


def key_staged(
    con: duckdb.DuckDBPyConnection,
    staged: Path,
    schema: Mapping[str, Any],
    out: Path,
    reference: Reference,
) -> Keying:
    """Key a staged Parquet file: write it with region codes and a period added to `out`, and report how.

    Returns `path=None` (and writes nothing) when there is nothing to add, so the staged file can be committed as
    it is. `schema` is the staged file's Table Schema; the result's schema has fields for the added columns.
    """
    table_sql = f"SELECT * FROM read_parquet({quote_literal(str(staged))})"
    relation = con.sql(table_sql)
    build = Build(con, Path(staged), list(relation.columns), {n: t.id for n, t in
                                                              zip(relation.columns, relation.types, strict=True)},
                  reference, [])
    schema_types = {f["name"]: f.get("type", "") for f in schema.get("fields", [])}
    profiles = profile_columns(con, table_sql, schema_types)
    sources = find_sources(con, table_sql, profiles, reference, build.notes)
    period = None
    if PERIOD_COLUMN in build.columns:
        build.notes.append(f"the data has a column {PERIOD_COLUMN!r} already; it is kept as it is")
    else:
        period = find_period(profiles, schema_types)
    try:
        return _key(build, sources, period, schema, out)
    finally:
        build.close()


def _key(build: Build, sources: list[Source], period: Period | None, schema: Mapping[str, Any],
         out: Path) -> Keying:
    # Joins (code and name lookups, postcodes, region derivations) may shuffle rows, and a version's rows stay in
    # the file's order (the row API's default order and its cursors depend on it): rows are numbered and sorted
    # back whenever anything is added.
    joined = True
    select_base(build, sources, numbered=joined)
    if sources and sources[0].kind in ("geometry", "coordinates") and not key_by_place(build, sources[0]):
        sources = sources[1:]
        select_base(build, sources, numbered=joined)
    reach = reach_of(sources)
    if sources:
        choose_codes(build, sources, finest_codes(build, sources, period), reach)
    outputs, added = select_outputs(build, sources, reach, period)
    if not added:
        rows = build.con.sql(f"SELECT count(*) FROM read_parquet({quote_literal(str(build.staged))})").fetchone()
        notes = (*build.notes, "nothing to add") if sources or period else tuple(build.notes)
        return Keying(None, dict(schema), KeyingReport(rows=int(rows[0]) if rows else 0, notes=notes))
    postcode = any(s.kind == "postcode" for s in sources)
    bookkeeping = [*(["__pick", "__conflict"] if sources else []), *(["__pc6_hit"] if postcode else []),
                   *([ROW] if joined else [])]
    keyed_sql = f"SELECT {', '.join([*outputs, *bookkeeping])} FROM ({build.sql})"
    names = ", ".join(quote_ident(n) for n in [*build.columns, *added])
    order = f" ORDER BY {ROW}" if joined else ""
    # The staged file is Spark-safe already and the added columns are text and doubles, so a plain COPY will do.
    build.con.execute(f"COPY (SELECT {names} FROM ({keyed_sql}){order}) TO {quote_literal(str(out))} "
                      "(FORMAT parquet, COMPRESSION zstd)")
    report = _count(build, out, keyed_sql, sources, reach, period)
    fields = [*schema.get("fields", []), *schema_fields(report)]
    return Keying(out, {**schema, "fields": fields}, report)


def _count(build: Build, out: Path, keyed_sql: str, sources: Sequence[Source], reach: Sequence[Level],
           period: Period | None) -> KeyingReport:
    """Counts per level and period granularity, read from the written file; per source, clashes and PC6 hits from
    the keying query run again, but only when there is more than one source or a postcode to tell apart."""
    postcode = next((s for s in sources if s.kind == "postcode"), None)
    codes = [quote_ident(CODE_COLUMNS[lv]) for lv in reach]
    written = _aggregate(build.con, {
        "rows": "count(*)",
        **{f"level {lv}": f"count({code})" for lv, code in zip(reach, codes, strict=True)},
        "any": f"count(coalesce({', '.join(codes)}))" if codes else "0",
        **{f"period {g}": f"count(*) FILTER (WHERE __g = {quote_literal(g)})" for g in GRANULARITIES if period},
    }, f"SELECT *, {GRANULARITY_SQL if period else 'NULL'} AS __g FROM read_parquet({quote_literal(str(out))})")
    if len(sources) > 1 or postcode:
        again = _aggregate(build.con, {
            **{f"source {i}": f"count(*) FILTER (WHERE __pick = {i})" for i in range(len(sources))},
            "conflicts": "count(*) FILTER (WHERE __conflict)",
            "pc6": "count(*) FILTER (WHERE __pc6_hit)" if postcode else "0",
        }, keyed_sql)
    else:
        again = {"source 0": written["any"], "conflicts": 0, "pc6": 0}
    by_source = {s.label: again[f"source {i}"] for i, s in enumerate(sources)}
    if postcode is not None:
        build.notes.append(f"postcode column {postcode.columns[0]!r}: {again['pc6']} rows matched a PC6, "
                           f"{by_source[postcode.label] - again['pc6']} only their PC4 (keyed where that was the "
                           "choice)")
    total = written["rows"]
    levels: dict[str, LevelCount] = {
        lv: LevelCount(CODE_COLUMNS[lv], written[f"level {lv}"], total - written[f"level {lv}"],
                       CODE_COLUMNS[lv] not in build.columns)
        for lv in reach
    }
    granularities = {g: written[f"period {g}"] for g in GRANULARITIES if written.get(f"period {g}")}
    levels_shared = shape_levels(build) if any(s.detail == "shapes" for s in sources) else ()
    return KeyingReport(
        rows=total, sources=tuple(s.label for s in sources), keyed_by=by_source, levels=levels,
        conflicts=again["conflicts"], shares=tuple(SHARE_COLUMNS[lv] for lv in levels_shared
                                                    if SHARE_COLUMNS[lv] not in build.columns),
        period_column=PERIOD_COLUMN if period else None, period_from=period.column if period else None,
        period_how=period.how if period else None, granularity=granularity_of(granularities),
        granularities=granularities, notes=tuple(build.notes),
    )


def _aggregate(con: duckdb.DuckDBPyConnection, counts: Mapping[str, str], sql: str) -> dict[str, int]:
    row = con.sql(f"SELECT {', '.join(counts.values())} FROM ({sql})").fetchone()
    assert row is not None  # an aggregate always answers
    return {key: int(value or 0) for key, value in zip(counts, row, strict=True)}
