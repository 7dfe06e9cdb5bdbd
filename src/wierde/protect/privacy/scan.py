"""The privacy scan: every column of a version checked by every recognizer, fast enough to run at each ingest.

DuckDB does the bulk work on a spread sample: regexp prefilters pick the distinct values that could hold a hit,
so Python's exact checks (checksums, name lists) see a few thousand strings, not millions.
"""

# ruff: noqa: S608  -- SQL is built from quoted identifiers and literals of the scanned file only.
from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from wierde.protect.privacy import location, records
from wierde.protect.privacy.context import (
    BIRTH_COLUMN,
    FAMILY_COLUMN,
    GIVEN_COLUMN,
    HOUSE_NUMBER_COLUMN,
    NAME_COLUMN,
    PERSON_COLUMNS,
    PHONE_COLUMN,
)
from wierde.protect.privacy.recognizers import (
    ADDRESS,
    BIRTH_DATE,
    BSN,
    DWELLING,
    PERSON_NAME,
    PHONE,
    Hit,
    Recognizer,
    recognizer,
    recognizers,
)
from wierde.protect.privacy.report import Finding, PrivacyReport
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.repository import Store

SAMPLE_ROWS = 50_000
EXAMPLES = 3
SURE = 0.8  # a finding this sure says the rows are about people
MAX_CHECKS = 2_000  # distinct candidate values per column checked in Python; more are estimated from these
TEXT_TYPES = ("VARCHAR", "JSON")
NESTED_TYPES = ("STRUCT", "MAP", "UNION")
INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UINTEGER", "UBIGINT")
_tables = itertools.count(1)


@dataclass
class Tally:
    """Hits of one kind in one column, gathered over the sampled values."""

    count: int = 0  # values with a hit
    whole: int = 0  # values that are nothing but the hit
    with_context: int = 0
    confidence: float = 0.0  # summed per value, averaged at the end
    examples: list[str] = field(default_factory=list)

    def add(self, value: str, hits: list[Hit], rows: int, masker: Recognizer) -> None:
        self.count += rows
        if _is_whole(value, hits):
            self.whole += rows
        if any(h.context for h in hits):
            self.with_context += rows
        self.confidence += rows * max(h.confidence for h in hits)
        for hit in hits if len(self.examples) < EXAMPLES else ():
            masked = masker.mask(value[hit.start:hit.end])
            if len(self.examples) < EXAMPLES and masked not in self.examples:
                self.examples.append(masked)

    def merge(self, other: Tally) -> Tally:
        examples = (self.examples + [e for e in other.examples if e not in self.examples])[:EXAMPLES]
        return Tally(self.count + other.count, self.whole + other.whole, self.with_context + other.with_context,
                     self.confidence + other.confidence, examples)

    def scale(self, factor: float) -> None:
        self.count, self.whole = round(self.count * factor), round(self.whole * factor)
        self.with_context = round(self.with_context * factor)
        self.confidence *= factor


def _is_whole(value: str, hits: list[Hit]) -> bool:
    """Is the value nothing but its hits (and punctuation)? Then the column holds such values; else it is text."""
    rest = list(value)
    for hit in hits:
        rest[hit.start:hit.end] = [" "] * (hit.end - hit.start)
    return not any(c.isalnum() for c in rest)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sample(con: duckdb.DuckDBPyConnection, path: Path, limit: int) -> tuple[str, int]:
    """A temporary table with every row of a small file, or about `limit` rows of a large one.

    Rows are picked by a hash of their position: spread over the whole file and the same on every run, without
    the aliasing of every n-th row (a file that repeats a pattern every 4 rows would show only one of them).
    """
    table = f"wierde_privacy_sample_{next(_tables)}"
    source = f"read_parquet({quote_literal(str(path))})"
    counted = con.execute(f"SELECT count(*) FROM {source}").fetchone()
    rows = int(counted[0]) if counted else 0
    if rows <= limit:
        con.execute(f"CREATE TEMP TABLE {quote_ident(table)} AS SELECT * FROM {source}")
    else:
        step = math.ceil(rows / limit)
        numbered = f"read_parquet({quote_literal(str(path))}, file_row_number = true)"
        con.execute(f"CREATE TEMP TABLE {quote_ident(table)} AS SELECT * EXCLUDE (file_row_number) "
                    f"FROM {numbered} WHERE hash(file_row_number) % {step} = 0")
    return table, rows


