"""Statistical disclosure control, so published statistics and microdata never single out a person.

A publication profile is applied to a version by DuckDB SQL and committed as a NEW version (the original stays as
it was). The built-in "cbs" profile does what CBS does for neighbourhood statistics:

- counts are randomly rounded to multiples of 5, unbiased: with r = count mod 5 the count goes up to the next
  multiple with probability r/5 and down otherwise, so the expected published value is the true value. The random
  number comes from a keyed hash of (dataset, region code, period, column) with the instance's key, so the same
  cell rounds the same way in every run and every version: republishing cannot average the rounding away;
- a count of 1-9, and every value of a row with fewer than `min_persons` (10) persons behind it, is secret;
- averages and percentages are secret with fewer than `min_households` (100) persons or households behind them;
- secondary suppression: where a suppressed cell could be recomputed from a total, one more cell is suppressed.
  A total is the parent region's row (buurt → wijk → gemeente → provincie, when the parent row is in the data) or
  a column declared as the sum of others (`totals: {inwoners: [mannen, vrouwen]}`). Rule: when exactly one part of
  a visible total is suppressed, the smallest visible part is suppressed too (the total itself when no other part
  is left); when a total is suppressed and every part is visible, the smallest part is suppressed. This repeats
  until no total gives a suppressed cell away.

Microdata get k-anonymity on declared quasi-identifiers: `check_k_anonymity` reports the records in groups smaller
than k and proposes the generalisation (birth year → 5-year band, PC6 → PC4, …) that fixes them, found by
re-running the check; applying a profile with `quasi_identifiers` publishes that generalisation.

Each published cell that was changed gets a marker in a companion column `<column>__status` ("suppressed" or
"rounded"), so every door (portal, API, downloads) carries it without knowing about this module; the version's
`report["disclosure"]` says, per column, how many cells were suppressed or rounded, with the profile and thresholds.

The configuration is a `disclosure:` block kept per dataset in `<home>/disclosure/<id>.yaml`:

    disclosure:
      profile: cbs
      counts: [mannen, vrouwen, huishoudens]
      population: inwoners        # the persons behind each row's values (itself a count)
      households: huishoudens     # optional: the households behind averages (else the population)
      averages: [gemiddeld_inkomen, perc_koopwoningen]
      region: regio_code          # default: the finest of bu_code, wk_code, gm_code, pv_code
      period: period              # default: `period` when the version has it
      totals: {inwoners: [mannen, vrouwen]}
      min_persons: 10
      min_households: 100
      quasi_identifiers: [pc6, geboortejaar, geslacht]   # microdata
      k: 5

This module applies a profile to a version; the parts are modules of their own: disclosure_config (the block, where
it is kept, the key), disclosure_cells (the SQL of rounding, primary suppression and the markers),
disclosure_secondary and disclosure_kanon (k-anonymity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from wierde.errors import InvalidInput
from wierde.protect.disclosure_cells import (
    ROUNDED,
    STATUS_SUFFIX,
    SUPPRESSED,
    Names,
    column_statistics,
    output_sql,
    source_view,
    status_column,
)
from wierde.protect.disclosure_config import (
    INT_KEYS,
    PROFILES,
    DisclosureConfig,
    Profile,
    check_columns,
    config_path,
    instance_key,
    load_config,
    save_config,
)
from wierde.protect.disclosure_kanon import KAnonymity, check_k_anonymity
from wierde.protect.disclosure_secondary import suppress_secondary
from wierde.sqltext import quote_literal
from wierde.store.records import VersionRecord
from wierde.store.repository import Store

# The CLI, the gate, views and tests use these from here.
__all__ = ["PROFILES", "ROUNDED", "STATUS_SUFFIX", "SUPPRESSED", "Applied", "DisclosureConfig", "KAnonymity",
           "Profile", "apply_profile", "check_columns", "check_k_anonymity", "config_path", "instance_key",
           "is_applied", "load_config", "save_config", "status_column"]


@dataclass(frozen=True)
class Applied:
    """What applying a profile did: the version that holds the result and its `report["disclosure"]`."""

    dataset_id: str
    version: int
    created: bool  # False: the current version already is this profile's result
    derived_from: int
    report: dict[str, Any]


def is_applied(config: DisclosureConfig, version: VersionRecord) -> bool:
    return (version.report.get("disclosure") or {}).get("digest") == config.digest()


def apply_profile(store: Store, dataset_id: str, config: DisclosureConfig | None = None) -> Applied:
    """Apply the dataset's profile (or `config`) to its current data, committed as a new version."""
    config = config or load_config(store, dataset_id)
    if config is None:
        raise InvalidInput(f"{dataset_id} has no disclosure profile: configure one first, e.g. "
                           f"`wierde disclosure {dataset_id} --profile cbs --counts COLUMNS --population COLUMN`")
    current = store.version(dataset_id)
    if is_applied(config, current):
        report = current.report["disclosure"]
        return Applied(dataset_id, current.number, False, int(report.get("applied_to", current.number)), report)
    base = _base_of(store, current)
    check_columns(config, base)
    con = store.duck()
    try:
        staged, rows, report = _write(store, con, base, config)
    finally:
        con.close()
    privacy = _privacy_of(store, base)
    try:
        committed = store.commit_version(
            dataset_id, staged, row_count=rows, table_schema=_schema(base, config, report),
            source={**base.source, "derived_from": base.number, "disclosure_profile": config.profile},
            report=_version_report(base, report, privacy),
        )
    finally:
        staged.unlink(missing_ok=True)
    if privacy is not None and committed.created:
        _save_privacy(store, privacy, committed.version.number)
    return Applied(dataset_id, committed.version.number, committed.created, base.number, report)


