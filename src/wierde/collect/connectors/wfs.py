"""The `wfs` connector: one feature type of a WFS 2.0 service, read page by page through GetFeature.

The URL is the service endpoint, e.g. `https://service.pdok.nl/cbs/wijkenbuurten/2023/wfs/v1_0`; WFS request
parameters in it (service, version, request, typeNames …) are dropped, others (MapServer's `map=`) are kept. Params:

- `typeName`: the feature type, e.g. `wijkenbuurten:gemeenten` (the part after the colon is enough when it is
  unique); may be left out when the service offers only one.
- `srsName`: the CRS to ask for; default EPSG:28992 when the feature type lists it, else its default CRS.
- `count`: features per page (default 1000, or the server's CountDefault when that is lower).
- `format`: `auto` (the default: GeoJSON when GetCapabilities lists a JSON output format, else GML 3.2), `geojson`
  or `gml`.
- `max_pages`: stop with an error past this many pages (default 1000) rather than keep part of the layer.

Paging follows the response's `next` link when there is one (WFS 2.0 response paging), else moves `startIndex` on
by the features read, until `numberMatched` is reached (or, without it, until a page comes back short). A next
link seen before, or the same page body twice (a server that ignores `startIndex`), stops the harvest with an error.

Every XML document (capabilities, schema, feature pages) is parsed by defusedxml with DTDs forbidden, so a document
that declares a DTD or entities (external entities, entity bombs) is refused before anything is expanded. Feature
pages are streamed to disk and read with iterparse one feature at a time. A GML 3.2 feature becomes a GeoJSON
feature: its gml:id as `id`, simple properties typed by DescribeFeatureType (whole numbers, decimals and booleans;
text otherwise), a property of nested elements as an object, and its first geometry property as the geometry
(Point, LineString, Curve of line segments, Polygon, Surface, and their Multi- forms) in x/y order: coordinates in a
latitude-first CRS (EPSG:4326 named by URN or URI) are turned. GeoJSON pages are taken as x/y, as GeoJSON is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit
from xml.etree.ElementTree import Element

from defusedxml.ElementTree import fromstring, iterparse

from wierde import hookspecs
from wierde.collect.connectors.ogcapi_features import (
    RD,
    Crs,
    FeatureSink,
    canonical,
    check_projected,
    geometry_xy,
    licence_of,
    next_link,
    page_features,
    parse_crs,
    spatial_of,
    with_params,
)
from wierde.collect.http import Fetcher, HarvestError
from wierde.collect.paging import PageGuard
from wierde.collect.params import refuse_unknown, whole_number
from wierde.collect.xml_failures import xml_failures
from wierde.errors import InvalidInput

PARAMS = ("typeName", "srsName", "count", "format", "max_pages")
REQUEST_KEYS = frozenset({"service", "version", "request", "typename", "typenames", "outputformat", "count",
                          "maxfeatures", "startindex", "srsname", "resulttype"})
GML_NAMESPACES = frozenset({"http://www.opengis.net/gml/3.2", "http://www.opengis.net/gml"})
XSI_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
GML_ID = "{http://www.opengis.net/gml/3.2}id"
MEMBERS = frozenset({"member", "featureMember", "featureMembers"})
CONTAINERS = frozenset({"FeatureCollection", "SimpleFeatureCollection", "additionalObjects"})
GEOMETRIES = frozenset({"Point", "LineString", "Curve", "Polygon", "Surface", "MultiPoint", "MultiCurve",
                        "MultiLineString", "MultiSurface", "MultiPolygon", "MultiGeometry"})
GML_32 = "application/gml+xml; version=3.2"  # WFS 2.0's default output format
INTEGERS = frozenset({"int", "integer", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                      "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong", "unsignedShort"})
DECIMALS = frozenset({"double", "float", "decimal"})


def local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _namespace(tag: str) -> str:
    return tag[1:].partition("}")[0] if tag.startswith("{") else ""


def children(elem: Element | None) -> list[Element]:
    # never `elem or …`: an Element without children is false
    return list(elem) if elem is not None else []


def kids(elem: Element | None, name: str) -> list[Element]:
    return [child for child in children(elem) if local(child.tag) == name]


def kid(elem: Element | None, *path: str) -> Element | None:
    for name in path:
        found = kids(elem, name)
        elem = found[0] if found else None
    return elem


def text(elem: Element | None) -> str | None:
    return (elem.text or "").strip() or None if elem is not None else None




def _exception_text(root: Element) -> str:
    return "; ".join(t.strip() for e in root.iter() if local(e.tag) == "ExceptionText" for t in [e.text or ""]
                     if t.strip()) or "no details"


def parse_xml(body: bytes, url: str) -> Element:
    with xml_failures(url, source="a WFS"):
        root = fromstring(body, forbid_dtd=True)
    if local(root.tag) == "ExceptionReport":
        raise HarvestError(f"{url}: the service answers with an error: {_exception_text(root)[:500]}")
    return root


# --- GetCapabilities and DescribeFeatureType -----------------------------------------------------------------

@dataclass(frozen=True)
class FeatureType:
    name: str
    title: str | None
    abstract: str | None
    crs: tuple[str, ...]  # DefaultCRS first, as the capabilities spell them
    keywords: tuple[str, ...]
    box: tuple[float, ...] | None  # lon/lat
    formats: tuple[str, ...]


@dataclass(frozen=True)
class Capabilities:
    title: str | None
    abstract: str | None
    texts: tuple[str, ...]  # fees and access constraints, where a licence is named
    types: tuple[FeatureType, ...]
    formats: tuple[str, ...]  # GetFeature's outputFormat values
    paging: bool
    count_default: int | None


def _box(elem: Element | None) -> tuple[float, ...] | None:
    lower, upper = (text(kid(elem, corner)) for corner in ("LowerCorner", "UpperCorner"))
    try:
        return tuple(float(v) for v in f"{lower} {upper}".split()) if lower and upper else None
    except ValueError:
        return None


def _feature_type(elem: Element) -> FeatureType:
    crs = [text(e) for e in elem if local(e.tag) in ("DefaultCRS", "DefaultSRS", "OtherCRS", "OtherSRS")]
    return FeatureType(
        name=text(kid(elem, "Name")) or "", title=text(kid(elem, "Title")), abstract=text(kid(elem, "Abstract")),
        crs=tuple(c for c in crs if c), keywords=tuple(t for k in kids(elem, "Keywords") for e in kids(k, "Keyword")
                                                        if (t := text(e))),
        box=_box(kid(elem, "WGS84BoundingBox")),
        formats=tuple(t for e in kids(kid(elem, "OutputFormats"), "Format") if (t := text(e))))


def _constraint(operations: Element | None, name: str) -> str | None:
    for constraint in kids(operations, "Constraint"):
        if constraint.get("name") == name:
            return text(kid(constraint, "DefaultValue"))
    return None


def _output_formats(operations: Element | None) -> tuple[str, ...]:
    for operation in kids(operations, "Operation"):
        if operation.get("name") == "GetFeature":
            for parameter in kids(operation, "Parameter"):
                if parameter.get("name") == "outputFormat":
                    return tuple(t for e in parameter.iter() if local(e.tag) == "Value" and (t := text(e)))
    return ()


def read_capabilities(root: Element, url: str) -> Capabilities:
    if local(root.tag) != "WFS_Capabilities":
        raise HarvestError(f"{url}: not WFS capabilities (the document is a {local(root.tag)})")
    if not root.get("version", "").startswith("2."):
        raise HarvestError(f"{url}: the service speaks WFS {root.get('version')}; this connector reads WFS 2.0")
    identification, operations = kid(root, "ServiceIdentification"), kid(root, "OperationsMetadata")
    count = _constraint(operations, "CountDefault")
    return Capabilities(
        title=text(kid(identification, "Title")), abstract=text(kid(identification, "Abstract")),
        texts=tuple(t for e in children(identification) if local(e.tag) in ("Fees", "AccessConstraints")
                    and (t := text(e))),
        types=tuple(_feature_type(e) for e in kids(kid(root, "FeatureTypeList"), "FeatureType")),
        formats=_output_formats(operations), paging=(_constraint(operations, "ImplementsResultPaging") or
                                                      "TRUE").upper() == "TRUE",
        count_default=int(count) if count and count.isdigit() else None)


def property_types(root: Element) -> dict[str, str]:
    """Each property's XML Schema type (`int`, `string` …) from a DescribeFeatureType answer."""
    found: dict[str, str] = {}
    for elem in root.iter():
        if local(elem.tag) != "element" or not elem.get("name"):
            continue
        kind = elem.get("type") or next((e.get("base") for e in elem.iter() if local(e.tag) == "restriction"), None)
        if kind:
            found.setdefault(elem.get("name", ""), kind.rpartition(":")[2])
    return found


