"""The SQL page: signed-in staff query the datasets they may see, download the answer, and stewards save it as a view.

Every request that runs SQL is a POST with the session's CSRF token, so another site cannot make a member of staff's
browser run a query (and write audit entries in their name); GET only shows the form, prefilled from `?sql=`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from wierde.combine import sql_console
from wierde.combine.materialise import define_view
from wierde.combine.spec import parse_view
from wierde.errors import Forbidden, WierdeError
from wierde.protect.access import Principal
from wierde.publish import datasets as ds
from wierde.sqltext import quote_ident
from wierde.store.repository import Store
from wierde.web import i18n, session
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.render import Renderer

router = APIRouter(include_in_schema=False)
SHOWN_ROWS = 1_000  # the page shows this many; downloads carry up to sql_console.MAX_ROWS
MAX_SQL = 20_000  # characters: a query, not a script
DOWNLOADS = {
    "csv": ("text/csv; charset=utf-8", sql_console.csv_bytes),
    "json": ("application/json", sql_console.json_bytes),
}
PARQUET = "application/vnd.apache.parquet"
NUMBER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                "UBIGINT", "UHUGEINT")
EXAMPLE = "SELECT *\nFROM {id}\nLIMIT 100"
PLAIN_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")  # other dataset ids ('-', a leading digit) need quotes in SQL


@dataclass(frozen=True)
class Limits:
    """How long a query may run and how many rows it may return; `app.state.sql_limits` overrides the defaults."""

    timeout_s: float = sql_console.TIMEOUT_S
    max_rows: int = sql_console.MAX_ROWS


def limits(request: Request) -> Limits:
    found = getattr(request.app.state, "sql_limits", None)
    return found if isinstance(found, Limits) else Limits()


# -- who may come in --------------------------------------------------------------------------------------------
def _door(principal: Principal) -> Response | None:
    """Anonymous visitors are sent to sign in; anyone else who is not staff is refused."""
    if principal.kind == "anonymous":
        return RedirectResponse("/aanmelden?next=/sql", status_code=303)
    if not principal.is_staff:
        raise Forbidden("the SQL page is for the province's staff")
    return None


def _with_purpose(principal: Principal, form: Mapping[str, str]) -> Principal:
    """A purpose typed on the page counts for this query, as the X-Purpose header does for the API."""
    purpose = form.get("purpose", "").strip()[:500]
    return replace(principal, purpose=purpose) if purpose else principal


async def _form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _sql_of(form: Mapping[str, str]) -> str:
    sql = form.get("sql", "")
    if len(sql) > MAX_SQL:
        raise sql_console.SqlError(f"the query is longer than {MAX_SQL:,} characters")
    if not sql.strip():
        raise sql_console.SqlError("write a query first")
    return sql


# -- the page ---------------------------------------------------------------------------------------------------
@router.get("/sql", response_class=HTMLResponse)
def sql_form(request: Request, store: StoreDep, principal: PrincipalDep, sql: str = "") -> Response:
    refused = _door(principal)
    if refused:
        return refused
    return _page(request, store, principal, sql=sql[:MAX_SQL])


@router.post("/sql", response_class=HTMLResponse)
async def sql_run(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    refused = _door(principal)
    if refused:
        return refused
    form = await _form(request)
    session.check_csrf(request, form)
    return await run_in_threadpool(_run, request, store, _with_purpose(principal, form), form)


def _run(request: Request, store: Store, principal: Principal, form: Mapping[str, str]) -> Response:
    sql, limit = form.get("sql", ""), limits(request)
    try:
        result = sql_console.run_readonly(store, principal, _sql_of(form), max_rows=limit.max_rows,
                                          timeout_s=limit.timeout_s)
    except WierdeError as error:
        return _page(request, store, principal, sql=sql, purpose=form.get("purpose", ""), error=error.detail,
                     status=error.status)
    return _page(request, store, principal, sql=sql, purpose=form.get("purpose", ""), result=result)


def _page(request: Request, store: Store, principal: Principal, *, sql: str = "", purpose: str = "",
          result: sql_console.Result | None = None, error: str | None = None, status: int = 200,
          view_error: str | None = None, view: Mapping[str, str] | None = None) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    lang = i18n.current.get()
    tables = [{"id": q.dataset.id, "title": ds.title_of(q.dataset, lang), "columns": q.columns,
               "rows": q.version.row_count} for q in sql_console.queryable(store, principal)]
    if not sql and tables:
        first = str(tables[0]["id"])
        sql = EXAMPLE.format(id=first if PLAIN_NAME.match(first) else quote_ident(first))
    response = renderer.page(
        request, "sql.html", status=status, nav="sql", sql=sql, purpose=purpose or principal.purpose or "",
        tables=tables, result=result, shown=_shown(result), kinds=_kinds(result), error=error,
        max_rows=limits(request).max_rows, timeout=limits(request).timeout_s,
        steward=principal.is_steward, view_error=view_error, view=view or {},
    )
    response.headers["Cache-Control"] = "no-store"  # answers differ per reader and may hold non-public data
    return response


def _shown(result: sql_console.Result | None) -> list[tuple[Any, ...]]:
    return result.rows[:SHOWN_ROWS] if result else []


def _kinds(result: sql_console.Result | None) -> list[str]:
    """Table Schema kinds for `cell()`: numbers are formatted for the reader's language and right-aligned."""
    if result is None:
        return []
    return ["integer" if t in NUMBER_TYPES else "number" if t in ("FLOAT", "DOUBLE") or t.startswith("DECIMAL")
            else "string" for t in result.types]


