"""Commands that run Wierde: serve an instance, or build and serve the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from wierde.cli.common import Home, app, clear_errors, console
from wierde.config import Settings

Port = Annotated[int, typer.Option("--port", help="TCP port on 127.0.0.1 (or --host).")]
Host = Annotated[str, typer.Option("--host", help="Address to listen on.")]


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
) -> None:
    """Build a fresh demo instance (the province of Groningen) and serve it."""
    from rich.progress import Progress

    from wierde.demo.build import build_demo

    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("Building the demo", total=None)
        store, items = build_demo(home, on_item=lambda item: progress.update(task, description=item.dataset_id))
    console.print(f"Demo instance with {len(items)} published datasets in [bold]{store.settings.home}[/]")
    store.close()
    if not build_only:
        run_server(store.settings, host, port)
