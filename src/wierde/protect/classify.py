"""Changing who may read a dataset: a steward's act, checked as a whole before anything changes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wierde.errors import Forbidden
from wierde.protect import access, audit
from wierde.protect.access import Principal
from wierde.protect.woo import ground_label
from wierde.store.records import DatasetRecord
from wierde.store.repository import Store


def set_access(
    store: Store, principal: Principal, dataset_id: str, classification: str, rules: Mapping[str, Any]
) -> DatasetRecord:
    """Classify a dataset (open / restricted / non-public) with its scope, Woo reason and column rules."""
    if not principal.is_steward:
        raise Forbidden("only data stewards may change who can read a dataset")
    store.dataset(dataset_id)
    where = f"access of {dataset_id}"
    parsed = access.parse_rules(rules, where=where)
    access.check_classification(classification, parsed, where=where)
    changed = store.set_access(dataset_id, classification, parsed.to_mapping())
    audit.record_for(store, principal, "access", target=dataset_id,
                     detail={"classification": classification, **parsed.to_mapping()})
    return changed


def describe(dataset: DatasetRecord, lang: str = "nl") -> dict[str, Any]:
    """The access rules as a steward (or the API) reads them back, with the Woo grounds spelled out."""
    rules = access.rules_of(dataset)
    out: dict[str, Any] = {"classification": dataset.classification, **rules.to_mapping()}
    if rules.reason:
        out["reasonLabel"] = ground_label(rules.reason, lang)
    return out
