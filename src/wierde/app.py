"""create_app(settings) -> the ASGI app: the APIs, the DCAT feed and the portal over one store."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import fastapi_offline
import xstatic.pkg.leaflet
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from wierde import __version__
from wierde.collect import schedule
from wierde.combine.auto import subscribe
from wierde.config import Settings
from wierde.monitor.auto import subscribe as follow_indicators
from wierde.publish.cache import ResponseCache
from wierde.publish.catalog import Catalog
from wierde.publish.download_cache import DownloadCache
from wierde.store.repository import Store
from wierde.web import (
    api,
    auth,
    ckan,
    feed,
    gate_api,
    indicators,
    maps,
    ogc,
    openapi,
    portal,
    problems,
    scenarios,
    session,
    sql_page,
    steward,
    upload,
    views_api,
)
from wierde.web.language import LanguageMiddleware
from wierde.web.render import Renderer

SWAGGER_ASSETS = Path(fastapi_offline.__file__).parent / "static"
OWN_ASSETS = Path(__file__).parent / "web" / "static"


def create_app(settings: Settings, store: Store | None = None) -> FastAPI:
    # views and indicators follow their inputs, however those change
    store = follow_indicators(subscribe(store or Store.open(settings)))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        if settings.scheduler:
            threading.Thread(target=schedule.loop, args=(store, stop), name="wierde-harvests", daemon=True).start()
        yield
        stop.set()
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
    app.state.catalog = Catalog(store)
    app.state.response_cache = ResponseCache()
    app.state.download_cache = DownloadCache(settings.data_dir / ".cache" / "downloads")
    app.state.renderer = Renderer(settings)
    session.install(app)  # signed-in staff, CSRF tokens for forms
    problems.install(app, on_html=app.state.renderer.error)
    openapi.install(app, settings)
    app.add_middleware(LanguageMiddleware)
    app.include_router(api.router)
    app.router.routes[0:0] = [*api.FAST_ROUTES, *ogc.FAST_ROUTES]  # matched before FastAPI's own routes
    app.include_router(ckan.router)
    app.include_router(feed.router)
    app.include_router(ogc.router, prefix="/ogc", include_in_schema=False)
    app.include_router(upload.router)
    app.include_router(gate_api.router)
    app.include_router(steward.router)
    app.include_router(sql_page.router)
    app.include_router(views_api.router)
    app.include_router(maps.router)
    app.include_router(auth.router)
    app.include_router(scenarios.router)
    app.include_router(indicators.router)
    app.include_router(portal.router)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_ASSETS), name="swagger")
    app.mount("/static/leaflet", StaticFiles(directory=xstatic.pkg.leaflet.BASE_DIR), name="leaflet")
    app.mount("/static/wierde", StaticFiles(directory=OWN_ASSETS), name="wierde")

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
