"""Region names for cards (Oldambt rather than GM1895), read from the instance's own region datasets.

Only region datasets the asker may see are read, and each version is read once: versions never change.
"""

# ruff: noqa: S608  -- the only SQL reads a version file by its quoted path and schema-checked column names.
from __future__ import annotations

import threading
from collections.abc import Callable

from wierde.regions.codes import PROVINCES
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.records import DatasetRecord, VersionRecord
from wierde.store.repository import Store

REGION_DATASETS = ("gemeenten", "wijken", "buurten")
CODE_COLUMNS = ("code", "statcode", "regio_code")
CACHE_SIZE = 16
NAME_COLUMNS = ("naam", "statnaam", "name", "regio_naam")
_cache: dict[str, dict[str, str]] = {}
_lock = threading.Lock()


def _names_in(store: Store, version: VersionRecord) -> dict[str, str]:
    key = str(store.path_of(version))
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    fields = {str(f["name"]).lower(): str(f["name"]) for f in version.fields}
    code = next((fields[c] for c in CODE_COLUMNS if c in fields), None)
    name = next((fields[c] for c in NAME_COLUMNS if c in fields), None)
    found: dict[str, str] = {}
    if code and name:
        rows = store.duck().execute(
            f"SELECT DISTINCT CAST({quote_ident(code)} AS VARCHAR), CAST({quote_ident(name)} AS VARCHAR) "
            f"FROM read_parquet({quote_literal(str(store.path_of(version)))})").fetchall()
        found = {str(c).strip(): str(n) for c, n in rows if c and n}
    with _lock:
        while len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = found
    return found


def region_names(store: Store, may_see: Callable[[DatasetRecord], bool]) -> dict[str, str]:
    """Code → name for the province and every region in the region datasets `may_see` allows."""
    names = dict(PROVINCES)
    current = store.current_versions()
    for dataset_id in REGION_DATASETS:
        version = current.get(dataset_id)
        if version is not None and may_see(store.dataset(dataset_id)):
            names.update(_names_in(store, version))
    return names
