"""The /ogc routes for GIS clients and people: thin HTTP adapters over `publish.ogc`, answering JSON or HTML."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.routing import Route

from wierde.publish import ogc, ogc_crs
from wierde.publish.datasets import title_of
from wierde.web import i18n
from wierde.web.deps import PrincipalDep, StoreDep, principal_of, store_of
from wierde.web.i18n import _
from wierde.web.render import Renderer

router = APIRouter()

SWAGGER_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>OGC API Features · Wierde</title>
<link rel="stylesheet" href="/static/swagger/swagger-ui.css"></head>
<body><main id="swagger-ui"></main>
<script src="/static/swagger/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({url: "/ogc/api?f=json", dom_id: "#swagger-ui"});</script>
</body></html>"""


def context(request: Request, store: StoreDep, principal: PrincipalDep) -> ogc.Context:
    # Links are absolute, built from the address the client used, so they work behind any host name or port.
    site = str(request.base_url).rstrip("/")
    return ogc.Context(store, principal, site, i18n.current.get(), request.app.state.response_cache)


def wants(request: Request) -> ogc.Format:
    return ogc.negotiate(request.query_params.get("f"), request.headers.get("accept"))


def as_json(document: dict[str, Any], media_type: str = "application/json", **headers: str) -> Response:
    return Response(orjson.dumps(document), media_type=media_type, headers=headers)


def page(request: Request, template: str, **context: Any) -> HTMLResponse:
    renderer: Renderer = request.app.state.renderer
    return renderer.page(request, template, nav="ogc", **context)


def html_href(href: str | None, **changes: str | None) -> str | None:
    """The same link as an HTML page (f=html), relative to the site; `changes` set or (None) drop parameters."""
    if href is None:
        return None
    parts = urlsplit(href)
    wanted: dict[str, str | None] = {"f": "html", **changes}
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in wanted]
    kept += [(k, v) for k, v in wanted.items() if v is not None]
    return urlunsplit(("", "", parts.path, urlencode(kept), ""))


def rel(document: dict[str, Any], name: str) -> str | None:
    return next((str(x["href"]) for x in document.get("links", ()) if x.get("rel") == name), None)


def titles() -> tuple[str, str]:
    return (_("Geodata als OGC API Features"),
            _("De geodatasets van dit portaal volgens de standaard OGC API Features: als GeoJSON of als "
              "webpagina, in WGS 84 of in RD New (EPSG:28992)."))


@router.get("")
@router.get("/")
def landing(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    ctx = context(request, store, principal)
    title, description = titles()
    document = ogc.landing(ctx, title, description)
    if wants(request) == "html":
        return page(request, "ogc_landing.html", doc=document)
    return as_json(document)


@router.get("/conformance")
def conformance(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    document = ogc.conformance(context(request, store, principal))
    if wants(request) == "html":
        return page(request, "ogc_conformance.html", doc=document)
    return as_json(document)


@router.get("/api")
def api(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    if wants(request) == "html":
        return HTMLResponse(SWAGGER_PAGE)
    title, description = titles()
    settings = request.app.state.settings
    contact = {"name": settings.contact_name, "email": settings.contact_email, "url": settings.base_url}
    document = ogc.api(context(request, store, principal), title, description, contact)
    return as_json(document, ogc.OPENAPI_MEDIA_TYPE)


@router.get("/collections")
def collections(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    document = ogc.collections(context(request, store, principal))
    if wants(request) == "html":
        return page(request, "ogc_collections.html", doc=document)
    return as_json(document)


@router.get("/collections/{collection_id}")
def collection(request: Request, collection_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    document = ogc.collection(context(request, store, principal), collection_id)
    if wants(request) == "html":
        return page(request, "ogc_collection.html", doc=document)
    return as_json(document)


@router.get("/collections/{collection_id}/queryables")
def queryables(request: Request, collection_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    document = ogc.queryables(context(request, store, principal), collection_id)
    if wants(request) == "html":
        return page(request, "ogc_queryables.html", doc=document, collection_id=collection_id)
    return as_json(document, "application/schema+json")


def items_route(request: Request) -> Response:
    """`/ogc/collections/{id}/items`: the hot path of map clients, routed without FastAPI's dependency machinery
    (as the row API's /rows is); the access check is the same `ogc.layer` call every OGC door makes."""
    ctx = context(request, store_of(request), principal_of(request))
    collection_id = request.path_params["collection_id"]
    found = ogc.layer(ctx, collection_id)
    params = request.query_params.multi_items()
    html = wants(request) == "html"
    # Open data only (Layer.cacheable): the same page of the same version is the same answer for everyone.
    key = ("ogc-items", found.version.etag, ctx.site, *(f"{k}={v}" for k, v in params))
    cache = ctx.cache if found.cacheable and not html else None
    if cache is not None and (hit := cache.get(key)) is not None:
        return Response(hit, media_type=ogc.GEOJSON, headers={"Content-Crs": _content_crs(params, found)})
    answer = ogc.items(ctx, found, params, raw=not html)
    if html:
        document = answer.document
        response = page(request, "ogc_items.html", doc=document, layer=found, title=title_of(found.dataset, ctx.lang),
                        next_url=html_href(rel(document, "next")), prev_url=html_href(rel(document, "prev")),
                        json_url=rel(document, "self"), map_url=_map_url(rel(document, "self")))
        response.headers["Content-Crs"] = answer.content_crs
        return response
    body = orjson.dumps(answer.document)
    if cache is not None:
        cache.put(key, body)
    return Response(body, media_type=ogc.GEOJSON, headers={"Content-Crs": answer.content_crs})


def _content_crs(params: list[tuple[str, str]], layer: ogc.Layer) -> str:
    """The Content-Crs of a cached page: the `crs` it asked for (it was valid, or it would not be cached)."""
    return ogc.Features({}, ogc_crs.choose("crs", dict(params).get("crs"), layer.crs)).content_crs


FAST_ROUTES = [Route("/ogc/collections/{collection_id:str}/items", items_route, methods=["GET"])]


@router.get("/collections/{collection_id}/items/{feature_id}")
def feature(request: Request, collection_id: str, feature_id: str, store: StoreDep,
            principal: PrincipalDep) -> Response:
    ctx = context(request, store, principal)
    found = ogc.layer(ctx, collection_id)
    answer = ogc.item(ctx, found, feature_id, request.query_params.multi_items())
    if wants(request) == "html":
        document = answer.document
        response = page(request, "ogc_item.html", doc=document, layer=found, title=title_of(found.dataset, ctx.lang),
                        json_url=rel(document, "self"), map_url=_map_url(rel(document, "self")))
        response.headers["Content-Crs"] = answer.content_crs
        return response
    return as_json(answer.document, ogc.GEOJSON, **{"Content-Crs": answer.content_crs})


def _map_url(self_href: str | None) -> str | None:
    """The page's GeoJSON in CRS84 (what the portal's map draws), whatever `crs` the page itself asked for."""
    if self_href is None:
        return None
    return html_href(self_href, f="json", crs=None)
