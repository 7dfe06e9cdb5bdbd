"""k-anonymity for microdata, so no record can be singled out by the quasi-identifiers it shares with too few others.

`check_k_anonymity` reports the records in groups smaller than k and proposes the generalisation (birth year →
5-year band, PC6 → PC4, …) that fixes them, found by re-running the check; `k_anonymous_sql` publishes it.
"""

# ruff: noqa: S608  -- SQL is built from quoted identifiers of the version's own schema and numeric thresholds.
from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from wierde.errors import InvalidInput
from wierde.sqltext import quote_ident, quote_literal

PC6 = re.compile(r"^\d{4}\s?[A-Za-z]{2}$")
PC4 = re.compile(r"^\d{4}$")
YEAR_NAME = re.compile(r".*(jaar|year).*", re.IGNORECASE)
AGE_NAME = re.compile(r".*(leeftijd|age).*", re.IGNORECASE)
INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
DECIMAL = ("FLOAT", "DOUBLE", "REAL")
SHOWN_GROUPS = 50


@dataclass(frozen=True)
class Step:
    """One level of generalisation of a quasi-identifier: what it is called and its SQL over the column."""

    label: str
    sql: str


@dataclass(frozen=True)
class RiskyGroup:
    """Records that share their quasi-identifiers with fewer than k-1 others."""

    values: dict[str, Any]
    size: int


@dataclass(frozen=True)
class Proposal:
    """The generalisation that fixes the risky records, verified by running the check on it."""

    steps: dict[str, str]  # quasi-identifier → what it becomes (e.g. "PC4", "5-year band")
    expressions: dict[str, str]  # quasi-identifier → DuckDB SQL over the original column
    risky_records: int  # left after the generalisation: 0 when it fixes everything
    groups: int


@dataclass(frozen=True)
class KAnonymity:
    """Which records of a microdata file can be singled out by their quasi-identifiers, and how to fix that."""

    k: int
    quasi_identifiers: tuple[str, ...]
    records: int
    risky_records: int
    risky_groups: tuple[RiskyGroup, ...]  # the smallest groups first, at most SHOWN_GROUPS
    proposal: Proposal | None  # None: nothing is risky

    @property
    def anonymous(self) -> bool:
        return self.risky_records == 0

    def as_report(self) -> dict[str, Any]:
        """What a version's report keeps: counts and the generalisation, never the risky values themselves."""
        out: dict[str, Any] = {"k": self.k, "quasi_identifiers": list(self.quasi_identifiers),
                               "records": self.records, "risky_records": self.risky_records}
        if self.proposal is not None:
            out.update(generalised=self.proposal.steps, records_removed=self.proposal.risky_records)
        return out


def check_k_anonymity(con: duckdb.DuckDBPyConnection, parquet: Path | str, quasi_identifiers: Sequence[str],
                      k: int) -> KAnonymity:
    """Find the records in groups smaller than k, and a small generalisation that leaves none: each round coarsens
    the quasi-identifier that removes most risky records (replacing values by '*' only as a last resort), then
    every step that turns out not to be needed is taken back; the result is checked by running the grouping."""
    if k < 2 or not quasi_identifiers:
        raise InvalidInput("k-anonymity needs k of at least 2 and at least one quasi-identifier")
    table = f"sdc_qi_{uuid.uuid4().hex[:12]}"
    qis = tuple(quasi_identifiers)
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT {', '.join(quote_ident(q) for q in qis)} "
                f"FROM read_parquet({quote_literal(str(parquet))})")
    try:
        ladders = {q: _ladder(con, table, q) for q in qis}
        original = {q: quote_ident(q) for q in qis}
        records, risky = _risk(con, table, original, k)
        groups = _risky_groups(con, table, qis, k) if risky else ()
        proposal = _search(con, table, ladders, k, risky) if risky else None
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}")
    return KAnonymity(k, qis, records, risky, groups, proposal)


def _risk(con: duckdb.DuckDBPyConnection, table: str, expressions: Mapping[str, str], k: int) -> tuple[int, int]:
    """All records, and those in groups smaller than k, when the quasi-identifiers are these expressions."""
    keys = ", ".join(expressions.values())
    row = con.execute(f"SELECT coalesce(sum(n), 0), coalesce(sum(n) FILTER (WHERE n < {k}), 0) "
                      f"FROM (SELECT count(*) AS n FROM {table} GROUP BY {keys})").fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)


def _risky_groups(con: duckdb.DuckDBPyConnection, table: str, qis: Sequence[str], k: int
                  ) -> tuple[RiskyGroup, ...]:
    keys = ", ".join(quote_ident(q) for q in qis)
    rows = con.execute(f"SELECT {keys}, count(*) AS n FROM {table} GROUP BY {keys} HAVING n < {k} "
                       f"ORDER BY n, {keys} LIMIT {SHOWN_GROUPS}").fetchall()
    return tuple(RiskyGroup(dict(zip(qis, row[:-1], strict=True)), int(row[-1])) for row in rows)


