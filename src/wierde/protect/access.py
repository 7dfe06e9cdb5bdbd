"""The one access function: every way data leaves Wierde asks it what this principal may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from wierde.errors import NotFound
from wierde.store.records import DatasetRecord

Kind = Literal["anonymous", "employee", "steward", "admin", "token"]
STAFF: frozenset[str] = frozenset({"employee", "steward", "admin"})


@dataclass(frozen=True)
class Principal:
    """Who is asking, and (for reads of non-public data) why."""

    kind: Kind = "anonymous"
    name: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    purpose: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.kind in STAFF


ANONYMOUS = Principal()
OPERATOR = Principal(kind="admin", name="operator", purpose="local command line")


def can_see(principal: Principal, dataset: DatasetRecord) -> bool:
    """Anonymous users and tokens see published open datasets only; staff also see drafts."""
    if principal.is_staff:
        return dataset.status != "withdrawn" or principal.kind == "admin"
    return dataset.is_published and dataset.classification == "open"


def public(dataset: DatasetRecord) -> bool:
    """Anyone may see it: the only data whose answers may be cached and shared between requesters."""
    return dataset.is_published and dataset.classification == "open"


def visible(principal: Principal, datasets: Iterable[DatasetRecord]) -> list[DatasetRecord]:
    return [d for d in datasets if can_see(principal, d)]


def require(principal: Principal, dataset: DatasetRecord) -> DatasetRecord:
    """Refuse as 'not found', so that the existence of an unpublished dataset does not leak."""
    if not can_see(principal, dataset):
        raise NotFound(f"dataset {dataset.id!r} does not exist")
    return dataset