def typed(value: str | None, kind: str | None) -> Any:
    """A property's text as the type its schema gives; text that does not fit stays text."""
    if value is None:
        return None
    try:
        if kind in INTEGERS:
            return int(value)
        if kind in DECIMALS:
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    return value


# --- GML 3.2 geometries as GeoJSON ---------------------------------------------------------------------------

def _numbers(elem: Element) -> list[float]:
    return [float(v) for v in (elem.text or "").split()]


def _dim(elem: Element, dim: int) -> int:
    """The element's own srsDimension, else the one it inherits."""
    return int(elem.get("srsDimension") or dim)


def positions(elem: Element, dim: int) -> list[list[float]]:
    """The positions of a line, ring or segment: posList, a run of pos, or GML 2 coordinates."""
    dim = _dim(elem, dim)
    pos_list = kid(elem, "posList")
    if pos_list is not None:
        size = int(pos_list.get("srsDimension") or dim)
        values = _numbers(pos_list)
        if size < 2 or len(values) % size:
            raise ValueError(f"a posList of {len(values)} numbers cannot hold {size}-dimensional positions")
        return [values[i: i + size] for i in range(0, len(values), size)]
    points = kids(elem, "pos")
    if points:
        return [_numbers(p) for p in points]
    coordinates = kid(elem, "coordinates")
    if coordinates is not None:
        return [[float(v) for v in pair.split(",")] for pair in (coordinates.text or "").split()]
    raise ValueError(f"a {local(elem.tag)} without coordinates")


