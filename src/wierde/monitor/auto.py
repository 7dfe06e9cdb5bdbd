"""Indicators follow their inputs: a new current version of a source recomputes the indicators that read it.

`subscribe(store)` is called wherever an instance's store is opened for work (the app, the CLI), beside
`combine.auto.subscribe`. An indicator's own dataset is never an input of another indicator (the spec refuses
it), so the commits a recomputation makes start no further round.
"""

from __future__ import annotations

import logging

from wierde.combine.spec import locked
from wierde.errors import Conflict, WierdeError
from wierde.monitor.alerts import Delivery, evaluate
from wierde.monitor.compute import Computed, all_indicators, compute, reading
from wierde.monitor.spec import DATASET_PREFIX, IndicatorSpec, indicators_path, load_indicators, save_indicators
from wierde.store.repository import Store

log = logging.getLogger(__name__)


def compute_and_alert(store: Store, spec: IndicatorSpec) -> tuple[Computed, list[Delivery]]:
    """Compute, then evaluate the alerts on the new values; a failing alert never undoes the computation."""
    computed = compute(store, spec)
    try:
        deliveries = evaluate(store, spec)
    except Exception:  # a broken mail server or webhook must not turn a good computation into an error
        log.exception("alerts of indicator %s could not be evaluated", spec.id)
        deliveries = []
    return computed, deliveries


def define_indicator(store: Store, spec: IndicatorSpec, *, replace: bool = False) -> Computed:
    """Add (or replace) an indicator in the instance's file; the file changes only when it computed."""
    path = indicators_path(store.settings)
    with locked(path):
        specs = load_indicators(path)
        exists = any(s.id == spec.id for s in specs)
        if exists and not replace:
            raise Conflict(f"indicator {spec.id!r} already exists; replace it explicitly", indicator=spec.id)
        computed, _deliveries = compute_and_alert(store, spec)
        save_indicators(path, [spec if s.id == spec.id else s for s in specs] if exists else [*specs, spec])
    return computed


class Recompute:
    """The store's after-commit listener; two of them for one store are equal, so subscribing twice is harmless."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Recompute) and other.store is self.store

    def __hash__(self) -> int:
        return id(self.store)

    def __call__(self, dataset_id: str) -> None:
        if dataset_id.startswith(DATASET_PREFIX):
            return
        try:
            affected = reading(all_indicators(self.store), dataset_id)
        except WierdeError as error:  # a broken indicators file must not turn a good commit into an error
            log.warning("indicators not recomputed after %s changed: %s", dataset_id, error.detail)
            return
        for spec in affected:
            try:
                compute_and_alert(self.store, spec)
            except WierdeError as error:
                log.warning("%s", error.detail)


def subscribe(store: Store) -> Store:
    store.after_commit(Recompute(store))
    return store
