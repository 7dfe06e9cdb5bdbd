"""Commands that define, refresh and check views: datasets computed from other datasets."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from wierde.cli.common import Home, JsonOut, app, clear_errors, console, emit_json, open_store
from wierde.errors import InvalidInput

if TYPE_CHECKING:
    from wierde.combine.describe import ViewState
    from wierde.combine.materialise import Refreshed

views_app = typer.Typer(help="Views: datasets computed by SQL from other datasets (views.yaml).", no_args_is_help=True)
app.add_typer(views_app, name="views")
FAILED = 6  # as a failed harvest: the command ran, but some of the work did not succeed


def parse_pins(values: list[str]) -> dict[str, int]:
    pins: dict[str, int] = {}
    for item in values:
        dataset, sep, number = item.partition("=")
        if not sep or not number.strip().isdigit():
            raise typer.BadParameter(f"--pin takes DATASET=VERSION, got {item!r}")
        pins[dataset.strip()] = int(number)
    return pins


def _from_options(view_id: str | None, sql: str, title: str | None, description: str | None, engine: str,
                  publish: bool, pins: dict[str, int]) -> list[dict[str, Any]]:
    if not view_id:
        raise InvalidInput("--sql needs --id: the id of the view's dataset")
    data: dict[str, Any] = {"id": view_id, "title": title or view_id, "sql": sql, "engine": engine,
                            "publish": publish, "pins": pins}
    if description:
        data["description"] = description
    return [data]


def _from_file(file: Path) -> list[Any]:
    import yaml

    from wierde.combine.spec import ViewError

    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ViewError(f"{file}: cannot read it as YAML ({error})") from None
    return raw if isinstance(raw, list) else [raw]


@views_app.command("add")
@clear_errors
def add(
    file: Annotated[Path | None, typer.Argument(help="YAML: one view (a mapping) or several (a list).")] = None,
    sql: Annotated[str | None, typer.Option("--sql", help="The SQL (DuckDB dialect), instead of FILE.")] = None,
    view_id: Annotated[str | None, typer.Option("--id", help="With --sql: the view's dataset id.")] = None,
    title: Annotated[str | None, typer.Option("--title", help="With --sql: the title (Dutch).")] = None,
    description: Annotated[str | None, typer.Option("--description", help="With --sql: a description.")] = None,
    engine: Annotated[str, typer.Option("--engine", help="With --sql: duckdb or spark.")] = "duckdb",
    publish: Annotated[bool, typer.Option("--publish", help="With --sql: publish the view's dataset.")] = False,
    pin: Annotated[list[str], typer.Option("--pin", help="With --sql: DATASET=VERSION (repeatable).")] = [],  # noqa: B006
    replace: Annotated[bool, typer.Option("--replace", help="Replace a view with the same id.")] = False,
    no_refresh: Annotated[bool, typer.Option("--no-refresh", help="Only declare it; refresh later.")] = False,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Add views to views.yaml; each is checked and refreshed first, and added only when that succeeds."""
    from wierde.combine.graph import dependency_order
    from wierde.combine.materialise import define_view
    from wierde.combine.spec import parse_view

    if (file is None) == (sql is None):
        raise InvalidInput("give a YAML FILE or --sql (with --id), not both or neither")
    if file is not None:
        where, raw = str(file), _from_file(file)
    else:
        where, raw = "--sql", _from_options(view_id, sql or "", title, description, engine, publish, parse_pins(pin))
    specs = dependency_order([parse_view(item, where) for item in raw])
    store = open_store(home)
    results = [define_view(store, spec, replace=replace, refresh_now=not no_refresh) for spec in specs]
    pairs = list(zip(specs, results, strict=True))
    if as_json:
        emit_json([{"view": spec.id, **(_refreshed_json(result) if result else {"version": None})}
                   for spec, result in pairs])
        return
    for spec, result in pairs:
        console.print(f"View [green]{spec.id}[/] added" + (f": {_refreshed_text(result)}" if result else ""))


def _refreshed_json(result: Refreshed) -> dict[str, Any]:
    return {"version": result.version.number, "created": result.created, "rows": result.version.row_count,
            "inputs": result.inputs, "engine": result.engine, "seconds": result.seconds}


def _refreshed_text(result: Refreshed) -> str:
    inputs = ", ".join(f"{name} v{number}" for name, number in result.inputs.items())
    what = (f"version {result.version.number}, {result.version.row_count:,} rows" if result.created
            else f"unchanged, still version {result.version.number}")
    return f"{what} (from {inputs}; {result.engine}, {result.seconds:.2f} s)"


