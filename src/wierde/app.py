"""create_app(settings) -> the ASGI app: the APIs, the DCAT feed and the portal over one store."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from wierde import __version__
from wierde.config import Settings
from wierde.store.repository import Store
from wierde.web import api, problems

SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    store = store or Store.open(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        store.close()

    app = FastAPI(
        title="Wierde API",
        version=__version__,
        description="Open data of the province: datasets, versions, rows and downloads.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.store = store
    problems.install(app)
    app.include_router(api.router)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_ASSETS), name="swagger")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE)

    return app


SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Wierde API</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><main id="swagger-ui"></main>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/api/v1/openapi.json", dom_id: "#swagger-ui"});</script>
</body></html>"""
