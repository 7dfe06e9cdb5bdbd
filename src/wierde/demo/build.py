"""Build a demo instance: generate the bundle, ingest every dataset with its metadata, and publish it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import yaml

from wierde.catalog.model import DatasetMetadata
from wierde.collect.files import ReadOptions
from wierde.collect.ingest import ingest
from wierde.config import Settings
from wierde.demo.bundle import BundleItem, find_boundaries, generate_bundle
from wierde.store.repository import Store


def read_options(item: BundleItem) -> ReadOptions:
    return ReadOptions(**item.read_options)


def build_demo(
    home: Path, *, fresh: bool = True, on_item: Callable[[BundleItem], None] | None = None
) -> tuple[Store, list[BundleItem]]:
    """A fresh instance at `home` holding the whole bundle, published."""
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
        store.set_status(item.dataset_id, "published")
    return store, items