@dataclass(frozen=True)
class Candidates:
    """Distinct values a prefilter let through: the most frequent ones, and a spread of the rest."""

    filled: int  # non-empty values in the sample
    values: list[tuple[Any, ...]]  # (value, rows, frequent?, flag per recognizer)
    rest_rows: int  # rows behind all values that are not among the most frequent, checked or not


def _picked_sql(values_sql: str, flags: str) -> str:
    """The HALF most frequent values (checked exactly) and a hash-spread HALF of the rest (scaled up), so neither
    one heavy value nor thousands of distinct ones skew the estimate."""
    half = MAX_CHECKS // 2
    return (
        f"ranked AS (SELECT v, n, row_number() OVER (ORDER BY n DESC, hash(v)) AS r FROM ({values_sql})), "
        f"picked AS (SELECT v, n, r FROM ranked WHERE r <= {half} "
        f"UNION ALL (SELECT v, n, r FROM ranked WHERE r > {half} ORDER BY hash(v) LIMIT {half})), "
        f"rest AS (SELECT coalesce(sum(n), 0) AS rows FROM ranked WHERE r > {half}) "
        f"SELECT rest.rows, v, n, r <= {half}{flags} FROM rest LEFT JOIN picked ON true"
    )


def _candidates(con: duckdb.DuckDBPyConnection, table: str, column: str, checks: list[Recognizer]) -> Candidates:
    """One query per column: group (regexes then run once per distinct value), gate with all prefilters at once,
    pick what Python checks, and only for those tell which prefilter let each through."""
    v = f"CAST({quote_ident(column)} AS VARCHAR)"
    patterns = [r.prefilter(column) or "$^" for r in checks]
    gate = "|".join(f"(?:{p})" for p in patterns)
    flags = "".join(f", regexp_matches(v, {quote_literal(p)})" for p in patterns)
    grouped = (f"SELECT {v} AS v, count(*) AS n FROM {quote_ident(table)} "
               f"WHERE nullif(trim({v}), '') IS NOT NULL GROUP BY ALL")
    gated = f"SELECT v, n FROM ({grouped}) WHERE regexp_matches(v, {quote_literal(gate)})"
    rows = con.execute(f"WITH {_picked_sql(gated, flags)}").fetchall()
    values = [r[1:] for r in rows if r[1] is not None]
    return Candidates(_filled(con, table, column), values, int(rows[0][0] or 0))


def _tallies(column: str, checks: list[Recognizer], found: Candidates) -> dict[str, Tally]:
    """Exact checks in Python: frequent values count as they are, the spread of the rest is scaled up to all."""
    frequent: dict[str, Tally] = {}
    spread: dict[str, Tally] = {}
    spread_rows = 0
    for value, rows, is_frequent, *flags in found.values:
        spread_rows += 0 if is_frequent else int(rows)
        tallies = frequent if is_frequent else spread
        for check, flagged in zip(checks, flags, strict=True):
            hits = check.find(value, column) if flagged else []
            if hits:
                tallies.setdefault(check.kind, Tally()).add(value, hits, int(rows), check)
    factor = found.rest_rows / spread_rows if spread_rows else 1.0
    for kind, tally in spread.items():
        tally.scale(factor)
        frequent[kind] = frequent[kind].merge(tally) if kind in frequent else tally
    return frequent


def _worth_reporting(kind: str, tally: Tally, filled: int, column: str) -> bool:
    """Per kind, how much is enough: one IBAN is, one 9-digit number passing the 11-proef without context is not."""
    share = tally.count / filled if filled else 0.0
    in_text = tally.whole < tally.count / 2
    if kind == BSN:
        return tally.with_context > 0 or (not in_text and tally.count >= 10 and share >= 0.9)
    if kind == PHONE and not in_text:
        return share >= 0.3 or PHONE_COLUMN.matches(column)
    if kind == PERSON_NAME and not in_text:
        named = NAME_COLUMN.matches(column) or GIVEN_COLUMN.matches(column) or FAMILY_COLUMN.matches(column)
        return share >= (0.05 if named else 0.2)
    return tally.count > 0


