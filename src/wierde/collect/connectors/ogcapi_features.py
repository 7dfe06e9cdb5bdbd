"""The `ogcapi-features` connector: every feature of one OGC API Features collection (PDOK or any other) as a table.

The URL is a collection, `…/collections/{id}` (its `/items` URL works too; other query parameters on it, such as
`bbox` or a property filter, are passed on to every items request). Params:

- `limit`: features per page (default 1000, PDOK's maximum).
- `crs`: the CRS to ask for (`EPSG:28992`, an OGC CRS URI, or `CRS84`). Default: RD New when the collection lists
  it in `crs`, else the server's default (CRS84).
- `max_pages`: stop with an error past this many pages (default 1000) rather than keep part of a collection.

Pages are followed through their `rel=next` links (PDOK pages with cursors; `numberMatched` is optional and only
logged). A next link back to a page already read, or to another host, stops the harvest with an error; a next link
that drops `f` or `crs` gets them back, so no page silently arrives in another format or CRS. Features are staged on
disk one per line as they arrive, then written as one GeoJSON file whose `crs` member tells the ingester the CRS (a
collection without any geometry becomes NDJSON). Coordinates in a latitude-first CRS (EPSG:4326 asked for by URI)
are turned to x/y, as GeoJSON readers take x first.

Metadata comes from the collection document: title, description, keywords (taken as Dutch, as PDOK writes them),
the licence link (else the one on `/collections`, where PDOK puts it), the temporal extent and the spatial extent
(PV20 when its box lies in the province of Groningen, else NL when the box's centre lies in the Netherlands).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from wierde import hookspecs
from wierde.catalog import vocab
from wierde.collect.http import Fetcher, HarvestError
from wierde.collect.paging import PageGuard
from wierde.collect.params import MAX_PAGES, refuse_unknown, whole_number
from wierde.errors import InvalidInput

PARAMS = ("limit", "crs", "max_pages")
DEFAULT_LIMIT = 1000
OWN_QUERY = frozenset({"f", "limit", "crs", "cursor", "offset"})  # set by the connector, never taken from the URL
LAT_FIRST = frozenset({"4326", "4258", "4289"})  # geographic CRSs whose official axis order is latitude first
GRONINGEN_BOX = (6.1, 52.8, 7.3, 53.7)  # lon/lat around the province, its Wadden islands included
NETHERLANDS_BOX = (3.2, 50.7, 7.3, 53.7)


@dataclass(frozen=True)
class Crs:
    """A CRS as OGC APIs and WFS name it, and whether coordinates in it come latitude first."""

    authority: str  # EPSG or OGC
    code: str  # 28992, CRS84
    lat_first: bool = False

    @property
    def label(self) -> str:
        return f"{self.authority}:{self.code}"

    @property
    def uri(self) -> str:
        version = "1.3" if self.authority == "OGC" else "0"
        return f"http://www.opengis.net/def/crs/{self.authority}/{version}/{self.code}"

    @property
    def urn(self) -> str:
        """The name GDAL reads from a GeoJSON `crs` member."""
        version = "1.3" if self.authority == "OGC" else ""
        return f"urn:ogc:def:crs:{self.authority}:{version}:{self.code}"

    def xy(self) -> Crs:
        return Crs(self.authority, self.code)


RD = Crs("EPSG", "28992")
CRS84 = Crs("OGC", "CRS84")
_URI_FORMS = (  # forms that follow the CRS's official axis order
    re.compile(r"https?://www\.opengis\.net/def/crs/(?P<auth>EPSG|OGC)/[^/]*/(?P<code>\w+)", re.I),
    re.compile(r"urn:(?:x-)?ogc:def:crs:(?P<auth>EPSG|OGC):(?:[\d.]*:)?(?P<code>\w+)", re.I),
)
_XY_FORMS = (  # older forms that mean x/y even for EPSG:4326 (GDAL's and MapServer's reading)
    re.compile(r"(?P<auth>EPSG|CRS|OGC):(?P<code>\w+)", re.I),
    re.compile(r"https?://www\.opengis\.net/gml/srs/(?P<auth>epsg)\.xml#(?P<code>\d+)", re.I),
)


def parse_crs(text: str | None) -> Crs | None:
    """`EPSG:28992`, `urn:ogc:def:crs:EPSG::28992`, `http://www.opengis.net/def/crs/EPSG/0/28992`, CRS84 … or None."""
    value = (text or "").strip()
    if value.upper() == "CRS84":
        return CRS84
    for forms, official in ((_URI_FORMS, True), (_XY_FORMS, False)):
        for form in forms:
            match = form.fullmatch(value)
            if match is None:
                continue
            authority, code = match["auth"].upper(), match["code"].upper()
            if code in ("CRS84", "84") and authority in ("OGC", "CRS"):
                return CRS84
            if authority == "EPSG" and code.isdigit():
                return Crs("EPSG", code, official and code in LAT_FIRST)
            return None
    return None


def _swapped(coordinates: Any) -> Any:
    if isinstance(coordinates, list) and coordinates and isinstance(coordinates[0], int | float):
        return [coordinates[1], coordinates[0], *coordinates[2:]] if len(coordinates) >= 2 else coordinates
    return [_swapped(c) for c in coordinates] if isinstance(coordinates, list) else coordinates


def geometry_xy(geometry: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON geometry with the first two axes exchanged (latitude-first coordinates made x/y)."""
    if geometry.get("type") == "GeometryCollection":
        return {**geometry, "geometries": [geometry_xy(g) for g in geometry.get("geometries") or []]}
    return {**geometry, "coordinates": _swapped(geometry.get("coordinates"))}


