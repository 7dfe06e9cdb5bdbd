"""The SQL that protects a version's cells: its rows keyed for stable random rounding, primary suppression, and the
published columns with their `<column>__status` markers and per-column counts.

Secondary suppression (disclosure_secondary) runs between the source view and the output, on the same names.
"""

# ruff: noqa: S608  -- SQL is built from quoted identifiers of the version's own schema and numeric thresholds.
from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from wierde.protect.disclosure_config import KEYED_REGIONS, DisclosureConfig
from wierde.protect.disclosure_kanon import check_k_anonymity, k_anonymous_sql
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.records import VersionRecord

STATUS_SUFFIX = "__status"
SUPPRESSED, ROUNDED = "suppressed", "rounded"


def status_column(column: str) -> str:
    return column + STATUS_SUFFIX


@dataclass
class Names:
    """The temporary tables and views one application uses, named apart so concurrent runs never meet."""

    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    made: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, what: str, kind: str = "TABLE") -> str:
        name = self.get(what)
        self.made.append((kind, name))
        return name

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for kind, name in reversed(self.made):
            con.execute(f"DROP {kind} IF EXISTS {name}")

    def get(self, what: str) -> str:
        return f"sdc_{what}_{self.tag}"


def source_view(con: duckdb.DuckDBPyConnection, path: Path, base: VersionRecord, config: DisclosureConfig,
                names: Names) -> dict[str, Any] | None:
    """A view of the version with a stable row id, its cell keys, and (microdata) the k-anonymous generalisation."""
    parquet = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
    present = {f["name"] for f in base.fields}
    pv = quote_ident("pv_code") if "pv_code" in present else "NULL"
    group = [f"CAST({quote_ident(config.period or 'period')} AS VARCHAR)"] \
        if config.period or "period" in present else []
    group += [f"CAST({quote_ident(c)} AS VARCHAR)" for c in config.by]
    grp = f"concat_ws('|', {', '.join(group)})" if group else "''"
    keyed = (f"SELECT file_row_number AS __sdc_rid, {_region_sql(config, present)} AS __sdc_region, "
             f"{grp} AS __sdc_grp, * EXCLUDE (file_row_number) FROM {parquet}")
    report = None
    if config.quasi_identifiers:
        found = check_k_anonymity(con, path, config.quasi_identifiers, config.k)
        keyed, report = k_anonymous_sql(keyed, found, config.k), found.as_report()
    # The keyed hash of the row's cell keys (dataset, region, period and `by` values); each column mixes it with
    # its own name below, so every cell gets its own draw, the same in every run and every version.
    cell = (f"getvariable('{names.get('key')}') || '|' || {quote_literal(base.dataset_id)} || '|' || "
            f"coalesce(__sdc_region, '') || '|' || __sdc_grp")
    con.execute(f"CREATE TEMP VIEW {names('src', 'VIEW')} AS SELECT *, {_parent_sql('__sdc_region', pv)} "
                f"AS __sdc_parent, CAST(('0x' || substr(sha256({cell}), 1, 8)) AS BIGINT) % {SPACE} AS __sdc_w "
                f"FROM ({keyed})")
    return report


def _region_sql(config: DisclosureConfig, present: set[str]) -> str:
    if config.region:
        return f"upper(trim(CAST({quote_ident(config.region)} AS VARCHAR)))"
    keyed = [f"CAST({quote_ident(c)} AS VARCHAR)" for c in KEYED_REGIONS if c in present]
    return f"coalesce({', '.join(keyed)})" if keyed else "NULL::VARCHAR"


def _parent_sql(region: str, pv: str) -> str:
    """The parent region by CBS code: a buurt's wijk and a wijk's gemeente by digits, a gemeente's province from
    the row's `pv_code` (its code does not say)."""
    return (f"CASE WHEN regexp_full_match({region}, 'BU[0-9]{{8}}') THEN 'WK' || substr({region}, 3, 6) "
            f"WHEN regexp_full_match({region}, 'WK[0-9]{{6}}') THEN 'GM' || substr({region}, 3, 4) "
            f"WHEN regexp_full_match({region}, 'GM[0-9]{{4}}') THEN CAST({pv} AS VARCHAR) END")


SPACE = 2**31  # draws are whole numbers below this; every step of the mix below maps this range onto itself


def _draw(w: str, column: str) -> str:
    """A number in [0, 1) for one cell: the row's keyed hash mixed with the column's name by a bijective integer
    mix (xor-shift and odd multipliers modulo 2^31), computed in BIGINT so it is fast and never overflows."""
    z = f"xor({w}, {int(hashlib.sha256(column.encode()).hexdigest()[:7], 16)})"
    for multiplier, increment, shift in ((1103515245, 12345, 13), (1664525, 1013904223, 16),
                                         (747796405, 2891336453, 11)):
        z = f"((xor({z}, {z} >> {shift}) * {multiplier} + {increment}) % {SPACE})"
    return f"(CAST({z} AS DOUBLE) / {SPACE}.0)"


