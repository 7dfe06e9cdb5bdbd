"""Ingest: a file becomes a new immutable version of a dataset, or nothing changes at all."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
    staged = store.new_tmp_path()
    try:
        result: IngestResult = ingest_file(store.duck(), path, staged, options or ReadOptions())
        if meta is not None:
            store.ensure_dataset(dataset_id, meta)
        committed = store.commit_version(
            dataset_id,
            result.path,
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
