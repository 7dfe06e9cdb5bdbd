"""Plain, frozen views of stored rows, so callers never hold (or return) a live ORM object."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from wierde.store.models import Dataset, Version


@dataclass(frozen=True)
class VersionRecord:
    dataset_id: str
    number: int
    content_hash: str
    file: str
    row_count: int
    byte_size: int
    table_schema: dict[str, Any]
    source: dict[str, Any]
    report: dict[str, Any]
    created_at: datetime

    @property
    def fields(self) -> list[dict[str, Any]]:
        return list(self.table_schema.get("fields", []))

    @property
    def geometry_columns(self) -> list[str]:
        return [f["name"] for f in self.fields if f.get("type") == "geometry"]

    @property
    def etag(self) -> str:
        return f"{self.dataset_id}-{self.number}-{self.content_hash[:16]}"

    @classmethod
    def of(cls, row: Version) -> VersionRecord:
        return cls(
            dataset_id=row.dataset_id, number=row.number, content_hash=row.content_hash, file=row.file,
            row_count=row.row_count, byte_size=row.byte_size, table_schema=dict(row.table_schema),
            source=dict(row.source or {}), report=dict(row.report or {}), created_at=row.created_at,
        )


@dataclass(frozen=True)
class DatasetRecord:
    id: str
    status: str
    classification: str
    meta: dict[str, Any]
    current_version: int | None
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    views: int
    downloads: int
    access: dict[str, Any] = field(default_factory=dict)

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @classmethod
    def of(cls, row: Dataset) -> DatasetRecord:
        return cls(
            id=row.id, status=row.status, classification=row.classification, meta=dict(row.meta or {}),
            current_version=row.current_version, created_at=row.created_at, updated_at=row.updated_at,
            published_at=row.published_at, views=row.views, downloads=row.downloads, access=dict(row.access or {}),
        )