def _point(elem: Element, dim: int) -> list[float]:
    found = positions(elem, dim)
    if len(found) != 1 or len(found[0]) < 2:
        raise ValueError("a Point needs exactly one position")
    return found[0]


def _line(elem: Element, dim: int) -> list[list[float]]:
    dim = _dim(elem, dim)
    if local(elem.tag) != "Curve":
        return positions(elem, dim)
    line: list[list[float]] = []
    for segment in children(kid(elem, "segments")):
        if local(segment.tag) != "LineStringSegment":
            raise ValueError(f"curve segment {local(segment.tag)} is not supported (only straight line segments)")
        points = positions(segment, dim)
        line.extend(points[1:] if line and points and points[0] == line[-1] else points)
    return line


def _ring(elem: Element | None, dim: int) -> list[list[float]]:
    shape = next(iter(elem), None) if elem is not None else None
    if shape is None:
        raise ValueError("a polygon boundary without a ring")
    if local(shape.tag) == "Ring":
        ring: list[list[float]] = []
        for member in kids(shape, "curveMember"):
            for curve in member:
                points = _line(curve, dim)
                ring.extend(points[1:] if ring and points and points[0] == ring[-1] else points)
        return ring
    return positions(shape, dim)


def _polygons(elem: Element, dim: int) -> list[list[list[list[float]]]]:
    dim = _dim(elem, dim)
    if local(elem.tag) == "Surface":
        return [p for patch in children(kid(elem, "patches")) for p in _polygons(patch, dim)]
    if local(elem.tag) not in ("Polygon", "PolygonPatch"):
        raise ValueError(f"{local(elem.tag)} is not a surface")
    outer = kid(elem, "exterior")
    outer = outer if outer is not None else kid(elem, "outerBoundaryIs")
    inner = kids(elem, "interior") + kids(elem, "innerBoundaryIs")
    return [[_ring(outer, dim), *(_ring(i, dim) for i in inner)]]


def _members(elem: Element) -> list[Element]:
    return [g for m in elem if local(m.tag).endswith(("Member", "Members")) for g in m]


def gml_geometry(elem: Element, dim: int = 2) -> dict[str, Any]:
    """A GML 3.2 geometry as a GeoJSON geometry, coordinates in the document's axis order."""
    kind, dim = local(elem.tag), _dim(elem, dim)
    if kind == "Point":
        return {"type": "Point", "coordinates": _point(elem, dim)}
    if kind in ("LineString", "Curve"):
        return {"type": "LineString", "coordinates": _line(elem, dim)}
    if kind in ("Polygon", "Surface"):
        polygons = _polygons(elem, dim)
        return {"type": "Polygon", "coordinates": polygons[0]} if len(polygons) == 1 else {
            "type": "MultiPolygon", "coordinates": polygons}
    if kind == "MultiPoint":
        return {"type": "MultiPoint", "coordinates": [_point(m, dim) for m in _members(elem)]}
    if kind in ("MultiCurve", "MultiLineString"):
        return {"type": "MultiLineString", "coordinates": [_line(m, dim) for m in _members(elem)]}
    if kind in ("MultiSurface", "MultiPolygon"):
        return {"type": "MultiPolygon", "coordinates": [p for m in _members(elem) for p in _polygons(m, dim)]}
    if kind == "MultiGeometry":
        return {"type": "GeometryCollection", "geometries": [gml_geometry(m, dim) for m in _members(elem)]}
    raise ValueError(f"GML geometry {kind} is not supported")


