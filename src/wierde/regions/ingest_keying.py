"""Every ingested dataset keyed to CBS regions and a period, so two datasets combine with a join on codes and period.

What a dataset can be keyed on is read from its columns, in this order of preference: a geometry column; lat/lon or
RD x/y coordinates; region code columns; a postcode column; a municipality name column. Each row takes the source
that reaches the finest level for it (a tie goes to the earlier one), and its coarser codes follow from that one
code (BU → WK → GM by the digits, GM → PV from the region reference), so a row's codes never contradict each other.
Lines and polygons are the exception: each level gets the region holding most of the feature, with
`<level>_share`. The standard columns are keying.py's `pv_code`, `gm_code`, `wk_code`, `bu_code` and `period`; a
dataset that has one already keeps it as it is. Rows that cannot be keyed keep NULL codes; no row is dropped.
"""

# ruff: noqa: S608  -- the SQL is assembled from quoted identifiers and literals only.
from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, Literal, cast

import duckdb
import pyarrow as pa

from wierde.errors import InvalidInput, WierdeError
from wierde.regions import postcodes as pc
from wierde.regions.codes import LEVEL_NAMES, LEVELS, Level
from wierde.regions.hierarchy import RegionSet
from wierde.regions.keying import key_points, key_shapes
from wierde.regions.mergers import MERGERS, MUNICIPALITIES
from wierde.regions.names import explain
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.repository import Store

CODE_COLUMNS: dict[Level, str] = {lv: f"{lv.lower()}_code" for lv in LEVELS}  # the names keying.py writes
SHARE_COLUMNS: dict[Level, str] = {lv: f"{lv.lower()}_share" for lv in LEVELS}
PERIOD_COLUMN = "period"
OUTPUT_COLUMNS = (*CODE_COLUMNS.values(), *SHARE_COLUMNS.values(), PERIOD_COLUMN)
REFERENCE_DATASETS: dict[Level, str] = {"GM": "gemeenten", "WK": "wijken", "BU": "buurten"}
SAMPLE_ROWS = 10_000  # enough rows to tell what a column holds; the keying itself reads every row
# Every municipality the regions package knows, today's and merged-away ones, lies in the province of Groningen.
BUILTIN_PROVINCES = {code: "PV20" for code in [*MUNICIPALITIES, *(c.old_code for c in MERGERS)]}
DEPTH = {lv: i + 1 for i, lv in enumerate(LEVELS)}  # PV 1 … BU 4
MAX_SOURCES = 15  # the row-wise choice packs a source's number into 4 bits
# Names a region's own code goes by (see hierarchy.CODE_COLUMNS), lower case.
IDENTITY_NAMES = frozenset({"code", "statcode", "regiocode", "regio_code", "gwb_code", "gwbcode"})

Kind = Literal["geometry", "coordinates", "code", "postcode", "name"]

REGION_CODE_RE = "PV[0-9]{2}|GM[0-9]{4}|WK[0-9]{6}|BU[0-9]{8}"
CBS_PERIOD_RE = "[0-9]{4}(JJ00|HJ0[12]|KW0[1-4]|MM(0[1-9]|1[0-2]))"
ISO_PERIOD_RE = "[0-9]{4}(-(H[12]|Q[1-4]|(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?))?"
# Column names (lower case, runs of other characters as "_") that say what a column holds.
_FLOW = re.compile(r"(van|naar|from|to|herkomst|bestemming|origin|destination)_.+")  # one end of a flow
_REGION_HINT = re.compile(r".*(regio|code|gemeente|wijk|buurt|provincie|gwb|statcode).*")
_BARE_GM = re.compile(r"(gemeente_?code|gem_?code|gemeente_?nr|gemeentenummer|gemnr|gm_code|cbs_gemeentecode)")
_POSTCODE = re.compile(r"(postcode|post_code|pc6|pc4|postcode_?[46]|postal_?code|zip_?code|zip)")
_MUNICIPALITY = re.compile(r"(gemeente|gemeente_?naam|naam_gemeente|gem_?naam|municipality(_name)?)")
_LAT = re.compile(r"(lat|latitude|breedtegraad|lat_wgs84|wgs84_lat|y_wgs84)")
_LON = re.compile(r"(lon|lng|long|longitude|lengtegraad|lon_wgs84|wgs84_lon|x_wgs84)")
_RD_X = re.compile(r"(x|x_?rd|rd_?x|x_?coord(inaat)?|x_?coordinate|coord_?x|x_?28992)")
_RD_Y = re.compile(r"(y|y_?rd|rd_?y|y_?coord(inaat)?|y_?coordinate|coord_?y|y_?28992)")
_PERIOD_NAME = re.compile(r"(periode|perioden|period|tijdvak|periode_?code)")
_YEAR_NAME = re.compile(r"(jaar|year|jaartal|peiljaar|verslagjaar|boekjaar)")
_DATE_HINT = re.compile(r".*(datum|date|dag|day|start|begin|tijd|time|moment|stamp).*")
# Value ranges that make a pair of numbers coordinates in the Netherlands.
RANGES = {"lat": (50.7, 53.7), "lon": (3.2, 7.3), "x": (0.0, 300_000.0), "y": (289_000.0, 629_000.0)}
NUMERIC = ("tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint", "uinteger", "ubigint",
           "float", "double", "decimal")


