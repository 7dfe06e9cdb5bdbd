"""The steward's upload page: the form, and the posted file (read by steward_upload_reader) ingested and scanned as
`wierde ingest` and `wierde scan` do, or the form again with what was wrong."""

from __future__ import annotations

import shutil
from collections.abc import Sequence

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from wierde.collect.files import EXTENSIONS, ReadOptions
from wierde.collect.ingest import ingest
from wierde.errors import WierdeError
from wierde.protect.access import Principal
from wierde.protect.privacy.scan import scan_version
from wierde.store.repository import Store
from wierde.web import i18n
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.steward_common import FieldError, audit_change, one, redirect_back, refusal, steward_page
from wierde.web.steward_upload_reader import UploadReader, read_upload

router = APIRouter()  # steward.router includes it under /beheer


def _upload_page(request: Request, store: Store, *, status: int = 200, dataset: str = "",
                 errors: Sequence[FieldError] = ()) -> HTMLResponse:
    field_errors: dict[str, list[str]] = {}
    for error in errors:
        field_errors.setdefault(error.field, []).append(error.message)
    return steward_page(request, "steward_upload.html", status=status, dataset_id=dataset, errors=list(errors),
                        field_errors=field_errors, existing=sorted(d.id for d in store.datasets()),
                        extensions=", ".join(sorted({*EXTENSIONS, ".zip"})),
                        limit=_megabytes(request.app.state.settings.max_upload_bytes))


def _megabytes(size: int) -> str:
    return i18n.number(size / 1024**2, 0 if size >= 10 * 1024**2 else 2)


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, store: StoreDep, principal: PrincipalDep, dataset: str = "") -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    return _upload_page(request, store, dataset=dataset)


def _store_upload(store: Store, principal: Principal, reader: UploadReader) -> tuple[str, bool]:
    """Ingest the file as `wierde ingest` does, scan it as `wierde scan` does, and log both in one entry."""
    assert reader.file is not None
    dataset_id = one(reader.fields, "dataset")
    quarantine = one(reader.fields, "quarantine") == "1"
    outcome = ingest(store, reader.file, dataset_id, ReadOptions(bad_rows="quarantine" if quarantine else "refuse"))
    report = scan_version(store, dataset_id)
    audit_change(store, principal, "ingest", dataset_id, {
        "file": reader.file.name, "bytes": reader.size, "version": outcome.version.number,
        "new_version": outcome.created, "rejected": outcome.rejected, "open_findings": len(report.open_findings)})
    return dataset_id, outcome.created


@router.post("/upload")
async def upload(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    folder = store.new_tmp_path(suffix="")
    folder.mkdir(parents=True)
    reader = UploadReader(request, folder, request.app.state.settings.max_upload_bytes)
    try:
        await read_upload(request, reader)
        dataset_id, created = await run_in_threadpool(_store_upload, store, principal, reader)
    except WierdeError as error:
        if error.status == 403:
            raise  # a missing or wrong CSRF token is not a mistake in the form to correct
        target = str(error.extra.get("field", "u-file"))
        return _upload_page(request, store, status=error.status, dataset=one(reader.fields, "dataset"),
                            errors=[FieldError(target, error.detail)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return redirect_back(dataset_id, "uploaded" if created else "unchanged", "privacy-h")