class FeatureSink:
    """Features staged on disk one JSON line each as they arrive, then written as one GeoJSON file with its CRS.

    Nothing holds more than the page at hand: the stage is a file and the result is copied from it line by line.
    A source without any geometry becomes NDJSON of its properties instead (GDAL would find no geometry column).
    """

    def __init__(self, workdir: Path, name: str, crs: Crs | None) -> None:
        self.workdir, self.name, self.crs = workdir, re.sub(r"[^A-Za-z0-9_-]+", "_", name) or "features", crs
        self.stage = workdir / f"{self.name}.stage.ndjson"
        self._out = self.stage.open("w", encoding="utf-8")
        self.rows = self.geometries = 0

    def add(self, feature: Mapping[str, Any]) -> None:
        # a property called geometry would clash with the geometry column GDAL makes
        properties = {k: v for k, v in dict(feature.get("properties") or {}).items() if k != "geometry"}
        if feature.get("id") is not None:  # GDAL would drop the feature id when a property is called id
            properties.setdefault("id" if "id" not in properties else "feature_id", feature["id"])
        geometry = feature.get("geometry")
        if isinstance(geometry, dict) and self.crs is not None and self.crs.lat_first:
            geometry = geometry_xy(geometry)
        self.geometries += geometry is not None
        record = {"type": "Feature", "properties": properties, "geometry": geometry}
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.rows += 1

    def finish(self, url: str) -> tuple[Path, str]:
        """The file for the ingester and its format; a source with no features at all is an error."""
        self._out.close()
        try:
            if not self.rows:
                raise HarvestError(f"{url}: no features (check the URL and its filters); nothing to keep")
            return (self._geojson(), "geojson") if self.geometries else (self._ndjson(), "ndjson")
        finally:
            self.stage.unlink(missing_ok=True)

    def discard(self) -> None:
        self._out.close()
        self.stage.unlink(missing_ok=True)

    def _geojson(self) -> Path:
        path = self.workdir / f"{self.name}.geojson"
        head: dict[str, Any] = {"type": "FeatureCollection", "name": self.name}
        if self.crs is not None:
            head["crs"] = {"type": "name", "properties": {"name": self.crs.urn}}
        with self.stage.open(encoding="utf-8") as lines, path.open("w", encoding="utf-8") as out:
            out.write(json.dumps(head)[:-1] + ', "features": [\n')
            for number, line in enumerate(lines):
                out.write(("," if number else "") + line)
            out.write("]}\n")
        return path

    def _ndjson(self) -> Path:
        path = self.workdir / f"{self.name}.ndjson"
        with self.stage.open(encoding="utf-8") as lines, path.open("w", encoding="utf-8") as out:
            for line in lines:
                out.write(json.dumps(json.loads(line)["properties"], ensure_ascii=False) + "\n")
        return path


# --- URLs and paging -----------------------------------------------------------------------------------------

