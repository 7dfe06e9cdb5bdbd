"""The steward's pages under /beheer: upload, describe, settle personal data, set access, preview and publish, each
through the very functions `wierde` calls, so the portal is never more lenient than the command line."""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.datastructures import FormData

from wierde.catalog import vocab
from wierde.catalog.completeness import completeness
from wierde.catalog.completeness import label as completeness_label
from wierde.catalog.editing import update_metadata
from wierde.catalog.model import MetadataError
from wierde.collect.files import EXTENSIONS, ReadOptions
from wierde.collect.ingest import ingest
from wierde.errors import Conflict, InvalidInput, TooLarge, WierdeError
from wierde.protect import access, audit, gate
from wierde.protect.access import ANONYMOUS, Principal
from wierde.protect.classify import describe, set_access
from wierde.protect.privacy import records, transforms
from wierde.protect.privacy.recognizers import LABELS
from wierde.protect.privacy.report import Finding, PrivacyReport
from wierde.protect.privacy.resolve import resolve
from wierde.protect.privacy.scan import scan_version
from wierde.protect.privacy.status import current_report
from wierde.protect.woo import GROUNDS, ground_label
from wierde.publish import datasets as ds
from wierde.store.records import DatasetRecord
from wierde.store.repository import Store, check_dataset_id
from wierde.web import dataset_page, i18n, session
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.i18n import _
from wierde.web.render import Renderer
from wierde.web.upload import safe_filename

if TYPE_CHECKING:  # the callbacks' type exists for type checkers only
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter(prefix="/beheer", include_in_schema=False)
Fields = Mapping[str, list[str]]
FIELD_LIMIT = 20_000  # bytes of one ordinary form field in the upload form; only the file may be large
log = logging.getLogger(__name__)
_PROBLEM_KEY = re.compile(r"^(?P<key>[\w.]+)(?P<sep>: | is required)")
METADATA_FIELDS = {  # metadata key (as the model names it in a problem) -> the form field that edits it
    "title": "title_nl", "description": "description_nl", "keywords": "keywords_nl", "themes": "themes",
    "licence": "licence", "contact_point": "contact_email", "accrual_periodicity": "frequency",
    "temporal": "temporal_start", "spatial": "spatial", "documentation": "documentation", "source": "source",
    "attribution": "attribution", "access_rights": "access_rights",
}


@dataclass(frozen=True)
class FieldError:
    """A message for the error summary, linked to the form field (by id) it is about."""

    field: str
    message: str


@dataclass
class Shown:
    """What the dataset page shows besides the stored state: a just-posted form, errors, a gate refusal."""

    status: int = 200
    errors: list[FieldError] = field(default_factory=list)
    meta: Mapping[str, Any] | None = None  # metadata as posted (kept when it did not validate)
    access: Mapping[str, Any] | None = None  # access as posted
    resolving: Mapping[str, str] = field(default_factory=dict)  # a resolve form as posted: place, action, reason
    refused: list[str] | None = None
    done: str = ""


# -- labels (functions: they are translated per request) -------------------------------------------------------
def status_labels() -> dict[str, str]:
    return {"draft": _("Concept"), "published": _("Gepubliceerd"), "withdrawn": _("Ingetrokken"),
            "purged": _("Gewist")}


def classification_labels() -> dict[str, str]:
    return {"open": _("Open"), "restricted": _("Beperkt openbaar"), "non-public": _("Niet openbaar")}


def action_labels() -> dict[str, str]:
    return {"drop": _("Kolom verwijderen"), "pseudonymise": _("Pseudonimiseren (vervangen door een sleutel)"),
            "generalise": _("Generaliseren (grover maken)"), "accept": _("Accepteren, met reden"),
            "aggregate": _("Aggregeren")}


def kind_labels() -> dict[str, str]:
    return {"bsn": _("Burgerservicenummer (BSN)"), "iban": _("IBAN-rekeningnummer"), "email": _("E-mailadres"),
            "phone": _("Telefoonnummer"), "postcode_huisnummer": _("Postcode met huisnummer"),
            "kenteken": _("Kenteken"), "birth_date": _("Geboortedatum"), "person_name": _("Persoonsnaam"),
            "dwelling_location": _("Locatie van een woning")}


