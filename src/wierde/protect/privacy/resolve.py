"""Resolving personal-data findings: drop, pseudonymise, generalise or aggregate make a NEW version (never an
edit); accept records a steward's reasoned decision on the current version. Each is recorded with the findings it
settled, in the version's `report["privacy"]` and its privacy file.
"""

# ruff: noqa: S608  -- SQL is built from quoted identifiers and literals of the version being resolved.
from __future__ import annotations

from collections.abc import Sequence

import duckdb

from wierde.errors import InvalidInput, NotFound
from wierde.protect.privacy import pseudonyms
from wierde.protect.privacy.derive import (
    Resolution,
    Settles,
    breaks,
    check_columns,
    derive,
    function_name,
    record,
)
from wierde.protect.privacy.generalise import generalise
from wierde.protect.privacy.records import save_report
from wierde.protect.privacy.report import ACTIONS, PrivacyReport
from wierde.protect.privacy.status import current_report
from wierde.protect.privacy.transforms import Plan
from wierde.regions.hierarchy import RegionSet
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.records import VersionRecord
from wierde.store.repository import Store

COUNT_COLUMN = "aantal"


def drop(store: Store, dataset_id: str, columns: Sequence[str], *, reason: str | None = None) -> Resolution:
    """A new version without `columns`."""
    def build(con: duckdb.DuckDBPyConnection, base: VersionRecord, report: PrivacyReport) -> tuple[Plan, Settles]:
        chosen = check_columns(base, columns)
        return Plan(drop=chosen), breaks(set(chosen))
    return derive(store, dataset_id, "drop", build, reason)


def pseudonymise(store: Store, dataset_id: str, columns: Sequence[str], *, reason: str | None = None) -> Resolution:
    """A new version with each value of `columns` replaced by its keyed HMAC-SHA256 pseudonym."""
    key = pseudonyms.load_key(store.settings)

    def build(con: duckdb.DuckDBPyConnection, base: VersionRecord, report: PrivacyReport) -> tuple[Plan, Settles]:
        chosen = check_columns(base, columns)
        plan = Plan()
        for column in chosen:
            if column in base.geometry_columns:
                raise InvalidInput(f"{column!r} is a geometry: generalise or drop it instead")
            kinds = {f.kind for f in report.for_column(column) if f.column == column and not f.in_text}
            function = function_name()
            plan.functions[function] = pseudonyms.arrow_pseudonyms(key, kinds.pop() if len(kinds) == 1 else None)
            plan.replace[column] = f"{function}(CAST({quote_ident(column)} AS VARCHAR))"
            plan.fields[column] = {"type": "string", "description": "pseudoniem (HMAC-SHA256)"}
        return plan, breaks(set(chosen))
    return derive(store, dataset_id, "pseudonymise", build, reason)


def aggregate(store: Store, dataset_id: str, by: Sequence[str], *, reason: str | None = None) -> Resolution:
    """A new version with one row per combination of `by` and its number of rows (column `aantal`)."""
    def build(con: duckdb.DuckDBPyConnection, base: VersionRecord, report: PrivacyReport) -> tuple[Plan, Settles]:
        chosen = check_columns(base, by)
        count = COUNT_COLUMN if COUNT_COLUMN not in chosen else f"{COUNT_COLUMN}_rijen"
        source = f"read_parquet({quote_literal(str(store.path_of(base)))})"
        keys = ", ".join(quote_ident(c) for c in chosen)
        grouped = f"(SELECT {keys}, count(*) AS {quote_ident(count)} FROM {source} GROUP BY ALL ORDER BY ALL)"
        gone = {f["name"] for f in base.fields} - set(chosen)
        return Plan(source=grouped, fields={count: {"type": "integer"}}), breaks(gone)
    return derive(store, dataset_id, "aggregate", build, reason)


def accept(store: Store, dataset_id: str, column: str, reason: str, *, kind: str | None = None) -> Resolution:
    """A steward's reasoned acceptance (e.g. a public official's work e-mail); no new data, so no new version."""
    if not reason or not reason.strip():
        raise InvalidInput("an acceptance needs a reason (--reason), e.g. 'work e-mail of public officials'")
    version = store.version(dataset_id)
    report = current_report(store, dataset_id)
    targets = [f for f in report.open_findings if f.column == column and kind in (None, f.kind)]
    if not targets:
        raise NotFound(f"no open finding in column {column!r}" + (f" of kind {kind!r}" if kind else ""))
    findings, settled = record(report, lambda f: f in targets, "accept", version.number, reason.strip())
    final = report.with_findings(findings, dataset_id=dataset_id, version=version.number)
    save_report(store, final)
    return Resolution("accept", dataset_id, version.number, False, version.number, tuple(settled), final)


def resolve(store: Store, dataset_id: str, action: str, column: str | None = None, *, reason: str | None = None,
            by: Sequence[str] = (), kind: str | None = None, regions: RegionSet | None = None) -> Resolution:
    """One entry point for the CLI and the steward's pages."""
    if action not in ACTIONS:
        raise InvalidInput(f"unknown action {action!r}; actions are {', '.join(ACTIONS)}")
    if action == "aggregate":
        return aggregate(store, dataset_id, by, reason=reason)
    if not column:
        raise InvalidInput(f"{action} needs a column")
    if action == "drop":
        return drop(store, dataset_id, [column], reason=reason)
    if action == "pseudonymise":
        return pseudonymise(store, dataset_id, [column], reason=reason)
    if action == "accept":
        return accept(store, dataset_id, column, reason or "", kind=kind)
    return generalise(store, dataset_id, column, reason=reason, regions=regions)
