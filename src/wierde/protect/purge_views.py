"""A purge reaches into views: which view versions were computed from a purged version (views of views too), and
bringing back the views whose current data had to go, recomputed from their inputs' current versions.

The gate (`gate.purge`) erases what is found here with its own machinery; this module only finds and refreshes.
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from wierde.combine.graph import dependency_order
from wierde.combine.materialise import RefreshFailed, batch, input_versions, refresh
from wierde.combine.spec import ViewSpec, load_views, views_path
from wierde.errors import NotFound, WierdeError
from wierde.store.models import Version
from wierde.store.records import VersionRecord
from wierde.store.repository import Store

log = logging.getLogger(__name__)
Key = tuple[str, int]  # (dataset id, version number)


@dataclass(frozen=True)
class DerivedVersion:
    """A view version whose rows came (directly or through other views) from a version being purged."""

    dataset_id: str
    version: int
    via: str  # the version it was computed from, "a v1": the purged one, or the view version between them
    was_current: bool  # it was its view's current version, so the view goes offline until it is refreshed


@dataclass(frozen=True)
class Recovery:
    """What refreshing a view after a purge did."""

    view: str
    refreshed: bool
    version: int | None  # the view's current version afterwards
    status: str | None  # its dataset's status afterwards: "purged" means offline
    error: str | None = None
    was_purged: bool = True  # False: its data was not purged, it only reads a view that was recomputed


@dataclass(frozen=True)
class Purged:
    """A purge and everything it took with it."""

    tombstone: VersionRecord
    views: tuple[DerivedVersion, ...]
    recoveries: tuple[Recovery, ...]

    @property
    def offline(self) -> list[Recovery]:
        """Views whose data was purged and that could not be recomputed: nobody is served them."""
        return [r for r in self.recoveries if r.was_purged and not r.refreshed]


# --- finding ---------------------------------------------------------------------------------------------------


def derived_versions(store: Store, dataset_id: str, number: int) -> list[DerivedVersion]:
    """Every version of every view computed from `dataset_id` version `number`, through any chain of views, each
    after the version it was computed from. Tombstones of views keep their inputs, so a second purge (after a
    crash) finds the same versions again."""
    readers = _readers(store)
    found: dict[Key, str] = {}
    frontier: deque[Key] = deque([(dataset_id, number)])
    while frontier:
        parent = frontier.popleft()
        for key in readers.get(parent, ()):
            if key not in found and key != (dataset_id, number):
                found[key] = f"{parent[0]} v{parent[1]}"
                frontier.append(key)
    current = {d.id: d.current_version for d in store.datasets()}
    return [DerivedVersion(d, n, via, current.get(d) == n) for (d, n), via in found.items()]


def _readers(store: Store) -> dict[Key, list[Key]]:
    """(input, version) → the view versions computed from it, from every version's lineage in one query."""
    readers: dict[Key, list[Key]] = defaultdict(list)
    with store.session() as session:
        rows = session.execute(select(Version.dataset_id, Version.number, Version.source)).all()
    for dataset_id, number, source in rows:
        for key in _inputs(source):
            readers[key].append((dataset_id, number))
    return readers


def _inputs(source: object) -> Iterable[Key]:
    """A view version's inputs; plain datasets (and anything not a view's lineage) have none."""
    if not isinstance(source, Mapping) or "view" not in source or not isinstance(source.get("inputs"), Mapping):
        return ()
    return [(str(name), int(v)) for name, v in source["inputs"].items() if isinstance(v, int)]


# --- recovering --------------------------------------------------------------------------------------------------


def refresh_purged(store: Store, purged: Sequence[DerivedVersion]) -> list[Recovery]:
    """Refresh, in dependency order, each view whose current version was purged, and the views that follow a view
    recomputed here (as they would follow any new version). A view whose refresh fails stays offline; every
    failure is returned, none is only logged."""
    offline = {p.dataset_id for p in purged if p.was_current}
    if not offline:
        return []
    try:
        views = dependency_order(load_views(views_path(store.settings)))
    except WierdeError as error:
        return [_failed(store, v, f"the views file cannot be read: {error.detail}") for v in sorted(offline)]
    gone = sorted(offline - {v.id for v in views})
    out = [_failed(store, v, f"view {v!r} is no longer defined in views.yaml; it stays offline") for v in gone]
    moved: set[str] = set()
    with batch():  # this walk is the refresh round: commits here start no automatic one
        for view in views:
            follows = any(name in moved and view.version_of(name) is None for name in view.inputs)
            if view.id not in offline and not follows:
                continue
            before = _current_number(store, view.id)
            recovery = _recover(store, view, was_purged=view.id in offline)
            out.append(recovery)
            if recovery.refreshed and recovery.version != before:
                moved.add(view.id)
    return out


def _recover(store: Store, view: ViewSpec, *, was_purged: bool) -> Recovery:
    """Refresh one view; when its data had been purged, it comes back online with the status it had before."""
    status_before = _status_before(store, view.id) if was_purged else None
    try:
        refuse_purged_inputs(store, view)
        result = refresh(store, view)
    except Exception as error:  # DuckDB, Spark and our own checks raise their own kinds; each is reported
        detail = error.detail if isinstance(error, WierdeError) else f"{type(error).__name__}: {error}"
        log.warning("after a purge, view %s could not be refreshed: %s", view.id, detail)
        return _failed(store, view.id, detail, was_purged=was_purged)
    if status_before and store.dataset(view.id).status == "purged":
        store.set_status(view.id, status_before)
    return Recovery(view.id, True, result.version.number, store.dataset(view.id).status, was_purged=was_purged)


def refuse_purged_inputs(store: Store, view: ViewSpec) -> None:
    """A view cannot be computed from a tombstone; say so, rather than let the engine miss a file."""
    for name, version in input_versions(store, view).items():
        if "purged" in version.report:
            raise RefreshFailed(f"view {view.id!r} cannot be refreshed: its input {name!r} is at version "
                                f"{version.number}, which is purged", view=view.id)


def _status_before(store: Store, view_id: str) -> str | None:
    """The status the view's dataset had before its current version was purged (the tombstone keeps it)."""
    try:
        purged = store.version(view_id).report.get("purged") or {}
    except NotFound:
        return None
    status = purged.get("status_before")
    return str(status) if status and status != "purged" else None


def _current_number(store: Store, dataset_id: str) -> int | None:
    try:
        return store.dataset(dataset_id).current_version
    except NotFound:
        return None


def _failed(store: Store, view_id: str, error: str, *, was_purged: bool = True) -> Recovery:
    try:
        dataset = store.dataset(view_id)
    except NotFound:
        return Recovery(view_id, False, None, None, error, was_purged)
    return Recovery(view_id, False, dataset.current_version, dataset.status, error, was_purged)
