"""The `wierde` commands around publication: disclosure control before it, withdrawal and purge after it."""

from __future__ import annotations

import getpass
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
import yaml
from rich.table import Table

from wierde.cli.common import Home, JsonOut, app, clear_errors, console, emit_json, open_store
from wierde.protect import disclosure as sdc
from wierde.protect.access import OPERATOR, Principal
from wierde.store.repository import Store

if TYPE_CHECKING:  # the purge machinery loads the view engines; only `wierde purge` needs them
    from wierde.protect.purge_views import Purged


def operator(purpose: str | None = None) -> Principal:
    """Whoever runs the command: an administrator of the instance, named after the system account for the log."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no account name in a bare container
        user = "operator"
    return replace(OPERATOR, name=f"{user} (command line)", purpose=purpose or OPERATOR.purpose)


@app.command()
@clear_errors
def withdraw(
    dataset_id: str,
    reason: Annotated[str, typer.Option("--reason", help="Why it is withdrawn (kept in the audit log).")],
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Stop serving a published dataset; the reason and who did it go into the audit log."""
    from wierde.protect.gate import withdraw as run_withdraw

    record = run_withdraw(open_store(home), operator(reason), dataset_id, reason)
    if as_json:
        emit_json({"dataset": record.id, "status": record.status})
        return
    console.print(f"[yellow]{dataset_id}[/] is withdrawn: no longer served")


