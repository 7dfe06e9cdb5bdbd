"""Commands that look after an instance: init, datasets, versions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from wierde.cli.common import Home, JsonOut, app, clear_errors, console, emit_json, open_store


@app.command()
@clear_errors
def init(directory: Annotated[Path, typer.Argument(help="Folder for the new instance.")]) -> None:
    """Create an empty instance (config, metadata database, data store)."""
    store = open_store(directory)
    config = store.settings.home / "wierde.yaml"
    if not config.exists():
        config.write_text("# Wierde instance settings; see docs/configuration.md\nbase_url: http://127.0.0.1:8000\n")
    console.print(f"Instance ready in [bold]{store.settings.home}[/]")


@app.command()
@clear_errors
def datasets(home: Home = None, as_json: JsonOut = False) -> None:
    """List the datasets of the instance."""
    store = open_store(home)
    from wierde.publish.datasets import title_of

    rows = store.datasets()
    if as_json:
        emit_json([
            {"id": d.id, "title": title_of(d), "status": d.status, "current_version": d.current_version}
            for d in rows
        ])
        return
    table = Table("id", "title", "status", "version")
    for d in rows:
        table.add_row(d.id, title_of(d), d.status, str(d.current_version or "-"))
    console.print(table)


@app.command()
@clear_errors
def versions(dataset_id: str, home: Home = None, as_json: JsonOut = False) -> None:
    """List a dataset's versions."""
    store = open_store(home)
    rows = store.versions(dataset_id)
    current = store.dataset(dataset_id).current_version
    if as_json:
        emit_json([
            {"number": v.number, "current": v.number == current, "content_hash": v.content_hash,
             "row_count": v.row_count, "byte_size": v.byte_size, "created_at": v.created_at.isoformat(),
             "source": v.source}
            for v in rows
        ])
        return
    table = Table("version", "rows", "bytes", "created", "hash", "source")
    for v in rows:
        mark = "*" if v.number == current else ""
        table.add_row(f"{v.number}{mark}", f"{v.row_count:,}", f"{v.byte_size:,}", f"{v.created_at:%Y-%m-%d %H:%M}",
                      v.content_hash[:12], str(v.source.get("file", "")))
    console.print(table)
