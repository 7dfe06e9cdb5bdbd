"""The demo's indicators: declared in `wierde/demo/indicators.yaml`, installed into a demo instance and computed."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

from wierde.combine.spec import locked
from wierde.errors import WierdeError
from wierde.monitor.compute import Computed, compute_many
from wierde.monitor.spec import indicators_path, load_indicators, save_indicators
from wierde.store.repository import Store


def demo_file() -> Path:
    return Path(str(importlib.resources.files("wierde.demo") / "indicators.yaml"))


def install_demo_indicators(store: Store) -> tuple[list[Computed], list[WierdeError]]:
    """Add the demo indicators to the instance's indicators.yaml (replacing ones with the same id), compute them.

    Call it after the demo's datasets (and views) are in the store; an indicator whose source is missing fails
    alone, naming the source, and the others are computed.
    """
    demo = load_indicators(demo_file())
    path = indicators_path(store.settings)
    with locked(path):
        ids = {spec.id for spec in demo}
        kept = [spec for spec in load_indicators(path) if spec.id not in ids]
        save_indicators(path, [*kept, *demo])
    return compute_many(store, demo)
