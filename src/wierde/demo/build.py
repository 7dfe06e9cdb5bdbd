"""Build a demo instance: generate the bundle, ingest every dataset with its metadata, publish it, and add the views
that answer the province's two questions (demo/views.yaml)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

import yaml

from wierde.catalog.model import DatasetMetadata
from wierde.collect.files import ReadOptions
from wierde.collect.ingest import ingest
from wierde.combine.materialise import Refreshed, refresh_all
from wierde.combine.spec import views_path
from wierde.config import Settings
from wierde.demo.bundle import BundleItem, find_boundaries, generate_bundle
from wierde.errors import WierdeError
from wierde.monitor.demo import install_demo_indicators
from wierde.protect import gate
from wierde.protect.access import OPERATOR
from wierde.store.repository import Store


def read_options(item: BundleItem) -> ReadOptions:
    return ReadOptions(**item.read_options)


def demo_views_file() -> Path:
    """The scenario views shipped with Wierde, installed into every demo instance as its views.yaml."""
    return Path(str(files("wierde.demo") / "views.yaml"))


def build_demo(
    home: Path, *, fresh: bool = True, on_item: Callable[[BundleItem], None] | None = None
) -> tuple[Store, list[BundleItem]]:
    """A fresh instance at `home` holding the whole bundle, the scenario views and the demo indicators, all
    published (the bundle through the publication gate)."""
    if fresh and home.exists():
        shutil.rmtree(home)
    settings = Settings.load(home)
    store = Store.open(settings)
    items = generate_bundle(settings.home / "bundle", boundaries=find_boundaries())
    for item in items:
        if on_item:
            on_item(item)
        raw = yaml.safe_load(item.metadata_file.read_text(encoding="utf-8"))
        DatasetMetadata.from_mapping(raw, where=str(item.metadata_file))  # refuse a bundle with bad metadata
        ingest(store, item.data_file, item.dataset_id, read_options(item), meta=raw)
        shutil.copy(item.metadata_file, settings.metadata_dir / f"{item.dataset_id}.yaml")
        gate.publish(store, OPERATOR, item.dataset_id, purpose="wierde demo")  # the same checks as any steward
    install_views(store)
    _, failed = install_demo_indicators(store)
    if failed:
        raise WierdeError(f"the demo indicators could not be computed: {failed}")
    return store, items


def install_views(store: Store) -> list[Refreshed]:
    """Copy the demo's views into the instance and refresh them in dependency order; each publishes itself.

    The views read the published bundle, so this runs after it. A view that fails means the demo cannot answer
    its questions: that is an error, naming every view that failed, not a demo with holes in it.
    """
    shutil.copy(demo_views_file(), views_path(store.settings))
    done, failed = refresh_all(store)
    if failed:
        raise WierdeError("the demo views could not be refreshed: " + "; ".join(e.detail for e in failed),
                          views=[e.extra.get("view") for e in failed])
    return done
