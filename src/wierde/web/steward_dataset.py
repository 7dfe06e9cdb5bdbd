"""The steward's page of one dataset: its metadata form, personal-data findings, access, and what still stands in
the way of publication, each shown with what was just posted and what went wrong."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from wierde.catalog import vocab
from wierde.catalog.completeness import label as completeness_label
from wierde.errors import InvalidInput, WierdeError
from wierde.protect import gate
from wierde.protect.classify import describe
from wierde.protect.privacy import transforms
from wierde.protect.privacy.report import Finding, PrivacyReport
from wierde.protect.privacy.status import current_report
from wierde.protect.woo import GROUNDS, ground_label
from wierde.store.records import DatasetRecord
from wierde.store.repository import Store, check_dataset_id
from wierde.web import i18n
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.i18n import _
from wierde.web.steward_common import FieldError, refusal, steward_page
from wierde.web.steward_labels import action_labels, classification_labels, done_messages, kind_label, status_labels
from wierde.web.steward_metadata import metadata_values, problem_field

router = APIRouter()  # steward.router includes it under /beheer
log = logging.getLogger(__name__)


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


def current_columns(store: Store, dataset: DatasetRecord) -> list[str]:
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
        "access_now": describe(dataset, lang), "columns": current_columns(store, dataset),
        "grounds": [(code, ground_label(code, lang)) for code in GROUNDS],
        "reasons": reasons, "refused": shown.refused is not None, "finding_places": finding_places(report),
        "field_label": lambda name: completeness_label(name, lang), "metadata_place": problem_field,
        "access_right_labels": {name: term.label(lang) for name, term in vocab.ACCESS_RIGHTS.items()},
    }


def dataset_response(request: Request, store: Store, dataset_id: str, shown: Shown | None = None) -> HTMLResponse:
    dataset = store.dataset(check_dataset_id(dataset_id))
    shown = shown or Shown()
    return steward_page(request, "steward_dataset.html", status=shown.status, **detail_context(store, dataset, shown))


@router.get("/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset_view(request: Request, dataset_id: str, store: StoreDep, principal: PrincipalDep,
                 done: str = "") -> Response:
    if (refused := refusal(request, principal)) is not None:
        return refused
    return dataset_response(request, store, dataset_id, Shown(done=done))
