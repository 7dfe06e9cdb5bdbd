"""An indicator card: current value, target and distance, trend, comparison with the province and peer regions.

Read from the indicator dataset's version (immutable, so its rows are cached by file); plain frozen objects that
the portal, the API, the downloads and the alerts all render, so they can never disagree.
"""

# ruff: noqa: S608  -- the only SQL reads a version file by its quoted path.
from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from statistics import fmean
from typing import Any

from wierde.errors import NotFound
from wierde.monitor import periods
from wierde.monitor.spec import IndicatorSpec
from wierde.monitor.sql import COLUMNS
from wierde.regions.codes import PROVINCES
from wierde.sqltext import quote_literal
from wierde.store.records import VersionRecord
from wierde.store.repository import Store

FLAT = 0.01  # a slope under 1 % of the mean value per period is no trend
CACHE_SIZE = 64
LEVEL_ORDER = ("province", "group", "gemeente", "wijk", "buurt")
_cache: dict[str, Values] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Row:
    region_level: str
    region_code: str
    parent_code: str | None
    period: str
    value: float | None
    numerator: float | None
    denominator: float | None
    status: str | None
    flag: str | None
    target: float | None


@dataclass(frozen=True)
class Values:
    """Every row of one version of an indicator, by region (each region's rows sorted by period)."""

    rows: tuple[Row, ...]
    by_region: Mapping[str, tuple[Row, ...]]

    def level_of(self, code: str) -> str | None:
        found = self.by_region.get(code)
        return found[0].region_level if found else None

    def parent_of(self, code: str) -> str | None:
        found = self.by_region.get(code)
        return next((r.parent_code for r in reversed(found) if r.parent_code), None) if found else None

    def regions(self, level: str | None = None) -> list[str]:
        return [c for c, rows in self.by_region.items() if level is None or rows[0].region_level == level]

    def at(self, code: str, period: str) -> Row | None:
        return next((r for r in self.by_region.get(code, ()) if r.period == period), None)


def load_values(store: Store, version: VersionRecord) -> Values:
    """The version's rows; read once per file, since a version never changes."""
    key = str(store.path_of(version))  # the full path: two instances in one process may share relative names
    with _lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    path = quote_literal(key)
    result = store.duck().execute(f"SELECT {', '.join(COLUMNS[1:])} FROM read_parquet({path}) "
                                  "ORDER BY region_code, period").fetchall()
    rows = tuple(Row(*item) for item in result)
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row.region_code, []).append(row)
    values = Values(rows, {code: tuple(items) for code, items in grouped.items()})
    with _lock:
        while len(_cache) >= CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = values
    return values


# --- the parts of a card -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionRef:
    code: str
    level: str
    names: Mapping[str, str] = field(default_factory=dict)

    def name(self, lang: str = "nl") -> str:
        return self.names.get(lang) or self.names.get("nl") or self.code


@dataclass(frozen=True)
class Trend:
    """The direction over the last periods (least-squares slope per period) and whether that is good news."""

    direction: str | None  # up | down | flat; None with fewer than two values
    assessment: str | None  # improving | worsening | stable
    slope: float | None
    periods: int


@dataclass(frozen=True)
class TargetState:
    value: float
    year: int
    source: Mapping[str, str]
    distance: float | None  # current value minus target, in the indicator's unit
    distance_pct: float | None  # the distance as a percentage of the target
    met: bool | None


@dataclass(frozen=True)
class Compared:
    region: RegionRef
    value: float | None
    flag: str | None = None


@dataclass(frozen=True)
class TargetLine:
    year: int
    value: float
    source: Mapping[str, str]


@dataclass(frozen=True)
class Card:
    spec: IndicatorSpec
    version: VersionRecord
    region: RegionRef
    series: tuple[Row, ...]
    current: Row | None
    trend: Trend
    target: TargetState | None
    targets: tuple[TargetLine, ...]
    province: Compared | None
    peers: tuple[Compared, ...]
    path: tuple[RegionRef, ...]  # from the province down to the region's parent
    children: tuple[RegionRef, ...]

    @property
    def period(self) -> str | None:
        return self.current.period if self.current else None

    def stale(self, today: date | None = None) -> bool:
        """Is the newest value older than this kind of figure is normally known (see periods.EXPECTED_DELAY_DAYS)?"""
        if self.current is None:
            return True
        delay = periods.EXPECTED_DELAY_DAYS[self.spec.granularity]
        return ((today or date.today()) - periods.end_of(self.current.period)).days > delay


def trend_of(series: Sequence[Row], spec: IndicatorSpec) -> Trend:
    known = [r for r in series if r.value is not None][-spec.trend_periods:]
    if len(known) < 2:
        return Trend(None, None, None, len(known))
    xs = [periods.index_of(r.period, spec.granularity) for r in known]
    ys = [float(r.value) for r in known if r.value is not None]
    mx, my = fmean(xs), fmean(ys)
    spread = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / spread if spread else 0.0
    scale = fmean(abs(y) for y in ys) or 1.0
    direction = "up" if slope / scale > FLAT else "down" if slope / scale < -FLAT else "flat"
    good = "up" if spec.higher_is_better else "down"
    assessment = "stable" if direction == "flat" else "improving" if direction == good else "worsening"
    return Trend(direction, assessment, slope, len(known))