def canonical(url: str) -> str:
    """The URL with its query sorted, so a loop is seen even when a server reorders the parameters."""
    parts = urlsplit(url)
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path, query, ""))


def with_params(url: str, params: Mapping[str, str]) -> str:
    """`url` with each of `params` it lacks added; a URL that has them all comes back unchanged."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    have = {key for key, _ in query}
    missing = [(key, value) for key, value in params.items() if key not in have]
    if not missing:
        return url
    return urlunsplit(parts._replace(query=urlencode([*query, *missing])))


def describe(document: Any) -> str:
    """A few words on what came instead of the expected answer, for an error message."""
    if isinstance(document, dict) and ("detail" in document or "title" in document):
        return f"a problem report: {document.get('title', '')}: {str(document.get('detail', ''))[:300]}"
    if isinstance(document, dict):
        return f"keys {sorted(document)[:8]}"
    return type(document).__name__


def page_features(document: Any, url: str) -> list[dict[str, Any]]:
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise HarvestError(f"{url}: the answer is not a GeoJSON FeatureCollection (found {describe(document)}); "
                           "stopped")
    features = document["features"]
    for feature in features:
        if not isinstance(feature, dict) or not isinstance(feature.get("geometry"), dict | None) \
                or not isinstance(feature.get("properties"), dict | None):
            raise HarvestError(f"{url}: the 'features' list holds something other than GeoJSON features; stopped")
    return features


def next_link(document: Mapping[str, Any], url: str) -> str | None:
    """The page's `rel=next` link (a JSON one before any other), made absolute; only on the source's own host."""
    links = document.get("links") or []
    if not isinstance(links, list):
        raise HarvestError(f"{url}: 'links' is not a list; stopped")
    found = [link for link in links if isinstance(link, dict) and link.get("rel") == "next"
             and isinstance(link.get("href"), str) and "html" not in str(link.get("type") or "")]
    if not found:
        return None
    target = urljoin(url, found[0]["href"])
    if urlsplit(target).netloc.lower() != urlsplit(url).netloc.lower():  # paging must not lead us elsewhere
        raise HarvestError(f"{url}: the next link leads to another host ({target}); stopped")
    return target


def item_pages(fetcher: Fetcher, url: str, *, carry: Mapping[str, str], max_pages: int,
               ) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each items page (its URL and document), following `rel=next`; a loop or too many pages fail, never truncate."""
    guard = PageGuard(url, max_pages, whole="collection")
    link: str | None = url
    while link is not None:
        guard.visit(link, canonical(link))
        document = fetcher.get_json(link)
        page_features(document, link)
        yield link, document
        found = next_link(document, link)
        link = with_params(found, carry) if found else None


def _first_position(geometry: Any) -> list[Any] | None:
    node = geometry.get("coordinates") if isinstance(geometry, dict) else None
    while isinstance(node, list) and node and isinstance(node[0], list):
        node = node[0]
    return node if isinstance(node, list) and len(node) >= 2 else None


def check_projected(features: Sequence[Mapping[str, Any]], crs: Crs | None, url: str) -> None:
    """A server that ignored `crs` would give degrees where RD metres were asked for: refuse that page."""
    if crs is None or crs.label != RD.label:
        return
    for feature in features:
        position = _first_position(feature.get("geometry"))
        if position is not None:
            if all(isinstance(v, int | float) for v in position[:2]) and abs(position[0]) <= 180 \
                    and abs(position[1]) <= 90:
                raise HarvestError(f"{url}: asked for {RD.label} but the coordinates look like degrees "
                                   f"({position[:2]}); the server ignored the crs parameter")
            return


Transform = Callable[[dict[str, Any], str], dict[str, Any] | None]


def copy_features(fetcher: Fetcher, sink: FeatureSink, url: str, *, carry: Mapping[str, str], max_pages: int,
                  crs: Crs | None, transform: Transform | None = None) -> dict[str, int]:
    """Every feature of every page into `sink` (through `transform`, which may drop one); the harvest log's stats."""
    stats = {"pages": 0}
    for page_url, document in item_pages(fetcher, url, carry=carry, max_pages=max_pages):
        stats["pages"] += 1
        if stats["pages"] == 1 and isinstance(document.get("numberMatched"), int):
            stats["matched"] = document["numberMatched"]
        features = page_features(document, page_url)
        check_projected(features, crs, page_url)
        for feature in features:
            kept = transform(feature, page_url) if transform else feature
            if kept is not None:
                sink.add(kept)
    stats["rows"] = sink.rows
    return stats