def _plain(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _code_sql(expr: str) -> str:
    return f"upper(trim(CAST({expr} AS VARCHAR)))"


# --- the region reference --------------------------------------------------------------------------------------


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


# --- what a column holds -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """Counts over a sample of one column: how many values look like codes, postcodes, periods or coordinates."""

    kind: str
    present: int = 0
    region: int = 0
    finest: int = 0  # deepest level among the region codes (DEPTH), 0 if none
    bare: int = 0  # 1-4 digits: a municipality number when the name says so
    pc6: int = 0
    pc4: int = 0
    cbs_period: int = 0
    iso_period: int = 0
    ranges: dict[str, int] = field(default_factory=dict)  # "lat" → values in that range; "year" too

    def share(self, count: int) -> float:
        return count / self.present if self.present else 0.0


def _text_measures(value: str) -> dict[str, str]:
    """Weighted counts over (value, n): distinct trimmed upper-case values with how often each occurs."""
    compact = f"replace({value}, ' ', '')"
    depth = " ".join(f"WHEN {quote_literal(lv)} THEN {d}" for lv, d in DEPTH.items())
    region = f"regexp_full_match({value}, '{REGION_CODE_RE}')"
    checks = {
        "region": region, "bare": f"regexp_full_match({value}, '[0-9]{{1,4}}')",
        "pc6": f"regexp_full_match({compact}, '{pc.PC6_SQL_PATTERN}')",
        "pc4": f"regexp_full_match({compact}, '{pc.PC4_SQL_PATTERN}')",
        "cbs_period": f"regexp_full_match({value}, '{CBS_PERIOD_RE}')",
        "iso_period": f"regexp_full_match({value}, '{ISO_PERIOD_RE}')",
    }
    # Codes, postcodes and periods are at most 10 characters: longer text needs no pattern tried on it.
    measures = {k: f"coalesce(sum(n) FILTER (WHERE length({value}) <= 10 AND {c}), 0)" for k, c in checks.items()}
    measures["finest"] = f"coalesce(max(CASE left({value}, 2) {depth} END) FILTER (WHERE {region}), 0)"
    return {"present": "coalesce(sum(n), 0)", **measures}


def _number_measures(col: str) -> dict[str, str]:
    value = f"CAST({col} AS DOUBLE)"
    measures = {f"range_{name}": f"count(*) FILTER (WHERE {value} BETWEEN {lo} AND {hi})"
                for name, (lo, hi) in RANGES.items()}
    measures["range_year"] = f"count(*) FILTER (WHERE {value} BETWEEN 1000 AND 2999 AND {value} = round({value}))"
    measures["bare"] = f"count(*) FILTER (WHERE {value} BETWEEN 1 AND 9999 AND {value} = round({value}))"
    return {"present": f"count({col})", **measures}


def _named_for_numbers(name: str) -> bool:
    """Number columns matter only when named as coordinates, years, municipality numbers or postcodes."""
    plain = _plain(name)
    return any(p.fullmatch(plain) for p in (_LAT, _LON, _RD_X, _RD_Y, _YEAR_NAME, _BARE_GM, _POSTCODE))


def profile_columns(con: duckdb.DuckDBPyConnection, table_sql: str, schema_types: Mapping[str, str] | None = None,
                    ) -> dict[str, Profile]:
    """Profiles of the text columns, and of number columns named for what they could hold, over the first
    SAMPLE_ROWS rows, in one query.

    Text columns are profiled over their distinct values (a code column holds few), so each pattern is tried once
    per value rather than once per row.
    """
    relation = con.sql(table_sql)
    kinds = {name: kind.id for name, kind in zip(relation.columns, relation.types, strict=True)}
    texts = [n for n, kind in kinds.items() if kind == "varchar"]
    numbers = [n for n, kind in kinds.items() if kind in NUMERIC
               and (_named_for_numbers(n) or (schema_types or {}).get(n) == "year")]
    if not texts and not numbers:
        return {name: Profile(kind) for name, kind in kinds.items()}
    text_keys, number_keys = list(_text_measures("v")), list(_number_measures("x"))
    width = max(len(text_keys), len(number_keys))  # every part of the UNION answers as many values

    def padded(values: list[str]) -> str:
        return ", ".join(values + ["0"] * (width - len(values)))

    parts = [f"SELECT {i} AS c, {padded(list(_text_measures('v').values()))} FROM (SELECT upper(trim("
             f"{quote_ident(n)})) AS v, count(*) AS n FROM sample WHERE {quote_ident(n)} IS NOT NULL GROUP BY ALL)"
             for i, n in enumerate(texts)]
    parts += [f"SELECT {i} AS c, {padded(list(_number_measures(quote_ident(n)).values()))} FROM sample"
              for i, n in enumerate(numbers, start=len(texts))]
    found = con.sql(f"WITH sample AS MATERIALIZED (SELECT * FROM ({table_sql}) LIMIT {SAMPLE_ROWS}) "
                    f"{' UNION ALL '.join(parts)}").fetchall()
    names = [*texts, *numbers]
    counts: dict[str, dict[str, int]] = {}
    for c, *values in found:
        keys = text_keys if c < len(texts) else number_keys
        counts[names[c]] = {key: int(value or 0) for key, value in zip(keys, values, strict=False)}
    return {name: _profile(kind, counts.get(name, {})) for name, kind in kinds.items()}


def _profile(kind: str, counts: dict[str, int]) -> Profile:
    ranges = {k.removeprefix("range_"): v for k, v in counts.items() if k.startswith("range_")}
    plain = {k: v for k, v in counts.items() if not k.startswith("range_")}
    return Profile(kind, ranges=ranges, **plain)


# --- sources ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One way the rows can be keyed: its kind, the columns it reads, and the finest level it can reach."""

    kind: Kind
    columns: tuple[str, ...]
    finest: Level
    detail: str = ""  # "points"/"shapes", the coordinates' CRS, "municipality numbers", ...

    @property
    def label(self) -> str:
        return f"{self.kind}: {', '.join(self.columns)}" + (f" ({self.detail})" if self.detail else "")

    @property
    def levels(self) -> tuple[Level, ...]:
        return LEVELS[: DEPTH[self.finest]]


def _mostly(profile: Profile, count: int, hinted: bool) -> bool:
    """Enough of a column's values fit: nearly all, or a fair part when its name says what it is."""
    return count > 0 and profile.share(count) >= (0.3 if hinted else 0.9)


def code_sources(profiles: Mapping[str, Profile]) -> list[Source]:
    """Columns of CBS region codes (any mix of levels), and municipality numbers in a column named for them."""
    found = []
    for name, p in profiles.items():
        plain = _plain(name)
        if _FLOW.fullmatch(plain):
            continue
        if p.kind == "varchar" and _mostly(p, p.region, bool(_REGION_HINT.fullmatch(plain))):
            found.append(Source("code", (name,), LEVELS[p.finest - 1]))
        elif _BARE_GM.fullmatch(plain) and p.share(p.bare) >= 0.9:
            found.append(Source("code", (name,), "GM", "municipality numbers"))
    # The standard columns first: among codes of one level the first source wins.
    return sorted(found, key=lambda s: s.columns[0] not in CODE_COLUMNS.values())


def coordinate_source(profiles: Mapping[str, Profile]) -> Source | None:
    """lat/lon (EPSG:4326) or else RD x/y (EPSG:28992) number columns, by name and by where their values lie."""
    def pick(pattern: re.Pattern[str], within: str) -> str | None:
        return next((n for n, p in profiles.items() if p.kind in NUMERIC and pattern.fullmatch(_plain(n))
                     and p.share(p.ranges.get(within, 0)) >= 0.9), None)

    lat, lon = pick(_LAT, "lat"), pick(_LON, "lon")
    if lat and lon:
        return Source("coordinates", (lon, lat), LEVELS[-1], "EPSG:4326")
    x, y = pick(_RD_X, "x"), pick(_RD_Y, "y")
    if x and y:
        return Source("coordinates", (x, y), LEVELS[-1], "EPSG:28992")
    return None


def postcode_source(profiles: Mapping[str, Profile]) -> Source | None:
    for name, p in profiles.items():
        plain = _plain(name)
        if _FLOW.fullmatch(plain):
            continue
        hinted = bool(_POSTCODE.fullmatch(plain))
        if p.kind == "varchar" and (_mostly(p, p.pc6 + p.pc4, hinted) if hinted else _mostly(p, p.pc6, False)):
            return Source("postcode", (name,), "BU")
        if hinted and p.kind in NUMERIC and p.share(p.bare) >= 0.9:
            return Source("postcode", (name,), "BU", "PC4 numbers")
    return None


def name_source(con: duckdb.DuckDBPyConnection, table_sql: str, profiles: Mapping[str, Profile],
                reference: Reference) -> Source | None:
    """A municipality name column: named like one, and at least half its distinct values resolve."""
    for name, p in profiles.items():
        if p.kind != "varchar" or not _MUNICIPALITY.fullmatch(_plain(name)):
            continue
        values = [v for (v,) in con.sql(f"SELECT DISTINCT {quote_ident(name)} FROM (SELECT * FROM ({table_sql}) "
                                        f"LIMIT {SAMPLE_ROWS}) WHERE {quote_ident(name)} IS NOT NULL LIMIT 200")
                  .fetchall()]
        known = sum(_resolve(v, None, reference) is not None for v in values)
        if values and known / len(values) >= 0.5:
            return Source("name", (name,), "GM")
    return None


def _resolve(name: str, year: int | None, reference: Reference) -> tuple[str, str | None] | None:
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


def geometry_source(con: duckdb.DuckDBPyConnection, table_sql: str) -> Source | None:
    """The first geometry column: points, or shapes (lines, polygons) when any feature is not a point."""
    relation = con.sql(table_sql)
    column = next((n for n, t in zip(relation.columns, relation.types, strict=True) if t.id == "geometry"), None)
    if column is None:
        return None
    shapes = con.sql(f"SELECT count(*) FROM ({table_sql}) WHERE {quote_ident(column)} IS NOT NULL AND "
                     f"ST_GeometryType({quote_ident(column)}) <> 'POINT'").fetchone()
    return Source("geometry", (column,), LEVELS[-1], "shapes" if shapes and shapes[0] else "points")


def _identifies_features(con: duckdb.DuckDBPyConnection, table_sql: str, source: Source) -> bool:
    """A column named as a region's own code, with a different valid code on every feature: the features are
    regions themselves (gemeenten, wijken, buurten), and keying them by their shapes would put a district in one
    of its own neighbourhoods."""
    if _plain(source.columns[0]) not in IDENTITY_NAMES:
        return False
    code = _code_sql(quote_ident(source.columns[0]))
    row = con.sql(f"SELECT count(*), count(DISTINCT {code}) FILTER (WHERE regexp_full_match({code}, "
                  f"'{REGION_CODE_RE}')) FROM ({table_sql})").fetchone()
    return bool(row and row[0] and row[0] == row[1])


def spatial_source(con: duckdb.DuckDBPyConnection, table_sql: str, profiles: Mapping[str, Profile],
                   codes: Sequence[Source], reference: Reference, notes: list[str]) -> Source | None:
    """Geometry, else coordinates, reaching the finest level the region reference has."""
    geometry = geometry_source(con, table_sql)
    if geometry is not None and geometry.detail == "shapes":
        own = next((s for s in codes if _identifies_features(con, table_sql, s)), None)
        if own is not None:
            notes.append(f"the features are regions themselves (each has its own code in {own.columns[0]!r}), so "
                         "they are keyed by that code, not by their geometry")
            geometry = None
    found = geometry or coordinate_source(profiles)
    if found is None:
        return None
    regions = reference.regions
    if regions is None or regions.crs is None:
        why = reference.regions_note or "the region reference has no geometry"
        notes.append(f"{found.kind} ({', '.join(found.columns)}) not keyed by place: {why}")
        return None
    return replace(found, finest=regions.levels()[-1])


def _finest_in_full(con: duckdb.DuckDBPyConnection, table_sql: str, codes: list[Source]) -> list[Source]:
    """Code sources with the finest level over all rows, not just the sample (tried on distinct values only)."""
    depth = " ".join(f"WHEN {quote_literal(lv)} THEN {d}" for lv, d in DEPTH.items())
    found = []
    for source in codes:
        if not source.detail:  # not municipality numbers
            code = _code_sql(quote_ident(source.columns[0]))
            row = con.sql(f"SELECT max(CASE left(v, 2) {depth} END) FROM (SELECT DISTINCT {code} AS v FROM "
                          f"({table_sql})) WHERE regexp_full_match(v, '{REGION_CODE_RE}')").fetchone()
            if row and row[0]:
                source = replace(source, finest=LEVELS[int(row[0]) - 1])
        found.append(source)
    return found


def find_sources(con: duckdb.DuckDBPyConnection, table_sql: str, profiles: Mapping[str, Profile],
                 reference: Reference, notes: list[str]) -> list[Source]:
    """Everything the rows could be keyed on, in order of preference."""
    codes = _finest_in_full(con, table_sql, code_sources(profiles))
    spatial = spatial_source(con, table_sql, profiles, codes, reference, notes)
    postcode = postcode_source(profiles)
    if postcode is not None and reference.postcodes is None:
        notes.append(f"postcode column {postcode.columns[0]!r} not keyed: {reference.postcodes_note}")
        postcode = None
    name = name_source(con, table_sql, profiles, reference)
    found = [s for s in (spatial, *codes, postcode, name) if s is not None]
    flows = [n for n, p in profiles.items() if _FLOW.fullmatch(_plain(n)) and (p.region or p.pc6)]
    if flows:
        notes.append(f"{', '.join(repr(f) for f in flows)} name the ends of a flow (from, to), not the place of a "
                     "row, so they are not keyed")
    return found[:MAX_SOURCES]


# --- periods ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """The column a period is read from, how (cbs codes, dates, years), and the SQL turning it into ISO text."""

    column: str
    how: str
    sql: str


def _period_from_text(col: str) -> str:
    code = _code_sql(col)
    return (f"CASE WHEN regexp_full_match({code}, '[0-9]{{4}}JJ00') THEN left({code}, 4) "
            f"WHEN regexp_full_match({code}, '[0-9]{{4}}HJ0[12]') THEN left({code}, 4) || '-H' || right({code}, 1) "
            f"WHEN regexp_full_match({code}, '[0-9]{{4}}KW0[1-4]') THEN left({code}, 4) || '-Q' || right({code}, 1) "
            f"WHEN regexp_full_match({code}, '[0-9]{{4}}MM(0[1-9]|1[0-2])') THEN left({code}, 4) || '-' || "
            f"right({code}, 2) WHEN regexp_full_match({code}, '{ISO_PERIOD_RE}') THEN {code} END")


def find_period(profiles: Mapping[str, Profile], schema_types: Mapping[str, str]) -> Period | None:
    """CBS period codes (or ISO periods) first, then a date or timestamp, then a year column."""
    for name, p in profiles.items():
        hinted = bool(_PERIOD_NAME.fullmatch(_plain(name)) or _YEAR_NAME.fullmatch(_plain(name)))
        if p.kind == "varchar" and (_mostly(p, p.cbs_period, hinted) or (hinted and _mostly(p, p.iso_period, True))):
            how = "CBS period codes" if p.cbs_period >= p.iso_period else "ISO periods"
            return Period(name, how, _period_from_text(quote_ident(name)))
    dates = [n for n, p in profiles.items() if p.kind in ("date", "timestamp", "timestamp with time zone",
                                                          "timestamp_s", "timestamp_ms", "timestamp_ns")]
    dates.sort(key=lambda n: not _DATE_HINT.fullmatch(_plain(n)))
    if dates:
        col = quote_ident(dates[0])
        zoned = profiles[dates[0]].kind == "timestamp with time zone"
        # a zoned moment is dated as a Dutch calendar day, the day the people in the data lived it
        day = f"CAST(timezone('Europe/Amsterdam', {col}) AS DATE)" if zoned else f"CAST({col} AS DATE)"
        return Period(dates[0], "dates", f"strftime({day}, '%Y-%m-%d')")
    for name, p in profiles.items():
        named = _YEAR_NAME.fullmatch(_plain(name)) or schema_types.get(name) == "year"
        if named and p.kind in NUMERIC and p.share(p.ranges.get("year", 0)) >= 0.9:
            value = f"CAST({quote_ident(name)} AS DOUBLE)"
            return Period(name, "years", f"CASE WHEN {value} BETWEEN 1000 AND 2999 THEN "
                                         f"CAST(CAST({value} AS INTEGER) AS VARCHAR) END")
    return None


GRANULARITY_SQL = (f"CASE WHEN {PERIOD_COLUMN} IS NULL THEN NULL WHEN length({PERIOD_COLUMN}) = 4 THEN 'year' "
                   f"WHEN {PERIOD_COLUMN} LIKE '%-H%' THEN 'half-year' WHEN {PERIOD_COLUMN} LIKE '%-Q%' THEN 'quarter' "
                   f"WHEN length({PERIOD_COLUMN}) = 7 THEN 'month' ELSE 'day' END")


# --- the report ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelCount:
    """Rows with and without a code at one level; `added` is False where the dataset had the column already."""

    column: str
    keyed: int
    unkeyed: int
    added: bool


@dataclass(frozen=True)
class KeyingReport:
    """What was keyed from which column, how many rows each level reached, and the period; goes in the version."""

    rows: int
    sources: tuple[str, ...] = ()  # in order of preference
    keyed_by: dict[str, int] = field(default_factory=dict)  # source → rows whose codes came from it
    levels: dict[str, LevelCount] = field(default_factory=dict)
    conflicts: int = 0  # rows where a source not chosen names another region at a level
    shares: tuple[str, ...] = ()
    period_column: str | None = None
    period_from: str | None = None
    period_how: str | None = None
    granularity: str | None = None  # year, half-year, quarter, month, day, or "mixed"
    granularities: dict[str, int] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def added(self) -> tuple[str, ...]:
        """The columns keying added, in the order they follow the dataset's own columns."""
        codes = [c.column for c in self.levels.values() if c.added]
        period = [PERIOD_COLUMN] if self.period_column == PERIOD_COLUMN else []
        return (*codes, *self.shares, *period)

    def summary(self) -> str:
        parts = [f"{c.column}: {c.keyed} of {self.rows} rows" for c in self.levels.values()]
        if self.period_from:
            parts.append(f"period from {self.period_from!r} ({self.granularity})")
        return "; ".join(parts) if parts else "nothing to key on"

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON (lists, not tuples), the same before and after the metadata database stores it."""
        document: dict[str, Any] = json.loads(json.dumps({**asdict(self), "added": self.added,
                                                          "summary": self.summary()}))
        return document


@dataclass(frozen=True)
class Keying:
    """The keyed file (None: nothing to add, the staged file stands), its Table Schema and the report."""

    path: Path | None
    schema: dict[str, Any]
    report: KeyingReport


def _granularity(counts: Mapping[str, int]) -> str | None:
    if not counts:
        return None
    return next(iter(counts)) if len(counts) == 1 else "mixed"


DESCRIPTIONS: dict[Level, str] = {lv: f"CBS {LEVEL_NAMES[lv]} code ({lv}), added by Wierde at ingest" for lv in LEVELS}
PATTERNS: dict[Level, str] = {"PV": "PV[0-9]{2}", "GM": "GM[0-9]{4}", "WK": "WK[0-9]{6}", "BU": "BU[0-9]{8}"}


def schema_fields(report: KeyingReport) -> list[dict[str, Any]]:
    """Table Schema fields for the added columns, in the order they were added."""
    fields: list[dict[str, Any]] = []
    by_column = {c.column: lv for lv, c in report.levels.items()}
    for name in report.added:
        if name in by_column:
            level = cast(Level, by_column[name])
            fields.append({"name": name, "type": "string", "description": DESCRIPTIONS[level],
                           "constraints": {"pattern": PATTERNS[level]}})
        elif name == PERIOD_COLUMN:
            fields.append({"name": name, "type": "string", "description": (
                f"Period in ISO form (2023, 2023-H1, 2023-Q2, 2023-05, 2023-05-17), read from "
                f"{report.period_from!r}; granularity: {report.granularity}")})
        else:
            fields.append({"name": name, "type": "number", "constraints": {"minimum": 0, "maximum": 1},
                           "description": "Part of the feature (by area or length) inside the region of "
                                          f"{name.replace('_share', '_code')}"})
    return fields


# --- building the keyed table --------------------------------------------------------------------------------------

_names = itertools.count(1)
ROW = "__wierde_n"
POINT = "__wierde_point"


def _derive(level: Level, code: str, provinces: Mapping[str, str]) -> str:
    """SQL for the `level` code of a valid code at any level (NULL where it is coarser than `level`)."""
    prefix = f"left({code}, 2)"
    if level == "BU":
        return f"CASE WHEN {prefix} = 'BU' THEN {code} END"
    if level == "WK":
        return f"CASE {prefix} WHEN 'BU' THEN 'WK' || substr({code}, 3, 6) WHEN 'WK' THEN {code} END"
    gm = f"CASE WHEN {prefix} IN ('BU', 'WK') THEN 'GM' || substr({code}, 3, 4) WHEN {prefix} = 'GM' THEN {code} END"
    if level == "GM":
        return gm
    by_province: dict[str, list[str]] = {}
    for municipality, province in sorted(provinces.items()):
        by_province.setdefault(province, []).append(quote_literal(municipality))
    lookups = " ".join(f"WHEN ({gm}) IN ({', '.join(codes)}) THEN {quote_literal(pv)}"
                       for pv, codes in by_province.items())
    return f"CASE WHEN {prefix} = 'PV' THEN {code} {lookups} END"


@dataclass
class _Build:
    """The SQL as it grows stage by stage, with what each stage leaves for the next."""

    con: duckdb.DuckDBPyConnection
    staged: Path
    columns: list[str]
    kinds: dict[str, str]
    reference: Reference
    notes: list[str]
    renamed: dict[str, str] = field(default_factory=dict)  # a standard column the data has → its name meanwhile
    temporary: list[str] = field(default_factory=list)  # tables to drop
    registered: list[str] = field(default_factory=list)  # Arrow tables to unregister
    sql: str = ""

    def ref(self, column: str) -> str:
        return quote_ident(self.renamed.get(column, column))

    def text(self, column: str) -> str:
        """A column as text; a whole number as its digits (14.0 → '14'), as codes and postcodes need."""
        if self.kinds.get(column) in NUMERIC:
            return f"CAST(TRY_CAST({self.ref(column)} AS BIGINT) AS VARCHAR)"
        return f"CAST({self.ref(column)} AS VARCHAR)"

    def table(self, prefix: str) -> str:
        name = f"__wierde_{prefix}_{next(_names)}"
        self.temporary.append(name)
        return name

    def close(self) -> None:
        for name in self.registered:
            self.con.unregister(name)
        for name in self.temporary:
            self.con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")


def _shape_levels(build: _Build) -> tuple[Level, ...]:
    """The levels key_shapes measured shares for: every level of the reference."""
    return build.reference.regions.levels() if build.reference.regions is not None else ()


def _base(build: _Build, sources: Sequence[Source], *, numbered: bool) -> None:
    """The staged rows (numbered if asked), standard columns the data has already moved aside, coordinates made
    points."""
    build.renamed = {c: f"__wierde_keep_{c}" for c in build.columns if c in OUTPUT_COLUMNS}
    outputs = [f"{quote_ident(c)} AS {build.ref(c)}" if c in build.renamed else quote_ident(c) for c in build.columns]
    if numbered:
        outputs.append(f"row_number() OVER () AS {ROW}")
    if sources and sources[0].kind == "coordinates":
        x, y = (f"TRY_CAST({build.ref(c)} AS DOUBLE)" for c in sources[0].columns)
        outputs.append(f"CASE WHEN {x} IS NOT NULL AND {y} IS NOT NULL THEN ST_SetCRS(ST_Point({x}, {y}), "
                       f"{quote_literal(sources[0].detail)}) END AS {POINT}")
    build.sql = f"SELECT {', '.join(outputs)} FROM read_parquet({quote_literal(str(build.staged))})"


def _spatial(build: _Build, source: Source) -> bool:
    """Key the rows by place (keying.py's vectorised path); False, with a note, when the geometry cannot be."""
    regions = build.reference.regions
    assert regions is not None  # find_sources keeps a spatial source only with regions
    column = POINT if source.kind == "coordinates" else source.columns[0]
    table = build.table("spatial")
    try:
        if source.detail == "shapes":
            keyed = key_shapes(build.con, build.sql, column, regions, regions.levels(), table=table)
        else:
            keyed = key_points(build.con, build.sql, column, regions, [source.finest], table=table)
    except InvalidInput as exc:
        build.notes.append(f"{source.label} not keyed by place: {exc}")
        return False
    made = [n for n in keyed.relation.columns if n not in build.con.sql(build.sql).columns]
    moved = ", ".join(f"{quote_ident(n)} AS {quote_ident('__geo_' + n)}" for n in made)
    build.sql = f"SELECT * EXCLUDE ({', '.join(quote_ident(n) for n in made)}), {moved} FROM {quote_ident(table)}"
    return True


def _names_table(build: _Build, source: Source, key: str) -> str:
    """An Arrow table (name, year, code) resolving each distinct name as of its row's year."""
    pairs = build.con.sql(f"SELECT DISTINCT {key}, __wierde_year FROM ({build.sql}) WHERE {key} IS NOT NULL").fetchall()
    resolved = {(name, y): _resolve(name, y, build.reference) for name, y in pairs}
    unknown = sorted({name for (name, _), found in resolved.items() if found is None})
    merged = sorted({name for (name, _), found in resolved.items() if found and found[1]})
    if unknown:
        build.notes.append(f"{len(unknown)} names in {source.columns[0]!r} resolve to no single municipality: "
                           + ", ".join(repr(n) for n in unknown[:10]) + (" …" if len(unknown) > 10 else ""))
    if merged:
        build.notes.append(f"names of former municipalities in {source.columns[0]!r} took their successor's code "
                           f"where the row's period is after the merger: {', '.join(repr(n) for n in merged[:10])}")
    name = f"__wierde_names_{next(_names)}"
    build.con.register(name, pa.table({
        "name": pa.array([n for n, _ in resolved], pa.string()),
        "year": pa.array([y for _, y in resolved], pa.int32()),
        "code": pa.array([f[0] if f else None for f in resolved.values()], pa.string()),
    }))
    build.registered.append(name)
    return name


def _own_code(build: _Build, source: Source) -> str:
    """SQL for the valid region code in a row of a code, point or coordinates source ('' for shapes)."""
    if source.kind in ("geometry", "coordinates"):
        return "" if source.detail == "shapes" else quote_ident("__geo_" + CODE_COLUMNS[source.finest])
    if source.detail:  # municipality numbers
        digits = f"trim({build.text(source.columns[0])})"
        return f"CASE WHEN regexp_full_match({digits}, '[0-9]{{1,4}}') THEN 'GM' || lpad({digits}, 4, '0') END"
    code = _code_sql(build.ref(source.columns[0]))
    return f"CASE WHEN regexp_full_match({code}, '{REGION_CODE_RE}') THEN {code} END"


def _finest_codes(build: _Build, sources: Sequence[Source], period: Period | None) -> list[bool]:
    """Per source a column __c<i> with the finest code of each row; False for shapes (keyed per level)."""
    own: list[str] = []
    looked_up: list[str] = []
    joins: list[str] = []
    for i, source in enumerate(sources):
        if source.kind == "postcode":
            table = build.reference.postcodes
            assert table is not None  # find_sources keeps a postcode source only with a table
            own.append(f"{pc.normalize_sql(build.text(source.columns[0]))} AS __k{i}")
            joins.append(f"LEFT JOIN ({table.pc6_sql()}) AS __pc6 ON __pc6.postcode = b.__k{i} "
                         f"LEFT JOIN ({table.pc4_sql()}) AS __pc4 ON __pc4.postcode = left(b.__k{i}, 4)")
            looked_up += [f"coalesce(__pc6.code, __pc4.code) AS __c{i}", "__pc6.code IS NOT NULL AS __pc6_hit"]
        elif source.kind == "name":
            own.append(f"{build.text(source.columns[0])} AS __k{i}")
            looked_up.append(f"__nm{i}.code AS __c{i}")
        elif expr := _own_code(build, source):
            own.append(f"{expr} AS __c{i}")
    year = f"TRY_CAST(left({period.sql}, 4) AS INTEGER)" if period else "CAST(NULL AS INTEGER)"
    build.sql = f"SELECT *, {', '.join([*own, f'{year} AS __wierde_year'])} FROM ({build.sql})"
    for i, source in enumerate(sources):
        if source.kind == "name":  # registered only now: the distinct names are read from the query so far
            names = _names_table(build, source, f"__k{i}")
            joins.append(f"LEFT JOIN {quote_ident(names)} AS __nm{i} ON __nm{i}.name = b.__k{i} "
                         f"AND __nm{i}.year IS NOT DISTINCT FROM b.__wierde_year")
    if joins:
        build.sql = f"SELECT b.*, {', '.join(looked_up)} FROM ({build.sql}) AS b {' '.join(joins)}"
    return [not (s.kind == "geometry" and s.detail == "shapes") for s in sources]


def _choose(build: _Build, sources: Sequence[Source], finest: Sequence[bool], reach: Sequence[Level]) -> None:
    """Per source and level its code; per row the source reaching deepest (ties: the earlier); its codes; clashes."""
    provinces = build.reference.provinces
    per_source: list[dict[Level, str]] = []
    for i, source in enumerate(sources):
        if finest[i]:
            per_source.append({lv: _derive(lv, f"__c{i}", provinces) for lv in source.levels})
        else:  # shapes: each level its own region of largest overlap
            keyed = {lv: f"__geo_{CODE_COLUMNS[lv]}" for lv in _shape_levels(build)}
            if "PV" not in keyed and "GM" in keyed:
                keyed = {"PV": _derive("PV", keyed["GM"], provinces), **keyed}
            per_source.append(keyed)
    level_sql = ", ".join(f"{expr} AS __s{i}_{lv}" for i, exprs in enumerate(per_source) for lv, expr in exprs.items())
    build.sql = f"SELECT *, {level_sql} FROM ({build.sql})"
    scores = []
    for i, exprs in enumerate(per_source):
        depth = " ".join(f"WHEN __s{i}_{lv} IS NOT NULL THEN {DEPTH[lv]}" for lv in reversed(LEVELS) if lv in exprs)
        scores.append(f"(CASE {depth} ELSE 0 END) * 16 + {MAX_SOURCES - i}")
    best = f"greatest({', '.join(scores)})" if len(scores) > 1 else scores[0]
    build.sql = (f"SELECT *, CASE WHEN {best} >= 16 THEN {MAX_SOURCES} - ({best}) % 16 END AS __pick "
                 f"FROM ({build.sql})")
    chosen = []
    for lv in reach:
        cases = " ".join(f"WHEN {i} THEN __s{i}_{lv}" for i, exprs in enumerate(per_source) if lv in exprs)
        chosen.append(f"CASE __pick {cases} END AS __out_{lv}")
    build.sql = f"SELECT *, {', '.join(chosen)} FROM ({build.sql})"
    clashes = [f"(__s{i}_{lv} IS NOT NULL AND __s{i}_{lv} <> __out_{lv})"
               for i, exprs in enumerate(per_source) for lv in exprs] if len(per_source) > 1 else ["false"]
    build.sql = f"SELECT *, coalesce({' OR '.join(clashes)}, false) AS __conflict FROM ({build.sql})"


def _reach(sources: Sequence[Source]) -> list[Level]:
    return [lv for lv in LEVELS if any(lv in s.levels for s in sources)]


def _outputs(build: _Build, sources: Sequence[Source], reach: Sequence[Level], period: Period | None,
             ) -> tuple[list[str], list[str]]:
    """The select list of the keyed file (the data's columns, then the added ones), and the added names."""
    outputs = [f"{build.ref(c)} AS {quote_ident(c)}" if c in build.renamed else quote_ident(c) for c in build.columns]
    added = []
    for lv in reach:
        if CODE_COLUMNS[lv] not in build.columns:
            outputs.append(f"__out_{lv} AS {CODE_COLUMNS[lv]}")
            added.append(CODE_COLUMNS[lv])
    shapes = next((i for i, s in enumerate(sources) if s.detail == "shapes"), None)
    if shapes is not None:
        for lv in _shape_levels(build):
            if SHARE_COLUMNS[lv] not in build.columns:
                outputs.append(f"CASE WHEN __pick = {shapes} THEN __geo_{SHARE_COLUMNS[lv]} END AS {SHARE_COLUMNS[lv]}")
                added.append(SHARE_COLUMNS[lv])
    if period is not None:
        outputs.append(f"{period.sql} AS {PERIOD_COLUMN}")
        added.append(PERIOD_COLUMN)
    return outputs, added


GRANULARITIES = ("year", "half-year", "quarter", "month", "day")


def _aggregate(con: duckdb.DuckDBPyConnection, counts: Mapping[str, str], sql: str) -> dict[str, int]:
    row = con.sql(f"SELECT {', '.join(counts.values())} FROM ({sql})").fetchone()
    assert row is not None  # an aggregate always answers
    return {key: int(value or 0) for key, value in zip(counts, row, strict=True)}


def _count(build: _Build, out: Path, keyed_sql: str, sources: Sequence[Source], reach: Sequence[Level],
           period: Period | None) -> KeyingReport:
    """Counts per level and period granularity, read from the written file; per source, clashes and PC6 hits from
    the keying query run again, but only when there is more than one source or a postcode to tell apart."""
    postcode = next((s for s in sources if s.kind == "postcode"), None)
    codes = [quote_ident(CODE_COLUMNS[lv]) for lv in reach]
    written = _aggregate(build.con, {
        "rows": "count(*)",
        **{f"level {lv}": f"count({code})" for lv, code in zip(reach, codes, strict=True)},
        "any": f"count(coalesce({', '.join(codes)}))" if codes else "0",
        **{f"period {g}": f"count(*) FILTER (WHERE __g = {quote_literal(g)})" for g in GRANULARITIES if period},
    }, f"SELECT *, {GRANULARITY_SQL if period else 'NULL'} AS __g FROM read_parquet({quote_literal(str(out))})")
    if len(sources) > 1 or postcode:
        again = _aggregate(build.con, {
            **{f"source {i}": f"count(*) FILTER (WHERE __pick = {i})" for i in range(len(sources))},
            "conflicts": "count(*) FILTER (WHERE __conflict)",
            "pc6": "count(*) FILTER (WHERE __pc6_hit)" if postcode else "0",
        }, keyed_sql)
    else:
        again = {"source 0": written["any"], "conflicts": 0, "pc6": 0}
    by_source = {s.label: again[f"source {i}"] for i, s in enumerate(sources)}
    if postcode is not None:
        build.notes.append(f"postcode column {postcode.columns[0]!r}: {again['pc6']} rows matched a PC6, "
                           f"{by_source[postcode.label] - again['pc6']} only their PC4 (keyed where that was the "
                           "choice)")
    total = written["rows"]
    levels: dict[str, LevelCount] = {
        lv: LevelCount(CODE_COLUMNS[lv], written[f"level {lv}"], total - written[f"level {lv}"],
                       CODE_COLUMNS[lv] not in build.columns)
        for lv in reach
    }
    granularities = {g: written[f"period {g}"] for g in GRANULARITIES if written.get(f"period {g}")}
    levels_shared = _shape_levels(build) if any(s.detail == "shapes" for s in sources) else ()
    return KeyingReport(
        rows=total, sources=tuple(s.label for s in sources), keyed_by=by_source, levels=levels,
        conflicts=again["conflicts"], shares=tuple(SHARE_COLUMNS[lv] for lv in levels_shared
                                                    if SHARE_COLUMNS[lv] not in build.columns),
        period_column=PERIOD_COLUMN if period else None, period_from=period.column if period else None,
        period_how=period.how if period else None, granularity=_granularity(granularities),
        granularities=granularities, notes=tuple(build.notes),
    )


def key_staged(
    con: duckdb.DuckDBPyConnection,
    staged: Path,
    schema: Mapping[str, Any],
    out: Path,
    reference: Reference,
) -> Keying:
    """Key a staged Parquet file: write it with region codes and a period added to `out`, and report how.

    Returns `path=None` (and writes nothing) when there is nothing to add, so the staged file can be committed as
    it is. `schema` is the staged file's Table Schema; the result's schema has fields for the added columns.
    """
    table_sql = f"SELECT * FROM read_parquet({quote_literal(str(staged))})"
    relation = con.sql(table_sql)
    build = _Build(con, Path(staged), list(relation.columns), {n: t.id for n, t in
                                                               zip(relation.columns, relation.types, strict=True)},
                   reference, [])
    schema_types = {f["name"]: f.get("type", "") for f in schema.get("fields", [])}
    profiles = profile_columns(con, table_sql, schema_types)
    sources = find_sources(con, table_sql, profiles, reference, build.notes)
    period = None
    if PERIOD_COLUMN in build.columns:
        build.notes.append(f"the data has a column {PERIOD_COLUMN!r} already; it is kept as it is")
    else:
        period = find_period(profiles, schema_types)
    try:
        return _key(build, sources, period, schema, out)
    finally:
        build.close()


def _key(build: _Build, sources: list[Source], period: Period | None, schema: Mapping[str, Any],
         out: Path) -> Keying:
    # Joins (code and name lookups, postcodes, region derivations) may shuffle rows, and a version's rows stay in
    # the file's order (the row API's default order and its cursors depend on it): rows are numbered and sorted
    # back whenever anything is added.
    joined = True
    _base(build, sources, numbered=joined)
    if sources and sources[0].kind in ("geometry", "coordinates") and not _spatial(build, sources[0]):
        sources = sources[1:]
        _base(build, sources, numbered=joined)
    reach = _reach(sources)
    if sources:
        _choose(build, sources, _finest_codes(build, sources, period), reach)
    outputs, added = _outputs(build, sources, reach, period)
    if not added:
        rows = build.con.sql(f"SELECT count(*) FROM read_parquet({quote_literal(str(build.staged))})").fetchone()
        notes = (*build.notes, "nothing to add") if sources or period else tuple(build.notes)
        return Keying(None, dict(schema), KeyingReport(rows=int(rows[0]) if rows else 0, notes=notes))
    postcode = any(s.kind == "postcode" for s in sources)
    bookkeeping = [*(["__pick", "__conflict"] if sources else []), *(["__pc6_hit"] if postcode else []),
                   *([ROW] if joined else [])]
    keyed_sql = f"SELECT {', '.join([*outputs, *bookkeeping])} FROM ({build.sql})"
    names = ", ".join(quote_ident(n) for n in [*build.columns, *added])
    order = f" ORDER BY {ROW}" if joined else ""
    # The staged file is Spark-safe already and the added columns are text and doubles, so a plain COPY will do.
    build.con.execute(f"COPY (SELECT {names} FROM ({keyed_sql}){order}) TO {quote_literal(str(out))} "
                      "(FORMAT parquet, COMPRESSION zstd)")
    report = _count(build, out, keyed_sql, sources, reach, period)
    fields = [*schema.get("fields", []), *schema_fields(report)]
    return Keying(out, {**schema, "fields": fields}, report)
