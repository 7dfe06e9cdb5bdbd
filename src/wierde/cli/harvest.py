"""Commands that bring data in from public sources: harvest, and the sources file."""

from __future__ import annotations

from contextlib import nullcontext, suppress
from typing import Annotated

import typer
from rich.table import Table

from wierde.cli.common import Home, JsonOut, app, clear_errors, console, emit_json, open_store

sources_app = typer.Typer(help="The instance's sources (sources.yaml).", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
Params = Annotated[list[str], typer.Option("--param", help="Connector parameter KEY=VALUE (repeatable).")]


@app.command()
@clear_errors
def harvest(
    source: Annotated[str | None, typer.Argument(help="A source id from sources.yaml.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Harvest every source in sources.yaml.")] = False,
    connector: Annotated[str | None, typer.Option("--connector", help="One-off: the connector name.")] = None,
    url: Annotated[str | None, typer.Option("--url", help="One-off: the source URL.")] = None,
    dataset: Annotated[str | None, typer.Option("--dataset", help="One-off: the target dataset id.")] = None,
    param: Params = [],  # noqa: B006
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Harvest a source (or --all, or a one-off --connector/--url/--dataset); non-zero exit when any fails."""
    from wierde.collect import harvest as harvesting
    from wierde.errors import InvalidInput, WierdeError

    store = open_store(home)
    if connector or url:
        if not (connector and url and dataset):
            raise InvalidInput("a one-off harvest needs --connector, --url and --dataset")
        sources = [harvesting.one_off(connector, url, dataset, harvesting.parse_params(param))]
    elif all_:
        sources = harvesting.load_sources(store.settings)
    elif source:
        sources = [harvesting.find_source(store.settings, source)]
    else:
        raise InvalidInput("name a SOURCE, or give --all, or a one-off --connector/--url/--dataset")
    results, failed = [], 0
    for item in sources:
        with console.status(f"Harvesting {item.id}", spinner="dots") if not as_json else nullcontext():
            try:
                record = harvesting.harvest(store, item)
                results.append({"source": item.id, "dataset": item.dataset, "outcome": record.outcome,
                                "version": record.version, "stats": record.stats})
                if not as_json:
                    console.print(f"[green]{item.id}[/] → {item.dataset}: {record.outcome}, version {record.version}")
            except WierdeError as error:
                failed += 1
                results.append({"source": item.id, "dataset": item.dataset, "outcome": "failed",
                                "error": error.detail})
                if not as_json:
                    console.print(f"[red]{item.id}[/]: {error.detail}", highlight=False)
    if as_json:
        emit_json(results)
    if failed:
        raise typer.Exit(6)


@sources_app.command("add")
@clear_errors
def sources_add(
    source_id: str,
    connector: Annotated[str, typer.Option("--connector")],
    url: Annotated[str, typer.Option("--url")],
    dataset: Annotated[str, typer.Option("--dataset")],
    param: Params = [],  # noqa: B006
    schedule: Annotated[str | None, typer.Option("--schedule", help="hourly, daily, weekly, monthly.")] = None,
    home: Home = None,
) -> None:
    """Add (or replace) a source in sources.yaml."""
    from wierde.collect import harvest as harvesting

    store = open_store(home)
    harvesting.save_source(store.settings, harvesting.Source(
        id=source_id, connector=connector, url=url, dataset=dataset, params=harvesting.parse_params(param),
        schedule=schedule))
    console.print(f"Source [green]{source_id}[/] saved")


@sources_app.command("list")
@clear_errors
def sources_list(home: Home = None, as_json: JsonOut = False) -> None:
    """The sources with their last harvest."""
    from wierde.collect import harvest as harvesting
    from wierde.store import harvest_log

    store = open_store(home)
    rows = []
    for source in harvesting.load_sources(store.settings):
        last = next(iter(harvest_log.history(store, source=source.id, limit=1)), None)
        rows.append({"id": source.id, "connector": source.connector, "dataset": source.dataset,
                     "schedule": source.schedule, "last_outcome": last.outcome if last else None,
                     "last_run": last.started_at.isoformat() if last else None})
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "connector", "dataset", "schedule", "last run", "outcome")
    for r in rows:
        table.add_row(r["id"], r["connector"], r["dataset"], r["schedule"] or "-", r["last_run"] or "-",
                      r["last_outcome"] or "-")
    console.print(table)


@app.command()
@clear_errors
def worker(
    home: Home = None,
    once: Annotated[bool, typer.Option("--once", help="Run what is due now, then stop (for cron).")] = False,
    every: Annotated[float, typer.Option("--every", help="Seconds between checks.")] = 60.0,
) -> None:
    """Run scheduled harvests on their own, for deployments where cron or an orchestrator starts the work."""
    import threading

    from wierde.collect import schedule

    store = open_store(home)
    if once:
        done = schedule.run_due(store)
        console.print(f"harvested: {', '.join(done) or 'nothing was due'}")
        return
    console.print(f"Checking {store.settings.home / 'sources.yaml'} every {every:.0f} s (Ctrl+C stops)")
    def report(done: list[str]) -> None:
        if done:
            console.print(f"harvested: {', '.join(done)}")

    with suppress(KeyboardInterrupt):
        schedule.loop(store, threading.Event(), every, on_round=report)