# --- params and the collection -------------------------------------------------------------------------------

def collection_url(url: str) -> tuple[str, dict[str, str]]:
    """The collection's URL and the query parameters to pass on to its items (bbox, property filters)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{url!r} is not an http(s) URL of an OGC API Features collection")
    path = parts.path.rstrip("/")
    path = path[: -len("/items")] if path.endswith("/items") else path
    segments = path.split("/")
    if len(segments) < 3 or segments[-2] != "collections" or not segments[-1]:
        raise InvalidInput(f"{url}: expected the URL of a collection, …/collections/{{id}}")
    passed = {key: value for key, value in parse_qsl(parts.query) if key not in OWN_QUERY}
    return urlunsplit((parts.scheme, parts.netloc, path, "", "")), passed


def get_document(fetcher: Fetcher, url: str, what: str) -> dict[str, Any]:
    document = fetcher.get_json(url, {"f": "json"})
    if not isinstance(document, dict):
        raise HarvestError(f"{url}: expected {what} as a JSON object, found {describe(document)}")
    return document


def choose_crs(collection: Mapping[str, Any], wanted: str | None, url: str) -> Crs | None:
    """The CRS to ask for: the steward's, else RD New when offered, else None (the server's default, CRS84)."""
    offered = [c for c in (parse_crs(t) for t in collection.get("crs") or [] if isinstance(t, str)) if c]
    labels = [c.label for c in offered]
    if wanted:
        crs = parse_crs(wanted)
        if crs is None:
            raise InvalidInput(f"{wanted!r} is not a CRS this connector knows (EPSG:28992, an OGC CRS URI, CRS84)")
        if offered and crs.label not in labels:
            raise InvalidInput(f"{url}: the collection offers no CRS {crs.label}; it offers {', '.join(labels)}")
        return parse_crs(crs.uri)  # asked for by URI, so in the CRS's official axis order
    return RD if RD.label in labels else None


# --- metadata ------------------------------------------------------------------------------------------------

def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _licence_url_key(url: str) -> str:
    plain = re.sub(r"^https?://(www\.)?", "", url.strip().lower())
    return re.sub(r"/(deed\.[a-z-]+|legalcode(\.[a-z-]+)?)?/?$", "", plain)


def licence_of(texts: Sequence[str]) -> str | None:
    """The SPDX id of the first text (a licence URL or a title such as `CC BY 4.0` or `CC0`) we recognise."""
    by_url = {_licence_url_key(lic.uri): spdx for spdx, lic in vocab.LICENCES.items()}
    by_name = {_key(spdx): spdx for spdx in vocab.LICENCES} | {"cc0": "CC0-1.0"}
    for text in texts:
        for word in re.findall(r"https?://\S+", text):
            if _licence_url_key(word) in by_url:
                return by_url[_licence_url_key(word)]
        if _key(text) in by_name:
            return by_name[_key(text)]
    return None


def _links(document: Mapping[str, Any], rel: str) -> list[dict[str, Any]]:
    return [link for link in document.get("links") or [] if isinstance(link, dict) and link.get("rel") == rel]


def spatial_of(box: Sequence[float] | None) -> list[str]:
    """PV20 when a lon/lat box lies in the province of Groningen, NL when its centre lies in the Netherlands."""
    if box is None or len(box) < 4:
        return []
    west, south, east, north = box[0], box[1], box[2], box[3]
    g_west, g_south, g_east, g_north = GRONINGEN_BOX
    if g_west <= west and east <= g_east and g_south <= south and north <= g_north:
        return ["PV20"]
    n_west, n_south, n_east, n_north = NETHERLANDS_BOX
    x, y = (west + east) / 2, (south + north) / 2
    return ["NL"] if n_west <= x <= n_east and n_south <= y <= n_north else []


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _extent_box(extent: Mapping[str, Any]) -> list[float] | None:
    spatial = _object(extent.get("spatial"))
    boxes = spatial.get("bbox") or []
    box = boxes[0] if boxes and isinstance(boxes[0], list) else None
    if not box or len(box) not in (4, 6) or not all(isinstance(v, int | float) for v in box):
        return None
    if len(box) == 6:
        box = [box[0], box[1], box[3], box[4]]
    crs = parse_crs(spatial.get("crs")) or CRS84
    if crs.label not in (CRS84.label, "EPSG:4326"):
        return None  # a projected extent: the lon/lat rule does not apply
    return [box[1], box[0], box[3], box[2]] if crs.lat_first else box


def _day(value: Any) -> str | None:
    match = re.match(r"^\d{4}-\d{2}-\d{2}", str(value or ""))
    return match[0] if match else None


def _temporal(extent: Mapping[str, Any]) -> dict[str, str] | None:
    temporal = _object(extent.get("temporal"))
    intervals = temporal.get("interval") or []
    interval = intervals[0] if intervals and isinstance(intervals[0], list) and len(intervals[0]) == 2 else None
    if interval is None:
        return None
    period = {key: day for key, day in (("start", _day(interval[0])), ("end", _day(interval[1]))) if day}
    return period or None


def keywords_of(values: Any) -> list[str]:
    words = [v.get("keyword") if isinstance(v, dict) else v for v in values or []]
    return [w.strip() for w in words if isinstance(w, str) and w.strip()]


def collection_metadata(fetcher: Fetcher, collection: Mapping[str, Any], url: str) -> dict[str, Any]:
    """DCAT-AP-NL fields from the collection document; a steward's YAML overrides any of them."""
    title = str(collection.get("title") or collection.get("id") or url.rsplit("/", 1)[-1]).strip()
    description = str(collection.get("description") or title).strip()
    meta: dict[str, Any] = {"title": {"nl": title}, "description": {"nl": description}, "source": url}
    extent = _object(collection.get("extent"))
    keywords = keywords_of(collection.get("keywords"))
    optional = {"keywords": {"nl": keywords} if keywords else None, "temporal": _temporal(extent),
                "spatial": spatial_of(_extent_box(extent)), "licence": _licence(fetcher, collection, url)}
    meta.update({key: value for key, value in optional.items() if value})
    return meta