def _list_json(state: ViewState) -> dict[str, Any]:
    return {"id": state.id, "title": state.title, "engine": state.engine, "publish": state.publish,
            "status": state.status, "classification": state.classification, "version": state.version,
            "inputs": state.input_versions(), "current_inputs": {i.dataset: i.current for i in state.inputs},
            "pins": {i.dataset: i.current for i in state.inputs if i.pinned}, "stale": state.stale}


@views_app.command("list")
@clear_errors
def list_(home: Home = None, as_json: JsonOut = False) -> None:
    """Each view with the input versions its current data was computed from."""
    from wierde.combine.describe import view_states

    states = view_states(open_store(home))
    if as_json:
        emit_json([_list_json(s) for s in states])
        return
    table = Table("id", "title", "engine", "version", "inputs (version used)", "stale")
    for s in states:
        inputs = ", ".join(f"{i.dataset} v{i.used if i.used is not None else '-'}" + (" (pinned)" if i.pinned else "")
                           for i in s.inputs)
        table.add_row(s.id, s.title.get("nl") or next(iter(s.title.values()), ""), s.engine,
                      str(s.version or "-"), inputs, "yes" if s.stale else "")
    console.print(table)


@views_app.command("show")
@clear_errors
def show(
    view_id: Annotated[str, typer.Argument(help="The view's id.")],
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """A view's definition, its inputs and the lineage of every version."""
    from wierde.combine.describe import visible_state
    from wierde.protect.access import OPERATOR

    state = visible_state(open_store(home), OPERATOR, view_id)
    if as_json:
        emit_json(asdict(state))
        return
    console.print(f"[bold]{state.id}[/] — {state.title.get('nl') or next(iter(state.title.values()), '')}")
    console.print(f"engine {state.engine}, version {state.version or '-'}, {state.status or 'never refreshed'}, "
                  f"{state.classification or '-'}" + (", [yellow]stale[/]" if state.stale else ""))
    console.print(state.sql or "", highlight=False, markup=False)
    table = Table("version", "created", "engine", "inputs")
    for entry in state.lineage:
        table.add_row(str(entry.version), entry.created_at[:19], entry.engine,
                      ", ".join(f"{k} v{v}" for k, v in entry.inputs.items()))
    console.print(table)


@views_app.command("refresh")
@clear_errors
def refresh(
    view_id: Annotated[str | None, typer.Argument(help="The view to refresh (its dependent views follow).")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Refresh every view, in dependency order.")] = False,
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Refresh a view (and the views that read it), or --all; non-zero exit when any fails."""
    from wierde.combine.graph import downstream
    from wierde.combine.materialise import find_view, refresh_all, refresh_many
    from wierde.combine.spec import load_views, views_path

    if (view_id is None) == (not all_):
        raise InvalidInput("name a view or give --all")
    store = open_store(home)
    if all_:
        done, failed = refresh_all(store)
    else:
        view = find_view(store, view_id or "")
        done, failed = refresh_many(store, [view, *downstream(load_views(views_path(store.settings)), view.id)])
    if as_json:
        emit_json({"refreshed": [{"view": r.view, **_refreshed_json(r)} for r in done],
                   "failed": [{"view": e.extra.get("view"), "error": e.detail} for e in failed]})
    else:
        for result in done:
            console.print(f"[green]{result.view}[/]: {_refreshed_text(result)}")
        for error in failed:
            console.print(f"[red]failed:[/] {error.detail}", highlight=False, soft_wrap=True)
    if failed:
        raise typer.Exit(FAILED)


@views_app.command("check")
@clear_errors
def check(
    engine: Annotated[str, typer.Option("--engine", help="The engine to compare each result with.")] = "spark",
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Refresh every view and run it on a second engine too; non-zero exit naming each view whose results differ."""
    from wierde.combine.check import check_engines
    from wierde.combine.spec import ENGINES

    if engine not in ENGINES:
        raise InvalidInput(f"--engine {engine!r}: choose {' or '.join(ENGINES)}")
    results = check_engines(open_store(home), engine)
    if as_json:
        emit_json([asdict(r) for r in results])
    else:
        colour = {"same": "green", "skipped": "yellow", "different": "red", "failed": "red"}
        for r in results:
            detail = f": {r.detail}" if r.detail else ""
            console.print(f"[{colour[r.outcome]}]{r.outcome}[/] {r.view} ({' vs '.join(r.engines)}){detail}",
                          highlight=False, soft_wrap=True)
    bad = [r.view for r in results if not r.ok]
    if bad:
        if not as_json:
            console.print(f"[red]engines disagree or failed on:[/] {', '.join(bad)}", highlight=False)
        raise typer.Exit(1)