def _search(con: duckdb.DuckDBPyConnection, table: str, ladders: Mapping[str, list[Step]], k: int,
            risky: int) -> Proposal:
    level = dict.fromkeys(ladders, -1)

    def expressions(levels: Mapping[str, int]) -> dict[str, str]:
        return {q: ladders[q][i].sql if i >= 0 else quote_ident(q) for q, i in levels.items()}

    while risky:
        tried = []
        for q, i in level.items():
            if i + 1 < len(ladders[q]):
                trial = {**level, q: i + 1}
                suppressing = ladders[q][i + 1].label == "suppressed"
                tried.append((_risk(con, table, expressions(trial), k)[1], suppressing, i + 1, q))
        if not tried:
            break
        risky, _, _, chosen = min(tried)
        level[chosen] += 1
    if not risky:  # greedy steps can overshoot: take back each step that is not needed after all
        for q in level:
            while level[q] >= 0 and not _risk(con, table, expressions({**level, q: level[q] - 1}), k)[1]:
                level[q] -= 1
    final = expressions(level)
    groups = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {', '.join(final.values())})"
                         ).fetchone()
    return Proposal({q: ladders[q][i].label for q, i in level.items() if i >= 0},
                    {q: final[q] for q, i in level.items() if i >= 0}, risky, int(groups[0]) if groups else 0)


def _ladder(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[Step]:
    """How a quasi-identifier can be coarsened, from its type and values: dates to years and bands, birth years
    and ages to 5/10/20-year bands, PC6 to PC4 and shorter, other numbers to wider bands; anything to '*'."""
    name = quote_ident(column)
    kind = str(con.sql(f"SELECT {name} FROM {table}").types[0]).upper()
    steps: list[Step]
    if kind == "DATE" or kind.startswith("TIMESTAMP"):
        steps = [Step("year", f"CAST(year({name}) AS VARCHAR)")]
        steps += [_band(f"year({name})", w, True) for w in (5, 10, 20)]
    elif kind in INTEGER or kind in DECIMAL or kind.startswith("DECIMAL"):
        steps = _number_steps(con, table, column)
    elif kind == "VARCHAR":
        steps = _postcode_steps(con, table, column)
    else:
        steps = []
    return [*steps, Step("suppressed", "'*'")]


def _band(expr: str, width: int, years: bool) -> Step:
    low = f"CAST(floor({expr} / {width}) * {width} AS BIGINT)"
    return Step(f"{width}-year band" if years else f"band of {width}",
                f"CAST({low} AS VARCHAR) || '-' || CAST({low} + {width - 1} AS VARCHAR)")


def _number_steps(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[Step]:
    """Birth years and ages go to 5, 10 and 20-year bands; other numbers to bands of growing powers of ten."""
    name = quote_ident(column)
    row = con.execute(f"SELECT min({name}), max({name}) FROM {table}").fetchone()
    low, high = (float(row[0]), float(row[1])) if row and row[0] is not None else (0.0, 0.0)
    by_name = YEAR_NAME.match(column) or AGE_NAME.match(column)
    if by_name or 1850 <= low <= high <= 2100 or 0 <= low <= high <= 125:
        return [_band(f"floor({name})", w, bool(by_name) or low >= 1850) for w in (5, 10, 20)]
    magnitude = 10 ** max(0, int(math.log10(max(abs(low), abs(high), 1))) - 1)
    return [_band(f"floor({name})", w, False) for w in (magnitude, magnitude * 10, magnitude * 100)]


def _postcode_steps(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[Step]:
    """PC6 → PC4 → first 3 digits → first 2 digits, when (nearly) all values are postcodes."""
    name = quote_ident(column)
    sample = [str(v[0]) for v in con.execute(
        f"SELECT DISTINCT {name} FROM {table} WHERE {name} IS NOT NULL LIMIT 1000").fetchall()]
    if not sample:
        return []
    clean = f"upper(replace(CAST({name} AS VARCHAR), ' ', ''))"
    share_pc6 = sum(bool(PC6.match(v.strip())) for v in sample) / len(sample)
    share_pc4 = sum(bool(PC4.match(v.strip())) for v in sample) / len(sample)
    lengths = [4, 3, 2] if share_pc6 >= 0.9 else [3, 2] if share_pc4 >= 0.9 else []
    labels = {4: "PC4", 3: "first 3 digits of the postcode", 2: "first 2 digits of the postcode"}
    return [Step(labels[n], f"left({clean}, {n})") for n in lengths]


def k_anonymous_sql(keyed: str, found: KAnonymity, k: int) -> str:
    """The records generalised as proposed; those still in groups smaller than k are left out."""
    if found.proposal is None:
        return keyed
    expressions = found.proposal.expressions
    replace = ", ".join(f"{sql} AS {quote_ident(q)}" for q, sql in expressions.items())
    generalised = f"SELECT * REPLACE ({replace}) FROM ({keyed})" if replace else keyed
    keys = ", ".join(quote_ident(q) for q in found.quasi_identifiers)
    return (f"SELECT * EXCLUDE (__sdc_n) FROM (SELECT *, count(*) OVER (PARTITION BY {keys}) AS __sdc_n "
            f"FROM ({generalised})) WHERE __sdc_n >= {k}")