def primary_sql(config: DisclosureConfig, column: str) -> str:
    """Primary suppression: too few persons behind a cell, or (counts) a count of 1 up to the minimum."""
    value = f"CAST({quote_ident(column)} AS DOUBLE)"
    persons = f"CAST({quote_ident(config.population)} AS DOUBLE)" if config.population else None
    few_persons = f"coalesce({persons} < {config.min_persons}, false)" if persons else "false"
    if column in config.count_columns:
        return f"({value} IS NOT NULL AND ({few_persons} OR ({value} > 0 AND {value} < {config.min_persons})))"
    behind = f"CAST({quote_ident(config.households or str(config.population))} AS DOUBLE)"
    return f"({value} IS NOT NULL AND ({few_persons} OR coalesce({behind} < {config.min_households}, true)))"


def earlier_sql(column: str, present: Sequence[str]) -> str:
    """A cell an earlier application suppressed stays suppressed (its value is gone)."""
    marker = status_column(column)
    return f"coalesce({quote_ident(marker)} = '{SUPPRESSED}', false)" if marker in present else "false"


def output_sql(con: duckdb.DuckDBPyConnection, config: DisclosureConfig, names: Names) -> str:
    """The version's own columns in their order and types, measures protected, markers added at the end."""
    src = names.get("src")
    relation = con.sql(f"SELECT * FROM {src}")
    types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
    markers = [status_column(c) for c in config.measures]
    helpers = ["__sdc_rid", "__sdc_region", "__sdc_grp", "__sdc_parent", "__sdc_w"]
    if not config.measures:
        exclude = ", ".join(quote_ident(c) for c in helpers)
        return f"SELECT * EXCLUDE ({exclude}) FROM {src} ORDER BY __sdc_rid"
    hidden = names.get("hidden")
    join = f" LEFT JOIN {hidden} h ON h.rid = s.__sdc_rid" if config.count_columns else ""
    flags = []
    for i, c in enumerate(config.measures):
        later = f" OR coalesce(list_contains(h.cols, {i}), false)" if c in config.count_columns else ""
        flags.append(f"({earlier_sql(c, relation.columns)} OR {primary_sql(config, c)}{later}) AS __sdc_sup{i}")
    inner = f"SELECT s.*, {', '.join(flags)} FROM {src} s{join}"
    base = config.rounding_base
    replace, marks = [], []
    for i, c in enumerate(config.measures):
        value = f"CAST({quote_ident(c)} AS DOUBLE)"
        if c in config.count_columns:
            rest = f"((({value} % {base}) + {base}) % {base})"
            shown = f"{value} - {rest} + CASE WHEN {_draw('__sdc_w', c)} < {rest} / {base} THEN {base} ELSE 0 END"
            kept = f"WHEN {quote_ident(c)} IS NOT NULL THEN '{ROUNDED}' "
        else:
            shown, kept = value, ""
        replace.append(f"CAST(CASE WHEN __sdc_sup{i} THEN NULL ELSE {shown} END AS {types[c]}) AS {quote_ident(c)}")
        marks.append(f"CASE WHEN __sdc_sup{i} THEN '{SUPPRESSED}' {kept}END AS {quote_ident(status_column(c))}")
    dropped = helpers + [m for m in markers if m in types] + [f"__sdc_sup{i}" for i in range(len(config.measures))]
    exclude = ", ".join(quote_ident(c) for c in dropped)
    return (f"SELECT * EXCLUDE ({exclude}) REPLACE ({', '.join(replace)}), {', '.join(marks)} "
            f"FROM ({inner}) ORDER BY __sdc_rid")


def column_statistics(con: duckdb.DuckDBPyConnection, staged: Path, config: DisclosureConfig,
                      secondary: Mapping[str, int]) -> dict[str, Any]:
    """Per column, what the published file says: cells suppressed (primary and secondary) and rounded."""
    if not config.measures:
        return {}
    counts = []
    for c in config.measures:
        marker = quote_ident(status_column(c))
        counts += [f"count(*) FILTER (WHERE {marker} = '{SUPPRESSED}')", f"count(*) FILTER (WHERE {marker} = "
                                                                         f"'{ROUNDED}')"]
    row = con.execute(f"SELECT {', '.join(counts)} FROM read_parquet({quote_literal(str(staged))})").fetchone()
    values = list(row or [0] * len(counts))
    out: dict[str, Any] = {}
    for i, c in enumerate(config.measures):
        suppressed, rounded = int(values[2 * i]), int(values[2 * i + 1])
        later = int(secondary.get(c, 0))
        out[c] = {"kind": "count" if c in config.count_columns else "average", "suppressed": suppressed,
                  "primary": suppressed - later, "secondary": later, "rounded": rounded}
    return out

