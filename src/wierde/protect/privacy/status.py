"""What the publication gate asks: which personal-data findings of the current version are still open."""

from __future__ import annotations

from wierde.protect.privacy.records import load_report
from wierde.protect.privacy.report import Finding, PrivacyReport
from wierde.protect.privacy.scan import scan_version
from wierde.store.repository import Store


def current_report(store: Store, dataset_id: str) -> PrivacyReport:
    """The current version's report; a version nobody scanned yet is scanned now, never assumed clean."""
    version = store.version(dataset_id)
    return load_report(store, dataset_id, version.number) or scan_version(store, dataset_id, version.number)


def open_findings(store: Store, dataset_id: str) -> list[Finding]:
    """Findings of the current version that are neither resolved nor accepted (empty: nothing personal left)."""
    return current_report(store, dataset_id).open_findings
