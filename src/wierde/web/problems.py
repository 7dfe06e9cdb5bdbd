"""RFC 9457 problem+json for every error the HTTP layer returns, framework validation errors included."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wierde.errors import WierdeError

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, instance: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI, on_html: Any = None) -> None:
    """Register the handlers; `on_html(request, status, title, detail)` renders errors for portal pages."""

    def wants_html(request: Request) -> bool:
        path = request.url.path
        is_api = path.startswith(("/api/", "/ogc", "/catalog."))
        return on_html is not None and not is_api and "text/html" in request.headers.get("accept", "")

    async def wierde_error(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, WierdeError)
        if wants_html(request):
            return on_html(request, exc.status, exc.title, exc.detail)
        extra = {k: v for k, v in exc.extra.items() if isinstance(v, str | int | float | list | dict)}
        return problem(exc.status, exc.title, exc.detail, request.url.path, **extra)

    async def validation_error(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"in": str(e["loc"][0]) if e.get("loc") else "request",
             "name": ".".join(str(p) for p in e.get("loc", ())[1:]), "reason": e.get("msg", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['in']} parameter {e['name']!r}: {e['reason']}" for e in errors)
        if wants_html(request):
            return on_html(request, 400, "Invalid input", detail)
        return problem(400, "Invalid input", detail, request.url.path, invalidParams=errors)

    async def http_error(request: Request, exc: Exception) -> Any:
        assert isinstance(exc, StarletteHTTPException)
        title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "Error")
        if wants_html(request):
            return on_html(request, exc.status_code, title, str(exc.detail))
        return problem(exc.status_code, title, str(exc.detail), request.url.path)

    app.add_exception_handler(WierdeError, wierde_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
