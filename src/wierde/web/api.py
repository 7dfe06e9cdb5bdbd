"""The /api/v1 row and management API: thin HTTP adapters over `publish`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel
from starlette.routing import Route

from wierde import __version__
from wierde.catalog.editing import update_metadata
from wierde.protect.classify import describe as describe_access
from wierde.protect.classify import set_access
from wierde.publish import datasets as ds
from wierde.publish.diff import diff_versions
from wierde.publish.download import download
from wierde.publish.row_api import Answer, aggregate_answer, rows_answer
from wierde.web.deps import PrincipalDep, StoreDep, principal_of, store_of

API_VERSION = {"API-Version": __version__}
router = APIRouter(prefix="/api/v1", tags=["datasets"])
DatasetId = Annotated[str, Path(description="Dataset id, e.g. `verkeerstellingen`.", pattern=r"^[a-z0-9][a-z0-9_-]*$")]
FormatParam = Annotated[str | None, Query(description="json, csv, geojson, gpkg, parquet or xlsx; wins over Accept.")]


@router.get("/datasets", response_model=list[ds.DatasetOut], operation_id="listDatasets")
def list_datasets(store: StoreDep, principal: PrincipalDep, response: Response) -> list[ds.DatasetOut]:
    response.headers.update(API_VERSION)
    return [ds.dataset_out(d) for d in ds.list_datasets(store, principal)]


@router.get("/datasets/{dataset_id}", response_model=ds.DatasetOut, operation_id="getDataset")
def get_dataset(dataset_id: DatasetId, store: StoreDep, principal: PrincipalDep, response: Response) -> ds.DatasetOut:
    response.headers.update(API_VERSION)
    return ds.dataset_out(ds.get_dataset(store, principal, dataset_id))


@router.get("/datasets/{dataset_id}/versions", response_model=list[ds.VersionOut], operation_id="listVersions")
def list_versions(
    dataset_id: DatasetId, store: StoreDep, principal: PrincipalDep, response: Response
) -> list[ds.VersionOut]:
    response.headers.update(API_VERSION)
    dataset = ds.get_dataset(store, principal, dataset_id)
    return [ds.version_out(store, principal, dataset, v) for v in ds.list_versions(store, principal, dataset_id)]


def cache_control(public: bool, immutable: bool) -> str:
    """Shared caches may keep only what anyone may see; anything else stays with the one who asked for it."""
    if not public:
        return "private, no-store"
    return "public, max-age=31536000, immutable" if immutable else "public, max-age=60"


def answer_response(request: Request, answer: Answer, *, immutable: bool) -> Response:
    headers = {**API_VERSION, "ETag": answer.etag, "Cache-Control": cache_control(answer.public, immutable)}
    if request.headers.get("if-none-match") == answer.etag:
        return Response(status_code=304, headers=headers)
    if answer.body is not None:
        return Response(answer.body, media_type=answer.media_type, headers=headers)
    assert answer.chunks is not None
    return StreamingResponse(answer.chunks, media_type=answer.media_type, headers=headers)


@router.get("/datasets/{dataset_id}/rows", operation_id="listRows")
def list_rows(
    request: Request,
    dataset_id: DatasetId,
    store: StoreDep,
    principal: PrincipalDep,
    format: FormatParam = None,
    sort: Annotated[str | None, Query(description="Columns to sort by, `-` for descending: `-jaar,naam`.")] = None,
    fields: Annotated[str | None, Query(description="Only these columns, comma separated.")] = None,
    limit: Annotated[int, Query(ge=1, le=10000, description="Rows per page.")] = 100,
    cursor: Annotated[str | None, Query(description="Opaque position from the `next` link.")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Rows of the current version. Filter with `column=value` or `column__op=value`
    (op: ne, gt, gte, lt, lte, in, contains, isnull)."""
    # Documents the contract; requests are answered by `rows_route`, registered ahead of this route.
    return rows_route(request)


Columns = Annotated[str | None, Query(description="Columns, comma separated.")]


@router.get("/datasets/{dataset_id}/aggregate", operation_id="aggregateRows")
def aggregate_rows(
    request: Request,
    dataset_id: DatasetId,
    store: StoreDep,
    principal: PrincipalDep,
    groupBy: Columns = None,  # noqa: N803 - the NL API Design Rules want camelCase query keys
    sum: Columns = None,  # noqa: A002
    avg: Columns = None,
    min: Columns = None,  # noqa: A002
    max: Columns = None,  # noqa: A002
) -> Response:
    """Group the current version's rows (`groupBy=a,b`) and sum, average, or take the minimum or maximum of
    columns; the row filters (`column=value`, `column__op=value`) apply first. Every group has its `count`."""
    answer = aggregate_answer(store, principal, dataset_id, request.query_params.multi_items(),
                              cache=request.app.state.response_cache)
    return answer_response(request, answer, immutable=False)


