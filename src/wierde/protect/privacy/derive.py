"""The one way a resolution changes data: a plan over the current version, written to a new file and committed as
a NEW version, with the findings it settled recorded in that version's report and privacy file."""

# ruff: noqa: S608  -- SQL is built from quoted identifiers and literals of the version being resolved.
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
from duckdb.func import PythonUDFType

from wierde.errors import InvalidInput
from wierde.protect.privacy.records import save_report
from wierde.protect.privacy.report import Finding, PrivacyReport
from wierde.protect.privacy.status import current_report
from wierde.protect.privacy.transforms import Plan
from wierde.sqltext import quote_literal
from wierde.store.records import VersionRecord
from wierde.store.repository import Store

FRICTIONLESS = {"VARCHAR": "string", "DATE": "date", "BOOLEAN": "boolean", "DOUBLE": "number", "FLOAT": "number"}


@dataclass(frozen=True)
class Resolution:
    """What a resolution did: the version that now holds the result and the findings it settled."""

    action: str
    dataset_id: str
    version: int  # the new version (or, for an acceptance, the current one)
    created: bool  # False: no new file (an acceptance, or content equal to an earlier version)
    derived_from: int
    resolved: tuple[Finding, ...]
    report: PrivacyReport


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _field(name: str, kind: str) -> dict[str, Any]:
    upper = kind.upper()
    if upper.startswith("GEOMETRY"):
        crs = upper[len("GEOMETRY('"):-2] if upper.startswith("GEOMETRY('") else None
        return {"name": name, "type": "geometry", "crs": crs}
    if upper in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT"):
        return {"name": name, "type": "integer"}
    if upper.startswith("DECIMAL"):
        return {"name": name, "type": "number"}
    if upper.startswith("TIMESTAMP"):
        return {"name": name, "type": "datetime"}
    return {"name": name, "type": FRICTIONLESS.get(upper, "string")}


def _schema(relation: duckdb.DuckDBPyRelation, base: VersionRecord, plan: Plan) -> dict[str, Any]:
    """Fields of untouched columns as they were (descriptions, units); changed and new ones from their type."""
    before = {f["name"]: f for f in base.fields}
    changed = set(plan.replace) | set(plan.add) | set(plan.fields)
    fields = []
    for name, kind in zip(relation.columns, relation.types, strict=True):
        if name in plan.fields:
            fields.append({"name": name, **plan.fields[name]})
        elif name in before and name not in changed:
            fields.append(before[name])
        else:
            fields.append(_field(name, str(kind)))
    return {**base.table_schema, "fields": fields}


def _write(
    store: Store, con: duckdb.DuckDBPyConnection, base: VersionRecord, plan: Plan
) -> tuple[Path, int, dict[str, Any]]:
    """The plan's result as a staged Parquet file, with its row count and Table Schema."""
    source = f"read_parquet({quote_literal(str(store.path_of(base)))})"
    columns = con.sql(f"SELECT * FROM {plan.source or source}").columns
    sql = plan.sql(source, columns)
    for name, function in plan.functions.items():
        con.create_function(name, function, [duckdb.sqltype("VARCHAR")], duckdb.sqltype("VARCHAR"),
                            type=PythonUDFType.ARROW)
    staged = store.new_tmp_path()
    try:
        schema = _schema(con.sql(sql), base, plan)
        written = con.execute(f"COPY ({sql}) TO {quote_literal(str(staged))} (FORMAT parquet, COMPRESSION zstd)")
        row = written.fetchone()
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    finally:
        for name in plan.functions:
            con.remove_function(name)
    return staged, int(row[0]) if row else 0, schema


def record(report: PrivacyReport, settles: Callable[[Finding], bool], action: str, base: int,
           reason: str | None) -> tuple[list[Finding], list[Finding]]:
    """Every finding, the open ones `settles` picks marked as handled by `action`; and those picked."""
    at = _now()
    findings, settled = [], []
    for finding in report.findings:
        if finding.is_open and settles(finding):
            finding = finding.resolved(action, base, at, reason)
            settled.append(finding)
        findings.append(finding)
    return findings, settled


Settles = Callable[[Finding], bool]
Builder = Callable[[duckdb.DuckDBPyConnection, VersionRecord, PrivacyReport], tuple[Plan, Settles]]


def derive(store: Store, dataset_id: str, action: str, build: Builder, reason: str | None) -> Resolution:
    """Build the plan on the current version, write the new file, commit it, and record what it settled."""
    base = store.version(dataset_id)
    report = current_report(store, dataset_id)
    con = store.duck()
    try:
        plan, settles = build(con, base, report)
        staged, rows, schema = _write(store, con, base, plan)
    finally:
        con.close()
    findings, settled = record(report, settles, action, base.number, reason)
    columns = tuple(f["name"] for f in schema["fields"])
    carried = report.with_findings(findings, rows=rows, columns=columns, dataset_id=dataset_id, version=None)
    try:
        committed = store.commit_version(
            dataset_id, staged, row_count=rows, table_schema=schema,
            source={**base.source, "derived_from": base.number, "privacy_action": action},
            report={"derived_from": base.number, "crs": base.report.get("crs"), "privacy": carried.to_dict(),
                    "geometry_columns": [f["name"] for f in schema["fields"] if f.get("type") == "geometry"]},
        )
    finally:
        staged.unlink(missing_ok=True)
    final = carried.with_findings(findings, version=committed.version.number)
    save_report(store, final)
    return Resolution(action, dataset_id, committed.version.number, committed.created, base.number, tuple(settled),
                      final)


def function_name() -> str:
    """A name for a Python function registered with DuckDB; unique, because the database is shared."""
    return f"wierde_privacy_{uuid.uuid4().hex}"


def check_columns(base: VersionRecord, columns: Sequence[str]) -> list[str]:
    known = [f["name"] for f in base.fields]
    missing = [c for c in columns if c not in known]
    if missing or not columns:
        raise InvalidInput(f"no column {', '.join(missing) or '(none given)'}; the columns are {', '.join(known)}")
    return list(columns)


def breaks(gone: set[str]) -> Callable[[Finding], bool]:
    """A finding is settled when its column is gone or changed, or a column it needs (y, huisnummer) is."""
    return lambda f: f.column in gone or any(c in gone for c in f.with_columns)


def describe(resolution: Resolution) -> dict[str, Any]:
    """A short, JSON-ready account of a resolution (the CLI prints it)."""
    return {
        "action": resolution.action, "dataset": resolution.dataset_id, "version": resolution.version,
        "created": resolution.created, "derived_from": resolution.derived_from,
        "resolved": [f.to_dict() for f in resolution.resolved], "open": len(resolution.report.open_findings),
    }
