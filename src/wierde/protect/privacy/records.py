"""Where a version's privacy report lives: `<home>/privacy/<id>-v<N>.json`, beside the metadata, not in data/.

Versions never change, but a steward's acceptance of a finding is a decision about a version, not new data, so
it is kept in this file; a version made by a resolution also carries its report in `report["privacy"]`.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

from wierde.config import Settings
from wierde.errors import NotFound
from wierde.protect.privacy.report import PrivacyReport
from wierde.store.repository import Store, check_dataset_id


def privacy_dir(settings: Settings) -> Path:
    return settings.home / "privacy"


def report_path(settings: Settings, dataset_id: str, number: int) -> Path:
    return privacy_dir(settings) / f"{check_dataset_id(dataset_id)}-v{number}.json"


def load_report(store: Store, dataset_id: str, number: int) -> PrivacyReport | None:
    """The saved report of a version: its file if there is one, else what the version was committed with."""
    path = report_path(store.settings, dataset_id, number)
    if path.is_file():
        return PrivacyReport.from_json(path.read_text(encoding="utf-8"))
    try:
        stored = store.version(dataset_id, number).report.get("privacy")
    except NotFound:
        return None
    if not isinstance(stored, dict):
        return None
    # Committed before its number was known: the version's own number completes it.
    return PrivacyReport.from_dict({**stored, "dataset_id": dataset_id, "version": number})


def save_report(store: Store, report: PrivacyReport) -> Path:
    """Write the report whole or not at all (a reader never sees half a file)."""
    if report.dataset_id is None or report.version is None:
        raise ValueError("only a report of a stored version can be saved")
    path = report_path(store.settings, report.dataset_id, report.version)
    path.parent.mkdir(parents=True, exist_ok=True)
    staged = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    staged.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(staged, path)
    return path