def _licence(fetcher: Fetcher, collection: Mapping[str, Any], url: str) -> str | None:
    links = _links(collection, "license")
    if not links:
        try:  # PDOK puts the licence on /collections; it is metadata only, so its absence fails nothing
            links = _links(get_document(fetcher, url.rsplit("/", 1)[0], "the collections"), "license")
        except HarvestError:
            return None
    return licence_of([str(t) for link in links for t in (link.get("href"), link.get("title")) if t])


# --- the connector -------------------------------------------------------------------------------------------

def items_query(limit: int, crs: Crs | None, passed: Mapping[str, str]) -> dict[str, str]:
    query = {"f": "json", "limit": str(limit), **passed}
    if crs is not None:
        query["crs"] = crs.uri
    return query


def carried(query: Mapping[str, str]) -> dict[str, str]:
    """What a next link must keep: the format and the CRS change what a page means."""
    return {key: value for key, value in query.items() if key in ("f", "crs")}


class OgcApiFeatures:
    """Harvests one OGC API Features collection; see the module docstring for the params."""

    name = "ogcapi-features"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        refuse_unknown(params, PARAMS, self.name)
        limit = whole_number(params, "limit", DEFAULT_LIMIT, self.name)
        max_pages = whole_number(params, "max_pages", MAX_PAGES, self.name)
        collection, passed = collection_url(url)
        document = get_document(fetcher, collection, "a collection")
        crs = choose_crs(document, params.get("crs"), collection)
        query = items_query(limit, crs, passed)
        sink = FeatureSink(workdir, str(document.get("id") or "features"), crs or CRS84)
        try:
            stats = copy_features(fetcher, sink, with_params(f"{collection}/items", query), carry=carried(query),
                                  max_pages=max_pages, crs=crs)
            data, kind = sink.finish(collection)
        except BaseException:
            sink.discard()
            raise
        return hookspecs.Harvested(data, kind, metadata=collection_metadata(fetcher, document, collection),
                                   remote_id=f"ogcapi:{collection}", stats=stats)


hookspecs.register_connector(OgcApiFeatures.name, OgcApiFeatures)