def target_lines(version: VersionRecord, region: str) -> tuple[TargetLine, ...]:
    items: list[dict[str, Any]] = list(version.source.get("targets") or [])
    return tuple(TargetLine(int(t["year"]), float(t["value"]), dict(t.get("source") or {}))
                 for t in items if t.get("region") == region)


def target_state(spec: IndicatorSpec, lines: Sequence[TargetLine], current: Row | None) -> TargetState | None:
    """The target for the current period's year; else the next one ahead; else the last one that passed."""
    if not lines:
        return None
    year = periods.year_of(current.period) if current else date.today().year
    ahead = [t for t in lines if t.year >= year]
    chosen = min(ahead, key=lambda t: t.year) if ahead else max(lines, key=lambda t: t.year)
    value = current.value if current else None
    if value is None:
        return TargetState(chosen.value, chosen.year, chosen.source, None, None, None)
    distance = value - chosen.value
    met = value >= chosen.value if spec.higher_is_better else value <= chosen.value
    pct = 100 * distance / abs(chosen.value) if chosen.value else None
    return TargetState(chosen.value, chosen.year, chosen.source, distance, pct, met)


# --- regions -----------------------------------------------------------------------------------------------


def region_ref(spec: IndicatorSpec, values: Values, code: str, names: Mapping[str, str]) -> RegionRef:
    group = spec.group(code)
    if group is not None:
        return RegionRef(code, "group", dict(group.name))
    name = names.get(code) or PROVINCES.get(code)
    return RegionRef(code, values.level_of(code) or "", {"nl": name} if name else {})


def path_to(spec: IndicatorSpec, values: Values, code: str, names: Mapping[str, str]) -> tuple[RegionRef, ...]:
    chain: list[RegionRef] = []
    parent = spec.province if spec.group(code) else values.parent_of(code)
    while parent and parent in values.by_region and len(chain) < len(LEVEL_ORDER):
        chain.insert(0, region_ref(spec, values, parent, names))
        parent = values.parent_of(parent)
    return tuple(chain)


def children_of(spec: IndicatorSpec, values: Values, code: str, names: Mapping[str, str]) -> tuple[RegionRef, ...]:
    """The regions one level down (and, under the province, the groups), for the region selector."""
    codes = [c for c, rows in values.by_region.items()
             if rows[0].region_level != "group" and values.parent_of(c) == code]
    if values.level_of(code) == "province":
        codes += [g.code for g in spec.groups if g.code in values.by_region]
    refs = [region_ref(spec, values, c, names) for c in codes]
    return tuple(sorted(refs, key=lambda r: (LEVEL_ORDER.index(r.level) if r.level in LEVEL_ORDER else 9,
                                             r.name().casefold())))


def peer_codes(spec: IndicatorSpec, values: Values, code: str) -> list[str]:
    """A group's members are each other's peers; otherwise the regions of the same level in the same parent; the
    province's are its municipalities."""
    for group in spec.groups:
        if code in group.members:
            return [m for m in group.members if m != code and m in values.by_region]
    level = values.level_of(code)
    if level == "group":
        return [g.code for g in spec.groups if g.code != code and g.code in values.by_region]
    if level == "province":  # the province is compared with what it is made of
        return [c for c in values.regions() if values.parent_of(c) == code and values.level_of(c) != "group"]
    if level is None:
        return []
    parent = values.parent_of(code)
    return [c for c in values.regions(level) if c != code and values.parent_of(c) == parent]


def _compared(spec: IndicatorSpec, values: Values, code: str, period: str, names: Mapping[str, str]) -> Compared:
    row = values.at(code, period)
    return Compared(region_ref(spec, values, code, names), row.value if row else None, row.flag if row else None)


# --- the card ----------------------------------------------------------------------------------------------


def build_card(spec: IndicatorSpec, version: VersionRecord, values: Values, region: str | None,
               names: Mapping[str, str]) -> Card:
    """The card for one region (the indicator's default region when none is asked for)."""
    code = region or spec.default_region
    if code not in values.by_region:
        fallback = next((c for c in (spec.province, *values.regions("province")) if c in values.by_region), None)
        if region is not None or fallback is None:
            raise NotFound(f"indicator {spec.id!r} has no values for region {code!r}")
        code = fallback
    series = values.by_region[code]
    current = next((r for r in reversed(series) if r.value is not None), None) or series[-1]
    lines = target_lines(version, code)
    province = None
    if values.level_of(code) != "province" and spec.province in values.by_region:
        province = _compared(spec, values, spec.province, current.period, names)
    peers = sorted((_compared(spec, values, c, current.period, names) for c in peer_codes(spec, values, code)),
                   key=lambda p: (p.value is None, -(p.value or 0) if spec.higher_is_better else (p.value or 0)))
    return Card(spec=spec, version=version, region=region_ref(spec, values, code, names), series=series,
                current=current, trend=trend_of(series, spec), target=target_state(spec, lines, current),
                targets=lines, province=province, peers=tuple(peers), path=path_to(spec, values, code, names),
                children=children_of(spec, values, code, names))


def card_for(store: Store, spec: IndicatorSpec, region: str | None, names: Mapping[str, str]) -> Card:
    """The card from the indicator dataset's current version (no access check: callers at the doors do that)."""
    version = store.version(spec.dataset_id)
    return build_card(spec, version, load_values(store, version), region, names)
