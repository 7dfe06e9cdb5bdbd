"""The order views must be refreshed in (views read other views), and which views a changed dataset affects."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from graphlib import CycleError, TopologicalSorter

from wierde.combine.spec import ViewError, ViewSpec


def dependency_order(views: Sequence[ViewSpec]) -> list[ViewSpec]:
    """Views sorted so every view comes after the views it reads; a cycle is refused, naming its views."""
    by_id = {view.id: view for view in views}
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for view in sorted(views, key=lambda v: v.id):  # a stable order among independent views
        sorter.add(view.id, *(name for name in view.inputs if name in by_id))
    try:
        order = list(sorter.static_order())
    except CycleError as error:
        cycle: list[str] = list(error.args[1])
        raise ViewError(f"views form a cycle: {' → '.join(cycle)}; a view cannot (indirectly) read itself",
                        views=sorted(set(cycle))) from None
    return [by_id[name] for name in order if name in by_id]


def check_inputs(views: Sequence[ViewSpec], datasets: Collection[str]) -> None:
    """Every input is a dataset or another view; the error names the view and what it reads that does not exist."""
    known = set(datasets) | {view.id for view in views}
    for view in views:
        missing = [name for name in view.inputs if name not in known]
        if missing:
            raise ViewError(f"view {view.id!r} reads {', '.join(map(repr, missing))}, which "
                            f"{'is not a dataset' if len(missing) == 1 else 'are not datasets'} or views",
                            view=view.id, missing=missing)


def downstream(views: Sequence[ViewSpec], changed: str) -> list[ViewSpec]:
    """The views a new version of `changed` makes stale, directly or through other views, in refresh order.

    A view that pins `changed` to a version does not follow it, and neither do views that only read that view.
    """
    affected = {changed}
    ordered = dependency_order(views)
    for view in ordered:
        if any(name in affected and view.version_of(name) is None for name in view.inputs):
            affected.add(view.id)
    return [view for view in ordered if view.id in affected and view.id != changed]