def _is_geometry(elem: Element) -> bool:
    return _namespace(elem.tag) in GML_NAMESPACES and local(elem.tag) in GEOMETRIES


def gml_feature(elem: Element, types: Mapping[str, str], url: str) -> tuple[dict[str, Any], Crs | None]:
    """One GML feature as a GeoJSON feature (x/y) and the CRS its geometry names."""
    properties: dict[str, Any] = {}
    geometry, crs = None, None
    fid = elem.get(GML_ID) or elem.get("fid")
    for child in elem:
        name, inner = local(child.tag), list(child)
        if _namespace(child.tag) in GML_NAMESPACES:
            continue  # gml:boundedBy, gml:name …: GML's own, not the feature type's
        if child.get(XSI_NIL) in ("true", "1"):
            properties[name] = None
        elif inner and _is_geometry(inner[0]):
            if geometry is None:  # one geometry column per table: the first geometry property
                try:
                    geometry = gml_geometry(inner[0])
                except ValueError as error:
                    raise HarvestError(f"{url}: feature {fid or '?'}: {error}") from None
                crs = parse_crs(inner[0].get("srsName"))
                geometry = geometry_xy(geometry) if crs is not None and crs.lat_first else geometry
        elif inner:
            properties[name] = {local(e.tag): text(e) for e in inner}
        else:
            properties[name] = typed(text(child), types.get(name))
    return {"type": "Feature", "id": fid, "properties": properties, "geometry": geometry}, crs


# --- pages ---------------------------------------------------------------------------------------------------

@dataclass
class Page:
    """What one GetFeature answer said about the whole: counts and the next page, if it named one."""

    matched: int | None = None
    next: str | None = None
    features: int = 0
    body: str = ""  # a digest, to see a server hand out the same page again


def _count(value: Any) -> int | None:
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


def _start_root(elem: Element, url: str, page: Page) -> None:
    if local(elem.tag) not in ("FeatureCollection", "ExceptionReport"):
        raise HarvestError(f"{url}: not a WFS FeatureCollection (the document is a {local(elem.tag)})")
    page.matched, page.next = _count(elem.get("numberMatched")), elem.get("next") or None


