"""The DCAT feed national portals harvest: /catalog.ttl and /catalog.jsonld."""

from __future__ import annotations

from fastapi import APIRouter, Response

from wierde.publish.feed import feed
from wierde.web.deps import PrincipalDep, StoreDep

router = APIRouter(include_in_schema=False)


@router.get("/catalog.ttl")
def catalog_turtle(store: StoreDep, principal: PrincipalDep) -> Response:
    return Response(feed(store, principal, "turtle"), media_type="text/turtle; charset=utf-8")


@router.get("/catalog.jsonld")
def catalog_jsonld(store: StoreDep, principal: PrincipalDep) -> Response:
    return Response(feed(store, principal, "json-ld"), media_type="application/ld+json")
