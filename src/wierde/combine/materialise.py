"""A refresh: run a view's SQL on exact input versions and commit the result as a version of the view's dataset.

Lineage (the view, its SQL, the engine and every input's version number) is the new version's `source`, so any
version of a view can be explained and rebuilt. A failed refresh commits nothing: the last good version stays.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wierde.collect.files import table_schema
from wierde.combine.engine import Engine, engine_for, has_geometry
from wierde.combine.graph import check_inputs, dependency_order
from wierde.combine.helpers import expand_helpers
from wierde.combine.inherit import inherited_access
from wierde.combine.spec import ViewSpec, load_views, locked, save_views, views_path
from wierde.errors import Conflict, InvalidInput, NotFound, WierdeError
from wierde.sqltext import quote_literal
from wierde.store.duck import connect
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Committed, Store, json_safe

ERROR_LINES = 4  # DuckDB's and Spark's messages run on with query excerpts; the first lines say what is wrong
_batch = threading.local()


class RefreshFailed(InvalidInput):
    """A view could not be refreshed; the message names the view and says which version stays current."""

    title = "View refresh failed"


@dataclass(frozen=True)
class Refreshed:
    view: str
    version: VersionRecord
    created: bool  # False: the result equals a version the view already had
    inputs: dict[str, int]  # dataset id → the version number that was read
    engine: str
    seconds: float


# --- inputs --------------------------------------------------------------------------------------------------


def input_versions(store: Store, view: ViewSpec) -> dict[str, VersionRecord]:
    """Each input's pinned or current version; a missing dataset or version is an error naming the view."""
    versions = {}
    for dataset_id in view.inputs:
        try:
            versions[dataset_id] = store.version(dataset_id, view.version_of(dataset_id))
        except NotFound as error:
            raise InvalidInput(f"view {view.id!r} reads {dataset_id!r}: {error.detail}", view=view.id,
                               missing=[dataset_id]) from None
    return versions


def _existing(store: Store, dataset_id: str) -> DatasetRecord | None:
    try:
        return store.dataset(dataset_id)
    except NotFound:
        return None


def is_view_dataset(store: Store, dataset: DatasetRecord) -> bool:
    if dataset.current_version is None:
        return True  # declared, never filled: nothing would be overwritten
    return store.version(dataset.id).source.get("view") == dataset.id


def refuse_plain_dataset(store: Store, view_id: str) -> None:
    """A view must not overwrite a dataset that was ingested or harvested under the same id."""
    dataset = _existing(store, view_id)
    if dataset is not None and not is_view_dataset(store, dataset):
        raise Conflict(f"view {view_id!r}: a dataset with that id already exists and is not a view; "
                       "choose another id", view=view_id)


# --- running -------------------------------------------------------------------------------------------------


def run_view(store: Store, view: ViewSpec, engine: Engine, out: Path,
             versions: Mapping[str, VersionRecord]) -> int:
    """Run the view on `engine` into `out`; any failure becomes a RefreshFailed that names the view."""
    tables = {name: store.path_of(version) for name, version in versions.items()}
    sql = view.sql if engine.name == "duckdb" else expand_helpers(view.sql)  # other engines lack the macros
    try:
        return engine.run(sql, tables, out)
    except Exception as error:  # DuckDB, Spark and our own checks all raise their own kinds; name the view
        out.unlink(missing_ok=True)
        raise RefreshFailed(f"view {view.id!r} could not be refreshed on {engine.name}{_kept(store, view.id)}: "
                            f"{_reason(error)}", view=view.id, engine=engine.name) from error


def _kept(store: Store, view_id: str) -> str:
    dataset = _existing(store, view_id)
    if dataset is None or dataset.current_version is None:
        return " (it has no data yet)"
    return f" (version {dataset.current_version} stays current)"


def _reason(error: Exception) -> str:
    text = error.detail if isinstance(error, WierdeError) else str(error)
    return "\n".join(text.strip().splitlines()[:ERROR_LINES]) or type(error).__name__


def refresh(store: Store, view: ViewSpec, *, engine: Engine | None = None) -> Refreshed:
    """Make the view's dataset current with its inputs: a new version, or none when the result is unchanged."""
    started = time.perf_counter()
    versions = input_versions(store, view)
    refuse_plain_dataset(store, view.id)
    engine = engine or engine_for(view.engine, store.settings)
    staged = store.new_tmp_path()
    try:
        rows = run_view(store, view, engine, staged, versions)
        schema = result_schema(staged)
        committed = _commit(store, view, staged, versions, rows=rows, schema=schema, engine=engine.name,
                            seconds=time.perf_counter() - started)
    finally:
        staged.unlink(missing_ok=True)
    version = _disclosure_applied(store, view.id) or committed.version
    return Refreshed(view.id, version, committed.created, lineage(versions), engine.name,
                     round(time.perf_counter() - started, 3))