# -- downloads --------------------------------------------------------------------------------------------------
@router.post("/sql.{extension}")
async def sql_download(extension: str, request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    refused = _door(principal)
    if refused:
        return refused
    form = await _form(request)
    session.check_csrf(request, form)
    if extension not in (*DOWNLOADS, "parquet"):
        raise sql_console.SqlError(f"download as csv, json or parquet, not {extension!r}")
    return await run_in_threadpool(_download, store, _with_purpose(principal, form), _sql_of(form), extension,
                                   limits(request))


def _download(store: Store, principal: Principal, sql: str, extension: str, limit: Limits) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="query.{extension}"', "Cache-Control": "no-store"}
    if extension == "parquet":
        out = store.new_tmp_path()
        try:
            sql_console.write_parquet(store, principal, sql, out, max_rows=limit.max_rows, timeout_s=limit.timeout_s)
            return Response(out.read_bytes(), media_type=PARQUET, headers=headers)
        finally:
            out.unlink(missing_ok=True)
    media_type, write = DOWNLOADS[extension]
    result = sql_console.run_readonly(store, principal, sql, max_rows=limit.max_rows, timeout_s=limit.timeout_s)
    headers["Wierde-Truncated"] = "true" if result.truncated else "false"
    return Response(write(result), media_type=media_type, headers=headers)


# -- save as a view ---------------------------------------------------------------------------------------------
@router.post("/sql/view", response_class=HTMLResponse)
async def sql_save_view(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    refused = _door(principal)
    if refused:
        return refused
    form = await _form(request)
    session.check_csrf(request, form)
    if not principal.is_steward:
        raise Forbidden("only data stewards may save a query as a view")
    return await run_in_threadpool(_save_view, request, store, principal, form)


def _save_view(request: Request, store: Store, principal: Principal, form: Mapping[str, str]) -> Response:
    view = {"id": form.get("view_id", "").strip(), "title": form.get("view_title", "").strip()}
    try:
        spec = parse_view({**view, "sql": _sql_of(form)}, "the SQL page")
        define_view(store, spec)
    except WierdeError as error:
        return _page(request, store, principal, sql=form.get("sql", ""), purpose=form.get("purpose", ""),
                     view_error=error.detail, view=view, status=error.status)
    return RedirectResponse(f"/datasets/{spec.id}", status_code=303)

