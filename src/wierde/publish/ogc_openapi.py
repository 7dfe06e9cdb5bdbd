"""The OpenAPI 3.0 definition of /ogc, written out because it must describe OGC parameters, not FastAPI's routes."""

from __future__ import annotations

from typing import Any

from wierde import __version__
from wierde.publish import ogc_crs
from wierde.publish.ogc_items import DEFAULT_LIMIT, MAX_LIMIT

OPENAPI_MEDIA_TYPE = "application/vnd.oai.openapi+json;version=3.0"
_REF = "#/components/parameters/"


def api_document(base: str, title: str, description: str, queryables: dict[str, dict[str, dict[str, Any]]],
                 contact: dict[str, str] | None = None) -> dict[str, Any]:
    """The definition, with an items path of its own for each collection in `queryables` (collection id ->
    property -> JSON Schema): GDAL sends `name=value` to the server only for parameters it finds there. Pass
    only the collections the caller may see."""
    paths = _paths()
    for collection_id, properties in queryables.items():
        paths[f"/collections/{collection_id}/items"] = _collection_items(collection_id, properties)
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "description": description, "version": __version__,
                 "license": {"name": "EUPL-1.2", "url": "https://eupl.eu/1.2/en/"},
                 **({"contact": contact} if contact else {})},
        "servers": [{"url": base, "description": "This instance"}],
        "tags": [{"name": "Capabilities", "description": "What this API offers."},
                 {"name": "Data", "description": "Access to the features of a collection."}],
        "paths": paths,
        "components": {"parameters": _parameters(), "schemas": _schemas(), "responses": _responses()},
    }


def _operation(operation_id: str, summary: str, tag: str, parameters: list[str],
               ok: dict[str, Any], *, not_found: bool = True) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok, "400": {"$ref": "#/components/responses/InvalidParameter"}}
    if not_found:
        responses["404"] = {"$ref": "#/components/responses/NotFound"}
    return {"get": {"operationId": operation_id, "summary": summary, "description": summary + ".", "tags": [tag],
                    "parameters": [{"$ref": _REF + name} for name in parameters], "responses": responses}}


def _ok(description: str, schema: str, media_type: str = "application/json", *,
        crs_header: bool = False) -> dict[str, Any]:
    content = {media_type: {"schema": {"$ref": f"#/components/schemas/{schema}"}},
               "text/html": {"schema": {"type": "string"}}}
    response: dict[str, Any] = {"description": description, "content": content}
    if crs_header:
        response["headers"] = {"Content-Crs": {"description": "The CRS of the coordinates, as <URI>.",
                                               "schema": {"type": "string"}}}
    return response


_ITEMS_OK = _ok("The features (GeoJSON), with next and prev links.", "featureCollectionGeoJSON",
                "application/geo+json", crs_header=True)


def _paths() -> dict[str, Any]:
    feature_ok = _ok("One feature (GeoJSON).", "featureGeoJSON", "application/geo+json", crs_header=True)
    api_ok = {"description": "This definition.", "content": {
        "application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}},
        "text/html": {"schema": {"type": "string"}}}}
    return {
        "/": _operation("getLandingPage", "Landing page", "Capabilities", ["f"],
                        _ok("Links to the API definition, conformance and collections.", "landingPage"),
                        not_found=False),
        "/conformance": _operation("getConformance", "Conformance classes", "Capabilities", ["f"],
                                   _ok("The conformance classes this server implements.", "confClasses"),
                                   not_found=False),
        "/api": _operation("getApi", "This API definition", "Capabilities", ["f"], api_ok, not_found=False),
        "/collections": _operation("getCollections", "The collections (geodatasets)", "Capabilities", ["f"],
                                   _ok("The collections you may see.", "collections"), not_found=False),
        "/collections/{collectionId}": _operation(
            "describeCollection", "One collection", "Capabilities", ["collectionId", "f"],
            _ok("The collection's extent, CRSs and links.", "collection")),
        "/collections/{collectionId}/queryables": _operation(
            "getQueryables", "Properties to filter on", "Capabilities", ["collectionId", "f"],
            _ok("A JSON Schema of the properties that can be filtered with name=value.", "queryables",
                "application/schema+json")),
        "/collections/{collectionId}/items": _operation(
            "getFeatures", "Features of a collection", "Data",
            ["collectionId", "f", "bbox", "bbox-crs", "crs", "datetime", "limit", "cursor", "properties"], _ITEMS_OK),
        "/collections/{collectionId}/items/{featureId}": _operation(
            "getFeature", "One feature", "Data", ["collectionId", "featureId", "f", "crs"], feature_ok),
    }


