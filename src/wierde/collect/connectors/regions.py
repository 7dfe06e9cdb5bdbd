"""The `regions` connector: CBS municipalities, districts or neighbourhoods of one year from PDOK, as region reference.

The URL is the OGC API of CBS's boundaries on PDOK, either of these:

- `https://api.pdok.nl/cbs/gebiedsindelingen/ogc/v1`: every year in one API (collections `gemeente_gegeneraliseerd`,
  `wijk_gegeneraliseerd`, `buurt_gegeneraliseerd`, `provincie_gegeneraliseerd`; features carry `statcode`,
  `statnaam` and `jrstatcode`, and are filtered by the queryable `jaarcode`);
- `https://api.pdok.nl/cbs/wijken-en-buurten-{year}/ogc/v1`: one API per year (collections `gemeenten`, `wijken`,
  `buurten`; features carry `gemeentecode`/`gemeentenaam`, `wijkcode`/`wijknaam`, `buurtcode`/`buurtnaam`);
  `{year}` in the URL is replaced by the year param.

Params: `year` (required), `level` (`gemeente`, the default, `wijk` or `buurt`), `province` (a CBS code such as
PV20: keep only that province's regions), `crs` (default RD New when offered), `limit` and `max_pages` (as for
`ogcapi-features`).

The result has the columns the regions package reads (`wierde.regions.RegionSet.from_files`): `code`, `name`,
`level` (GM, WK or BU), `parent` (the region it lies in; for a municipality its province, when asked for),
`provincie_code`, `gemeente_code`, `wijk_code` (the regions above it, where known), `year` and `geometry`.

CBS's boundary files do not say which province a municipality lies in, so with `province` the connector reads that
province's boundary for the year (its box also narrows every download through `bbox`) and keeps the municipalities
of which at least half the area lies inside; districts and neighbourhoods follow their municipality, which the
digits of their code name. A feature of another year (a server that ignored `jaarcode`) is left out; a code that
comes twice, or one that is not a CBS code of the level asked for, fails the harvest.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from wierde import hookspecs
from wierde.catalog import vocab
from wierde.collect.connectors.cbs_metadata import PUBLISHER
from wierde.collect.connectors.ogcapi_features import (
    CRS84,
    Crs,
    FeatureSink,
    check_projected,
    choose_crs,
    get_document,
    item_pages,
    items_query,
    page_features,
    with_params,
)
from wierde.collect.http import Fetcher, HarvestError
from wierde.collect.params import refuse_unknown, whole_number
from wierde.errors import InvalidInput
from wierde.regions.codes import Level, RegionCodeError, validate_code

PARAMS = ("year", "level", "province", "crs", "limit", "max_pages")
LEVELS: dict[str, Level] = {"gemeente": "GM", "gemeenten": "GM", "gm": "GM", "wijk": "WK", "wijken": "WK",
                            "wk": "WK", "buurt": "BU", "buurten": "BU", "bu": "BU"}
COLLECTIONS: dict[Level, tuple[str, ...]] = {  # gebiedsindelingen's name first, the yearly API's second
    "PV": ("provincie_gegeneraliseerd", "provincies"), "GM": ("gemeente_gegeneraliseerd", "gemeenten"),
    "WK": ("wijk_gegeneraliseerd", "wijken"), "BU": ("buurt_gegeneraliseerd", "buurten")}
CODE_KEYS: dict[Level, tuple[str, ...]] = {"PV": ("statcode", "provinciecode"), "GM": ("statcode", "gemeentecode"),
                                           "WK": ("statcode", "wijkcode"), "BU": ("statcode", "buurtcode")}
NAME_KEYS: dict[Level, tuple[str, ...]] = {"PV": ("statnaam", "provincienaam"), "GM": ("statnaam", "gemeentenaam"),
                                           "WK": ("statnaam", "wijknaam"), "BU": ("statnaam", "buurtnaam")}
INSIDE = 0.5  # share of a municipality's area that must lie in the province
ATTRIBUTION = "CBS / Kadaster, via PDOK"
TEXTS: dict[Level, tuple[str, str]] = {"GM": ("Gemeenten", "Municipalities"), "WK": ("Wijken", "Districts"),
                                       "BU": ("Buurten", "Neighbourhoods")}


@dataclass(frozen=True)
class Options:
    """The params of a regions source (see the module docstring)."""

    year: int
    level: Level
    province: str | None
    crs: str | None
    limit: int
    max_pages: int


def parse_options(params: Mapping[str, str]) -> Options:
    name = RegionsConnector.name
    refuse_unknown(params, PARAMS, name)
    year = str(params.get("year") or "").strip()
    if not re.fullmatch(r"(19|20)\d\d", year):
        raise InvalidInput(f"{name}: the year param is required, a year such as 2025 (got {year or 'nothing'!r})")
    level = LEVELS.get(str(params.get("level") or "gemeente").strip().lower())
    if level is None:
        raise InvalidInput(f"{name}: level must be gemeente, wijk or buurt, not {params.get('level')!r}")
    province = str(params.get("province") or "").strip().upper() or None
    if province is not None:
        try:
            validate_code(province, "PV")
        except RegionCodeError as error:
            raise InvalidInput(f"{name}: {error.detail}") from None
    return Options(int(year), level, province, params.get("crs") or None,
                   whole_number(params, "limit", 1000, name), whole_number(params, "max_pages", 1000, name))


def api_root(url: str, year: int) -> str:
    """The API's landing page URL, with `{year}` filled in; a pasted `/collections…` URL is cut back to it."""
    text = url.strip().replace("{year}", str(year))
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{url!r} is not an http(s) URL of an OGC API (e.g. PDOK's CBS gebiedsindelingen)")
    path = parts.path.split("/collections", 1)[0].rstrip("/")
    stated = re.search(r"wijken-en-buurten-(\d{4})", path)
    if stated and int(stated[1]) != year:
        raise InvalidInput(f"{url}: this API holds the boundaries of {stated[1]}, not of {year}")
    return f"{parts.scheme}://{parts.netloc}{path}"


@dataclass
class Api:
    """One boundaries API for one harvest: its collections, what they can filter on, and the pages read."""

    fetcher: Fetcher
    root: str
    options: Options
    collections: dict[str, dict[str, Any]]
    crs: Crs | None = None
    pages: int = 0
    _queryables: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def open(cls, fetcher: Fetcher, root: str, options: Options) -> Api:
        listing = get_document(fetcher, f"{root}/collections", "the list of collections")
        found = [c for c in listing.get("collections") or [] if isinstance(c, dict) and isinstance(c.get("id"), str)]
        if not found:
            raise HarvestError(f"{root}/collections: no collections listed; is this an OGC API?")
        return cls(fetcher, root, options, {c["id"]: c for c in found})

    def collection(self, level: Level) -> dict[str, Any] | None:
        return next((self.collections[cid] for cid in COLLECTIONS[level] if cid in self.collections), None)

    def queryables(self, cid: str) -> set[str]:
        if cid not in self._queryables:
            try:
                document = get_document(self.fetcher, f"{self.root}/collections/{cid}/queryables", "queryables")
                self._queryables[cid] = set(document.get("properties") or {})
            except HarvestError:  # queryables are optional in OGC API Features; then every filter is ours
                self._queryables[cid] = set()
        return self._queryables[cid]

    def features(self, level: Level, *, filters: Mapping[str, str] = {},
                 bbox: tuple[float, ...] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each feature of the level's collection for the year (with its page's URL), as far as the server filters."""
        document = self.collection(level)
        assert document is not None
        cid = document["id"]
        offered = self.queryables(cid)
        wanted = {"jaarcode": str(self.options.year), **filters}
        query = items_query(self.options.limit, self.crs, {k: v for k, v in wanted.items() if k in offered})
        if bbox is not None:
            query["bbox"] = ",".join(f"{v:.6f}" for v in bbox)
            if self.crs is not None and self.crs.label != CRS84.label:
                query["bbox-crs"] = self.crs.uri
        carry = {k: v for k, v in query.items() if k in ("f", "crs")}
        for page_url, page in item_pages(self.fetcher, with_params(f"{self.root}/collections/{cid}/items", query),
                                         carry=carry, max_pages=self.options.max_pages):
            self.pages += 1
            features = page_features(page, page_url)
            check_projected(features, self.crs, page_url)
            for feature in features:
                if _year_of(feature) in (None, self.options.year):
                    yield page_url, feature


def _year_of(feature: Mapping[str, Any]) -> int | None:
    properties = feature.get("properties") or {}
    value = properties.get("jaarcode") or str(properties.get("jrstatcode") or "")[:4]
    return int(value) if str(value).isdigit() else None


def _first(properties: Mapping[str, Any], keys: tuple[str, ...]) -> Any:
    return next((properties[k] for k in keys if properties.get(k) not in (None, "")), None)


def region_of(feature: Mapping[str, Any], level: Level, url: str) -> tuple[str, str]:
    """The feature's CBS code (checked to be of `level`) and name."""
    properties = feature.get("properties") or {}
    raw = _first(properties, CODE_KEYS[level])
    if raw is None:
        raise HarvestError(f"{url}: a feature without a region code (expected one of {', '.join(CODE_KEYS[level])})")
    try:
        code = validate_code(raw, level)
    except RegionCodeError as error:
        raise HarvestError(f"{url}: {error.detail}") from None
    name = _first(properties, NAME_KEYS[level])
    return code, str(name).strip() if name is not None else code


def _shape(feature: Mapping[str, Any]) -> BaseGeometry | None:
    geometry = feature.get("geometry")
    return shapely.make_valid(shape(geometry)) if geometry else None


def province_area(api: Api, province: str) -> BaseGeometry:
    """The province's boundary in the year asked for (the union of its parts, if the server splits it)."""
    if api.collection("PV") is None:
        raise InvalidInput(f"{api.root}: this API has no province boundaries ({' or '.join(COLLECTIONS['PV'])}), "
                           "so the province param cannot be used; use PDOK's CBS gebiedsindelingen API")
    shapes = [s for url, f in api.features("PV", filters={"statcode": province})
              if region_of(f, "PV", url)[0] == province and (s := _shape(f)) is not None]
    if not shapes:
        raise HarvestError(f"{api.root}: no boundary of province {province} for {api.options.year}")
    return shapely.make_valid(shapely.union_all(shapes))


def lies_in(feature: Mapping[str, Any], area: BaseGeometry) -> bool:
    """At least half of the feature's area lies in `area` (boundaries are generalised, so edges never match)."""
    own = _shape(feature)
    if own is None or own.area == 0:
        return False
    return bool(own.intersection(area).area / own.area >= INSIDE)


def municipalities_in(api: Api, area: BaseGeometry) -> set[str]:
    return {region_of(f, "GM", url)[0] for url, f in api.features("GM", bbox=area.bounds) if lies_in(f, area)}


def region_row(code: str, name: str, level: Level, options: Options, geometry: Any) -> dict[str, Any]:
    """The region as a feature with the reference columns; its ancestors are read from its code's digits."""
    municipality = f"GM{code[2:6]}" if level in ("WK", "BU") else None
    district = f"WK{code[2:8]}" if level == "BU" else None
    parent = {"GM": options.province, "WK": municipality, "BU": district}[level]
    return {"type": "Feature", "geometry": geometry, "properties": {
        "code": code, "name": name, "level": level, "parent": parent, "provincie_code": options.province,
        "gemeente_code": municipality, "wijk_code": district, "year": options.year}}


def metadata(options: Options, root: str) -> dict[str, Any]:
    nl, en = TEXTS[options.level]
    where_nl = where_en = ""
    if options.province:
        province = vocab.PROVINCES.get(options.province, (options.province, 0))[0]
        where_nl, where_en = f" in de provincie {province}", f" in the province of {province}"
    return {
        "title": {"nl": f"{nl} {options.year}{where_nl} (CBS)", "en": f"{en} {options.year}{where_en} (CBS)"},
        "description": {
            "nl": f"{nl}{where_nl} volgens de CBS-gebiedsindeling van {options.year} (via PDOK): per gebied de "
                  "CBS-code, de naam, de gebieden waarin het ligt en de (gegeneraliseerde) grens.",
            "en": f"{en}{where_en} in CBS's {options.year} division (via PDOK): per area its CBS code, its name, the "
                  "areas it lies in and its (generalised) boundary."},
        "keywords": {"nl": ["gebiedsindeling", "grenzen", nl.lower()], "en": ["boundaries", en.lower()]},
        "themes": ["REGI"], "publisher": dict(PUBLISHER), "licence": "CC-BY-4.0", "attribution": ATTRIBUTION,
        "temporal": {"start": f"{options.year}-01-01", "end": f"{options.year}-12-31"},
        "spatial": [options.province] if options.province else ["NL"], "source": root, "language": ["nl"],
    }


class RegionsConnector:
    """Harvests CBS region boundaries of one level and year; see the module docstring for the params."""

    name = "regions"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        options = parse_options(params)
        root = api_root(url, options.year)
        api = Api.open(fetcher, root, options)
        collection = api.collection(options.level)
        if collection is None:
            raise HarvestError(f"{root}/collections: no collection {' or '.join(COLLECTIONS[options.level])}")
        api.crs = choose_crs(collection, options.crs, root)
        sink = FeatureSink(workdir, f"regions-{options.level.lower()}", api.crs or CRS84)
        try:
            self._write(api, options, sink)
            data, kind = sink.finish(root)
        except BaseException:
            sink.discard()
            raise
        remote = f"regions:{root}#{options.level}:{options.year}" + (f":{options.province}" if options.province else "")
        return hookspecs.Harvested(data, kind, metadata=metadata(options, root), remote_id=remote,
                                   stats={"pages": api.pages, "rows": sink.rows})

    @staticmethod
    def _write(api: Api, options: Options, sink: FeatureSink) -> None:
        area = province_area(api, options.province) if options.province else None
        members = municipalities_in(api, area) if area is not None and options.level != "GM" else None
        written: set[str] = set()
        for url, feature in api.features(options.level, bbox=area.bounds if area is not None else None):
            code, name = region_of(feature, options.level, url)
            if code in written:
                raise HarvestError(f"{url}: region {code} comes twice; does the server hold several years?")
            inside = (area is None or (lies_in(feature, area) if members is None else f"GM{code[2:6]}" in members))
            if inside:
                written.add(code)
                sink.add(region_row(code, name, options.level, options, feature.get("geometry")))


hookspecs.register_connector(RegionsConnector.name, RegionsConnector)
