"""The /api/v1 OpenAPI document, shaped to the NL GOV API Design Rules in one place rather than per route."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from wierde import __version__
from wierde.config import Settings

PREFIX = "/api/v1"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details.",
    "required": ["status", "title", "detail"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference", "example": "about:blank"},
        "title": {"type": "string", "example": "Invalid input"},
        "status": {"type": "integer", "example": 400},
        "detail": {"type": "string", "example": "query parameter 'limit': must be between 1 and 10000"},
        "instance": {"type": "string", "format": "uri-reference"},
        "invalidParams": {"type": "array", "items": {"type": "object", "properties": {
            "in": {"type": "string"}, "name": {"type": "string"}, "reason": {"type": "string"}}}},
    },
}
VERSION_HEADER = {"API-Version": {"description": "The full version of the API.",
                                  "schema": {"type": "string", "example": __version__}}}


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def shape_operation(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)  # validation errors are answered as 400 problem+json
    for code, response in responses.items():
        if code[0] in "23":
            response.setdefault("headers", {}).update(VERSION_HEADER)
    if operation.get("parameters"):
        responses["400"] = problem_response("Invalid input: the problem names each bad parameter.")
    responses.setdefault("404", problem_response("Not found, or not visible to you."))


def build(app: FastAPI, settings: Settings) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    document["info"]["contact"] = {"name": settings.contact_name, "email": settings.contact_email,
                                   "url": settings.base_url}
    document["info"]["license"] = {"name": "EUPL-1.2", "identifier": "EUPL-1.2"}
    document["servers"] = [{"url": settings.base_url.rstrip("/") + PREFIX, "description": "This instance"}]
    paths = {}
    for path, item in document.get("paths", {}).items():
        for operation in item.values():
            shape_operation(operation)
        paths[path.removeprefix(PREFIX) or "/"] = item
    document["paths"] = paths
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = PROBLEM_SCHEMA
    return document


def install(app: FastAPI, settings: Settings) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