@router.get("/datasets/{dataset_id}/versions/{number}/rows", operation_id="listVersionRows")
def list_version_rows(
    request: Request,
    dataset_id: DatasetId,
    number: Annotated[int, Path(ge=1)],
    store: StoreDep,
    principal: PrincipalDep,
    format: FormatParam = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Rows of one immutable version (same parameters as the current rows)."""
    answer = rows_answer(store, principal, dataset_id, request.query_params.multi_items(), path=request.url.path,
                         accept=accept, version=number, cache=request.app.state.response_cache)
    return answer_response(request, answer, immutable=True)


def download_response(request: Request, store: StoreDep, principal: PrincipalDep, dataset_id: str,
                      format_name: str | None, number: int | None) -> Response:
    result = download(store, principal, dataset_id, format_name, version=number,
                      params=request.query_params.multi_items(), accept=request.headers.get("accept"),
                      cache=request.app.state.download_cache)
    etag = result.etag
    headers = {**API_VERSION, "ETag": etag, "Cache-Control": cache_control(result.public, number is not None),
               "Content-Disposition": f'attachment; filename="{result.filename}"'}
    if request.headers.get("if-none-match") == etag:
        if result.chunks is not None:
            result.chunks.close()  # type: ignore[attr-defined]
        return Response(status_code=304, headers=headers)
    if result.file is not None:
        return FileResponse(result.file, media_type=result.media_type, headers=headers)
    assert result.chunks is not None
    return StreamingResponse(result.chunks, media_type=result.media_type, headers=headers)


@router.get("/datasets/{dataset_id}/download", operation_id="downloadDataset")
def download_current(request: Request, dataset_id: DatasetId, store: StoreDep, principal: PrincipalDep,
                     format: FormatParam = None) -> Response:
    """The whole current version (or the rows matching `column=value` filters) as a file."""
    return download_response(request, store, principal, dataset_id, format, None)


@router.get("/datasets/{dataset_id}/versions/{number}/download", operation_id="downloadVersion")
def download_version(request: Request, dataset_id: DatasetId, number: Annotated[int, Path(ge=1)],
                     store: StoreDep, principal: PrincipalDep, format: FormatParam = None) -> Response:
    """One immutable version as a file."""
    return download_response(request, store, principal, dataset_id, format, number)


class DiffOut(BaseModel):
    old: int
    new: int
    key: list[str]
    added: int
    removed: int
    changed: int
    columnsAdded: list[str]  # noqa: N815 - NL API rules want camelCase properties
    columnsRemoved: list[str]  # noqa: N815
    samples: dict[str, list[dict[str, Any]]]


@router.get("/datasets/{dataset_id}/versions/{old}/diff/{new}", response_model=DiffOut, operation_id="diffVersions")
def diff(
    dataset_id: DatasetId,
    old: Annotated[int, Path(ge=1)],
    new: Annotated[int, Path(ge=1)],
    store: StoreDep,
    principal: PrincipalDep,
    response: Response,
    key: Annotated[str | None, Query(description="Key columns that identify a row, comma separated.")] = None,
) -> DiffOut:
    """Rows added, removed and changed between two versions (changed needs `key`)."""
    response.headers.update(API_VERSION)
    keys = tuple(k.strip() for k in key.split(",") if k.strip()) if key else ()
    d = diff_versions(store, principal, dataset_id, old, new, keys)
    return DiffOut(old=d.old, new=d.new, key=list(d.key), added=d.added, removed=d.removed, changed=d.changed,
                   columnsAdded=list(d.columns_added), columnsRemoved=list(d.columns_removed), samples=d.samples)


@router.get("/datasets/{dataset_id}/metadata", operation_id="getMetadata")
def get_metadata(dataset_id: DatasetId, store: StoreDep, principal: PrincipalDep, response: Response
                 ) -> dict[str, Any]:
    """The dataset's DCAT-AP-NL metadata as the steward wrote it."""
    response.headers.update(API_VERSION)
    return ds.get_dataset(store, principal, dataset_id).meta


@router.put("/datasets/{dataset_id}/metadata", operation_id="updateMetadata")
def put_metadata(dataset_id: DatasetId, body: dict[str, Any], store: StoreDep, principal: PrincipalDep,
                 response: Response) -> dict[str, Any]:
    """Replace the metadata (data stewards only); refused with every problem named when it is not valid."""
    response.headers.update(API_VERSION)
    ds.get_dataset(store, principal, dataset_id)
    return update_metadata(store, principal, dataset_id, body, where="request body").meta


class AccessIn(BaseModel):
    classification: str = "open"
    scope: str | None = None
    reason: str | None = None
    hide_existence: bool = False
    columns: dict[str, dict[str, str]] = {}


@router.get("/datasets/{dataset_id}/access", operation_id="getAccess")
def get_access(dataset_id: DatasetId, store: StoreDep, principal: PrincipalDep, response: Response
               ) -> dict[str, Any]:
    """Who may read the dataset: classification, scope and the Woo ground for anything not open."""
    response.headers.update(API_VERSION)
    return describe_access(ds.get_dataset(store, principal, dataset_id))


@router.put("/datasets/{dataset_id}/access", operation_id="updateAccess")
def put_access(dataset_id: DatasetId, body: AccessIn, store: StoreDep, principal: PrincipalDep, response: Response
               ) -> dict[str, Any]:
    """Classify the dataset (data stewards only); every non-open item needs a scope and a Woo ground."""
    response.headers.update(API_VERSION)
    ds.get_dataset(store, principal, dataset_id)
    rules = body.model_dump(exclude={"classification"}, exclude_defaults=True)
    return describe_access(set_access(store, principal, dataset_id, body.classification, rules))


def rows_route(request: Request) -> Response:
    """The hot path of /rows, served without FastAPI's parameter machinery (the same checks happen in
    `publish.rows`); `list_rows` above stays the documented contract and answers identically."""
    dataset_id = request.path_params["dataset_id"]
    answer = rows_answer(store_of(request), principal_of(request), dataset_id, request.query_params.multi_items(),
                         path=request.url.path, accept=request.headers.get("accept"),
                         cache=request.app.state.response_cache)
    return answer_response(request, answer, immutable=False)


FAST_ROUTES = [Route("/api/v1/datasets/{dataset_id:str}/rows", rows_route, methods=["GET"])]
