"""Commands that run Wierde: serve an instance, or build and serve the demo (with live sources when online)."""

from __future__ import annotations

import socket
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlsplit

import typer

from wierde.cli.common import Home, app, clear_errors, console
from wierde.config import Settings

if TYPE_CHECKING:
    from wierde.collect.harvest import Source
    from wierde.store.repository import Store

Port = Annotated[int, typer.Option("--port", help="TCP port on 127.0.0.1 (or --host).")]
Host = Annotated[str, typer.Option("--host", help="Address to listen on.")]
PROBE_SECONDS = 3.0  # how long a live source's host may take to accept a connection before we call it offline


def run_server(settings: Settings, host: str, port: int) -> None:
    import uvicorn

    from wierde.app import create_app

    console.print(f"Wierde serves [bold]{settings.home}[/] at [bold]http://{host}:{port}[/]  (Ctrl+C stops)")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")


@app.command()
@clear_errors
def serve(home: Home = None, port: Port = 8000, host: Host = "127.0.0.1") -> None:
    """Serve the portal, /api/v1, the CKAN API and the DCAT feed."""
    run_server(Settings.load(home), host, port)


@app.command()
@clear_errors
def demo(
    home: Annotated[Path, typer.Option("--home", help="Folder for the demo instance (rebuilt).")] = Path("demo-home"),
    port: Port = 8000,
    host: Host = "127.0.0.1",
    build_only: Annotated[bool, typer.Option("--build-only", help="Build the instance, do not serve it.")] = False,
    live: Annotated[bool, typer.Option(
        "--live", help="Also harvest the real public sources for the province of Groningen (CBS, PDOK, NDW, KNMI) "
                       "into the demo, when this machine is online; they stay in its sources.yaml.")] = False,
    live_sources: Annotated[Path | None, typer.Option(
        "--live-sources", help="A sources file to harvest instead of the built-in Groningen list (implies --live).",
        exists=True, dir_okay=False)] = None,
) -> None:
    """Build a fresh demo instance (the province of Groningen) and serve it."""
    from rich.progress import Progress

    from wierde.demo.build import build_demo

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Building the demo", total=None)
        store, items = build_demo(home, on_item=lambda item: progress.update(task, description=item.dataset_id))
    console.print(f"Demo instance with {len(items)} published datasets in [bold]{store.settings.home}[/]")
    try:
        if live or live_sources:
            add_live_sources(store, live_sources or builtin_live_sources())
    finally:
        store.close()
    if not build_only:
        run_server(store.settings, host, port)


# --- live sources ---------------------------------------------------------------------------------------------

def builtin_live_sources() -> Path:
    """The list of real Groningen sources shipped with Wierde (wierde/demo/live_sources.yaml)."""
    return Path(str(files("wierde.demo") / "live_sources.yaml"))


def read_sources(path: Path) -> list[Source]:
    """Every source in a sources file, checked as `sources.yaml` is (unknown keys, connectors, dataset ids)."""
    import yaml

    from wierde.collect.harvest import Source
    from wierde.errors import InvalidInput
    from wierde.hookspecs import connector

    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = raw.get("sources") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise InvalidInput(f"{path}: expected `sources:` with a list of sources")
    sources = [Source.from_mapping(item, f"{path}, source {i + 1}") for i, item in enumerate(items)]
    for source in sources:
        connector(source.connector)  # an unknown connector is refused before anything is fetched
    return sources


def reachable(urls: Iterable[str], timeout: float = PROBE_SECONDS) -> list[str]:
    """The hosts (of these URLs) that accept a connection: no request is sent, so nothing is harvested yet."""
    found = []
    for host, port in sorted({_address(url) for url in urls}):
        try:
            socket.create_connection((host, port), timeout=timeout).close()
        except OSError:
            continue
        found.append(host)
    return found


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)


def add_live_sources(store: Store, path: Path) -> None:
    """Install the file's sources in the instance and harvest them now; offline, say so and change nothing."""
    from wierde.collect.harvest import save_source

    sources = read_sources(path)
    online = reachable(source.url for source in sources)
    if not online:
        hosts = ", ".join(sorted({_address(s.url)[0] for s in sources}))
        console.print(f"[yellow]Offline:[/] none of the live sources' hosts answer ({hosts}); the demo has the "
                      "synthetic bundle only. Run `wierde demo --live` again when online.", highlight=False)
        return
    for source in sources:
        save_source(store.settings, source)
    console.print(f"Harvesting {len(sources)} live sources into the demo (sources.yaml keeps them fresh)")
    failed = sum(not harvest_one(store, source) for source in sources)
    harvested = len(sources) - failed
    console.print(f"Live sources: {harvested} harvested and published, {failed} failed"
                  + (" (`wierde sources list` shows why)" if failed else ""))


def harvest_one(store: Store, source: Source) -> bool:
    """Harvest and publish one source; a failure is reported (and logged) and the demo goes on."""
    from wierde.collect.harvest import harvest
    from wierde.errors import WierdeError

    with console.status(f"Harvesting {source.id}", spinner="dots"):
        try:
            record = harvest(store, source)
        except WierdeError as error:
            console.print(f"  [red]✗ {source.id}[/]: {error.detail}", highlight=False)
            return False
    store.set_status(source.dataset, "published")
    rows = record.stats.get("rows")
    console.print(f"  [green]✓ {source.id}[/] → {source.dataset}: version {record.version}"
                  + (f", {rows:,} rows" if isinstance(rows, int) else ""), highlight=False)
    return True
