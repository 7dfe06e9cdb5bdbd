"""The /api/v1 row and management API: thin HTTP adapters over `publish`."""

from __future__ import annotations

from fastapi import APIRouter

from wierde.publish import datasets as ds
from wierde.web.deps import PrincipalDep, StoreDep

router = APIRouter(prefix="/api/v1", tags=["datasets"])


@router.get("/datasets", response_model=list[ds.DatasetOut], operation_id="listDatasets")
def list_datasets(store: StoreDep, principal: PrincipalDep) -> list[ds.DatasetOut]:
    return [ds.dataset_out(d) for d in ds.list_datasets(store, principal)]


@router.get("/datasets/{dataset_id}", response_model=ds.DatasetOut, operation_id="getDataset")
def get_dataset(dataset_id: str, store: StoreDep, principal: PrincipalDep) -> ds.DatasetOut:
    return ds.dataset_out(ds.get_dataset(store, principal, dataset_id))


@router.get("/datasets/{dataset_id}/versions", response_model=list[ds.VersionOut], operation_id="listVersions")
def list_versions(dataset_id: str, store: StoreDep, principal: PrincipalDep) -> list[ds.VersionOut]:
    return [ds.VersionOut.of(v) for v in ds.list_versions(store, principal, dataset_id)]