def _findings(column: str, tallies: dict[str, Tally], filled: int) -> list[Finding]:
    findings = []
    for kind, tally in tallies.items():
        if not _worth_reporting(kind, tally, filled, column):
            continue
        findings.append(Finding(
            column=column, kind=kind, count=tally.count, share=round(tally.count / max(filled, 1), 4),
            examples=tuple(tally.examples), confidence=round(tally.confidence / tally.count, 2),
            in_text=tally.whole < tally.count / 2,
        ))
    return findings


def _text_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[Finding]:
    checks = recognizers()
    found = _candidates(con, table, column, checks)
    return _findings(column, _tallies(column, checks, found), found.filled)


def _filled(con: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    counted = con.execute(f"SELECT count({quote_ident(column)}) FROM {quote_ident(table)}").fetchone()
    return int(counted[0]) if counted else 0


def _one_check(con: duckdb.DuckDBPyConnection, table: str, column: str, values_sql: str, kind: str) -> list[Finding]:
    """Findings of one recognizer over `values_sql` (distinct `v` with row count `n`, prefiltered in SQL)."""
    check = recognizer(kind)
    if check is None:
        return []
    rows = con.execute(f"WITH {_picked_sql(values_sql, ', true')}").fetchall()
    found = Candidates(_filled(con, table, column), [r[1:] for r in rows if r[1] is not None], int(rows[0][0]))
    return _findings(column, _tallies(column, [check], found), found.filled)


def _eleven_proof(c: str) -> str:
    """The BSN 11-proef in SQL, so only the one number in eleven that passes it reaches Python."""
    digits = [f"({c} // {10 ** (8 - i)}) % 10 * {9 - i}" for i in range(8)]
    return f"({' + '.join(digits)} - {c} % 10) % 11 = 0"


def _number_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[Finding]:
    """Integers can only be a BSN that lost its leading zero (a CSV reader made it a number)."""
    c = quote_ident(column)
    values = (f"SELECT lpad(CAST({c} AS VARCHAR), 9, '0') AS v, count(*) AS n FROM {quote_ident(table)} "
              f"WHERE {c} BETWEEN 10000000 AND 999999999 AND {_eleven_proof(c)} GROUP BY ALL")
    return _one_check(con, table, column, values, BSN)


def _date_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> list[Finding]:
    """A DATE or TIMESTAMP column named like a birth date; other dates (events, measurements) are not personal."""
    if not BIRTH_COLUMN.matches(column):
        return []
    c = quote_ident(column)
    values = (f"SELECT strftime({c}, '%Y-%m-%d') AS v, count(*) AS n FROM {quote_ident(table)} "
              f"WHERE {c} IS NOT NULL GROUP BY ALL")
    return _one_check(con, table, column, values, BIRTH_DATE)


def _address_pairs(
    con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str], found: list[Finding]
) -> list[Finding]:
    """A postcode column (9712 AB) beside a house-number column makes an address, though neither is one alone."""
    numbers = [c for c in types if HOUSE_NUMBER_COLUMN.matches(c)]
    done = {f.column for f in found if f.kind == ADDRESS}
    findings = []
    for column, kind in types.items():
        if not numbers or column in done or kind not in TEXT_TYPES:
            continue
        c = quote_ident(column)
        pc6 = f"regexp_full_match(trim({c}), '[1-9][0-9]{{3}} ?[A-Za-z]{{2}}')"
        counted = con.execute(f"SELECT count({c}), count_if({pc6}) FROM {quote_ident(table)}").fetchone()
        filled, matched = counted if counted else (0, 0)
        if filled and matched >= 0.5 * filled:
            examples = con.execute(f"SELECT DISTINCT {c} FROM {quote_ident(table)} WHERE {pc6} LIMIT 3").fetchall()
            findings.append(Finding(
                column=column, kind=ADDRESS, count=int(matched), share=round(matched / filled, 4),
                examples=tuple(e[0].strip()[:4] + " •• (+ huisnummer)" for e in examples), confidence=0.8,
                with_columns=tuple(numbers),
            ))
    return findings


def _person_rows(types: dict[str, str], found: list[Finding]) -> bool:
    """Are the rows about people? Then a precise point in them is somebody's home.

    Yes when a column is named for people (bewoner, leeftijd) or holds personal values for sure; a role address
    (info@…) or a name in a remark does not make a register of bridges one of people.
    """
    sure = [f for f in found if f.kind != DWELLING and not f.in_text and f.confidence >= SURE]
    return bool(sure) or any(PERSON_COLUMNS.matches(c) for c in types)


