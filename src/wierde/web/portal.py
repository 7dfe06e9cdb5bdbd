"""The portal's pages: home, the dataset list with facets, and a dataset's own page."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from wierde.catalog import vocab
from wierde.catalog.search import FACETS
from wierde.protect import access
from wierde.publish import catalog as catalog_service
from wierde.publish import datasets as ds
from wierde.web import dataset_page, i18n
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.i18n import _
from wierde.web.render import Renderer, licence_label, theme_label

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
CONTEXT_LAYER = "gemeenten"  # drawn under other geodata so points have a place


def renderer(request: Request) -> Renderer:
    r: Renderer = request.app.state.renderer
    return r


def catalog_of(request: Request) -> catalog_service.Catalog:
    c: catalog_service.Catalog = request.app.state.catalog
    return c


@router.get("/", response_class=HTMLResponse)
def home(request: Request, store: StoreDep, principal: PrincipalDep) -> HTMLResponse:
    page = catalog_of(request).search(principal, limit=1000)
    datasets = page.datasets
    newest = sorted(datasets, key=lambda d: d.published_at or d.updated_at, reverse=True)[:4]
    popular = sorted(datasets, key=lambda d: (-(d.views + d.downloads), d.id))[:4]
    map_url = None
    if any(d.id == CONTEXT_LAYER for d in datasets):
        map_url = f"/api/v1/datasets/{CONTEXT_LAYER}/rows?format=geojson&limit=500"
    return renderer(request).page(
        request, "home.html", nav="home", total=page.result.total, themes=page.result.facets["theme"],
        newest=newest, popular=popular, versions=page.versions, map_url=map_url,
    )


def facet_label(facet: str, value: str) -> str:
    if facet == "theme":
        return theme_label(value)
    if facet == "licence":
        return licence_label(value)
    if facet == "format":
        return value.upper()
    if facet == "publisher":
        return vocab.organisation_name(value) or value
    return value


@router.get("/datasets", response_class=HTMLResponse)
def dataset_list(request: Request, principal: PrincipalDep, q: str = "", sort: str = "relevance",
                 page: int = 1) -> HTMLResponse:
    selected = {f: request.query_params.getlist(f) for f in FACETS if request.query_params.getlist(f)}
    page = max(page, 1)
    found = catalog_of(request).search(principal, q, filters=selected, sort=sort, offset=(page - 1) * PER_PAGE,
                                       limit=PER_PAGE)

    def url_with(**changes: Any) -> str:
        params = [("q", q)] if q else []
        sel = {k: list(v) for k, v in selected.items()}
        if "toggle" in changes:
            facet, value = changes["toggle"]
            values = sel.setdefault(facet, [])
            values.remove(value) if value in values else values.append(value)
        params += [(f, v) for f, vs in sel.items() for v in vs]
        if sort != "relevance":
            params.append(("sort", sort))
        if changes.get("page", 1) > 1:
            params.append(("page", str(changes["page"])))
        return "/datasets?" + urlencode(params)

    sorts = [("relevance", _("Relevantie")), ("modified", _("Laatst bijgewerkt")), ("title", _("Titel")),
             ("popular", _("Meest gebruikt"))]
    facet_titles = {"theme": _("Thema"), "publisher": _("Uitgever"), "format": _("Formaat"),
                    "licence": _("Licentie"), "keyword": _("Trefwoord")}
    return renderer(request).page(
        request, "datasets.html", nav="datasets", q=q, sort=sort, sorts=sorts, selected=selected,
        facets=found.result.facets, facet_titles=facet_titles, facet_label=facet_label,
        toggle_url=lambda f, v: url_with(toggle=(f, v)), page_url=lambda p: url_with(page=p),
        datasets=found.datasets, versions=found.versions, total=found.result.total, page=page,
        pages=-(-found.result.total // PER_PAGE),
    )


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep) -> HTMLResponse:
    record = ds.get_dataset(store, principal, dataset_id)
    store.count_use(dataset_id)
    context = dataset_page.context(store, record, request.query_params, i18n.current.get(), principal)
    if dataset_id != CONTEXT_LAYER and any(d.id == CONTEXT_LAYER for d in access.visible(principal, store.datasets())):
        context["context_url"] = f"/api/v1/datasets/{CONTEXT_LAYER}/rows?format=geojson&limit=500"
    return renderer(request).page(request, "dataset.html", nav="datasets", **context)


@router.get("/about", response_class=HTMLResponse)
def about(request: Request) -> HTMLResponse:
    return renderer(request).page(request, "about.html", nav="about")
