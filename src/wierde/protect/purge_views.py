"""A purge reaches into views and indicators: which of their versions were computed from a purged version (views
of views, indicators on views too), and bringing back those whose current data had to go, computed again from
their inputs' current versions.

The gate (`gate.purge`) erases what is found here with its own machinery; this module only finds and recomputes.
"""

from __future__ import annotations

import logging
from collections import defaultdict, deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from sqlalchemy import select

from wierde.combine.graph import dependency_order
from wierde.combine.materialise import RefreshFailed, batch, input_versions, refresh
from wierde.combine.spec import ViewSpec, load_views, views_path
from wierde.errors import NotFound, WierdeError
from wierde.store.models import Version
from wierde.store.records import VersionRecord
from wierde.store.repository import Store

if TYPE_CHECKING:  # the monitor publishes through the gate, which imports this module: imported where used
    from wierde.monitor.spec import IndicatorSpec

log = logging.getLogger(__name__)
Key = tuple[str, int]  # (dataset id, version number)
Kind = Literal["view", "indicator"]
KINDS: tuple[Kind, ...] = ("view", "indicator")  # the lineage keys of versions computed from other versions


@dataclass(frozen=True)
class DerivedVersion:
    """A view's or an indicator's version whose rows came (directly or through views) from a version being purged."""

    dataset_id: str
    version: int
    via: str  # the version it was computed from, "a v1": the purged one, or the view version between them
    was_current: bool  # it was its dataset's current version, so it goes offline until it is computed again
    kind: Kind = "view"


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
class Recomputed:
    """What recomputing an indicator whose current values were purged did."""

    indicator: str
    dataset_id: str  # where its values are kept: indicator-<id>
    recomputed: bool
    version: int | None  # the current version of its values afterwards
    status: str | None  # their dataset's status afterwards: "purged" means offline
    error: str | None = None


@dataclass(frozen=True)
class Purged:
    """A purge and everything it took with it."""

    tombstone: VersionRecord
    views: tuple[DerivedVersion, ...]
    recoveries: tuple[Recovery, ...]
    indicators: tuple[DerivedVersion, ...] = ()
    recomputed: tuple[Recomputed, ...] = ()

    @property
    def offline(self) -> list[Recovery]:
        """Views whose data was purged and that could not be recomputed: nobody is served them."""
        return [r for r in self.recoveries if r.was_purged and not r.refreshed]

    @property
    def offline_indicators(self) -> list[Recomputed]:
        """Indicators whose current values were purged and could not be recomputed: nobody is served them."""
        return [r for r in self.recomputed if not r.recomputed]


# --- finding ---------------------------------------------------------------------------------------------------


def derived_versions(store: Store, dataset_id: str, number: int) -> list[DerivedVersion]:
    """Every version of every view and indicator computed from `dataset_id` version `number`, through any chain of
    views (and views of indicators), each after the version it was computed from. Tombstones keep their inputs, so
    a second purge (after a crash) finds the same versions again."""
    readers = _readers(store)
    found: dict[Key, tuple[str, Kind]] = {}
    frontier: deque[Key] = deque([(dataset_id, number)])
    while frontier:
        parent = frontier.popleft()
        for key, kind in readers.get(parent, ()):
            if key not in found and key != (dataset_id, number):
                found[key] = (f"{parent[0]} v{parent[1]}", kind)
                frontier.append(key)
    current = {d.id: d.current_version for d in store.datasets()}
    return [DerivedVersion(d, n, via, current.get(d) == n, kind) for (d, n), (via, kind) in found.items()]


def _readers(store: Store) -> dict[Key, list[tuple[Key, Kind]]]:
    """(input, version) → the view and indicator versions computed from it, from every version's lineage in one
    query."""
    readers: dict[Key, list[tuple[Key, Kind]]] = defaultdict(list)
    with store.session() as session:
        rows = session.execute(select(Version.dataset_id, Version.number, Version.source)).all()
    for dataset_id, number, source in rows:
        lineage = _lineage(source)
        if lineage is None:
            continue
        kind, inputs = lineage
        for key in inputs:
            readers[key].append(((dataset_id, number), kind))
    return readers


def _lineage(source: object) -> tuple[Kind, list[Key]] | None:
    """Whether a version was computed by a view or an indicator, and from which input versions; None for plain
    datasets (and anything else without such a lineage)."""
    if not isinstance(source, Mapping) or not isinstance(source.get("inputs"), Mapping):
        return None
    kind = next((kind for kind in KINDS if kind in source), None)
    if kind is None:
        return None
    return kind, [(str(name), int(v)) for name, v in source["inputs"].items() if isinstance(v, int)]


# --- recovering --------------------------------------------------------------------------------------------------


def recover(store: Store, derived: Sequence[DerivedVersion]) -> tuple[list[Recovery], list[Recomputed]]:
    """Bring back what a purge took offline: views first (an indicator may read a view), then indicators; views
    that read an indicator recomputed here are refreshed after it, in dependency order with the views they feed."""
    views = [d for d in derived if d.kind == "view"]
    recoveries = refresh_purged(store, views)
    with batch():  # the views following a recomputed indicator are walked below, not by the automatic refresh
        recomputed = recompute_purged(store, [d for d in derived if d.kind == "indicator"])
    moved = {r.dataset_id for r in recomputed if r.recomputed}
    if moved:
        still = {r.view for r in recoveries if r.was_purged and not r.refreshed}
        again = refresh_purged(store, [v for v in views if v.dataset_id in still], follow=moved)
        recoveries = _latest(recoveries, again)
    return recoveries, recomputed


