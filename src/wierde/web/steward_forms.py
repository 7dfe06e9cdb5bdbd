"""The forms on the steward's dataset page: each POST checks the CSRF token first, then calls the same function as
the command line, and shows the page again with the problem or redirects with what was done."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from wierde.catalog.editing import update_metadata
from wierde.catalog.model import MetadataError
from wierde.errors import Conflict, InvalidInput, WierdeError
from wierde.protect import gate
from wierde.protect.access import Principal
from wierde.protect.classify import set_access
from wierde.protect.privacy.resolve import resolve
from wierde.protect.privacy.scan import scan_version
from wierde.store.repository import Store, check_dataset_id
from wierde.web import session
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.i18n import _
from wierde.web.steward_common import (
    FieldError,
    Fields,
    audit_change,
    form_fields,
    one,
    redirect_back,
    refusal,
)
from wierde.web.steward_dataset import Shown, current_columns, dataset_response
from wierde.web.steward_metadata import metadata_errors, metadata_from_form

router = APIRouter()  # steward.router includes it under /beheer
Action = Callable[[Request, Store, Principal, str, Fields], Response]


async def _post(request: Request, store: Store, principal: Principal, dataset_id: str, action: Action) -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    fields = form_fields(await request.form())
    session.check_csrf(request, {session.CSRF_FIELD: one(fields, session.CSRF_FIELD)})
    store.dataset(check_dataset_id(dataset_id))
    return await run_in_threadpool(action, request, store, principal, dataset_id, fields)


def save_metadata(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    meta = metadata_from_form(store.dataset(dataset_id).meta, fields)
    try:
        update_metadata(store, principal, dataset_id, meta, where="metadata")
    except MetadataError as error:
        return dataset_response(request, store, dataset_id, Shown(400, metadata_errors(error), meta=meta))
    audit_change(store, principal, "metadata", dataset_id, {"fields": sorted(meta)})
    return redirect_back(dataset_id, "metadata", "metadata-h")


def rescan(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    report = scan_version(store, dataset_id)
    audit_change(store, principal, "scan", dataset_id, {"version": report.version, "open": len(report.open_findings)})
    return redirect_back(dataset_id, "scanned", "privacy-h")


def settle_finding(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    place = f"finding-{one(fields, 'finding') or '0'}"
    action, column, kind = one(fields, "action"), one(fields, "column"), one(fields, "kind")
    reason = one(fields, "reason") or None
    posted = {"place": place, "action": action, "reason": reason or ""}
    if not action:
        errors = [FieldError(f"{place}-action", _("Kies wat er met deze bevinding moet gebeuren."))]
        return dataset_response(request, store, dataset_id, Shown(400, errors, resolving=posted))
    if action == "accept" and not reason:  # checked here too: resolve's own message speaks of --reason
        errors = [FieldError(f"{place}-reason", _("Geef een reden om deze gegevens te accepteren, bijvoorbeeld "
                                                  "‘zakelijke e-mailadressen van ambtenaren’."))]
        return dataset_response(request, store, dataset_id, Shown(400, errors, resolving=posted))
    try:
        done = resolve(store, dataset_id, action, column, reason=reason, kind=kind if action == "accept" else None)
    except WierdeError as error:
        target = f"{place}-reason" if action == "accept" else f"{place}-action"
        return dataset_response(request, store, dataset_id,
                                Shown(error.status, [FieldError(target, error.detail)], resolving=posted))
    audit_change(store, principal, "resolve", dataset_id, {
        "action": action, "column": column, "kind": kind, "reason": reason, "version": done.version,
        "new_version": done.created, "settled": [f"{f.column}: {f.kind}" for f in done.resolved]})
    return redirect_back(dataset_id, "resolved", "privacy-h")


def access_from_form(fields: Fields, columns: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The classification and the rules (as `wierde access` takes them) from the access form."""
    rules: dict[str, Any] = {"scope": one(fields, "scope"), "reason": one(fields, "reason"),
                             "hide_existence": one(fields, "hide_existence") == "1"}
    column_rules = {}
    for index, name in enumerate(columns):
        if one(fields, f"column_name_{index}") != name:
            continue  # the form showed another version's columns: leave this one alone
        scope, reason = one(fields, f"column_scope_{index}"), one(fields, f"column_reason_{index}")
        if scope or reason:
            column_rules[name] = {"scope": scope, "reason": reason}
    rules["columns"] = column_rules
    return one(fields, "classification"), {key: value for key, value in rules.items() if value}


def save_access(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    classification, rules = access_from_form(fields, current_columns(store, store.dataset(dataset_id)))
    try:
        set_access(store, principal, dataset_id, classification, rules)
    except InvalidInput as error:
        posted = {"classification": classification, **rules}
        return dataset_response(request, store, dataset_id,
                                Shown(400, [FieldError("a-classification", error.detail)], access=posted))
    audit_change(store, principal, "access", dataset_id, {"classification": classification, "rules": rules})
    return redirect_back(dataset_id, "access", "access-h")


def publish(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    try:
        gate.publish(store, principal, dataset_id, purpose=one(fields, "purpose") or None)  # the gate audits
    except Conflict as refused:
        reasons = refused.extra.get("reasons")  # kept as they are: the page says coded reasons in its language
        lines = list(reasons) if isinstance(reasons, list) and reasons else [refused.detail]
        message = _("De dataset is niet gepubliceerd: eerst moet het volgende geregeld zijn.")
        return dataset_response(request, store, dataset_id,
                                Shown(409, [FieldError("publish-h", message)], refused=lines))
    return redirect_back(dataset_id, "published", "publish-h")


def withdraw(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    try:
        gate.withdraw(store, principal, dataset_id, one(fields, "reason"))  # the gate audits, with the reason
    except (InvalidInput, Conflict) as error:
        return dataset_response(request, store, dataset_id,
                                Shown(error.status, [FieldError("w-reason", error.detail)]))
    return redirect_back(dataset_id, "withdrawn", "publish-h")


@router.post("/datasets/{dataset_id}/metadata")
async def post_metadata(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    return await _post(request, store, principal, dataset_id, save_metadata)


@router.post("/datasets/{dataset_id}/scan")
async def post_scan(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    return await _post(request, store, principal, dataset_id, rescan)


@router.post("/datasets/{dataset_id}/resolve")
async def post_resolve(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    return await _post(request, store, principal, dataset_id, settle_finding)


@router.post("/datasets/{dataset_id}/access")
async def post_access(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    return await _post(request, store, principal, dataset_id, save_access)


@router.post("/datasets/{dataset_id}/publish")
async def post_publish(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    return await _post(request, store, principal, dataset_id, publish)


@router.post("/datasets/{dataset_id}/withdraw")
async def post_withdraw(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    return await _post(request, store, principal, dataset_id, withdraw)
