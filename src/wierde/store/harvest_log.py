"""The harvest log: every run of a source, so stewards (and the portal) can see freshness and failures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from wierde.store.models import Harvest, utcnow
from wierde.store.repository import Store


@dataclass(frozen=True)
class HarvestRecord:
    id: int
    source: str
    dataset_id: str
    connector: str
    url: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    version: int | None
    stats: dict[str, Any]
    error: str | None

    @classmethod
    def of(cls, row: Harvest) -> HarvestRecord:
        return cls(id=row.id, source=row.source, dataset_id=row.dataset_id, connector=row.connector, url=row.url,
                   started_at=row.started_at, finished_at=row.finished_at, outcome=row.outcome,
                   version=row.version, stats=dict(row.stats or {}), error=row.error)


def start(store: Store, *, source: str, dataset_id: str, connector: str, url: str) -> int:
    with store.session() as session:
        row = Harvest(source=source, dataset_id=dataset_id, connector=connector, url=url, started_at=utcnow(),
                      outcome="running", stats={})
        session.add(row)
        session.flush()
        return row.id


def finish(store: Store, harvest_id: int, *, outcome: str, version: int | None = None,
           stats: dict[str, Any] | None = None, error: str | None = None) -> HarvestRecord:
    with store.session() as session:
        row = session.get(Harvest, harvest_id)
        assert row is not None
        row.finished_at, row.outcome, row.version, row.stats, row.error = utcnow(), outcome, version, stats or {}, error
        session.flush()
        return HarvestRecord.of(row)


def history(store: Store, *, dataset_id: str | None = None, source: str | None = None,
            limit: int = 50) -> list[HarvestRecord]:
    query = select(Harvest).order_by(Harvest.id.desc()).limit(limit)
    if dataset_id:
        query = query.where(Harvest.dataset_id == dataset_id)
    if source:
        query = query.where(Harvest.source == source)
    with store.session() as session:
        return [HarvestRecord.of(row) for row in session.scalars(query)]
