"""So GIS clients (GDAL, QGIS, OWSLib) can read the published geodata: OGC API Features, framework-free.

Implemented: Part 1 Core, GeoJSON, HTML and OAS 3.0; Part 2 CRS by reference; Part 3 queryables as query parameters.

Every answer about data starts from `ogc_source.layers`/`layer`, which ask the access rules first, so a draft or
non-open dataset is neither listed nor readable for callers who may not see it. Items reuse the row API's filters
and keyset cursor (`ogc_items`); CRS handling lives in `ogc_crs`; the OpenAPI document in `ogc_openapi`.
"""

from __future__ import annotations

from typing import Any, Literal

from wierde.publish import datasets, ogc_crs
from wierde.publish.formats import media_ranges
from wierde.publish.ogc_items import GEOJSON, ITEMS_PARAMS, Features, item, items
from wierde.publish.ogc_openapi import OPENAPI_MEDIA_TYPE, api_document
from wierde.publish.ogc_source import Context, Extent, Layer, extent, layer, layers, link
from wierde.publish.row_model import RESERVED, QueryError
from wierde.publish.row_values import SCALAR_TYPES

__all__ = [
    "CONFORMANCE", "GEOJSON", "OPENAPI_MEDIA_TYPE", "Context", "Features", "Format", "Layer", "api", "collection",
    "collections", "conformance", "filterable", "item", "items", "landing", "layer", "negotiate", "queryables",
]

Format = Literal["json", "html"]
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/json",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
]
OGC_REL = "http://www.opengis.net/def/rel/ogc/1.0/"
SCHEMA_JSON = "application/schema+json"
_JSON_TYPES = ("application/json", "application/geo+json", "application/schema+json", OPENAPI_MEDIA_TYPE)
# JSON Schema for each filterable Frictionless type (queryables)
_SCHEMA_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"}, "yearmonth": {"type": "string"}, "integer": {"type": "integer"},
    "year": {"type": "integer"}, "number": {"type": "number"}, "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"}, "datetime": {"type": "string", "format": "date-time"},
    "time": {"type": "string", "format": "time"},
}


def negotiate(f: str | None, accept: str | None) -> Format:
    """`?f=` wins; otherwise HTML only when the client prefers text/html (browsers), else JSON (programs)."""
    if f is not None:
        wanted = f.strip().lower()
        if wanted in ("json", "geojson", "html"):
            return "html" if wanted == "html" else "json"
        raise QueryError("f", f"{f!r} is not a format here; use json or html")
    for media_range in media_ranges(accept or ""):
        if media_range == "text/html":
            return "html"
        if media_range in _JSON_TYPES or media_range in ("*/*", "application/*"):
            return "json"
    return "json"


def _self_links(href: str, what: str, media_type: str = "application/json") -> list[dict[str, str]]:
    return [link("self", media_type, f"{what} as JSON", f"{href}?f=json"),
            link("alternate", "text/html", f"{what} as HTML", f"{href}?f=html")]


def landing(ctx: Context, title: str, description: str) -> dict[str, Any]:
    return {
        "title": title,
        "description": description,
        "links": [
            *_self_links(ctx.url(), "This document"),
            link("service-desc", OPENAPI_MEDIA_TYPE, "The API definition (OpenAPI 3.0)", ctx.url("/api?f=json")),
            link("service-doc", "text/html", "The API documentation", ctx.url("/api?f=html")),
            link("conformance", "application/json", "Conformance classes", ctx.url("/conformance?f=json")),
            link(OGC_REL + "conformance", "application/json", "Conformance classes", ctx.url("/conformance?f=json")),
            link("data", "application/json", "The collections", ctx.url("/collections?f=json")),
            link(OGC_REL + "data", "application/json", "The collections", ctx.url("/collections?f=json")),
        ],
    }


def conformance(ctx: Context) -> dict[str, Any]:
    return {"links": _self_links(ctx.url("/conformance"), "Conformance classes"), "conformsTo": list(CONFORMANCE)}


def collections(ctx: Context) -> dict[str, Any]:
    return {
        "links": _self_links(ctx.url("/collections"), "The collections"),
        "collections": [_collection(ctx, found) for found in layers(ctx)],
    }


def collection(ctx: Context, collection_id: str) -> dict[str, Any]:
    return _collection(ctx, layer(ctx, collection_id))


def _collection(ctx: Context, found: Layer) -> dict[str, Any]:
    here = ctx.url(f"/collections/{found.id}")
    document: dict[str, Any] = {
        "id": found.id,
        "title": datasets.title_of(found.dataset, ctx.lang),
        "description": datasets.description_of(found.dataset, ctx.lang),
        "links": [
            *_self_links(here, "This collection"),
            link("items", GEOJSON, "The features as GeoJSON", f"{here}/items?f=json"),
            link("items", "text/html", "The features as HTML", f"{here}/items?f=html"),
            link(OGC_REL + "queryables", SCHEMA_JSON, "Properties to filter on", f"{here}/queryables?f=json"),
            link("describedby", "text/html", "The dataset in the portal", ctx.page(f"/datasets/{found.id}")),
        ],
        "itemType": "feature",
        "crs": [ogc_crs.uri_of(code) for code in found.crs],
    }
    if found.storage:
        document["storageCrs"] = ogc_crs.uri_of(found.storage)
    spans = _extent(extent(ctx, found))
    if spans:
        document["extent"] = spans
    return document


def _extent(found: Extent) -> dict[str, Any]:
    spans: dict[str, Any] = {}
    if found.bbox is not None:
        spans["spatial"] = {"bbox": [found.bbox], "crs": ogc_crs.CRS84_URI}
    if found.interval is not None:
        spans["temporal"] = {"interval": [found.interval], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    return spans


def api(ctx: Context, title: str, description: str, contact: dict[str, str] | None = None) -> dict[str, Any]:
    """The OpenAPI definition, listing the filter parameters of the collections this caller may see."""
    per_collection = {found.id: filterable(found) for found in layers(ctx)}
    return api_document(ctx.url(), title, description, per_collection, contact)


def filterable(found: Layer) -> dict[str, dict[str, Any]]:
    """Each property `name=value` filters on, as JSON Schema: scalar columns whose name is not taken by an OGC or
    row API parameter (those stay reachable as `name__eq=value`)."""
    properties: dict[str, dict[str, Any]] = {}
    for column, field in zip(found.columns, found.version.fields, strict=True):
        if column.type in SCALAR_TYPES and column.name not in ITEMS_PARAMS and column.name not in RESERVED:
            properties[column.name] = {
                "title": str(field.get("title") or column.name), **_SCHEMA_TYPES[column.type],
                **({"description": str(field["description"])} if field.get("description") else {}),
            }
    return properties


def queryables(ctx: Context, collection_id: str) -> dict[str, Any]:
    """A JSON Schema of the properties to filter on (Part 3), with the geometry's role and kind."""
    found = layer(ctx, collection_id)
    kinds = extent(ctx, found).geometry_types
    geometry_format = f"geometry-{kinds[0].lower()}" if len(kinds) == 1 else "geometry-any"
    properties: dict[str, Any] = {found.geometry: {"x-ogc-role": "primary-geometry", "format": geometry_format},
                                  **filterable(found)}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": ctx.url(f"/collections/{found.id}/queryables"),
        "type": "object",
        "title": datasets.title_of(found.dataset, ctx.lang),
        "properties": properties,
        "additionalProperties": False,
    }
