"""The steward's pages under /beheer: upload, describe, settle personal data, set access, preview and publish, each
through the very functions `wierde` calls, so the portal is never more lenient than the command line.

This module holds the router and the overview; each page is a module of its own: steward_dataset (one dataset),
steward_forms (the forms on it), steward_preview and steward_upload (with steward_upload_reader, which streams the
file to disk). steward_common, steward_labels and steward_metadata (the metadata form) serve them all.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from wierde.catalog.completeness import completeness
from wierde.protect.privacy import records
from wierde.store.records import DatasetRecord
from wierde.store.repository import Store
from wierde.web import dataset_page, i18n, steward_dataset, steward_forms, steward_preview, steward_upload
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.steward_common import FieldError, refusal, steward_page
from wierde.web.steward_dataset import Shown, dataset_response, detail_context
from wierde.web.steward_labels import classification_labels, status_labels
from wierde.web.steward_upload_reader import UploadReader, read_upload

# The app and the tests use these from here.
__all__ = ["FieldError", "Shown", "UploadReader", "dataset_response", "detail_context", "overview_rows",
           "read_upload", "refusal", "router"]

router = APIRouter(prefix="/beheer", include_in_schema=False)


@dataclass(frozen=True)
class OverviewRow:
    dataset: DatasetRecord
    title: str
    completeness: int | None  # percent; None when the metadata cannot be read
    open_findings: int | None  # None: not scanned yet (or no data)


def _saved_open_findings(store: Store, dataset: DatasetRecord) -> int | None:
    """From the saved report only: a list of every dataset must not scan them all."""
    if dataset.current_version is None:
        return None
    report = records.load_report(store, dataset.id, dataset.current_version)
    return None if report is None else len(report.open_findings)


def overview_rows(store: Store) -> list[OverviewRow]:
    rows = []
    for dataset in sorted(store.datasets(), key=lambda d: d.id):
        meta = dataset_page.metadata_of(dataset)
        rows.append(OverviewRow(dataset, i18n.pick(dataset.meta.get("title")) or dataset.id,
                                round(completeness(meta).score * 100) if meta else None,
                                _saved_open_findings(store, dataset)))
    return rows


@router.get("", response_class=HTMLResponse)
def overview(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    return steward_page(request, "steward_overview.html", rows=overview_rows(store), statuses=status_labels(),
                        classifications=classification_labels())


# Each page's routes, in the order they were always matched.
router.include_router(steward_dataset.router)
router.include_router(steward_forms.router)
router.include_router(steward_preview.router)
router.include_router(steward_upload.router)
