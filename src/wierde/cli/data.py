"""The `wierde` commands that move data: ingest, publish, export, serve and demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from wierde.cli.common import Home, JsonOut, app, clear_errors, console, emit_json, open_store
from wierde.errors import NotFound
from wierde.store.repository import Store


def parse_types(values: list[str]) -> dict[str, str]:
    types: dict[str, str] = {}
    for item in values:
        column, sep, kind = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"--type takes COLUMN=TYPE, got {item!r}")
        types[column.strip()] = kind.strip()
    return types


@app.command()
@clear_errors
def ingest(
    file: Annotated[Path, typer.Argument(help="CSV, XLSX, (ND)JSON, GeoJSON, GeoPackage, zipped Shapefile, Parquet.")],
    dataset: Annotated[str, typer.Option("--dataset", help="Dataset id (lower-case slug).")],
    title: Annotated[str | None, typer.Option("--title", help="Title (Dutch) for a new dataset.")] = None,
    type_: Annotated[list[str], typer.Option("--type", help="Override a column type: COLUMN=TYPE.")] = [],  # noqa: B006
    quarantine: Annotated[bool, typer.Option("--quarantine", help="Load good rows, set bad rows aside.")] = False,
    delimiter: Annotated[str | None, typer.Option("--delimiter")] = None,
    encoding: Annotated[str | None, typer.Option("--encoding")] = None,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Load a file as a new draft version of a dataset (no new version when the content is unchanged)."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from wierde.collect.files import ReadOptions
    from wierde.collect.ingest import ingest as run_ingest
    from wierde.protect import audit
    from wierde.protect.access import OPERATOR

    store = open_store(home)
    options = ReadOptions(
        types=parse_types(type_), bad_rows="quarantine" if quarantine else "refuse",
        delimiter=delimiter, encoding=encoding,
    )
    meta = None
    if title:
        meta = {**_existing_meta(store, dataset), "title": {"nl": title}}
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True, disable=as_json) as progress:
        progress.add_task(f"Ingesting {file.name} into {dataset}", total=None)
        outcome = run_ingest(store, file, dataset, options, meta=meta)
    v = outcome.version
    audit.record_for(store, OPERATOR, "ingest", target=dataset,
                     detail={"file": file.name, "version": v.number, "created": outcome.created, "via": "cli"})
    if as_json:
        emit_json({"dataset": dataset, "version": v.number, "created": outcome.created, "rows": v.row_count,
                   "rejected": outcome.rejected, "content_hash": v.content_hash, "schema": v.table_schema,
                   "privacy_findings": outcome.privacy_findings})
        return
    if outcome.created:
        console.print(f"[green]{dataset}[/] version {v.number}: {v.row_count:,} rows"
                      + (f", {outcome.rejected:,} rows quarantined" if outcome.rejected else ""))
        if outcome.privacy_findings:
            console.print(f"[yellow]{outcome.privacy_findings} possible personal-data finding(s)[/]: "
                          f"review them with wierde scan {dataset}")
    else:
        console.print(f"[yellow]{dataset}[/]: content unchanged, still version {v.number}")


def _existing_meta(store: Store, dataset_id: str) -> dict[str, Any]:
    try:
        return dict(store.dataset(dataset_id).meta)
    except NotFound:  # a new dataset: nothing to keep
        return {}


@app.command()
@clear_errors
def publish(
    dataset_id: str,
    licence: Annotated[str | None, typer.Option(
        "--licence", help="Licence as an SPDX id: CC0-1.0, CC-BY-4.0, CC-BY-SA-4.0, ODbL-1.0, …")] = None,
    theme: Annotated[str | None, typer.Option(
        "--theme", help="EU data theme code(s), comma separated: AGRI, ECON, ENVI, REGI, SOCI, TRAN, …")] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="Why, for the audit log.")] = None,
    check_only: Annotated[bool, typer.Option("--check", help="Only list what is missing; change nothing.")] = False,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Publish a dataset once the gate's checks pass (metadata, licence, personal data, disclosure control).

    Missing title, description, publisher and contact point are filled in from the dataset id, its columns and
    the instance's settings; a refusal exits non-zero and prints every reason.
    """
    from wierde.cli.gate import operator
    from wierde.errors import Conflict
    from wierde.protect import gate

    store = open_store(home)
    if check_only:
        reasons = gate.check(store, dataset_id, licence=licence, theme=theme)
        if reasons:
            raise Conflict(f"{dataset_id} cannot be published yet", reasons=reasons)
        console.print(f"[green]{dataset_id}[/] passes every check")
        return
    record = gate.publish(store, operator(purpose), dataset_id, licence=licence, theme=theme, purpose=purpose)
    if as_json:
        emit_json({"dataset": record.id, "status": record.status, "version": record.current_version,
                   "licence": record.meta.get("licence"), "themes": record.meta.get("themes")})
        return
    console.print(f"[green]{dataset_id}[/] is published (version {record.current_version}, "
                  f"licence {record.meta.get('licence')})")


@app.command("export")
@clear_errors
def export_(
    dataset_id: str,
    format_: Annotated[str, typer.Option("--format", help="json, csv, geojson, gpkg, parquet or xlsx.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: stdout).")] = None,
    version: Annotated[int | None, typer.Option("--version")] = None,
    home: Home = None,
) -> None:
    """Export a dataset version in a download format."""
    import sys

    from wierde.protect.access import OPERATOR
    from wierde.publish.download import download

    store = open_store(home)
    stream = download(store, OPERATOR, dataset_id, format_, version=version)
    target = output.open("wb") if output else sys.stdout.buffer
    try:
        for chunk in stream.chunks or ():
            target.write(chunk)
    finally:
        if output:
            target.close()
    if output:
        console.print(f"Wrote {output}")



@app.command()
@clear_errors
def diff(
    dataset_id: str,
    old: int,
    new: int,
    key: Annotated[str | None, typer.Option("--key", help="Key columns, comma separated.")] = None,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Rows added, removed and changed between two versions."""
    from dataclasses import asdict

    from wierde.protect.access import OPERATOR
    from wierde.publish.diff import diff_versions

    keys = tuple(k.strip() for k in key.split(",")) if key else ()
    result = diff_versions(open_store(home), OPERATOR, dataset_id, old, new, keys)
    if as_json:
        emit_json(asdict(result))
        return
    console.print(f"{dataset_id} v{old} → v{new}: [green]+{result.added:,}[/] added, [red]-{result.removed:,}[/] "
                  f"removed, [yellow]~{result.changed:,}[/] changed")
    for label, names in (("columns added", result.columns_added), ("columns removed", result.columns_removed)):
        if names:
            console.print(f"{label}: {', '.join(names)}")


@app.command()
@clear_errors
def metadata(
    dataset_id: str,
    file: Annotated[Path | None, typer.Option("--file", help="A YAML file to apply (validated first).")] = None,
    home: Home = None,
) -> None:
    """Show a dataset's metadata as YAML, or replace it from a YAML file."""
    import yaml

    from wierde.catalog.editing import load_yaml, update_metadata
    from wierde.protect.access import OPERATOR

    store = open_store(home)
    if file is not None:
        update_metadata(store, OPERATOR, dataset_id, load_yaml(file), where=str(file))
        console.print(f"Metadata of [green]{dataset_id}[/] updated")
        return
    typer.echo(yaml.safe_dump(store.dataset(dataset_id).meta, sort_keys=False, allow_unicode=True))
