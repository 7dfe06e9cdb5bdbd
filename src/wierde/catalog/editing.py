"""Changing a dataset's metadata: validated against DCAT-AP-NL, stored, and mirrored to the YAML beside the data."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from wierde.catalog.model import DatasetMetadata, MetadataError
from wierde.errors import Forbidden
from wierde.protect.access import Principal
from wierde.store.records import DatasetRecord
from wierde.store.repository import Store, json_safe

EDITORS = frozenset({"steward", "admin"})


def yaml_path(store: Store, dataset_id: str) -> Path:
    return store.settings.metadata_dir / f"{dataset_id}.yaml"


def update_metadata(store: Store, principal: Principal, dataset_id: str, data: Mapping[str, Any],
                    *, where: str = "metadata") -> DatasetRecord:
    """Refuse anyone but a steward, refuse invalid metadata with every problem named, then store and mirror it."""
    if principal.kind not in EDITORS:
        raise Forbidden("only data stewards may change metadata")
    store.dataset(dataset_id)
    DatasetMetadata.from_mapping(data, where=where)
    clean = json_safe(dict(data))
    record = store.set_metadata(dataset_id, clean)
    yaml_path(store, dataset_id).write_text(
        yaml.safe_dump(clean, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8"
    )
    return record


def load_yaml(path: Path) -> dict[str, Any]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise MetadataError(f"{path}: expected a mapping of metadata fields")
    return raw


def metadata_beside(store: Store, dataset_id: str) -> dict[str, Any] | None:
    """The steward's YAML for a dataset, if there is one in the instance's metadata folder."""
    path = yaml_path(store, dataset_id)
    return load_yaml(path) if path.exists() else None
