"""The `wierde access` command: who may read a dataset, and why not everyone."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from wierde.cli.common import Home, JsonOut, app, clear_errors, console, emit_json, open_store
from wierde.protect.access import OPERATOR
from wierde.protect.classify import describe, set_access


def _column_rules(values: list[str]) -> dict[str, dict[str, str]]:
    rules: dict[str, dict[str, str]] = {}
    for item in values:
        parts = item.split(":")
        if len(parts) != 3 or not all(parts):
            raise typer.BadParameter(f"--column takes NAME:SCOPE:WOO-GROUND, got {item!r}")
        rules[parts[0]] = {"scope": parts[1], "reason": parts[2]}
    return rules


@app.command("access")
@clear_errors
def access_command(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    classification: Annotated[
        str | None, typer.Option("--classification", help="open, restricted or non-public.")
    ] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Scope a reader needs (not open).")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Woo exception ground, e.g. 5.1.2e.")] = None,
    hide_existence: Annotated[
        bool, typer.Option("--hide-existence", help="Non-public: answer 'not found' rather than 'forbidden'.")
    ] = False,
    column: Annotated[
        list[str], typer.Option("--column", help="Withhold a column: NAME:SCOPE:WOO-GROUND (repeatable).")
    ] = [],  # noqa: B006
    home: Home = None,
    as_json: JsonOut = False,
) -> None:
    """Show or change a dataset's access classification, scope, Woo reason and column rules."""
    store = open_store(home)
    record = store.dataset(dataset)
    if classification is not None or column:
        rules: dict[str, Any] = {"scope": scope, "reason": reason, "hide_existence": hide_existence,
                                 "columns": _column_rules(column)}
        record = set_access(store, OPERATOR, dataset, classification or record.classification,
                            {k: v for k, v in rules.items() if v})
    shown = describe(record)
    if as_json:
        emit_json(shown)
        return
    for key, value in shown.items():
        console.print(f"[bold]{key}[/]: {value}", highlight=False)