def done_messages() -> dict[str, str]:
    return {
        "uploaded": _("Het bestand is opgeslagen als nieuwe versie en op persoonsgegevens gescand."),
        "unchanged": _("Dit bestand is gelijk aan een eerdere versie; die is nu de huidige."),
        "metadata": _("De metadata zijn opgeslagen."), "scanned": _("De gegevens zijn opnieuw gescand."),
        "resolved": _("De bevinding is afgehandeld."), "access": _("De toegang is opgeslagen."),
        "published": _("De dataset is gepubliceerd."), "withdrawn": _("De dataset is ingetrokken."),
    }


def kind_label(kind: str) -> str:
    return kind_labels().get(kind) or LABELS.get(kind, kind)


# -- who may come in --------------------------------------------------------------------------------------------
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


def _page(request: Request, template: str, *, status: int = 200, **context: Any) -> HTMLResponse:
    """A steward's page: never cached (it shows drafts and masked findings)."""
    response = _renderer(request).page(request, template, status=status, nav="beheer", **context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _back(dataset_id: str, done: str, anchor: str) -> RedirectResponse:
    """After a change: show the dataset page again (POST, redirect, GET), with what happened."""
    return RedirectResponse(f"/beheer/datasets/{dataset_id}?done={done}#{anchor}", status_code=303)


def _fields(form: FormData) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            found.setdefault(key, []).append(value)
    return found


def _one(fields: Fields, name: str) -> str:
    values = fields.get(name) or [""]
    return values[0].strip()


def _audit(store: Store, principal: Principal, action: str, target: str, detail: dict[str, Any]) -> None:
    audit.record_for(store, principal, action, target=target, detail={**detail, "via": "portal"})


# -- the overview ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OverviewRow:
    dataset: DatasetRecord
    title: str
    completeness: int | None  # percent; None when the metadata cannot be read
    open_findings: int | None  # None: not scanned yet (or no data)


def _saved_open_findings(store: Store, dataset: DatasetRecord) -> int | None:
    """From the saved report only: a list of every dataset must not scan them all."""
    if dataset.current_version is None:
        return None
    report = records.load_report(store, dataset.id, dataset.current_version)
    return None if report is None else len(report.open_findings)


def overview_rows(store: Store) -> list[OverviewRow]:
    rows = []
    for dataset in sorted(store.datasets(), key=lambda d: d.id):
        meta = dataset_page.metadata_of(dataset)
        rows.append(OverviewRow(dataset, i18n.pick(dataset.meta.get("title")) or dataset.id,
                                round(completeness(meta).score * 100) if meta else None,
                                _saved_open_findings(store, dataset)))
    return rows


@router.get("", response_class=HTMLResponse)
def overview(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    return _page(request, "steward_overview.html", rows=overview_rows(store), statuses=status_labels(),
                 classifications=classification_labels())


# -- the dataset page -----------------------------------------------------------------------------------------
def _text(value: object, lang: str) -> str:
    if isinstance(value, Mapping):
        return str(value.get(lang) or "")
    return str(value or "") if lang == "nl" else ""


def _words(value: object, lang: str) -> str:
    if isinstance(value, Mapping):
        value = value.get(lang)
    elif lang != "nl":
        return ""
    items = value if isinstance(value, list | tuple) else [value] if value else []
    return ", ".join(str(item) for item in items)


def _as_list(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value] if value else []
    return [str(item) for item in items]


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _licence_code(value: object) -> str:
    try:
        return vocab.licence(str(value)).spdx if value else ""
    except ValueError:
        return str(value)


def metadata_values(meta: Mapping[str, Any]) -> dict[str, Any]:
    """What the metadata form shows for stored (or just posted) metadata; the inverse of `metadata_from_form`."""
    contact, temporal = _mapping(meta.get("contact_point")), _mapping(meta.get("temporal"))
    values: dict[str, Any] = {f"{key}_{lang}": _text(meta.get(key), lang)
                              for key in ("title", "description") for lang in ("nl", "en")}
    values.update({f"keywords_{lang}": _words(meta.get("keywords"), lang) for lang in ("nl", "en")})
    values.update({f"contact_{key}": str(contact.get(key) or "") for key in ("name", "email", "url")})
    values.update({f"temporal_{key}": str(temporal.get(key) or "") for key in ("start", "end")})
    values.update({key: str(meta.get(key) or "") for key in ("documentation", "source", "attribution")})
    values.update(themes=[code.upper() for code in _as_list(meta.get("themes"))],
                  licence=_licence_code(meta.get("licence")), frequency=str(meta.get("accrual_periodicity") or ""),
                  spatial=", ".join(_as_list(meta.get("spatial"))), access_rights=str(meta.get("access_rights") or ""))
    return values


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _put(meta: dict[str, Any], key: str, value: object) -> None:
    """An emptied field removes the key, so the model's defaults (and the gate's) apply again."""
    if value:
        meta[key] = value
    else:
        meta.pop(key, None)


def metadata_from_form(current: Mapping[str, Any], fields: Fields) -> dict[str, Any]:
    """The stored metadata with the form's fields applied; keys the form does not edit are kept as they are."""
    meta = dict(current)
    for key in ("title", "description"):
        _put(meta, key, {lang: text for lang in ("nl", "en") if (text := _one(fields, f"{key}_{lang}"))})
    _put(meta, "keywords", {lang: words for lang in ("nl", "en")
                            if (words := _split(_one(fields, f"keywords_{lang}")))})
    _put(meta, "themes", [code for code in fields.get("themes", []) if code.strip()])
    _put(meta, "contact_point", {key: text for key in ("name", "email", "url")
                                 if (text := _one(fields, f"contact_{key}"))})
    _put(meta, "temporal", {key: text for key in ("start", "end") if (text := _one(fields, f"temporal_{key}"))})
    _put(meta, "spatial", _split(_one(fields, "spatial")))
    _put(meta, "accrual_periodicity", _one(fields, "frequency"))
    for key in ("licence", "access_rights", "documentation", "source", "attribution"):
        _put(meta, key, _one(fields, key))
    return meta


def metadata_errors(error: MetadataError) -> list[FieldError]:
    """Each problem the metadata model found, placed at the form field it is about."""
    problems = error.extra.get("problems")
    lines = [str(p) for p in problems] if isinstance(problems, list) and problems else [error.detail]
    return [_placed(line) for line in lines]


def _placed(problem: str) -> FieldError:
    """Next to its field a problem needs no key ('contact_point.email: ...' becomes '...')."""
    found = _PROBLEM_KEY.match(problem)
    place = _problem_field(found["key"]) if found else "metadata-h"
    if found and place != "metadata-h" and found["sep"] == ": ":
        return FieldError(place, problem[found.end():])
    return FieldError(place, problem)


def _problem_field(key: str) -> str:
    parts = key.split(".")
    nested = {"contact_point": "contact", "temporal": "temporal"}
    if parts[0] in nested and len(parts) > 1 and parts[1] in ("name", "email", "url", "start", "end"):
        return f"m-{nested[parts[0]]}_{parts[1]}"
    name = METADATA_FIELDS.get(parts[0])
    return f"m-{name}" if name else "metadata-h"


def _privacy(store: Store, dataset: DatasetRecord) -> tuple[PrivacyReport | None, str]:
    """The current version's report (scanned now if nobody did yet, as the gate would), or why there is none."""
    if dataset.current_version is None:
        return None, ""
    if dataset.status == "purged":
        return None, _("De gegevens van de huidige versie zijn gewist.")
    try:
        return current_report(store, dataset.id), ""
    except WierdeError as error:
        return None, error.detail
    except Exception as error:  # a scanner's bug must not take the steward's page down; the log keeps it
        log.exception("personal-data scan of %s failed", dataset.id)
        return None, f"{type(error).__name__}: {error}"


def finding_actions(finding: Finding) -> list[str]:
    """What the page offers for an open finding: generalising only where the data has a coarser form."""
    actions = ["drop", "pseudonymise"]
    try:
        transforms.generalisable([finding])
        actions.append("generalise")
    except InvalidInput:
        pass
    return [*actions, "accept"]


def finding_places(report: PrivacyReport | None) -> dict[tuple[str, str, bool], str]:
    """Where on the page each open finding is settled (its resolve form), for the gate's reasons to link to."""
    findings = report.findings if report else ()
    return {f.key: f"finding-{index}-action" for index, f in enumerate(findings) if f.is_open}


def _access_values(dataset: DatasetRecord) -> dict[str, Any]:
    return {"classification": dataset.classification, **dataset.access}


def _columns(store: Store, dataset: DatasetRecord) -> list[str]:
    version = store.current_versions().get(dataset.id)
    return [str(f["name"]) for f in version.fields] if version else []


def detail_context(store: Store, dataset: DatasetRecord, shown: Shown) -> dict[str, Any]:
    lang = i18n.current.get()
    report, privacy_error = _privacy(store, dataset)
    reasons = shown.refused if shown.refused is not None else (
        gate.check(store, dataset.id) if dataset.status != "purged" else [])
    field_errors: dict[str, list[str]] = {}
    for error in shown.errors:
        field_errors.setdefault(error.field, []).append(error.message)
    return {
        "dataset": dataset, "title": i18n.pick(dataset.meta.get("title")) or dataset.id,
        "statuses": status_labels(), "classifications": classification_labels(),
        "done": done_messages().get(shown.done, ""), "errors": shown.errors, "field_errors": field_errors,
        "form": metadata_values(shown.meta if shown.meta is not None else dataset.meta),
        "themes": [(code, term.label(lang)) for code, term in vocab.THEMES.items()],
        "licences": [(spdx, lic.label(lang)) for spdx, lic in vocab.LICENCES.items()],
        "frequencies": [(name, term.label(lang)) for name, term in vocab.FREQUENCIES.items()],
        "access_rights": [(name, term.label(lang)) for name, term in vocab.ACCESS_RIGHTS.items()],
        "report": report, "privacy_error": privacy_error, "kind_label": kind_label, "actions": action_labels(),
        "finding_actions": finding_actions, "resolving": shown.resolving,
        "access": shown.access if shown.access is not None else _access_values(dataset),
        "access_now": describe(dataset, lang), "columns": _columns(store, dataset),
        "grounds": [(code, ground_label(code, lang)) for code in GROUNDS],
        "reasons": reasons, "refused": shown.refused is not None, "finding_places": finding_places(report),
        "field_label": lambda name: completeness_label(name, lang), "metadata_place": _problem_field,
        "access_right_labels": {name: term.label(lang) for name, term in vocab.ACCESS_RIGHTS.items()},
    }


def dataset_response(request: Request, store: Store, dataset_id: str, shown: Shown | None = None) -> HTMLResponse:
    dataset = store.dataset(check_dataset_id(dataset_id))
    shown = shown or Shown()
    return _page(request, "steward_dataset.html", status=shown.status, **detail_context(store, dataset, shown))


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset_view(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep,
                 done: str = "") -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    return dataset_response(request, store, dataset_id, Shown(done=done))


# -- the forms on the dataset page (each POST: CSRF first, then the same function as the CLI) ------------------
Action = Callable[[Request, Store, Principal, str, Fields], Response]


async def _post(request: Request, store: Store, principal: Principal, dataset_id: str, action: Action) -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    fields = _fields(await request.form())
    session.check_csrf(request, {session.CSRF_FIELD: _one(fields, session.CSRF_FIELD)})
    store.dataset(check_dataset_id(dataset_id))
    return await run_in_threadpool(action, request, store, principal, dataset_id, fields)


def save_metadata(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    meta = metadata_from_form(store.dataset(dataset_id).meta, fields)
    try:
        update_metadata(store, principal, dataset_id, meta, where="metadata")
    except MetadataError as error:
        return dataset_response(request, store, dataset_id, Shown(400, metadata_errors(error), meta=meta))
    _audit(store, principal, "metadata", dataset_id, {"fields": sorted(meta)})
    return _back(dataset_id, "metadata", "metadata-h")


def rescan(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    report = scan_version(store, dataset_id)
    _audit(store, principal, "scan", dataset_id, {"version": report.version, "open": len(report.open_findings)})
    return _back(dataset_id, "scanned", "privacy-h")


def settle_finding(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    place = f"finding-{_one(fields, 'finding') or '0'}"
    action, column, kind = _one(fields, "action"), _one(fields, "column"), _one(fields, "kind")
    reason = _one(fields, "reason") or None
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
    _audit(store, principal, "resolve", dataset_id, {
        "action": action, "column": column, "kind": kind, "reason": reason, "version": done.version,
        "new_version": done.created, "settled": [f"{f.column}: {f.kind}" for f in done.resolved]})
    return _back(dataset_id, "resolved", "privacy-h")


def access_from_form(fields: Fields, columns: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """The classification and the rules (as `wierde access` takes them) from the access form."""
    rules: dict[str, Any] = {"scope": _one(fields, "scope"), "reason": _one(fields, "reason"),
                             "hide_existence": _one(fields, "hide_existence") == "1"}
    column_rules = {}
    for index, name in enumerate(columns):
        if _one(fields, f"column_name_{index}") != name:
            continue  # the form showed another version's columns: leave this one alone
        scope, reason = _one(fields, f"column_scope_{index}"), _one(fields, f"column_reason_{index}")
        if scope or reason:
            column_rules[name] = {"scope": scope, "reason": reason}
    rules["columns"] = column_rules
    return _one(fields, "classification"), {key: value for key, value in rules.items() if value}


def save_access(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    classification, rules = access_from_form(fields, _columns(store, store.dataset(dataset_id)))
    try:
        set_access(store, principal, dataset_id, classification, rules)
    except InvalidInput as error:
        posted = {"classification": classification, **rules}
        return dataset_response(request, store, dataset_id,
                                Shown(400, [FieldError("a-classification", error.detail)], access=posted))
    _audit(store, principal, "access", dataset_id, {"classification": classification, "rules": rules})
    return _back(dataset_id, "access", "access-h")


def publish(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    try:
        gate.publish(store, principal, dataset_id, purpose=_one(fields, "purpose") or None)  # the gate audits
    except Conflict as refused:
        reasons = refused.extra.get("reasons")  # kept as they are: the page says coded reasons in its language
        lines = list(reasons) if isinstance(reasons, list) and reasons else [refused.detail]
        message = _("De dataset is niet gepubliceerd: eerst moet het volgende geregeld zijn.")
        return dataset_response(request, store, dataset_id,
                                Shown(409, [FieldError("publish-h", message)], refused=lines))
    return _back(dataset_id, "published", "publish-h")


def withdraw(request: Request, store: Store, principal: Principal, dataset_id: str, fields: Fields) -> Response:
    try:
        gate.withdraw(store, principal, dataset_id, _one(fields, "reason"))  # the gate audits, with the reason
    except (InvalidInput, Conflict) as error:
        return dataset_response(request, store, dataset_id,
                                Shown(error.status, [FieldError("w-reason", error.detail)]))
    return _back(dataset_id, "withdrawn", "publish-h")


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


# -- preview as anonymous -------------------------------------------------------------------------------------
@router.get("/datasets/{dataset_id}/voorbeeld", response_class=HTMLResponse)
def preview(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep) -> Response:
    """The public page as an anonymous visitor would get it once published: the same template and context, with
    ANONYMOUS as the principal, so withheld columns are missing here exactly as they will be there."""
    if (refused := refusal(request, principal)) is not None:
        return refused
    dataset = store.dataset(check_dataset_id(dataset_id))
    version = store.current_versions().get(dataset.id)
    meta, _problems = gate.proposed_metadata(store, dataset, version)
    as_published = replace(dataset, status="published", meta=meta)
    lang = i18n.current.get()
    banner: dict[str, Any] = {"steward_dataset": dataset, "statuses": status_labels()}
    if dataset.status == "purged" or not access.can_see(ANONYMOUS, as_published):  # nothing to show or read
        rules = access.rules_of(dataset)
        return _page(request, "steward_preview.html", hidden=True, dataset=dataset, title=i18n.pick(meta["title"]),
                     reason_label=ground_label(rules.reason, lang) if rules.reason else "",
                     classification=_("gewist") if dataset.status == "purged"
                     else classification_labels().get(dataset.classification, ""), **banner)
    ds.get_dataset(store, principal, dataset.id)  # rows of a draft are read: through the door, so it is logged
    context = dataset_page.context(store, as_published, request.query_params, lang, ANONYMOUS)
    # The maps would fetch their data with the steward's own cookie, not as anonymous: left out of the preview.
    context.update(geo_map=None, choropleth=None)
    return _page(request, "steward_preview.html", hidden=False, **context, **banner)


# -- upload ---------------------------------------------------------------------------------------------------
def _upload_page(request: Request, store: Store, *, status: int = 200, dataset: str = "",
                 errors: Sequence[FieldError] = ()) -> HTMLResponse:
    field_errors: dict[str, list[str]] = {}
    for error in errors:
        field_errors.setdefault(error.field, []).append(error.message)
    return _page(request, "steward_upload.html", status=status, dataset_id=dataset, errors=list(errors),
                 field_errors=field_errors, existing=sorted(d.id for d in store.datasets()),
                 extensions=", ".join(sorted({*EXTENSIONS, ".zip"})),
                 limit=_megabytes(request.app.state.settings.max_upload_bytes))


def _megabytes(size: int) -> str:
    return i18n.number(size / 1024**2, 0 if size >= 10 * 1024**2 else 2)


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, store: StoreDep, principal: PrincipalDep, dataset: str = "") -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    return _upload_page(request, store, dataset=dataset)


class UploadReader:
    """Streams a multipart form: small fields kept in memory, the one file written to `folder` while its size is
    counted, so a file over the limit is refused as soon as it passes it. The CSRF token and the dataset id come
    before the file in the form, and are checked before a byte of the file is written."""

    def __init__(self, request: Request, folder: Path, limit: int) -> None:
        self.request, self.folder, self.limit = request, folder, limit
        self.fields: dict[str, list[str]] = {}
        self.file: Path | None = None
        self.size = 0
        self._headers: dict[bytes, bytes] = {}
        self._name, self._value = b"", b""
        self._part: tuple[str, str | None] | None = None  # (field name, file name or None)
        self._buffer = bytearray()
        self._out: BinaryIO | None = None

    def callbacks(self) -> MultipartCallbacks:
        return {"on_part_begin": self._begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_done, "on_part_data": self._data, "on_part_end": self._end}

    def _begin(self) -> None:
        self._headers, self._part, self._buffer = {}, None, bytearray()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._name.lower()] = self._value
        self._name, self._value = b"", b""

    def _headers_done(self) -> None:
        _kind, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._part = (name, filename.decode("utf-8", "replace") if filename is not None else None)
        if filename is not None:
            self._open(self._part[1] or "")

    def _open(self, filename: str) -> None:
        if self.file is not None:
            raise InvalidInput(_("Stuur één bestand tegelijk."))
        session.check_csrf(self.request, {session.CSRF_FIELD: _one(self.fields, session.CSRF_FIELD)})
        try:
            check_dataset_id(_one(self.fields, "dataset"))
        except InvalidInput as error:
            raise InvalidInput(error.detail, field="u-dataset") from None
        if not filename:
            raise InvalidInput(_("Kies een bestand om te uploaden."))
        self.file = self.folder / safe_filename(Path(filename.replace("\\", "/")).name)
        self._out = self.file.open("wb")

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._out is not None:
            self.size += len(chunk)
            if self.size > self.limit:
                raise TooLarge(_("Het bestand is groter dan de {limit} bytes die deze omgeving aanneemt.").format(
                    limit=i18n.number(self.limit)))
            self._out.write(chunk)
        elif len(self._buffer) + len(chunk) > FIELD_LIMIT:
            raise InvalidInput(_("Een formulierveld is te lang."))
        else:
            self._buffer += chunk

    def _end(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        elif self._part is not None:
            self.fields.setdefault(self._part[0], []).append(self._buffer.decode("utf-8", "replace"))

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


async def read_upload(request: Request, reader: UploadReader) -> None:
    """Parse the upload form from the request stream into `reader`, never holding the file in memory."""
    kind, options = parse_options_header(request.headers.get("content-type", ""))
    if kind != b"multipart/form-data" or not options.get(b"boundary"):
        raise InvalidInput(_("Stuur het formulier als multipart/form-data."))
    parser = MultipartParser(options[b"boundary"], reader.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    finally:
        reader.close()
    if reader.file is None:
        raise InvalidInput(_("Kies een bestand om te uploaden."))
    if reader.size == 0:
        raise InvalidInput(_("Het bestand is leeg."))


def _store_upload(store: Store, principal: Principal, reader: UploadReader) -> tuple[str, bool]:
    """Ingest the file as `wierde ingest` does, scan it as `wierde scan` does, and log both in one entry."""
    assert reader.file is not None
    dataset_id = _one(reader.fields, "dataset")
    quarantine = _one(reader.fields, "quarantine") == "1"
    outcome = ingest(store, reader.file, dataset_id, ReadOptions(bad_rows="quarantine" if quarantine else "refuse"))
    report = scan_version(store, dataset_id)
    _audit(store, principal, "ingest", dataset_id, {
        "file": reader.file.name, "bytes": reader.size, "version": outcome.version.number,
        "new_version": outcome.created, "rejected": outcome.rejected, "open_findings": len(report.open_findings)})
    return dataset_id, outcome.created


@router.post("/upload")
async def upload(request: Request, store: StoreDep, principal: PrincipalDep) -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    folder = store.new_tmp_path(suffix="")
    folder.mkdir(parents=True)
    reader = UploadReader(request, folder, request.app.state.settings.max_upload_bytes)
    try:
        await read_upload(request, reader)
        dataset_id, created = await run_in_threadpool(_store_upload, store, principal, reader)
    except WierdeError as error:
        if error.status == 403:
            raise  # a missing or wrong CSRF token is not a mistake in the form to correct
        target = str(error.extra.get("field", "u-file"))
        return _upload_page(request, store, status=error.status, dataset=_one(reader.fields, "dataset"),
                            errors=[FieldError(target, error.detail)])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _back(dataset_id, "uploaded" if created else "unchanged", "privacy-h")
