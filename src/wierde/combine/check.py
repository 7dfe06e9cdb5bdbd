"""Prove that engines agree: refresh every view, run it again on another engine over the same input versions,
and compare the two results as `combine.compare` defines equal (sorted rows, floats to 1e-9 relative)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from wierde.combine.engine import Engine, engine_for
from wierde.combine.graph import dependency_order
from wierde.combine.helpers import expand_helpers
from wierde.combine.materialise import RefreshFailed, batch, refresh, run_view
from wierde.combine.spec import ViewError, ViewSpec, duckdb_only_features, load_views, views_path
from wierde.errors import WierdeError
from wierde.store.repository import Store

Outcome = Literal["same", "different", "skipped", "failed"]
Compare = Callable[[Path, Path], str | None]


@dataclass(frozen=True)
class Checked:
    view: str
    engines: tuple[str, str]
    outcome: Outcome
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in ("same", "skipped")


def comparer() -> Compare:
    try:
        from wierde.combine.compare import compare_results
    except ImportError as error:
        raise ViewError(f"comparing engines is not available here: {error}") from None
    return compare_results


def check_engines(store: Store, other: str) -> list[Checked]:
    """Each view in dependency order: refreshed on its own engine, then run on `other` and compared."""
    views = load_views(views_path(store.settings))
    compare = comparer()
    engines: dict[str, Engine] = {}
    results = []
    with batch():  # the loop walks the dependency order itself
        for view in dependency_order(views):
            second = other if other != view.engine else "duckdb"
            if second not in engines:
                engines[second] = engine_for(second, store.settings)
            results.append(_check(store, view, engines[second], compare))
    return results


def _check(store: Store, view: ViewSpec, engine: Engine, compare: Compare) -> Checked:
    pair = (view.engine, engine.name)
    try:
        refreshed = refresh(store, view)
    except WierdeError as error:
        return Checked(view.id, pair, "failed", error.detail)
    blockers = duckdb_only_features(expand_helpers(view.sql)) if engine.name != "duckdb" else []
    if blockers:
        return Checked(view.id, pair, "skipped", f"DuckDB only: {', '.join(blockers)}")
    versions = {name: store.version(name, number) for name, number in refreshed.inputs.items()}
    out = store.new_tmp_path()
    try:
        run_view(store, view, engine, out, versions)
        difference = compare(store.path_of(refreshed.version), out)
    except RefreshFailed as error:
        return Checked(view.id, pair, "failed", error.detail)
    finally:
        out.unlink(missing_ok=True)
    return Checked(view.id, pair, "same" if difference is None else "different", difference)
