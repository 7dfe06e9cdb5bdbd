"""Personal-data detection and resolution: find BSNs, IBANs, names, addresses … in a version, and settle each
finding (drop, pseudonymise, generalise, aggregate, accept) before anything is published."""

from wierde.protect.privacy.derive import Resolution
from wierde.protect.privacy.generalise import generalise
from wierde.protect.privacy.recognizers import Hit, Recognizer, find_all, register
from wierde.protect.privacy.report import Finding, PrivacyReport
from wierde.protect.privacy.resolve import accept, aggregate, drop, pseudonymise, resolve
from wierde.protect.privacy.scan import scan_parquet, scan_version
from wierde.protect.privacy.status import current_report, open_findings

__all__ = [
    "Finding", "Hit", "PrivacyReport", "Recognizer", "Resolution", "accept", "aggregate", "current_report", "drop",
    "find_all", "generalise", "open_findings", "pseudonymise", "register", "resolve", "scan_parquet", "scan_version",
]
