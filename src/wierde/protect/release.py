"""Which versions of a published dataset may be served: only those that would pass the gate themselves.

Publishing opens a dataset, not every file it ever had: a version from before a privacy resolution or a disclosure
profile, or a new harvest that brought personal data in, stays with the stewards until it is resolved. Doors ask
`withheld(...)` for the version they are about to serve; the answer is cached per version and per state of its
privacy report and disclosure profile (both files), so a steward's decision takes effect at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from wierde.protect.access import Principal, rules_of
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store

MAX_CACHED = 2048
_cache: OrderedDict[tuple[object, ...], tuple[str, ...]] = OrderedDict()
_lock = threading.Lock()


def _stamp(path: Path) -> float | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def withheld(store: Store, principal: Principal, dataset: DatasetRecord, version: VersionRecord) -> tuple[str, ...]:
    """Why this version may not reach this principal (empty: it may). Stewards review everything."""
    if principal.is_steward:
        return ()
    from wierde.protect import disclosure
    from wierde.protect.privacy.records import report_path

    key = (str(store.settings.home), dataset.id, version.number, dataset.classification,
           tuple(sorted(rules_of(dataset).columns)),
           _stamp(report_path(store.settings, dataset.id, version.number)),
           _stamp(disclosure.config_path(store.settings, dataset.id)))
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    reasons = tuple(_reasons(store, dataset, version))
    with _lock:
        _cache[key] = reasons
        while len(_cache) > MAX_CACHED:
            _cache.popitem(last=False)
    return reasons


def _reasons(store: Store, dataset: DatasetRecord, version: VersionRecord) -> list[str]:
    from wierde.protect.gate import disclosure_reasons
    from wierde.protect.privacy.records import load_report
    from wierde.protect.privacy.scan import scan_version

    reasons = disclosure_reasons(store, version)
    if dataset.classification == "open":  # other data reaches only scoped readers anyway
        try:
            report = load_report(store, dataset.id, version.number) or scan_version(store, dataset.id, version.number)
        except Exception as error:  # a scan that cannot run proves nothing: withhold, saying why
            return [*reasons, f"the personal-data scan could not run ({type(error).__name__})"]
        hidden = set(rules_of(dataset).columns)
        reasons += [f"unresolved personal data in column {f.column!r}" for f in report.open_findings
                    if f.column not in hidden]
    return reasons
