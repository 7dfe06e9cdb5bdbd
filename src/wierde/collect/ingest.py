"""Ingest: a file becomes a new immutable version of a dataset, or nothing changes at all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wierde.catalog.editing import metadata_beside
from wierde.catalog.model import DatasetMetadata
from wierde.collect.files import IngestResult, ReadOptions, ingest_file
from wierde.errors import InvalidInput
from wierde.store.records import VersionRecord
from wierde.store.repository import Store, check_dataset_id


@dataclass(frozen=True)
class IngestOutcome:
    version: VersionRecord
    created: bool
    rejected: int


def ingest(
    store: Store,
    path: Path,
    dataset_id: str,
    options: ReadOptions | None = None,
    *,
    meta: dict[str, Any] | None = None,
) -> IngestOutcome:
    """Read `path` into a staged Parquet file, then let the store make it current in one transaction."""
    check_dataset_id(dataset_id)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    if meta is None:
        meta = metadata_beside(store, dataset_id)
    if meta is not None:  # refuse bad metadata before any work is done
        DatasetMetadata.from_mapping(meta, where=f"metadata of {dataset_id}")
    staged = store.new_tmp_path()
    try:
        result: IngestResult = ingest_file(store.duck(), path, staged, options or ReadOptions())
        committed = store.commit_version(
            dataset_id,
            result.path,
            meta=meta,
            row_count=result.row_count,
            table_schema=result.schema,
            source={"file": path.name, "format": result.format, "dialect": result.dialect},
            report={
                "rejected": [r.__dict__ for r in result.rejected[:1000]],
                "rejected_count": len(result.rejected),
                "geometry_columns": list(result.geometry_columns),
                "crs": result.crs,
            },
        )
    finally:
        staged.unlink(missing_ok=True)
    return IngestOutcome(committed.version, committed.created, len(result.rejected))
