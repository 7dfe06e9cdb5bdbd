"""The steward's preview of a dataset's public page, as an anonymous visitor will get it once it is published."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from wierde.protect import access, gate
from wierde.protect.access import ANONYMOUS
from wierde.protect.woo import ground_label
from wierde.publish import datasets as ds
from wierde.store.repository import check_dataset_id
from wierde.web import dataset_page, i18n
from wierde.web.deps import PrincipalDep, StoreDep
from wierde.web.i18n import _
from wierde.web.steward_common import refusal, steward_page
from wierde.web.steward_labels import classification_labels, status_labels

router = APIRouter()  # steward.router includes it under /beheer


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
        return steward_page(request, "steward_preview.html", hidden=True, dataset=dataset,
                            title=i18n.pick(meta["title"]),
                            reason_label=ground_label(rules.reason, lang) if rules.reason else "",
                            classification=_("gewist") if dataset.status == "purged"
                            else classification_labels().get(dataset.classification, ""), **banner)
    ds.get_dataset(store, principal, dataset.id)  # rows of a draft are read: through the door, so it is logged
    context = dataset_page.context(store, as_published, request.query_params, lang, ANONYMOUS)
    # The maps would fetch their data with the steward's own cookie, not as anonymous: left out of the preview.
    context.update(geo_map=None, choropleth=None)
    return steward_page(request, "steward_preview.html", hidden=False, **context, **banner)