def _collection_items(collection_id: str, properties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    operation = _operation(f"getFeatures.{collection_id}", f"Features of {collection_id}", "Data",
                           ["f", "bbox", "bbox-crs", "crs", "datetime", "limit", "cursor"], _ITEMS_OK)
    operation["get"]["parameters"] += [
        _query(name, f"Only features whose {name} equals this value.", schema, style="form", explode=False)
        for name, schema in properties.items()
    ]
    return operation


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema, **extra}


def _parameters() -> dict[str, Any]:
    crs_uris = [ogc_crs.uri_of(code) for code in ogc_crs.OFFERED]
    crs_note = f" One of the collection's `crs` list: {', '.join(crs_uris)} or its storageCrs."
    return {
        "collectionId": {"name": "collectionId", "in": "path", "required": True, "description": "Collection id.",
                         "schema": {"type": "string"}},
        "featureId": {"name": "featureId", "in": "path", "required": True,
                      "description": "Feature id: the feature's row number in the current version.",
                      "schema": {"type": "integer", "minimum": 0}},
        "f": _query("f", "Format: json (the default for programs) or html (the default for browsers).",
                    {"type": "string", "enum": ["json", "html"]}),
        "bbox": _query("bbox", "Only features that intersect this box: minx,miny,maxx,maxy in the axis order of "
                               "bbox-crs (CRS84: lon,lat; EPSG:4326: lat,lon).",
                       {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                       style="form", explode=False),
        "bbox-crs": _query("bbox-crs", "CRS of bbox (default CRS84)." + crs_note,
                           {"type": "string", "format": "uri", "default": ogc_crs.CRS84_URI}),
        "crs": _query("crs", "CRS of the coordinates in the response (default CRS84)." + crs_note,
                      {"type": "string", "format": "uri", "default": ogc_crs.CRS84_URI}),
        "datetime": _query("datetime", "An instant (2024-01-31 or 2024-01-31T12:00:00Z) or interval (start/end, "
                                       ".. for an open end) on the collection's first date or date-time property.",
                           {"type": "string"}),
        "limit": _query("limit", f"Features per page (larger values are served as {MAX_LIMIT}).",
                        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT}),
        "cursor": _query("cursor", "Opaque position from a next or prev link.", {"type": "string"}),
        "properties": _query("properties", "Filters name=value on the collection's queryables (equality); the "
                                           "row API's name__op=value operators work too.",
                             {"type": "object", "additionalProperties": {"type": "string"}},
                             style="form", explode=True),
    }


def _schemas() -> dict[str, Any]:
    link = {"type": "object", "required": ["href", "rel"], "properties": {
        "href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
        "title": {"type": "string"}, "hreflang": {"type": "string"}}}
    links = {"type": "array", "items": {"$ref": "#/components/schemas/link"}}
    geometry = {"type": "object", "nullable": True, "required": ["type"], "properties": {"type": {"type": "string"}}}
    feature = {"type": "object", "required": ["type", "geometry", "properties"], "properties": {
        "type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "integer"}, "geometry": geometry,
        "properties": {"type": "object", "nullable": True}, "links": links}}
    return {
        "link": link,
        "landingPage": {"type": "object", "required": ["links"], "properties": {
            "title": {"type": "string"}, "description": {"type": "string"}, "links": links}},
        "confClasses": {"type": "object", "required": ["conformsTo"], "properties": {
            "conformsTo": {"type": "array", "items": {"type": "string"}}}},
        "collection": {"type": "object", "required": ["id", "links"], "properties": {
            "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
            "links": links, "extent": {"type": "object"}, "itemType": {"type": "string"},
            "crs": {"type": "array", "items": {"type": "string"}}, "storageCrs": {"type": "string"}}},
        "collections": {"type": "object", "required": ["links", "collections"], "properties": {
            "links": links, "collections": {"type": "array", "items": {"$ref": "#/components/schemas/collection"}}}},
        "queryables": {"type": "object", "properties": {
            "$schema": {"type": "string"}, "$id": {"type": "string"}, "type": {"type": "string"},
            "properties": {"type": "object"}}},
        "featureGeoJSON": feature,
        "featureCollectionGeoJSON": {"type": "object", "required": ["type", "features"], "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": {"$ref": "#/components/schemas/featureGeoJSON"}},
            "links": links, "timeStamp": {"type": "string", "format": "date-time"},
            "numberMatched": {"type": "integer", "minimum": 0}, "numberReturned": {"type": "integer", "minimum": 0}}},
        "exception": {"type": "object", "required": ["title", "status"], "properties": {
            "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
            "detail": {"type": "string"}, "instance": {"type": "string"}}},
    }


def _responses() -> dict[str, Any]:
    def problem(description: str) -> dict[str, Any]:
        return {"description": description, "content": {
            "application/problem+json": {"schema": {"$ref": "#/components/schemas/exception"}}}}

    return {"InvalidParameter": problem("A query parameter is unknown or has an invalid value."),
            "NotFound": problem("The collection or feature does not exist, or is not visible to you.")}
