"""What every `wierde` command shares: the Typer app, the console, options and clear error reporting."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from wierde.config import Settings
from wierde.errors import WierdeError
from wierde.store.repository import Store

app = typer.Typer(help="Wierde: a regional open-data platform.", no_args_is_help=True, add_completion=False)
console = Console()
err_console = Console(stderr=True)

Home = Annotated[
    Path | None, typer.Option("--home", envvar="WIERDE_HOME", help="The instance folder (default ./wierde-home).")
]
JsonOut = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
F = TypeVar("F", bound=Callable[..., Any])


def clear_errors(func: F) -> F:
    """Turn a WierdeError into one readable line and its exit code instead of a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except WierdeError as error:
            err_console.print(f"[bold red]error:[/] {error.detail}", highlight=False)
            reasons = error.extra.get("reasons") or []
            for line in reasons if isinstance(reasons, list) else []:
                err_console.print(f"  - {line}", highlight=False)
            raise typer.Exit(error.exit_code) from None

    return wrapper  # type: ignore[return-value]


def open_store(home: Path | None) -> Store:
    from wierde.combine.auto import subscribe  # views and indicators follow their inputs whichever command
    from wierde.monitor.auto import subscribe as follow_indicators  # changes them

    return follow_indicators(subscribe(Store.open(Settings.load(home))))


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


