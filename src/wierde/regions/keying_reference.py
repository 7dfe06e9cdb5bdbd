"""What data is keyed against: the store's regions (read once per set of versions) and its postcode table."""

# ruff: noqa: S608  -- the SQL is assembled from quoted identifiers and literals only.
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property

import duckdb

from wierde.errors import WierdeError
from wierde.regions import postcodes as pc
from wierde.regions.codes import Level
from wierde.regions.hierarchy import RegionSet
from wierde.regions.mergers import MERGERS, MUNICIPALITIES
from wierde.regions.names import explain
from wierde.sqltext import quote_literal
from wierde.store.repository import Store

REFERENCE_DATASETS: dict[Level, str] = {"GM": "gemeenten", "WK": "wijken", "BU": "buurten"}
# Every municipality the regions package knows, today's and merged-away ones, lies in the province of Groningen.
BUILTIN_PROVINCES = {code: "PV20" for code in [*MUNICIPALITIES, *(c.old_code for c in MERGERS)]}


@dataclass(frozen=True)
class Reference:
    """What data is keyed against: the store's regions and postcode table, and why either is missing."""

    regions: RegionSet | None = None
    postcodes: pc.PostcodeTable | None = None
    regions_note: str | None = None  # why there are no regions (to key on by place)
    postcodes_note: str | None = None

    @cached_property
    def provinces(self) -> dict[str, str]:
        """Municipality code → province code, from the reference where it says, else from the built-in list."""
        found = dict(BUILTIN_PROVINCES)
        if self.regions is not None:
            found.update({r.code: r.parent for r in self.regions.level("GM") if r.parent})
        return found

    @cached_property
    def municipalities(self) -> RegionSet | None:
        """Only the municipalities, so resolving a name does not search every neighbourhood's name."""
        if self.regions is None or "GM" not in self.regions.levels():
            return None
        return RegionSet(self.regions.level("GM"), self.regions.crs)


_CACHE: dict[tuple[object, ...], RegionSet] = {}
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def reference_from_store(store: Store, con: duckdb.DuckDBPyConnection) -> Reference:
    """The current `gemeenten`, `wijken` and `buurten` (one RegionSet, cached per set of versions) and `postcodes`."""
    regions, regions_note = _regions_from_store(store, con)
    try:
        postcodes = pc.from_store(store, con)
        postcodes_note = None if postcodes else f"the store has no dataset {pc.DATASET!r} (a postcode table)"
    except WierdeError as exc:
        postcodes, postcodes_note = None, f"the dataset {pc.DATASET!r} cannot serve as postcode table: {exc}"
    return Reference(regions, postcodes, regions_note, postcodes_note)


def _regions_from_store(store: Store, con: duckdb.DuckDBPyConnection) -> tuple[RegionSet | None, str | None]:
    """The regions, or None and why not. Versions never change, so a set read once serves until one is replaced."""
    current = store.current_versions()
    found = [current[ds] for ds in REFERENCE_DATASETS.values() if ds in current]
    if not found:
        return None, f"the store has none of the region datasets {', '.join(REFERENCE_DATASETS.values())}"
    key = (str(store.settings.data_dir), *((v.dataset_id, v.number, v.content_hash) for v in found))
    with _CACHE_LOCK:
        cached = _CACHE.get(key)
    if cached is not None:
        return cached, None
    try:
        relations = [f"SELECT * FROM read_parquet({quote_literal(str(store.path_of(v)))})" for v in found]
        regions = RegionSet.from_relations(con, relations)
    except (WierdeError, duckdb.Error) as exc:
        return None, f"the region datasets ({', '.join(v.dataset_id for v in found)}) cannot be read as regions: {exc}"
    with _CACHE_LOCK:
        while len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = regions
    return regions, None


def resolve_municipality(name: str, year: int | None, reference: Reference) -> tuple[str, str | None] | None:
    """(code, former code when it went through a merger) for a municipality name as of `year`, None when unknown
    or ambiguous. A name that did not exist yet in `year` ("Eemsdelta" in 2015) is read on today's map: figures
    are often published on today's boundaries for earlier years."""
    for when in dict.fromkeys((year, None)):
        try:
            found = explain(str(name), "GM", year=when, regions=reference.municipalities)
        except WierdeError:
            continue
        return found.code, found.former_code
    return None