def _disclosure_applied(store: Store, view_id: str) -> VersionRecord | None:
    """A view with a disclosure profile (`wierde disclosure VIEW`) gets it applied at every refresh, so what it
    publishes is always rounded and suppressed: the gate's rule for views marked for publication."""
    from wierde.protect import disclosure

    if disclosure.load_config(store, view_id) is None:
        return None
    applied = disclosure.apply_profile(store, view_id)
    return store.version(view_id, applied.version)


def result_schema(path: Path) -> dict[str, Any]:
    """The result's Table Schema, read by a connection of its own that loads spatial only for geometry."""
    con = connect(extensions=("spatial",) if has_geometry(path) else ())
    try:
        return table_schema(con, f"SELECT * FROM read_parquet({quote_literal(str(path))})")  # noqa: S608
    finally:
        con.close()


def lineage(versions: Mapping[str, VersionRecord]) -> dict[str, int]:
    return {dataset_id: version.number for dataset_id, version in sorted(versions.items())}


def _commit(store: Store, view: ViewSpec, staged: Path, versions: Mapping[str, VersionRecord], *, rows: int,
            schema: dict[str, Any], engine: str, seconds: float) -> Committed:
    """Commit with the inherited access in force before anyone can read the new rows."""
    inputs = [store.dataset(dataset_id) for dataset_id in sorted(versions)]
    classification, rules = inherited_access(inputs, [f["name"] for f in schema["fields"]])
    existing = _existing(store, view.id)
    if existing is not None and (existing.classification, existing.access) != (classification, rules):
        store.set_access(view.id, classification, rules)
    committed = store.commit_version(
        view.id, staged, row_count=rows, table_schema=schema, meta=view_meta(store, view, existing),
        source={"view": view.id, "sql": view.sql, "engine": engine, "inputs": lineage(versions)},
        report={"seconds": round(seconds, 3), "pins": dict(view.pins)},
    )
    if existing is None:  # a new dataset starts as a draft, which only staff see, until its access is set
        store.set_access(view.id, classification, rules)
    if view.publish and store.dataset(view.id).status != "published":
        store.set_status(view.id, "published")
    return committed


def view_meta(store: Store, view: ViewSpec, existing: DatasetRecord | None) -> dict[str, Any]:
    """The steward's later edits stay; the view's own texts and fields win; the source links the definition."""
    meta: dict[str, Any] = {**(existing.meta if existing else {}), **view.metadata, "title": dict(view.title)}
    if view.description:
        meta["description"] = dict(view.description)
    meta.setdefault("source", f"{store.settings.base_url.rstrip('/')}/api/v1/views/{view.id}")
    return json_safe(meta)


# --- many views ----------------------------------------------------------------------------------------------


@contextmanager
def batch() -> Iterator[None]:
    """While a caller walks the dependency order itself, commits in this thread trigger no automatic refresh."""
    previous = getattr(_batch, "active", False)
    _batch.active = True
    try:
        yield
    finally:
        _batch.active = previous


def in_batch() -> bool:
    return bool(getattr(_batch, "active", False))


def refresh_many(store: Store, views: Sequence[ViewSpec]) -> tuple[list[Refreshed], list[WierdeError]]:
    """Refresh in dependency order; a failure is collected and the rest go on (on their inputs' last good data)."""
    done, failed = [], []
    with batch():
        for view in dependency_order(views):
            try:
                done.append(refresh(store, view))
            except WierdeError as error:
                failed.append(error if error.extra.get("view") == view.id else
                              RefreshFailed(f"view {view.id!r}: {error.detail}", view=view.id))
    return done, failed


def refresh_all(store: Store) -> tuple[list[Refreshed], list[WierdeError]]:
    """Every view in dependency order; a view with a missing input fails alone, naming the view and the input."""
    return refresh_many(store, load_views(views_path(store.settings)))


def find_view(store: Store, view_id: str) -> ViewSpec:
    for view in load_views(views_path(store.settings)):
        if view.id == view_id:
            return view
    raise NotFound(f"view {view_id!r} does not exist; `wierde views list` shows the views")


def define_view(store: Store, view: ViewSpec, *, replace: bool = False, refresh_now: bool = True
                ) -> Refreshed | None:
    """Add (or replace) a view in the instance's views file, checked against the others and refreshed first.

    The file changes only when the view is valid, its inputs exist, it makes no cycle and (with `refresh_now`)
    its first refresh succeeded.
    """
    path = views_path(store.settings)
    with locked(path):
        views = load_views(path)
        if any(v.id == view.id for v in views) and not replace:
            raise Conflict(f"view {view.id!r} already exists; replace it explicitly", view=view.id)
        updated = [*(v for v in views if v.id != view.id), view]
        dependency_order(updated)
        check_inputs([view], [*(d.id for d in store.datasets()), *(v.id for v in updated)])
        refuse_plain_dataset(store, view.id)
        result = refresh(store, view) if refresh_now else None
        save_views(path, updated)
    return result
