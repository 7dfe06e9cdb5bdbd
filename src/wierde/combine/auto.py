"""Automatic refresh: when a dataset gets a new current version, the views that read it follow, in order.

`subscribe(store)` is called wherever an instance's store is opened for work (the app, the CLI). A refresh's own
commits do not start another round: the first round already walks everything downstream in dependency order,
and each view is refreshed once per round, so no chain of commits can loop.
"""

from __future__ import annotations

import logging

from wierde.combine.graph import downstream
from wierde.combine.materialise import batch, in_batch, refresh
from wierde.combine.spec import load_views, views_path
from wierde.errors import WierdeError
from wierde.store.repository import Store

log = logging.getLogger(__name__)


class AutoRefresh:
    """The store's after-commit listener; two of them for one store are equal, so subscribing twice is harmless."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AutoRefresh) and other.store is self.store

    def __hash__(self) -> int:
        return id(self.store)

    def __call__(self, dataset_id: str) -> None:
        if in_batch():
            return  # a refresh round (or `refresh --all`) is already walking the dependency order
        try:
            affected = downstream(load_views(views_path(self.store.settings)), dataset_id)
        except WierdeError as error:  # a broken views file must not turn a good commit into an error
            log.warning("views not refreshed after %s changed: %s", dataset_id, error.detail)
            return
        with batch():
            for view in affected:
                try:
                    refresh(self.store, view)
                except WierdeError as error:
                    log.warning("%s", error.detail)


def subscribe(store: Store) -> Store:
    store.after_commit(AutoRefresh(store))
    return store
