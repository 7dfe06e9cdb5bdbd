"""CKAN's action API at /api/3/action and /api/action (where ckanapi looks): a thin HTTP adapter over publish.ckan."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from wierde.publish import ckan
from wierde.web.deps import PrincipalDep, StoreDep

JSON_UTF8 = "application/json;charset=utf-8"  # what CKAN sends; some clients compare it literally
router = APIRouter(include_in_schema=False)


def _mixed(items: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """CKAN's reading of query strings and forms: a repeated key becomes a list, a single one stays a value."""
    out: dict[str, Any] = {}
    for key, value in items:
        if key in out:
            out[key] = [*out[key], value] if isinstance(out[key], list) else [out[key], value]
        else:
            out[key] = value
    return out


def _decoded(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except ValueError as error:
        raise ValueError(f"Error decoding JSON data. Error: {error}") from None
    if not isinstance(data, dict):
        raise ValueError(f"Request data JSON decoded to {data!r} but it needs to be a dictionary.")
    return data


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    items = [(key, value) for key, value in form.multi_items() if isinstance(value, str)]
    # `curl -d '{"q": "x"}'` posts JSON as a form with one key and an empty value; CKAN reads that as JSON.
    if len(items) == 1 and items[0][1] in ("", "1") and items[0][0].lstrip().startswith("{"):
        return _decoded(items[0][0].encode())
    return _mixed(items)


async def request_data(request: Request) -> dict[str, Any]:
    """Parameters from the query string, and for POST from the JSON or form body (the body wins)."""
    data = _mixed(request.query_params.multi_items())
    if request.method == "POST":
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            data.update(await _form(request))
        else:
            data.update(_decoded(await request.body()))
    return data


@router.api_route("/api/3/action/{action}", methods=["GET", "POST"])
@router.api_route("/api/action/{action}", methods=["GET", "POST"])
async def ckan_action(action: str, request: Request, store: StoreDep, principal: PrincipalDep) -> JSONResponse:
    try:
        data = await request_data(request)
    except ValueError as error:
        reply = ckan.bad_request(f"JSON Error: {error}")
    else:
        context = ckan.Context(store, request.app.state.catalog, principal)
        # Actions query SQLite and DuckDB synchronously; keep them off the event loop.
        reply = await run_in_threadpool(ckan.dispatch, context, action, data)
    return JSONResponse(reply.body, status_code=reply.status, media_type=JSON_UTF8)