def _base_of(store: Store, current: VersionRecord) -> VersionRecord:
    """A profile's own output is re-derived from what it was made from, so thresholds can also be lowered."""
    applied_to = (current.report.get("disclosure") or {}).get("applied_to")
    if not applied_to:
        return current
    base = store.version(current.dataset_id, int(applied_to))
    return current if "purged" in base.report else base


def _version_report(base: VersionRecord, disclosure: dict[str, Any], privacy: Any) -> dict[str, Any]:
    report: dict[str, Any] = {"derived_from": base.number, "crs": base.report.get("crs"), "disclosure": disclosure,
                              "geometry_columns": base.geometry_columns}
    if privacy is not None:  # committed before its number is known, as privacy.derive does
        report["privacy"] = {**privacy.to_dict(), "version": None}
    return report


def _privacy_of(store: Store, base: VersionRecord) -> Any:
    """The base's privacy report, if it has one: decisions on its findings hold for the protected data too."""
    from wierde.protect.privacy.records import load_report

    return load_report(store, base.dataset_id, base.number)


def _save_privacy(store: Store, privacy: Any, number: int) -> None:
    from wierde.protect.privacy.records import save_report

    save_report(store, privacy.with_findings(privacy.findings, version=number))


def _schema(base: VersionRecord, config: DisclosureConfig, report: Mapping[str, Any]) -> dict[str, Any]:
    markers = {status_column(c) for c in config.measures}
    generalised = (report.get("k_anonymity") or {}).get("generalised") or {}
    fields = [{"name": f["name"], "type": "string", "description": f"generalised for k-anonymity: "
               f"{generalised[f['name']]}"} if f["name"] in generalised else f
              for f in base.fields if f["name"] not in markers]
    fields += [{"name": status_column(c), "type": "string",
                "description": f"disclosure control of {c}: suppressed (secret) or rounded (random, to multiples "
                               f"of {config.rounding_base}); empty: published as it is"}
               for c in config.measures]
    return {**base.table_schema, "fields": fields}


def _write(store: Store, con: duckdb.DuckDBPyConnection, base: VersionRecord,
           config: DisclosureConfig) -> tuple[Path, int, dict[str, Any]]:
    """The protected data as a staged Parquet file, with its row count and what was done to it."""
    staged = store.new_tmp_path()
    names = Names()
    try:
        # Set once as a variable, so the key never shows in the queries below, their plans or error messages
        # (a bound parameter would do too, but makes DuckDB import pandas: seconds on a command's start-up).
        key = quote_literal(instance_key(store.settings).decode("ascii"))
        con.execute(f"SET VARIABLE {names.get('key')} = {key}")
        kanon = source_view(con, store.path_of(base), base, config, names)
        secondary = suppress_secondary(con, config, names) if config.count_columns else {}
        written = con.execute(f"COPY ({output_sql(con, config, names)}) TO {quote_literal(str(staged))} "
                              f"(FORMAT parquet, COMPRESSION zstd)")
        row = written.fetchone()
        columns = column_statistics(con, staged, config, secondary)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    finally:
        con.execute(f"RESET VARIABLE {names.get('key')}")
        names.drop(con)
    report: dict[str, Any] = {
        "profile": config.profile, "digest": config.digest(), "applied_to": base.number,
        "applied_at": datetime.now(UTC).isoformat(timespec="seconds"), "config": config.to_mapping(),
        "thresholds": {key: getattr(config, key) for key in INT_KEYS}, "columns": columns,
        "markers": {c: status_column(c) for c in config.measures},
    }
    if kanon is not None:
        report["k_anonymity"] = kanon
    return staged, int(row[0]) if row else 0, report

