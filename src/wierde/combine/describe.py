"""A view as people see it: definition, the input versions its data came from, whether it is stale, history.

One description serves the CLI and the API; `visible_*` apply the access rules, so an input the asker may not
see never shows through a view, not even in its SQL.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

from wierde.combine.spec import ViewSpec, load_views, views_path
from wierde.errors import NotFound
from wierde.protect.access import Principal, can_see
from wierde.store.records import DatasetRecord
from wierde.store.repository import Store

Visible = Callable[[str], bool]


@dataclass(frozen=True)
class InputState:
    dataset: str
    used: int | None  # the version the view's current data was computed from (None: never refreshed)
    current: int | None  # the version a refresh would read now: the pin, or the input's current version
    pinned: bool
    is_view: bool


@dataclass(frozen=True)
class LineageEntry:
    version: int
    created_at: str
    engine: str
    inputs: dict[str, int]


@dataclass(frozen=True)
class ViewState:
    id: str
    title: dict[str, str]
    description: dict[str, str]
    sql: str | None  # None when the asker may not see every input (the SQL names them)
    engine: str
    publish: bool
    status: str | None  # the view dataset's status; None before its first refresh
    classification: str | None
    version: int | None
    inputs: list[InputState]
    stale: bool  # an input has moved on since the current version was computed
    lineage: list[LineageEntry] = field(default_factory=list)

    def input_versions(self) -> dict[str, int | None]:
        """The `views list --json` contract: each input and the version the view's data was computed from."""
        return {i.dataset: i.used for i in self.inputs}


def _dataset(store: Store, dataset_id: str) -> DatasetRecord | None:
    try:
        return store.dataset(dataset_id)
    except NotFound:
        return None


def view_state(store: Store, view: ViewSpec, views: Collection[str], *, visible: Visible | None = None,
               history: bool = False) -> ViewState:
    """The view now (`views`: the ids of all views); with `visible`, inputs the asker may not see are left out
    and the SQL is withheld."""
    dataset = _dataset(store, view.id)
    used = store.version(view.id).source.get("inputs", {}) if dataset and dataset.current_version else {}
    inputs = [InputState(name, used.get(name), _wanted(store, view, name), view.version_of(name) is not None,
                         name in views) for name in view.inputs]
    shown = [i for i in inputs if visible is None or visible(i.dataset)]
    return ViewState(
        id=view.id, title=dict(view.title), description=dict(view.description),
        sql=view.sql if len(shown) == len(inputs) else None, engine=view.engine, publish=view.publish,
        status=dataset.status if dataset else None, classification=dataset.classification if dataset else None,
        version=dataset.current_version if dataset else None, inputs=shown,
        stale=any(i.used is None or i.used != i.current for i in inputs),
        lineage=_lineage(store, view.id, visible) if history and dataset else [],
    )


def _wanted(store: Store, view: ViewSpec, name: str) -> int | None:
    pinned = view.version_of(name)
    if pinned is not None:
        return pinned
    dataset = _dataset(store, name)
    return dataset.current_version if dataset else None


def _lineage(store: Store, view_id: str, visible: Visible | None) -> list[LineageEntry]:
    entries = []
    for version in reversed(store.versions(view_id)):
        inputs: dict[str, Any] = version.source.get("inputs", {})
        entries.append(LineageEntry(
            version=version.number, created_at=version.created_at.isoformat(),
            engine=str(version.source.get("engine", "")),
            inputs={k: int(v) for k, v in inputs.items() if visible is None or visible(k)},
        ))
    return entries


def view_states(store: Store) -> list[ViewState]:
    views = load_views(views_path(store.settings))
    return [view_state(store, view, {v.id for v in views}) for view in views]


# --- what a principal may see --------------------------------------------------------------------------------


def visibility(store: Store, principal: Principal) -> Visible:
    """May the principal see this dataset? Datasets that do not exist are known to staff only."""

    def visible(dataset_id: str) -> bool:
        dataset = _dataset(store, dataset_id)
        return principal.is_staff if dataset is None else can_see(principal, dataset)

    return visible


def visible_states(store: Store, principal: Principal) -> list[ViewState]:
    visible = visibility(store, principal)
    views = load_views(views_path(store.settings))
    return [view_state(store, view, {v.id for v in views}, visible=visible) for view in views if visible(view.id)]


def visible_state(store: Store, principal: Principal, view_id: str) -> ViewState:
    """One view with its lineage, or 'not found' for a view the principal may not see (as for datasets)."""
    visible = visibility(store, principal)
    views = load_views(views_path(store.settings))
    for view in views:
        if view.id == view_id and visible(view.id):
            return view_state(store, view, {v.id for v in views}, visible=visible, history=True)
    raise NotFound(f"view {view_id!r} does not exist")
