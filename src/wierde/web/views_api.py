"""The API of views: list, show, define and refresh datasets computed from other datasets."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict

from wierde.combine import describe
from wierde.combine.graph import downstream
from wierde.combine.materialise import Refreshed, define_view, find_view, refresh_many
from wierde.combine.spec import load_views, parse_view, views_path
from wierde.errors import Forbidden
from wierde.protect.access import Principal
from wierde.publish.datasets import ApiModel
from wierde.web.api import API_VERSION
from wierde.web.deps import PrincipalDep, StoreDep

router = APIRouter(prefix="/api/v1", tags=["views"])
ViewId = Annotated[str, Path(description="The view's dataset id, e.g. `openingen-per-uur`.",
                             pattern=r"^[a-z0-9][a-z0-9_-]*$")]
EDITORS = frozenset({"steward", "admin"})


class InputOut(ApiModel):
    dataset: str
    used: int | None  # the version the view's current data was computed from
    current: int | None  # the version a refresh would read now (the pin, or the input's current version)
    pinned: bool
    is_view: bool


class LineageOut(ApiModel):
    version: int
    created_at: str
    engine: str
    inputs: dict[str, int]


class ViewOut(ApiModel):
    id: str
    title: dict[str, str]
    description: dict[str, str]
    sql: str | None  # withheld when the asker may not see every input
    engine: str
    publish: bool
    status: str | None
    classification: str | None
    version: int | None
    inputs: list[InputOut]
    stale: bool
    dataset: str  # the view's data, served like any dataset's

    @classmethod
    def of(cls, state: describe.ViewState) -> ViewOut:
        return cls(
            id=state.id, title=state.title, description=state.description, sql=state.sql, engine=state.engine,
            publish=state.publish, status=state.status, classification=state.classification, version=state.version,
            inputs=[InputOut(dataset=i.dataset, used=i.used, current=i.current, pinned=i.pinned, is_view=i.is_view)
                    for i in state.inputs],
            stale=state.stale, dataset=f"/api/v1/datasets/{state.id}",
        )


class ViewDetailOut(ViewOut):
    lineage: list[LineageOut]  # every version of the view, newest first, with the input versions it was made from

    @classmethod
    def of(cls, state: describe.ViewState) -> ViewDetailOut:
        base = ViewOut.of(state).model_dump()
        lineage = [LineageOut(version=e.version, created_at=e.created_at, engine=e.engine, inputs=e.inputs)
                   for e in state.lineage]
        return cls(**base, lineage=lineage)


class ViewIn(BaseModel):
    """A view as a steward defines it (the same fields as an entry of views.yaml)."""

    model_config = ConfigDict(extra="forbid")

    id: str
    title: str | dict[str, str]
    description: str | dict[str, str] | None = None
    sql: str
    pins: dict[str, int] = {}
    engine: str = "duckdb"
    publish: bool = False
    metadata: dict[str, Any] = {}


class RefreshOut(ApiModel):
    view: str
    version: int
    created: bool  # False: the result equals a version the view already had
    rows: int
    inputs: dict[str, int]
    engine: str
    seconds: float

    @classmethod
    def of(cls, result: Refreshed) -> RefreshOut:
        return cls(view=result.view, version=result.version.number, created=result.created,
                   rows=result.version.row_count, inputs=result.inputs, engine=result.engine, seconds=result.seconds)


class FailedOut(ApiModel):
    view: str
    error: str


class RefreshAnswer(ApiModel):
    refreshed: list[RefreshOut]  # the view first, then the views that read it, in dependency order
    failed: list[FailedOut]  # views that read it and could not be refreshed (their last version stays)


def require_steward(principal: Principal) -> None:
    if principal.kind not in EDITORS:
        raise Forbidden("only data stewards may define or refresh views")


@router.get("/views", response_model=list[ViewOut], operation_id="listViews")
def list_views(store: StoreDep, principal: PrincipalDep, response: Response) -> list[ViewOut]:
    """The views whose data you may see, each with the input versions its current data was computed from."""
    response.headers.update(API_VERSION)
    return [ViewOut.of(state) for state in describe.visible_states(store, principal)]


@router.get("/views/{view_id}", response_model=ViewDetailOut, operation_id="getView")
def get_view(view_id: ViewId, store: StoreDep, principal: PrincipalDep, response: Response) -> ViewDetailOut:
    """A view's definition, its inputs with versions, and the lineage of every version."""
    response.headers.update(API_VERSION)
    return ViewDetailOut.of(describe.visible_state(store, principal, view_id))


@router.post("/views", response_model=ViewDetailOut, status_code=201, operation_id="defineView")
def post_view(
    body: ViewIn,
    store: StoreDep,
    principal: PrincipalDep,
    response: Response,
    replace: Annotated[bool, Query(description="Replace a view with the same id.")] = False,
) -> ViewDetailOut:
    """Define a view (data stewards only): checked, refreshed, and kept only when its first refresh succeeds."""
    require_steward(principal)
    response.headers.update(API_VERSION)
    spec = parse_view(body.model_dump(exclude_none=True), "request body")
    define_view(store, spec, replace=replace)
    return ViewDetailOut.of(describe.visible_state(store, principal, spec.id))


@router.post("/views/{view_id}/refresh", response_model=RefreshAnswer, operation_id="refreshView")
def refresh_view(view_id: ViewId, store: StoreDep, principal: PrincipalDep, response: Response) -> RefreshAnswer:
    """Refresh a view, then the views that read it (data stewards only); a failure keeps the last version."""
    require_steward(principal)
    response.headers.update(API_VERSION)
    view = find_view(store, view_id)
    done, failed = refresh_many(store, [view, *downstream(load_views(views_path(store.settings)), view.id)])
    own = [error for error in failed if error.extra.get("view") == view.id]
    if own:
        raise own[0]
    return RefreshAnswer(refreshed=[RefreshOut.of(result) for result in done],
                         failed=[FailedOut(view=str(e.extra.get("view", "")), error=e.detail) for e in failed])
