"""The publication gate over HTTP: what stops a dataset from being published, publishing it, and withdrawing it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, ConfigDict

from wierde.errors import Forbidden
from wierde.protect import gate
from wierde.protect.access import Principal
from wierde.publish import datasets as ds
from wierde.publish.datasets import ApiModel
from wierde.store.records import DatasetRecord
from wierde.store.repository import Store
from wierde.web.api import API_VERSION
from wierde.web.deps import PrincipalDep, StoreDep

router = APIRouter(prefix="/api/v1", tags=["publication"])
DatasetId = Annotated[str, Path(description="Dataset id, e.g. `verkeerstellingen`.", pattern=r"^[a-z0-9][a-z0-9_-]*$")]


class PublishIn(BaseModel):
    """What a steward may add while publishing; the rest comes from the metadata and the instance's defaults."""

    model_config = ConfigDict(extra="forbid")

    licence: str | None = None  # SPDX id: CC0-1.0, CC-BY-4.0, …
    theme: str | list[str] | None = None  # EU data theme code(s): TRAN, ENVI, …
    purpose: str | None = None  # why, for the audit log


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str


class GateOut(ApiModel):
    dataset: str
    ready: bool
    reasons: list[str]


class PublicationOut(ApiModel):
    id: str
    status: str
    current_version: int | None
    published_at: datetime | None
    licence: str | None
    themes: list[str]

    @classmethod
    def of(cls, record: DatasetRecord) -> PublicationOut:
        return cls(id=record.id, status=record.status, current_version=record.current_version,
                   published_at=record.published_at, licence=record.meta.get("licence"),
                   themes=list(record.meta.get("themes") or []))


def _steward(store: Store, principal: Principal, dataset_id: str) -> None:
    """Stewards manage every dataset, withdrawn ones included; anyone else who may not see the dataset learns
    nothing of it (404), and who may see it learns that publishing is not theirs to do (403)."""
    if principal.is_steward:
        store.dataset(dataset_id)
        return
    ds.get_dataset(store, principal, dataset_id)
    raise Forbidden("only data stewards may publish or withdraw datasets")


@router.get("/datasets/{dataset_id}/gate", response_model=GateOut, operation_id="checkPublication")
def get_gate(dataset_id: DatasetId, store: StoreDep, principal: PrincipalDep, response: Response,
             licence: str | None = None, theme: str | None = None) -> GateOut:
    """What stops the dataset from being published, one line each (data stewards only)."""
    response.headers.update(API_VERSION)
    _steward(store, principal, dataset_id)
    reasons = gate.check(store, dataset_id, licence=licence, theme=theme)
    return GateOut(dataset=dataset_id, ready=not reasons, reasons=reasons)


@router.post("/datasets/{dataset_id}/publish", response_model=PublicationOut, operation_id="publishDataset")
def post_publish(dataset_id: DatasetId, store: StoreDep, principal: PrincipalDep, response: Response,
                 body: PublishIn | None = None) -> PublicationOut:
    """Publish after every check (data stewards only); refused with 409 and every reason in `reasons`."""
    response.headers.update(API_VERSION)
    _steward(store, principal, dataset_id)
    given = body or PublishIn()
    record = gate.publish(store, principal, dataset_id, licence=given.licence, theme=given.theme,
                          purpose=given.purpose)
    return PublicationOut.of(record)


@router.post("/datasets/{dataset_id}/withdraw", response_model=PublicationOut, operation_id="withdrawDataset")
def post_withdraw(dataset_id: DatasetId, body: WithdrawIn, store: StoreDep, principal: PrincipalDep,
                  response: Response) -> PublicationOut:
    """Stop serving a published dataset (data stewards only); the reason goes into the audit log."""
    response.headers.update(API_VERSION)
    _steward(store, principal, dataset_id)
    return PublicationOut.of(gate.withdraw(store, principal, dataset_id, body.reason))
