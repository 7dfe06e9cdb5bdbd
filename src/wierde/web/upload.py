"""Uploading a file as a new version over HTTP: streamed to disk with a size limit, then ingested like the CLI does."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from wierde.collect.files import EXTENSIONS, ReadOptions
from wierde.collect.ingest import ingest
from wierde.errors import Forbidden, InvalidInput, TooLarge
from wierde.protect import audit
from wierde.protect.access import Principal
from wierde.publish import datasets as ds
from wierde.store.repository import check_dataset_id
from wierde.web.deps import PrincipalDep, StoreDep

router = APIRouter(prefix="/api/v1", tags=["datasets"])
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,150}$")


def safe_filename(name: str) -> str:
    """Only a plain file name with a known extension; never a path (no '/', '\\' or '..')."""
    if not SAFE_NAME.match(name or "") or ".." in name:
        raise InvalidInput(f"file name {name!r} is not allowed: use letters, digits, spaces and . _ ( ) -")
    known = {*EXTENSIONS, ".zip"}
    if Path(name).suffix.lower() not in known:
        raise InvalidInput(f"file name {name!r}: unknown extension; use one of {', '.join(sorted(known))}")
    return name


async def receive_file(request: Request, target: Path, limit: int) -> int:
    """Write the request body to `target`, refusing as soon as it passes `limit` bytes (not after)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the upload is {int(declared):,} bytes; this instance accepts at most {limit:,}")
    size = 0
    with target.open("wb") as out:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"the upload passed {limit:,} bytes, the most this instance accepts")
            out.write(chunk)
    if size == 0:
        raise InvalidInput("the upload is empty: send the file as the request body")
    return size


def _require_steward(principal: Principal) -> None:
    if not principal.is_steward:
        raise Forbidden("only data stewards may upload data")


@router.post("/datasets/{dataset_id}/versions", status_code=201, response_model=ds.VersionOut,
             operation_id="uploadVersion")
async def upload_version(
    request: Request,
    dataset_id: str,
    store: StoreDep,
    principal: PrincipalDep,
    filename: Annotated[str, Query(description="The file's name; its extension tells the format (.csv, .xlsx …).")],
    quarantine: Annotated[bool, Query(description="Load good rows and set bad rows aside.")] = False,
) -> JSONResponse:
    """Upload a file (the request body) as a new draft version; the same checks and ingest as `wierde ingest`."""
    _require_steward(principal)
    check_dataset_id(dataset_id)
    name = safe_filename(filename)
    folder = store.new_tmp_path(suffix="")
    folder.mkdir(parents=True)
    source = folder / name
    try:
        await receive_file(request, source, request.app.state.settings.max_upload_bytes)
        options = ReadOptions(bad_rows="quarantine" if quarantine else "refuse")
        outcome = await run_in_threadpool(ingest, store, source, dataset_id, options)
    finally:
        source.unlink(missing_ok=True)
        folder.rmdir()
    audit.record_for(store, principal, "ingest", target=dataset_id,
                     detail={"file": name, "version": outcome.version.number, "created": outcome.created,
                             "via": "api"})
    body = ds.VersionOut.of(outcome.version).model_dump(mode="json", by_alias=True)
    body["created"] = outcome.created
    body["rejected"] = outcome.rejected
    return JSONResponse(body, status_code=201 if outcome.created else 200)