def _latest(first: Sequence[Recovery], again: Sequence[Recovery]) -> list[Recovery]:
    """One recovery per view: the second attempt where there was one, still saying whether its data was purged."""
    later = {r.view: r for r in again}
    purged = {r.view for r in first if r.was_purged}
    out = [later.get(r.view, r) for r in first]
    out += [r for r in again if r.view not in {f.view for f in first}]
    return [replace(r, was_purged=r.was_purged or r.view in purged) for r in out]


def refresh_purged(store: Store, purged: Sequence[DerivedVersion], *, follow: Collection[str] = ()) -> list[Recovery]:
    """Refresh, in dependency order, each view whose current version was purged, and the views that follow a view
    recomputed here or a dataset in `follow` (as they would follow any new version). A view whose refresh fails
    stays offline; every failure is returned, none is only logged."""
    offline = {p.dataset_id for p in purged if p.was_current}
    if not offline and not follow:
        return []
    try:
        views = dependency_order(load_views(views_path(store.settings)))
    except WierdeError as error:
        return [_failed(store, v, f"the views file cannot be read: {error.detail}") for v in sorted(offline)]
    gone = sorted(offline - {v.id for v in views})
    out = [_failed(store, v, f"view {v!r} is no longer defined in views.yaml; it stays offline") for v in gone]
    moved: set[str] = set(follow)
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


def recompute_purged(store: Store, purged: Sequence[DerivedVersion]) -> list[Recomputed]:
    """Recompute each indicator whose current values were purged, as the monitor does after a new input version
    (values, then alerts). One that cannot be recomputed stays offline; every failure is returned."""
    offline = {p.dataset_id: p.version for p in purged if p.was_current}
    if not offline:
        return []
    from wierde.monitor.compute import all_indicators  # here: the monitor imports the gate, which imports us

    try:
        specs = {spec.dataset_id: spec for spec in all_indicators(store)}
    except WierdeError as error:
        return [_not_recomputed(store, d, f"the indicators file cannot be read: {error.detail}") for d in offline]
    out = []
    for dataset_id, number in sorted(offline.items()):
        spec = specs.get(dataset_id)
        if spec is None:
            out.append(_not_recomputed(store, dataset_id, f"indicator {_indicator_id(store, dataset_id)!r} is no "
                                                          "longer defined in indicators.yaml; it stays offline"))
        else:
            out.append(_recompute(store, spec, _status_before(store, dataset_id, number)))
    return out


def _recompute(store: Store, spec: IndicatorSpec, status_before: str | None) -> Recomputed:
    """Recompute one indicator; its values come back online with the status they had before the purge."""
    from wierde.monitor.auto import compute_and_alert

    try:
        refuse_purged_sources(store, spec)
        computed, _deliveries = compute_and_alert(store, spec)
    except Exception as error:  # DuckDB and our own checks raise their own kinds; each is reported
        detail = error.detail if isinstance(error, WierdeError) else f"{type(error).__name__}: {error}"
        log.warning("after a purge, indicator %s could not be recomputed: %s", spec.id, detail)
        return _not_recomputed(store, spec.dataset_id, detail)
    # the monitor publishes values whose sources are all published; otherwise they get back what they had
    if status_before and store.dataset(spec.dataset_id).status == "purged":
        store.set_status(spec.dataset_id, status_before)
    return Recomputed(spec.id, spec.dataset_id, True, computed.version.number, store.dataset(spec.dataset_id).status)


def refuse_purged_sources(store: Store, spec: IndicatorSpec) -> None:
    """An indicator cannot be computed from a tombstone; say so, rather than let the engine miss a file."""
    from wierde.monitor.compute import input_versions
    from wierde.monitor.spec import IndicatorError

    for name, version in input_versions(store, spec).items():
        if "purged" in version.report:
            raise IndicatorError(f"indicator {spec.id!r} cannot be recomputed: its input {name!r} is at version "
                                 f"{version.number}, which is purged", indicator=spec.id)


def _indicator_id(store: Store, dataset_id: str) -> str:
    """The indicator whose values a dataset holds, from its lineage (the tombstone keeps it)."""
    try:
        return str(store.version(dataset_id).source.get("indicator") or dataset_id)
    except NotFound:
        return dataset_id


def _not_recomputed(store: Store, dataset_id: str, error: str) -> Recomputed:
    indicator = _indicator_id(store, dataset_id)
    try:
        dataset = store.dataset(dataset_id)
    except NotFound:
        return Recomputed(indicator, dataset_id, False, None, None, error)
    return Recomputed(indicator, dataset_id, False, dataset.current_version, dataset.status, error)


def _status_before(store: Store, dataset_id: str, number: int | None = None) -> str | None:
    """The status the dataset had before its current version was purged (that version's tombstone keeps it)."""
    try:
        purged = store.version(dataset_id, number).report.get("purged") or {}
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
