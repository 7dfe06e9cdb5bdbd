"""What every steward's page shares: who may come in, the uncached page, the redirect after a change, the posted
fields and the audit entry, so each page under /beheer checks and answers the same way."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from wierde.protect import audit
from wierde.protect.access import Principal
from wierde.store.repository import Store
from wierde.web.i18n import _
from wierde.web.render import Renderer

Fields = Mapping[str, list[str]]


@dataclass(frozen=True)
class FieldError:
    """A message for the error summary, linked to the form field (by id) it is about."""

    field: str
    message: str


def _renderer(request: Request) -> Renderer:
    renderer: Renderer = request.app.state.renderer
    return renderer


def refusal(request: Request, principal: Principal) -> Response | None:
    """None for stewards; anonymous visitors are sent to sign in (and back), other staff and tokens get 403."""
    if principal.is_steward:
        return None
    if principal.kind == "anonymous":
        back = str(request.url.path) if request.method == "GET" else "/beheer"
        if request.method == "GET" and request.url.query:
            back += "?" + request.url.query
        return RedirectResponse("/aanmelden?next=" + quote(back, safe="/"), status_code=303)
    response = _renderer(request).error(request, 403, "", _("Alleen databeheerders kunnen deze pagina's gebruiken."))
    response.headers["Cache-Control"] = "no-store"
    return response


def steward_page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A steward's page: never cached (it shows drafts and masked findings)."""
    response = _renderer(request).page(request, template, status=status, nav="beheer", **context)
    response.headers["Cache-Control"] = "no-store"
    return response


def redirect_back(dataset_id: str, done: str, anchor: str) -> RedirectResponse:
    """After a change: show the dataset page again (POST, redirect, GET), with what happened."""
    return RedirectResponse(f"/beheer/datasets/{dataset_id}?done={done}#{anchor}", status_code=303)


def form_fields(form: FormData) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            found.setdefault(key, []).append(value)
    return found


def one(fields: Fields, name: str) -> str:
    values = fields.get(name) or [""]
    return values[0].strip()


def audit_change(store: Store, principal: Principal, action: str, target: str, detail: dict[str, Any]) -> None:
    audit.record_for(store, principal, action, target=target, detail={**detail, "via": "portal"})
