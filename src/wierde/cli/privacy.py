"""Commands that find and resolve personal data before anything is published.

`wierde scan ID` exits 0 when the current version has no open finding and FINDINGS_EXIT (6) when it has: not 3,
which every command already uses for "not found", so a script can tell "personal data" from "no such dataset".
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wierde.cli.common import Home, JsonOut, app, clear_errors, console, emit_json, open_store
from wierde.protect.privacy.report import ACTIONS, PrivacyReport

FINDINGS_EXIT = 6


def _table(report: PrivacyReport) -> Table:
    table = Table("kolom", "soort", "aandeel", "aantal", "voorbeelden", "zekerheid", "status", title=(
        f"{report.dataset_id} versie {report.version}: {report.scanned_rows:,} van {report.rows:,} rijen bekeken "
        f"in {report.seconds:.1f} s"
    ))
    for f in report.findings:
        where = " (in tekst)" if f.in_text else ""
        status = "[red]open[/]" if f.is_open else f"[green]{f.resolved_by}[/]" + (f": {f.reason}" if f.reason else "")
        column = f.column + (f" + {', '.join(f.with_columns)}" if f.with_columns else "")
        table.add_row(column, f.kind + where, f"{f.share:.0%}", f"{f.count:,}", ", ".join(f.examples),
                      f"{f.confidence:.2f}", status)
    return table


@app.command()
@clear_errors
def scan(
    dataset_id: str,
    version: Annotated[int | None, typer.Option("--version", help="A version other than the current one.")] = None,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Scan a version for personal data and keep the report; exit 0 if nothing is open, 6 if findings are."""
    from wierde.protect.privacy.scan import scan_version

    report = scan_version(open_store(home), dataset_id, version)
    if as_json:
        emit_json(report.to_dict())
    elif report.findings:
        console.print(_table(report))
    else:
        console.print(f"[green]{dataset_id}[/] versie {report.version}: geen persoonsgegevens gevonden")
    if not report.clean:
        raise typer.Exit(FINDINGS_EXIT)


@app.command()
@clear_errors
def resolve(
    dataset_id: str,
    action: Annotated[str, typer.Option("--action", help=f"One of: {', '.join(ACTIONS)}.")],
    column: Annotated[str | None, typer.Option("--column", help="The column whose findings to resolve.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (required for accept).")] = None,
    by: Annotated[str | None, typer.Option("--by", help="aggregate: count by these columns (comma separated).")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="accept: only this kind of finding.")] = None,
    regions: Annotated[Path | None, typer.Option(
        "--regions", help="generalise: neighbourhood boundaries (GeoJSON/GeoParquet) instead of the instance's."
    )] = None,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Resolve findings: drop, pseudonymise, generalise or aggregate (a new version), or accept with a reason
    (an acceptance also holds for the same column and kind in later versions)."""
    from wierde.protect.privacy.derive import describe
    from wierde.protect.privacy.resolve import resolve as run_resolve
    from wierde.regions.hierarchy import RegionSet

    store = open_store(home)
    region_set = RegionSet.from_files([regions]) if regions else None
    columns = tuple(c.strip() for c in by.split(",") if c.strip()) if by else ()
    done = run_resolve(store, dataset_id, action, column, reason=reason, by=columns, kind=kind, regions=region_set)
    if as_json:
        emit_json(describe(done))
        return
    what = ", ".join(sorted({f"{f.column}: {f.kind}" for f in done.resolved})) or "geen open bevindingen"
    where = f"nieuwe versie {done.version}" if done.created else f"versie {done.version}"
    console.print(f"[green]{dataset_id}[/] {where} ({action}); opgelost: {what}; "
                  f"nog open: {len(done.report.open_findings)}")
