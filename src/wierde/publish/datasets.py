"""What a principal may learn about datasets and versions, as output models that never expose storage rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

from wierde.errors import Forbidden, NotFound
from wierde.protect import access, audit, release
from wierde.protect.access import Principal
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store


class ApiModel(BaseModel):
    """Output models speak camelCase on the wire, as the NL API Design Rules ask."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class VersionOut(ApiModel):
    number: int
    content_hash: str
    row_count: int
    byte_size: int
    created_at: datetime
    table_schema: dict[str, Any]
    source: dict[str, Any]
    rejected_count: int

    @classmethod
    def of(cls, v: VersionRecord) -> VersionOut:
        return cls(
            number=v.number, content_hash=v.content_hash, row_count=v.row_count, byte_size=v.byte_size,
            created_at=v.created_at, table_schema=v.table_schema, source=v.source,
            rejected_count=int(v.report.get("rejected_count", 0)),
        )


class DatasetOut(ApiModel):
    id: str
    title: str
    description: str
    status: str
    current_version: int | None
    updated_at: datetime
    meta: dict[str, Any]


def title_of(dataset: DatasetRecord, lang: str = "nl") -> str:
    title = dataset.meta.get("title")
    if isinstance(title, dict):
        return str(title.get(lang) or title.get("nl") or next(iter(title.values()), dataset.id))
    return str(title or dataset.id)


def description_of(dataset: DatasetRecord, lang: str = "nl") -> str:
    text = dataset.meta.get("description")
    if isinstance(text, dict):
        return str(text.get(lang) or text.get("nl") or "")
    return str(text or "")


def dataset_out(dataset: DatasetRecord, lang: str = "nl") -> DatasetOut:
    return DatasetOut(
        id=dataset.id, title=title_of(dataset, lang), description=description_of(dataset, lang),
        status=dataset.status, current_version=dataset.current_version, updated_at=dataset.updated_at,
        meta=dataset.meta,
    )


def list_datasets(store: Store, principal: Principal) -> list[DatasetRecord]:
    return access.visible(principal, store.datasets())


def get_dataset(store: Store, principal: Principal, dataset_id: str) -> DatasetRecord:
    """The one door check for reading a dataset: allowed or refused, and every read of non-public data logged
    with its purpose (restricted and non-public data are not read without one)."""
    dataset = access.require(principal, store.dataset(dataset_id))
    if dataset.current_version is not None:
        _check_released(store, principal, dataset, store.version(dataset_id))
    if access.needs_audit(dataset):
        if dataset.classification != "open" and not principal.purpose:
            audit.record_for(store, principal, "read", target=dataset_id, outcome="refused",
                             detail={"why": "no purpose stated"})
            raise Forbidden(f"dataset {dataset_id!r} is {dataset.classification}: state the purpose of this read "
                            "(the X-Purpose header, or the purpose given at sign-in)")
        audit.record_for(store, principal, "read", target=dataset_id, detail={"classification": dataset.classification,
                                                                               "status": dataset.status})
    return dataset


def get_version(store: Store, principal: Principal, dataset_id: str, number: int | None = None) -> VersionRecord:
    """A version's record (checked, not logged): doors that read its data call `get_dataset` first, which logs."""
    dataset = access.require(principal, store.dataset(dataset_id))
    version = store.version(dataset_id, number)
    _check_released(store, principal, dataset, version)
    return version


def _check_released(store: Store, principal: Principal, dataset: DatasetRecord, version: VersionRecord) -> None:
    """A published dataset serves only versions that pass the gate themselves (see protect.release)."""
    if release.withheld(store, principal, dataset, version):
        raise NotFound(f"version {version.number} of dataset {dataset.id!r} is not published: it is being reviewed")


def list_versions(store: Store, principal: Principal, dataset_id: str) -> list[VersionRecord]:
    access.require(principal, store.dataset(dataset_id))
    return store.versions(dataset_id)


def version_out(store: Store, principal: Principal, dataset: DatasetRecord, version: VersionRecord) -> VersionOut:
    """A version as this principal may learn about it: no withheld column in its schema, and a view's SQL only
    when every input it names is visible to them too."""
    hidden = access.hidden_columns(principal, dataset)
    schema = dict(version.table_schema)
    schema["fields"] = [f for f in version.fields if f.get("name") not in hidden]
    source = dict(version.source)
    inputs = source.get("inputs")
    if isinstance(inputs, dict):
        known = {d.id: d for d in store.datasets()}
        shown = {k: v for k, v in inputs.items() if k in known and access.can_see(principal, known[k])}
        if shown != inputs:
            source["inputs"] = shown
            source.pop("sql", None)
    out = VersionOut.of(version)
    return out.model_copy(update={"table_schema": schema, "source": source})
