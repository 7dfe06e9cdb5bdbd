"""Ingest: a file becomes a new immutable version of a dataset, or nothing changes at all."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from wierde.catalog.editing import metadata_beside
from wierde.catalog.model import DatasetMetadata
from wierde.collect.files import IngestResult, ReadOptions, ingest_file
from wierde.errors import InvalidInput, WierdeError
from wierde.regions.ingest_keying import Keying, key_staged, reference_from_store
from wierde.store.records import VersionRecord
from wierde.store.repository import Store, check_dataset_id

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestOutcome:
    version: VersionRecord
    created: bool
    rejected: int
    privacy_findings: int | None = None  # open personal-data findings of the new version; None: not scanned


def ingest(
    store: Store,
    path: Path,
    dataset_id: str,
    options: ReadOptions | None = None,
    *,
    meta: dict[str, Any] | None = None,
    key_regions: bool = True,
) -> IngestOutcome:
    """Read `path` into a staged Parquet file, key it to regions and periods, and let the store make it current.

    `key_regions=False` commits the file as read, without region codes or a period column.
    """
    check_dataset_id(dataset_id)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file")
    if meta is None:
        meta = metadata_beside(store, dataset_id)
    if meta is not None:  # refuse bad metadata before any work is done
        DatasetMetadata.from_mapping(meta, where=f"metadata of {dataset_id}")
    staged, keyed_path = store.new_tmp_path(), store.new_tmp_path()
    con = store.duck()
    try:
        result: IngestResult = ingest_file(con, path, staged, options or ReadOptions())
        report: dict[str, Any] = {
            "rejected": [r.__dict__ for r in result.rejected[:1000]],
            "rejected_count": len(result.rejected),
            "geometry_columns": list(result.geometry_columns),
            "crs": result.crs,
        }
        keying = None
        if key_regions:
            try:
                keying = _key(store, con, result, keyed_path)
                report["keying"] = keying.report.as_dict()
            except (duckdb.Error, WierdeError) as exc:
                # the data itself was read well: it is kept as read, and the report says why it has no codes
                report["keying"] = {"error": f"{type(exc).__name__}: {exc}"}
        committed = store.commit_version(
            dataset_id,
            keying.path if keying is not None and keying.path is not None else result.path,
            meta=meta,
            row_count=result.row_count,
            table_schema=keying.schema if keying is not None else result.schema,
            source={"file": path.name, "format": result.format, "dialect": result.dialect},
            report=report,
        )
    finally:
        staged.unlink(missing_ok=True)
        keyed_path.unlink(missing_ok=True)
        con.close()
    findings = _scan(store, committed.version) if committed.created else None
    return IngestOutcome(committed.version, committed.created, len(result.rejected), findings)


def _scan(store: Store, version: VersionRecord) -> int | None:
    """Every new version is scanned for personal data at once; a scan that fails leaves the version unscanned,
    which the publication gate and the release rule treat as 'not yet safe' (they scan again on demand)."""
    from wierde.protect.privacy.scan import scan_version

    try:
        return len(scan_version(store, version.dataset_id, version.number).open_findings)
    except Exception:
        log.exception("personal-data scan of %s v%s failed", version.dataset_id, version.number)
        return None


def _key(store: Store, con: duckdb.DuckDBPyConnection, result: IngestResult, out: Path) -> Keying:
    """The staged file keyed against the regions and postcodes the store holds now; never drops a row."""
    keying = key_staged(con, result.path, result.schema, out, reference_from_store(store, con))
    if keying.path is not None and keying.report.rows != result.row_count:
        raise WierdeError(f"keying changed the row count from {result.row_count} to {keying.report.rows}")
    return keying