def scan_parquet(
    con: duckdb.DuckDBPyConnection, path: Path, schema: dict[str, Any] | None = None, *,
    sample_rows: int = SAMPLE_ROWS,
) -> PrivacyReport:
    """Scan every column of a Parquet file; `schema` (the version's Table Schema) supplies declared CRSs."""
    started = time.perf_counter()
    table, rows = _sample(con, path, sample_rows)
    try:
        relation = con.table(table)
        types = dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))
        counted = con.execute(f"SELECT count(*) FROM {quote_ident(table)}").fetchone()
        scanned = int(counted[0]) if counted else 0
        found: list[Finding] = []
        for column, kind in types.items():
            upper = kind.upper()
            if upper in TEXT_TYPES or upper.endswith("[]") or upper.startswith(NESTED_TYPES):
                found += _text_column(con, table, column)  # nested values are scanned as their text form
            elif upper in INTEGER_TYPES:
                found += _number_column(con, table, column)
            elif upper == "DATE" or upper.startswith("TIMESTAMP"):
                found += _date_column(con, table, column)
        found += _address_pairs(con, table, types, found)
        if _person_rows(types, found):
            crs = {f["name"]: f.get("crs") for f in (schema or {}).get("fields", [])}
            found += location.geometry_findings(con, table, types, crs)
            found += location.xy_findings(con, table, types)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {quote_ident(table)}")
    return PrivacyReport(
        findings=tuple(found), rows=rows, scanned_rows=scanned, seconds=round(time.perf_counter() - started, 3),
        scanned_at=_now(), columns=tuple(types),
    )


def merge(fresh: PrivacyReport, previous: PrivacyReport | None) -> PrivacyReport:
    """A new scan keeps a steward's acceptances, and the history of findings earlier resolutions removed."""
    if previous is None:
        return fresh
    before = {f.key: f for f in previous.findings}
    findings = []
    for finding in fresh.findings:
        old = before.get(finding.key)
        if old is not None and old.resolved_by == "accept":
            finding = finding.resolved("accept", old.decided_on or 0, old.resolved_at or "", old.reason)
        findings.append(finding)
    now_found = {f.key for f in fresh.findings}
    findings += [f for f in previous.findings if not f.is_open and f.key not in now_found]
    return fresh.with_findings(findings)


def carry_acceptances(fresh: PrivacyReport, earlier: PrivacyReport | None) -> PrivacyReport:
    """A new version's findings, accepted where a steward accepted the same finding (column, kind, in text) on an
    earlier version: an acceptance is a judgement of what a column holds (say, officials' work e-mail), which a
    new delivery does not change. Each keeps the version it was decided on, so a reader sees where it came from;
    a finding of a new kind, or in another column, stays open."""
    if earlier is None:
        return fresh
    accepted = {f.key: f for f in earlier.findings if f.resolved_by == "accept"}
    findings = []
    for finding in fresh.findings:
        old = accepted.get(finding.key)
        if old is not None:
            finding = finding.resolved("accept", old.decided_on or 0, old.resolved_at or "", old.reason)
        findings.append(finding)
    return fresh.with_findings(findings)


def _earlier_report(store: Store, dataset_id: str, number: int) -> PrivacyReport | None:
    """The report of the latest earlier version that has one."""
    for earlier in sorted((v.number for v in store.versions(dataset_id) if v.number < number), reverse=True):
        report = records.load_report(store, dataset_id, earlier)
        if report is not None:
            return report
    return None


def scan_version(store: Store, dataset_id: str, version_number: int | None = None) -> PrivacyReport:
    """Scan a stored version (the current one by default), keep what was decided before, and save the report."""
    version = store.version(dataset_id, version_number)
    con = store.duck()
    try:
        fresh = scan_parquet(con, store.path_of(version), version.table_schema)
    finally:
        con.close()
    previous = records.load_report(store, dataset_id, version.number)
    if previous is None:  # a new version: what a steward accepted for the dataset before still holds
        merged = carry_acceptances(fresh, _earlier_report(store, dataset_id, version.number))
    else:
        merged = merge(fresh, previous)
    report = merged.with_findings(merged.findings, dataset_id=dataset_id, version=version.number)
    records.save_report(store, report)
    return report