def gml_features(path: Path, url: str, types: Mapping[str, str], page: Page,
                 ) -> Iterator[tuple[dict[str, Any], Crs | None]]:
    """Each feature of a GML page on disk, parsed as it is read; the page's own counts go into `page`."""
    stack: list[str] = []
    with path.open("rb") as source, xml_failures(url, source="a WFS"):
        for event, elem in iterparse(source, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                if not stack:
                    _start_root(elem, url, page)
                stack.append(local(elem.tag))
                continue
            stack.pop()
            if not stack and local(elem.tag) == "ExceptionReport":
                raise HarvestError(f"{url}: the service answers with an error: {_exception_text(elem)[:500]}")
            if stack and stack[-1] in MEMBERS and local(elem.tag) not in CONTAINERS:
                page.features += 1
                yield gml_feature(elem, types, url)
                elem.clear()


def geojson_features(path: Path, url: str, page: Page) -> Iterator[tuple[dict[str, Any], Crs | None]]:
    try:
        document = json.loads(path.read_bytes())
    except ValueError as error:
        raise HarvestError(f"{url}: the answer is not valid JSON ({error})") from None
    features = page_features(document, url)
    named = document.get("crs", {}).get("properties", {}).get("name") if isinstance(document.get("crs"), dict) \
        else None
    crs = parse_crs(named)
    page.matched = _count(document.get("numberMatched", document.get("totalFeatures")))
    page.next, page.features = next_link(document, url), len(features)
    for feature in features:
        yield feature, crs.xy() if crs else None  # GeoJSON is x/y, whatever the CRS's own axis order


def download(fetcher: Fetcher, url: str, path: Path) -> str:
    """The answer streamed to `path`; its SHA-256."""
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for chunk in fetcher.stream(url):
            out.write(chunk)
            digest.update(chunk)
    return digest.hexdigest()


# --- the connector -------------------------------------------------------------------------------------------

def service_url(url: str) -> tuple[str, dict[str, str]]:
    """The endpoint without WFS request parameters, and the other parameters it carries (a MapServer `map=`)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(f"{url!r} is not an http(s) URL of a WFS")
    kept = {k: v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() not in REQUEST_KEYS}
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", "")), kept


def choose_type(capabilities: Capabilities, wanted: str | None, url: str) -> FeatureType:
    names = [t.name for t in capabilities.types]
    if not wanted:
        if len(capabilities.types) == 1:
            return capabilities.types[0]
        raise InvalidInput(f"{url}: set the typeName param; the service offers {', '.join(names[:30]) or 'none'}")
    matches = [t for t in capabilities.types if t.name == wanted] or [
        t for t in capabilities.types if t.name.rpartition(":")[2] == wanted.rpartition(":")[2]]
    if len(matches) != 1:
        raise InvalidInput(f"{url}: no feature type {wanted!r}; the service offers {', '.join(names[:30]) or 'none'}")
    return matches[0]


def choose_format(capabilities: Capabilities, feature_type: FeatureType, wanted: str, url: str) -> tuple[str, str]:
    """(`geojson` or `gml`, the outputFormat value to send)."""
    offered = (*feature_type.formats, *capabilities.formats)
    as_json = next((f for f in offered if "json" in f.lower()), None)
    as_gml = next((f for f in offered if "gml" in f.lower() and "3.2" in f), GML_32)
    if wanted not in ("auto", "geojson", "gml"):
        raise InvalidInput(f"wfs: format must be auto, geojson or gml, not {wanted!r}")
    if wanted == "geojson" and as_json is None:
        raise InvalidInput(f"{url}: the service offers no JSON output; it offers {', '.join(offered) or 'GML'}")
    return ("geojson", as_json) if as_json and wanted != "gml" else ("gml", as_gml)


def choose_srs(feature_type: FeatureType, wanted: str | None, url: str) -> tuple[str | None, Crs | None]:
    """The srsName to send (spelled as the capabilities spell it) and the CRS it names."""
    offered = {c.label: spelled for spelled in feature_type.crs if (c := parse_crs(spelled))}
    if wanted:
        crs = parse_crs(wanted)
        if crs is None:
            raise InvalidInput(f"{wanted!r} is not a CRS this connector knows (EPSG:28992, a URN or URI)")
        if offered and crs.label not in offered:
            raise InvalidInput(f"{url}: {feature_type.name} offers no CRS {crs.label}; it offers "
                               f"{', '.join(offered)}")
        return offered.get(crs.label, wanted), crs
    spelled = offered.get(RD.label) or (feature_type.crs[0] if feature_type.crs else None)
    return spelled, parse_crs(spelled)


@dataclass
class Plan:
    """One harvest's requests: where, what, in which format and CRS, and how far."""

    fetcher: Fetcher
    base: str
    query: dict[str, str]
    kind: str
    paging: bool
    count: int
    max_pages: int
    types: dict[str, str] = field(default_factory=dict)
    crs: Crs | None = None


def read_all(plan: Plan, sink: FeatureSink, workdir: Path) -> dict[str, int]:
    """Every page into `sink`; loops, repeated pages and too many pages fail rather than truncate."""
    guard = PageGuard(plan.base, plan.max_pages, whole="layer")
    bodies: set[str] = set()
    start, stats = 0, {"pages": 0}
    link: str | None = with_params(plan.base, {**plan.query, **({"startIndex": "0"} if plan.paging else {})})
    while link is not None:
        guard.visit(link, canonical(link))
        page = read_page(plan, link, sink, workdir / f"wfs-page.{'json' if plan.kind == 'geojson' else 'xml'}")
        stats["pages"] += 1
        if page.features and page.body in bodies:
            raise HarvestError(f"{link}: the same features came back as on an earlier page; the server ignores "
                               "startIndex, so the layer cannot be paged (raise count to read it in one page)")
        bodies.add(page.body)
        if stats["pages"] == 1 and page.matched is not None:
            stats["matched"] = page.matched
        link, start = next_page(plan, link, page, start)
    stats["rows"] = sink.rows
    return stats


def read_page(plan: Plan, link: str, sink: FeatureSink, path: Path) -> Page:
    page = Page(body=download(plan.fetcher, link, path))
    try:
        found = geojson_features(path, link, page) if plan.kind == "geojson" else gml_features(
            path, link, plan.types, page)
        batch: list[dict[str, Any]] = []
        for feature, crs in found:
            if crs is not None and sink.crs is None:
                sink.crs = plan.crs = crs.xy()
            if crs is not None and sink.crs is not None and crs.label != sink.crs.label:
                raise HarvestError(f"{link}: a geometry in {crs.label} where {sink.crs.label} was asked for")
            batch.append(feature)
            if len(batch) == 100:
                _add(sink, batch, plan.crs, link)
        _add(sink, batch, plan.crs, link)
    finally:
        path.unlink(missing_ok=True)
    return page


def _add(sink: FeatureSink, batch: list[dict[str, Any]], crs: Crs | None, url: str) -> None:
    check_projected(batch, crs, url)  # a server that ignored srsName gives degrees where metres were asked for
    for feature in batch:
        sink.add(feature)
    batch.clear()


def next_page(plan: Plan, link: str, page: Page, start: int) -> tuple[str | None, int]:
    if page.next:
        target = urljoin(link, page.next)
        if urlsplit(target).netloc.lower() != urlsplit(link).netloc.lower():
            raise HarvestError(f"{link}: the next link leads to another host ({target}); stopped")
        return target, start + page.features
    start += page.features
    more = start < page.matched if page.matched is not None else page.features >= plan.count
    if not plan.paging or not page.features or not more:
        return None, start
    return with_params(plan.base, {**plan.query, "startIndex": str(start)}), start


def wfs_metadata(capabilities: Capabilities, feature_type: FeatureType, base: str) -> dict[str, Any]:
    """DCAT-AP-NL fields from the capabilities; a steward's YAML overrides any of them."""
    title = feature_type.title or feature_type.name
    description = feature_type.abstract or capabilities.abstract or title
    meta: dict[str, Any] = {"title": {"nl": title}, "description": {"nl": description}, "source": base}
    optional = {"keywords": {"nl": list(feature_type.keywords)} if feature_type.keywords else None,
                "licence": licence_of(capabilities.texts), "spatial": spatial_of(feature_type.box)}
    meta.update({key: value for key, value in optional.items() if value})
    return meta


class Wfs:
    """Harvests one WFS 2.0 feature type; see the module docstring for the params."""

    name = "wfs"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        refuse_unknown(params, PARAMS, self.name)
        max_pages = whole_number(params, "max_pages", 1000, self.name)
        base, kept = service_url(url)
        request = {**kept, "service": "WFS", "version": "2.0.0"}
        caps_url = with_params(base, {**request, "request": "GetCapabilities"})
        capabilities = read_capabilities(parse_xml(fetcher.get_bytes(caps_url), caps_url), caps_url)
        feature_type = choose_type(capabilities, params.get("typeName"), base)
        kind, output = choose_format(capabilities, feature_type, str(params.get("format") or "auto").lower(), base)
        srs, crs = choose_srs(feature_type, params.get("srsName"), base)
        count = min(whole_number(params, "count", 1000, self.name), capabilities.count_default or 1_000_000)
        query = {**request, "request": "GetFeature", "typeNames": feature_type.name, "outputFormat": output,
                 **({"srsName": srs} if srs else {}), **({"count": str(count)} if capabilities.paging else {})}
        plan = Plan(fetcher, base, query, kind, capabilities.paging, count, max_pages, crs=crs.xy() if crs else None)
        if kind == "gml":
            schema_url = with_params(base, {**request, "request": "DescribeFeatureType",
                                            "typeNames": feature_type.name})
            plan.types = property_types(parse_xml(fetcher.get_bytes(schema_url), schema_url))
        sink = FeatureSink(workdir, feature_type.name, plan.crs)
        try:
            stats = read_all(plan, sink, workdir)
            data, data_format = sink.finish(base)
        except BaseException:
            sink.discard()
            raise
        return hookspecs.Harvested(data, data_format, metadata=wfs_metadata(capabilities, feature_type, base),
                                   remote_id=f"wfs:{base}#{feature_type.name}", stats=stats)


hookspecs.register_connector(Wfs.name, Wfs)