@app.command()
@clear_errors
def purge(
    dataset_id: str,
    version: Annotated[int, typer.Option("--version", help="The version whose data must be erased.")],
    reason: Annotated[str, typer.Option("--reason", help="The legal ground for erasure (kept in the audit log).")],
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Erase a version's data where the law requires it: its files are deleted, a tombstone stays. Irreversible.

    Every view and indicator version computed from it is purged too; the views and indicators whose current data
    went are computed again from their inputs' current versions, or stay offline when that fails.
    """
    from wierde.protect.gate import purge_with_views

    store = open_store(home)
    done = purge_with_views(store, operator(reason), dataset_id, version, reason)
    status = store.dataset(dataset_id).status
    if as_json:
        emit_json({"dataset": dataset_id, "version": done.tombstone.number, "status": status,
                   "purged": done.tombstone.report.get("purged"),
                   "views_purged": [asdict(v) for v in done.views],
                   "views_refreshed": [asdict(r) for r in done.recoveries if r.refreshed],
                   "views_failed": [asdict(r) for r in done.recoveries if not r.refreshed],
                   "indicators_purged": [asdict(i) for i in done.indicators],
                   "indicators_recomputed": [asdict(r) for r in done.recomputed if r.recomputed],
                   "indicators_failed": [asdict(r) for r in done.recomputed if not r.recomputed]})
        return
    console.print(f"[red]{dataset_id}[/] version {version} is purged (its data deleted); dataset status: {status}")
    _print_cascade(done)


def _print_cascade(done: Purged) -> None:
    """What else the purge took: view and indicator versions computed from it, and how each came back (or not)."""
    from wierde.monitor.spec import DATASET_PREFIX

    for item in (*done.views, *done.indicators):
        current = " (its current version)" if item.was_current else ""
        name = item.dataset_id.removeprefix(DATASET_PREFIX) if item.kind == "indicator" else item.dataset_id
        console.print(f"also purged: {item.kind} [red]{name}[/] version {item.version}{current}, computed from "
                      f"{item.via}", highlight=False)
    for r in done.recoveries:
        if r.refreshed:
            console.print(f"refreshed: view [green]{r.view}[/] is at version {r.version} (status: {r.status})",
                          highlight=False)
        elif r.was_purged:
            console.print(f"[red]offline[/]: view {r.view} stays purged: {r.error}", highlight=False)
        else:
            console.print(f"[yellow]not refreshed[/]: view {r.view} stays at version {r.version}: {r.error}",
                          highlight=False)
    for i in done.recomputed:
        if i.recomputed:
            console.print(f"recomputed: indicator [green]{i.indicator}[/] is at version {i.version} (status: "
                          f"{i.status})", highlight=False)
        else:
            console.print(f"[red]offline[/]: indicator {i.indicator} stays purged: {i.error}", highlight=False)


def _total(items: list[str]) -> dict[str, list[str]]:
    totals: dict[str, list[str]] = {}
    for item in items:
        total, sep, parts = item.partition("=")
        if not sep or "+" not in parts:
            raise typer.BadParameter(f"--total takes TOTAL=PART+PART[+…], got {item!r}")
        totals[total.strip()] = [p.strip() for p in parts.split("+") if p.strip()]
    return totals


def _wanted(store: Store, dataset_id: str, file: Path | None, given: dict[str, Any]) -> sdc.DisclosureConfig | None:
    """The profile asked for: a YAML file, else the saved one with the options given on top; None: none at all."""
    if file is not None:
        raw = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
        return sdc.DisclosureConfig.from_mapping(raw, where=str(file))
    saved = sdc.load_config(store, dataset_id)
    options = {key: value for key, value in given.items() if value not in (None, "", [], {})}
    if not options:
        return saved
    merged = {**(saved.to_mapping() if saved else {}), **options}
    return sdc.DisclosureConfig.from_mapping(merged, where="options")


@app.command("disclosure")
@clear_errors
def disclosure_command(
    dataset_id: str,
    profile: Annotated[str | None, typer.Option("--profile", help="Publication profile: cbs.")] = None,
    counts: Annotated[str | None, typer.Option("--counts", help="Count columns, comma separated.")] = None,
    population: Annotated[str | None, typer.Option("--population", help="Persons behind each row.")] = None,
    households: Annotated[str | None, typer.Option("--households", help="Households behind averages.")] = None,
    averages: Annotated[str | None, typer.Option("--averages", help="Average/percentage columns.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="Column of CBS region codes.")] = None,
    period: Annotated[str | None, typer.Option("--period", help="Period column (default: period).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="Other dimensions of a cell, comma separated.")] = None,
    total: Annotated[list[str], typer.Option("--total", help="TOTAL=PART+PART: a column that sums others.")
                     ] = [],  # noqa: B006
    min_persons: Annotated[int | None, typer.Option("--min-persons", help="Secret below this (CBS: 10).")] = None,
    min_households: Annotated[int | None, typer.Option(
        "--min-households", help="Averages need this many persons/households behind them (CBS: 100).")] = None,
    quasi_identifiers: Annotated[str | None, typer.Option(
        "--quasi-identifiers", help="Microdata: columns that together could single someone out.")] = None,
    k: Annotated[int | None, typer.Option("--k", help="Microdata: the smallest group allowed (default 5).")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="A YAML file with a `disclosure:` block.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Only report (k-anonymity, applied or not).")] = False,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Configure a dataset's disclosure control and apply it as a new version (rounding, suppression, k-anonymity).

    Without options, the saved profile is applied to the current data.
    """
    store = open_store(home)
    given = {"profile": profile, "counts": counts, "population": population, "households": households,
             "averages": averages, "region": region, "period": period, "by": by, "totals": _total(total),
             "min_persons": min_persons, "min_households": min_households,
             "quasi_identifiers": quasi_identifiers, "k": k}
    config = _wanted(store, dataset_id, file, given)
    if config is None:
        raise typer.BadParameter(f"{dataset_id} has no disclosure profile yet: give --profile cbs and its columns "
                                 "(--counts, --population, --averages …) or --file")
    if check:
        _report_check(store, dataset_id, config, as_json)
        return
    if config != sdc.load_config(store, dataset_id):
        sdc.save_config(store, dataset_id, config)
    applied = sdc.apply_profile(store, dataset_id, config)
    if as_json:
        emit_json({"dataset": dataset_id, "version": applied.version, "created": applied.created,
                   "derived_from": applied.derived_from, "disclosure": applied.report})
        return
    _print_applied(applied)


def _print_applied(applied: sdc.Applied) -> None:
    what = f"new version {applied.version}" if applied.created else f"version {applied.version} (unchanged)"
    console.print(f"[green]{applied.dataset_id}[/] {what} from version {applied.derived_from}, "
                  f"profile {applied.report['profile']}")
    table = Table("column", "kind", "suppressed", "of which secondary", "rounded")
    for name, stats in applied.report.get("columns", {}).items():
        table.add_row(name, stats["kind"], f"{stats['suppressed']:,}", f"{stats['secondary']:,}",
                      f"{stats['rounded']:,}")
    if applied.report.get("columns"):
        console.print(table)
    kanon = applied.report.get("k_anonymity")
    if kanon:
        console.print(f"k-anonymity (k={kanon['k']}): {kanon['risky_records']:,} risky records; generalised: "
                      f"{kanon.get('generalised') or 'nothing'}; removed: {kanon.get('records_removed', 0):,}")


def _report_check(store: Store, dataset_id: str, config: sdc.DisclosureConfig, as_json: bool) -> None:
    version = store.version(dataset_id)
    out: dict[str, Any] = {"dataset": dataset_id, "version": version.number,
                           "applied": sdc.is_applied(config, version)}
    if config.quasi_identifiers:
        con = store.duck()
        try:
            found = sdc.check_k_anonymity(con, store.path_of(version), config.quasi_identifiers, config.k)
        finally:
            con.close()
        out["k_anonymity"] = {**found.as_report(),
                              "risky_groups": [{"values": g.values, "size": g.size} for g in found.risky_groups],
                              "proposal": found.proposal.__dict__ if found.proposal else None}
    if as_json:
        emit_json(out)
        return
    state = "applied to" if out["applied"] else "not yet applied to"
    console.print(f"{dataset_id}: profile {config.profile} {state} version {version.number}")
    kanon = out.get("k_anonymity")
    if kanon:
        console.print(f"{kanon['risky_records']:,} of {kanon['records']:,} records are in groups smaller than "
                      f"{kanon['k']}")
        for group in kanon["risky_groups"][:10]:
            console.print(f"  {group['size']} × {group['values']}", highlight=False)
        if kanon["proposal"]:
            proposal = kanon["proposal"]
            console.print(f"proposal: {proposal['steps']} leaves {proposal['risky_records']:,} risky records")
