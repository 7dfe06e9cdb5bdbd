"""The store: datasets, their immutable version files, and the one transaction that makes a version current."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from wierde.config import Settings
from wierde.errors import InvalidInput, NotFound
from wierde.store import database, duck
from wierde.store.models import Dataset, Version, utcnow
from wierde.store.records import DatasetRecord, VersionRecord

SNAPSHOT_SECONDS = 0.25
DATASET_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,99}$")
log = logging.getLogger(__name__)


def check_dataset_id(dataset_id: str) -> str:
    """Ids become folder names and URL segments, so only a safe slug is accepted."""
    if not DATASET_ID.match(dataset_id or ""):
        raise InvalidInput(
            f"dataset id {dataset_id!r} is not valid: use 1-100 lower-case letters, digits, '-' or '_', "
            "starting with a letter or digit"
        )
    return dataset_id


def file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Snapshot:
    taken: float
    datasets: dict[str, DatasetRecord]
    current: dict[str, VersionRecord]


@dataclass(frozen=True)
class Committed:
    version: VersionRecord
    created: bool  # False: the content equals a version we already had


class Store:
    """One instance's data: call `Store.open(settings)`; safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.engine = database.open_engine(settings.database_url)
        self._sessions = database.session_factory(self.engine)
        self._duck: duckdb.DuckDBPyConnection | None = None
        self._duck_lock = threading.Lock()
        self._snap: Snapshot | None = None
        self._after_commit: list[Callable[[str], None]] = []

    @classmethod
    def open(cls, settings: Settings) -> Store:
        for folder in (settings.home, settings.data_dir, settings.tmp_dir, settings.metadata_dir):
            folder.mkdir(parents=True, exist_ok=True)
        store = cls(settings)
        database.migrate(store.engine)
        store.clean_tmp()
        return store

    def close(self) -> None:
        if self._duck is not None:
            self._duck.close()
        self.engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self._sessions() as session, session.begin():
            yield session

    # -- DuckDB ---------------------------------------------------------------------------------------------
    def duck(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the instance's shared in-process DuckDB; each thread should use its own cursor."""
        with self._duck_lock:
            if self._duck is None:
                self._duck = duck.connect(
                    memory_limit=self.settings.duckdb_memory_limit, temp_directory=self.settings.tmp_dir / "duckdb"
                )
            return self._duck.cursor()

    def path_of(self, version: VersionRecord) -> Path:
        return self.settings.data_dir / version.file

    def new_tmp_path(self, suffix: str = ".parquet") -> Path:
        # The writer's pid in the name tells a later cleanup whether the file's owner is still alive.
        return self.settings.tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}{suffix}"

    def clean_tmp(self) -> int:
        """Remove what killed loads left behind (their process is gone); current versions live elsewhere."""
        removed = 0
        for entry in self.settings.tmp_dir.glob("*-*"):
            owner = entry.name.split("-", 1)[0]
            if owner.isdigit() and not _alive(int(owner)):
                if entry.is_dir():  # an upload's folder
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
        return removed

    # -- datasets -------------------------------------------------------------------------------------------
    def _snapshot(self) -> Snapshot:
        """Datasets and current versions as of at most SNAPSHOT_SECONDS ago; this process's writes show at once.

        Serving reads these on every request; another process's change (a CLI publish or withdrawal) is seen
        within SNAPSHOT_SECONDS.
        """
        snap = self._snap
        if snap is not None and time.monotonic() - snap.taken < SNAPSHOT_SECONDS:
            return snap
        with self.session() as session:
            datasets = {d.id: DatasetRecord.of(d) for d in session.scalars(select(Dataset).order_by(Dataset.id))}
            rows = session.scalars(
                select(Version).join(Dataset, Dataset.id == Version.dataset_id).where(
                    Dataset.current_version == Version.number
                )
            )
            current = {v.dataset_id: VersionRecord.of(v) for v in rows}
        snap = Snapshot(time.monotonic(), datasets, current)
        self._snap = snap
        return snap

    def _changed(self) -> None:
        self._snap = None

    def datasets(self) -> list[DatasetRecord]:
        return list(self._snapshot().datasets.values())

    def dataset(self, dataset_id: str) -> DatasetRecord:
        found = self._snapshot().datasets.get(dataset_id)
        if found is None:
            raise NotFound(f"dataset {dataset_id!r} does not exist")
        return found

    def ensure_dataset(self, dataset_id: str, meta: dict[str, Any] | None = None) -> DatasetRecord:
        check_dataset_id(dataset_id)
        if meta is not None:
            meta = json_safe(meta)
        with self.session() as session:
            row = session.get(Dataset, dataset_id)
            if row is None:
                row = Dataset(id=dataset_id, status="draft", classification="open", meta=meta or {}, access={}, views=0,
                              downloads=0)
                session.add(row)
            elif meta is not None:
                row.meta = meta
                row.updated_at = utcnow()
            session.flush()
            record = DatasetRecord.of(row)
        self._changed()
        return record

    def set_metadata(self, dataset_id: str, meta: dict[str, Any]) -> DatasetRecord:
        self.dataset(dataset_id)
        return self.ensure_dataset(dataset_id, meta)

    def set_status(self, dataset_id: str, status: str) -> DatasetRecord:
        self._changed()  # a change of who may see what must never wait for the snapshot to expire
        with self.session() as session:
            row = session.get(Dataset, dataset_id)
            if row is None:
                raise NotFound(f"dataset {dataset_id!r} does not exist")
            row.status = status
            row.updated_at = utcnow()
            if status == "published":
                row.published_at = utcnow()
            session.flush()
            record = DatasetRecord.of(row)
        self._changed()
        return record

    def set_access(self, dataset_id: str, classification: str, rules: dict[str, Any]) -> DatasetRecord:
        """Change who may read a dataset: its classification and access rules, in one transaction."""
        self._changed()
        with self.session() as session:
            row = session.get(Dataset, dataset_id)
            if row is None:
                raise NotFound(f"dataset {dataset_id!r} does not exist")
            row.classification = classification
            row.access = rules
            row.updated_at = utcnow()
            session.flush()
            record = DatasetRecord.of(row)
        self._changed()
        self._notify(dataset_id)  # views over it inherit the change at once, not at their next refresh
        return record

    def count_use(self, dataset_id: str, *, download: bool = False) -> None:
        column = Dataset.downloads if download else Dataset.views
        with self.session() as session:
            session.execute(update(Dataset).where(Dataset.id == dataset_id).values({column: column + 1}))

    # -- versions -------------------------------------------------------------------------------------------
    def versions(self, dataset_id: str) -> list[VersionRecord]:
        self.dataset(dataset_id)
        with self.session() as session:
            rows = session.scalars(select(Version).where(Version.dataset_id == dataset_id).order_by(Version.number))
            return [VersionRecord.of(v) for v in rows]

    def current_versions(self) -> dict[str, VersionRecord]:
        """Every dataset's current version (catalogue pages need them all)."""
        return dict(self._snapshot().current)

    def version(self, dataset_id: str, number: int | None = None) -> VersionRecord:
        dataset = self.dataset(dataset_id)
        number = number if number is not None else dataset.current_version
        if number is None:
            raise NotFound(f"dataset {dataset_id!r} has no data yet")
        current = self._snapshot().current.get(dataset_id)
        if current is not None and current.number == number:
            return current
        with self.session() as session:
            row = session.get(Version, (dataset_id, number))
            if row is None:
                raise NotFound(f"dataset {dataset_id!r} has no version {number}")
            return VersionRecord.of(row)

    def commit_version(
        self,
        dataset_id: str,
        staged: Path,
        *,
        row_count: int,
        table_schema: dict[str, Any],
        source: dict[str, Any],
        report: dict[str, Any],
        meta: dict[str, Any] | None = None,
    ) -> Committed:
        """Move a fully written file into place and make it current in one metadata transaction.

        Until the transaction commits, readers keep seeing the previous version; a crash before it leaves at
        most an unreferenced file, never a half-written current version.
        """
        check_dataset_id(dataset_id)
        content_hash = file_hash(staged)
        try:
            with self.session() as session:
                dataset = self._dataset_for_update(session, dataset_id, meta)
                previous = dataset.current_version
                same = session.scalars(
                    select(Version).where(Version.dataset_id == dataset_id, Version.content_hash == content_hash)
                ).first()
                if same is not None:  # identical content: no new version; a revert makes the old one current
                    staged.unlink(missing_ok=True)
                    if dataset.current_version != same.number:
                        dataset.current_version = same.number
                        dataset.updated_at = utcnow()
                    committed = Committed(VersionRecord.of(same), created=False)
                else:
                    committed = self._add_version(session, dataset, staged, content_hash, row_count=row_count,
                                                  table_schema=table_schema, source=source, report=report)
        finally:
            self._changed()
        if committed.version.number != previous:
            self._notify(dataset_id)
        return committed

    def _add_version(self, session: Session, dataset: Dataset, staged: Path, content_hash: str, *, row_count: int,
                     table_schema: dict[str, Any], source: dict[str, Any], report: dict[str, Any]) -> Committed:
        latest = session.scalar(select(func.max(Version.number)).where(Version.dataset_id == dataset.id))
        number = (latest or 0) + 1
        relative = f"{dataset.id}/v{number:05d}-{content_hash[:12]}.parquet"
        size = self._place(staged, relative)
        version = Version(
            dataset_id=dataset.id, number=number, content_hash=content_hash, file=relative,
            row_count=row_count, byte_size=size, table_schema=table_schema, source=source, report=report,
            created_at=utcnow(),
        )
        session.add(version)
        dataset.current_version = number
        dataset.updated_at = utcnow()
        session.flush()
        return Committed(VersionRecord.of(version), created=True)

    # -- listeners ------------------------------------------------------------------------------------------
    def after_commit(self, listener: Callable[[str], None]) -> None:
        """Call `listener(dataset_id)` once a commit has made another version of that dataset current.

        Listeners run in the committing thread after the transaction; adding an equal listener twice adds it once.
        """
        if listener not in self._after_commit:
            self._after_commit.append(listener)

    def _notify(self, dataset_id: str) -> None:
        # The version is committed whatever a listener does, so a listener's failure is logged, never raised.
        for listener in list(self._after_commit):
            try:
                listener(dataset_id)
            except Exception:
                log.exception("after-commit listener %r failed for dataset %s", listener, dataset_id)

    def _dataset_for_update(self, session: Session, dataset_id: str, meta: dict[str, Any] | None) -> Dataset:
        dataset = session.get(Dataset, dataset_id, with_for_update=True)
        if dataset is None:  # a new dataset appears together with its first version, or not at all
            dataset = Dataset(id=dataset_id, status="draft", classification="open", meta={}, access={}, views=0,
                              downloads=0)
            session.add(dataset)
        if meta is not None:
            dataset.meta = json_safe(meta)
            dataset.updated_at = utcnow()
        return dataset

    def _place(self, staged: Path, relative: str) -> int:
        """Move the staged file to its final, never-reused name and make it durable before the commit."""
        final = self.settings.data_dir / relative
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staged, final)
        _fsync(final)
        return final.stat().st_size

def json_safe(meta: dict[str, Any]) -> dict[str, Any]:
    """Metadata from YAML holds dates; the database stores JSON, so dates become ISO strings."""
    safe: dict[str, Any] = json.loads(json.dumps(meta, default=lambda v: v.isoformat() if hasattr(v, "isoformat")
                                                  else str(v)))
    return safe


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
