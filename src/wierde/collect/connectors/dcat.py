"""The `dcat` connector: one dataset of another catalogue's DCAT feed, with its metadata and one distribution's data.

The feed may be Turtle, RDF/XML or JSON-LD (told by the `syntax` param, else the URL's extension, else the first
bytes) and may be paged with Hydra (`hydra:next` on a `hydra:PartialCollectionView`, or the older `hydra:nextPage`
on a `hydra:PagedCollection`, as ckanext-dcat writes). Params:

- `dataset`: the dcat:Dataset to take, by its URI or its dct:identifier (needed when the feed holds more than one).
- `distribution`: a distribution by URI, dct:identifier or URL; or a format preference such as `csv,geojson,json`.
- `syntax`: `turtle`, `xml` or `json-ld`, when neither the URL nor the content tells.
- `max_pages`: stop with an error past this many feed pages (default 1,000).

What the CKAN connector shares with this one (choosing a distribution, reading licences and formats, keeping only
metadata Wierde can validate) lives here too, because both map a remote catalogue onto the same DCAT-AP-NL fields.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from defusedxml.ElementTree import fromstring as defused_fromstring
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF
from rdflib.term import Node

from wierde import hookspecs
from wierde.catalog import vocab
from wierde.catalog.model import DatasetMetadata
from wierde.collect.connectors.http_file import EXTENSIONS, HttpFile
from wierde.collect.http import Fetcher, HarvestError
from wierde.collect.paging import PageGuard
from wierde.collect.params import MAX_PAGES, refuse_unknown, whole_number
from wierde.collect.xml_failures import xml_failures
from wierde.errors import InvalidInput, WierdeError

PARAMS = ("dataset", "distribution", "syntax", "max_pages")
MAX_REMOTE_CONTEXTS = 5  # JSON-LD contexts fetched per harvest; a feed needing more is not a plain DCAT feed
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SCHEMA = Namespace("http://schema.org/")
SYNTAXES = {"turtle": "turtle", "ttl": "turtle", "xml": "xml", "rdf/xml": "xml", "rdfxml": "xml", "rdf": "xml",
            "json-ld": "json-ld", "jsonld": "json-ld"}
SUFFIXES = {".ttl": "turtle", ".rdf": "xml", ".xml": "xml", ".owl": "xml", ".jsonld": "json-ld", ".json": "json-ld"}

# --- formats: what a remote catalogue calls a format, as the name the http connector reads ------------------------
PREFERENCE = ("csv", "geojson", "parquet", "json", "ndjson", "xlsx", "gpkg", "shapefile")
FORMAT_WORDS = {
    "csv": "csv", "text/csv": "csv", "tsv": "csv", "geojson": "geojson", "application/geo+json": "geojson",
    "application/vnd.geo+json": "geojson", "json": "json", "application/json": "json", "ndjson": "ndjson",
    "jsonl": "ndjson", "application/x-ndjson": "ndjson", "application/ndjson": "ndjson", "xlsx": "xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx", "gpkg": "gpkg",
    "geopackage": "gpkg", "application/geopackage+sqlite3": "gpkg", "parquet": "parquet", "geoparquet": "parquet",
    "application/vnd.apache.parquet": "parquet", "application/x-parquet": "parquet", "shp": "shapefile",
    "shapefile": "shapefile", "esri shapefile": "shapefile", "zipped shapefile": "shapefile",
}
# The tail of an EU file-type or IANA media-type URI, upper-cased, as a format name.
URI_TAILS = {"CSV": "csv", "JSON": "json", "GEOJSON": "geojson", "GPKG": "gpkg", "PARQUET": "parquet", "XLSX": "xlsx",
             "SHP": "shapefile", "GEO+JSON": "geojson", "VND.GEO+JSON": "geojson"}

# --- licences: CKAN's ids and the URIs catalogues use, as the SPDX ids Wierde's metadata takes --------------------
# CKAN's default ids carry no version; the 4.0 licences are what Dutch portals publish under today.
CKAN_LICENCES = {
    "cc-zero": "CC0-1.0", "cc0": "CC0-1.0", "cc-by": "CC-BY-4.0", "cc-by-4.0": "CC-BY-4.0", "cc-by-sa": "CC-BY-SA-4.0",
    "cc-by-sa-4.0": "CC-BY-SA-4.0", "cc-by-nd": "CC-BY-ND-4.0", "cc-nc": "CC-BY-NC-4.0", "odc-odbl": "ODbL-1.0",
    "odc-by": "ODC-By-1.0", "odc-pddl": "PDDL-1.0",
}
_DEED = re.compile(r"/(deed\.[a-z-]+|legalcode(\.[a-z-]+)?)$")


def _licence_key(uri: str) -> str:
    """A licence URI without scheme, `www.`, deed or legal-code suffix and trailing slash, for comparison."""
    text = re.sub(r"^https?://(www\.)?", "", uri.strip().lower()).rstrip("/")
    return _DEED.sub("", text).rstrip("/")


_LICENCE_URIS = {_licence_key(uri): lic.spdx for lic in vocab.LICENCES.values() for uri in (lic.uri, lic.eu_uri)}


def licence_code(*candidates: str | None) -> str | None:
    """The SPDX id of the first candidate (a CKAN id, an SPDX id or a licence URI) Wierde knows; None if none."""
    spdx_ids = {spdx.lower(): spdx for spdx in vocab.LICENCES}
    for candidate in candidates:
        text = (candidate or "").strip()
        found = CKAN_LICENCES.get(text.lower()) or spdx_ids.get(text.lower())
        if not found and vocab.is_uri(text):
            key = _licence_key(text)
            # CKAN's default licence list links each id to its Open Definition page.
            opendefinition = key.startswith("opendefinition.org/licenses/")
            found = _LICENCE_URIS.get(key) or (CKAN_LICENCES.get(key.rsplit("/", 1)[-1]) if opendefinition else None)
        if found:
            return found
    return None


def format_name(*hints: str | None) -> str | None:
    """The http connector's format name for a format label, media type, file-type URI or download URL."""
    for hint in hints:
        text = (hint or "").strip()
        if not text:
            continue
        lowered = text.lower().split(";")[0].strip()
        if lowered in FORMAT_WORDS:
            return FORMAT_WORDS[lowered]
        if lowered.lstrip(".") in FORMAT_WORDS:
            return FORMAT_WORDS[lowered.lstrip(".")]
        if vocab.is_uri(text):
            tail = text.rstrip("/").rsplit("/", 1)[-1].upper()
            if tail in URI_TAILS:
                return URI_TAILS[tail]
            suffix = PurePosixPath(urlsplit(text).path).suffix.lower()
            if suffix in EXTENSIONS and suffix not in (".txt", ".zip"):  # a .zip or .txt may hold anything
                return EXTENSIONS[suffix]
    return None


# --- choosing what to download --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Offer:
    """One downloadable form of a remote dataset: a CKAN resource or a DCAT distribution."""

    key: str  # the resource id or distribution URI
    url: str
    format: str | None  # as the http connector names it; None when the catalogue does not say
    names: tuple[str, ...] = ()  # other ways a steward may refer to it (name, identifier)
    licence: str | None = None  # SPDX id, when the offer carries its own


def preference(text: str | None) -> tuple[str, ...] | None:
    """The format preference a param gives (`csv,geojson`), or None when it names one offer instead."""
    items = [item.strip().lower() for item in (text or "").split(",") if item.strip()]
    names = [FORMAT_WORDS.get(item) for item in items]
    if not items:
        return PREFERENCE
    return tuple(dict.fromkeys(n for n in names if n)) if all(names) else None


def choose_offer(offers: Sequence[Offer], wanted: str | None, where: str) -> Offer:
    """The offer a param names (by id, name or URL), or the first in the preferred formats' order."""
    usable = sorted((o for o in offers if vocab.is_uri(o.url)), key=lambda o: (o.url, o.key))
    if not usable:
        raise HarvestError(f"{where}: no distribution with a download URL")
    formats = preference(wanted)
    if formats is None:
        picked = [o for o in usable if wanted in (o.key, o.url, *o.names)]
        if not picked:
            listed = ", ".join(o.key for o in usable[:8])
            raise InvalidInput(f"{where}: no distribution {wanted!r}; it has {listed}")
        return picked[0]
    for kind in formats:
        for offer in usable:
            if offer.format == kind:
                return offer
    found = sorted({o.format or "unknown" for o in usable})
    raise HarvestError(f"{where}: no distribution in {', '.join(formats)} (it offers {', '.join(found)}); "
                       "name one with the distribution/resource param")


def download(fetcher: Fetcher, offer: Offer, workdir: Path) -> hookspecs.Harvested:
    """The offer's data through the http connector, so every connector downloads the same careful way."""
    params = {"format": offer.format} if offer.format else {}
    return HttpFile().harvest(fetcher, offer.url, params, workdir)


def usable_metadata(meta: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Only the fields Wierde can validate: a remote catalogue's odd value never blocks its data. Returns the
    kept metadata and the names of the fields left out."""
    title = meta.get("title")
    kept, dropped = {"title": title}, []
    for key, value in meta.items():
        if key == "title" or value in (None, "", [], {}):
            continue
        try:
            DatasetMetadata.from_mapping({"title": title, key: value})
        except WierdeError:
            dropped.append(key)
            continue
        kept[key] = value
    return kept, dropped


def check_params(params: Mapping[str, str], allowed: Sequence[str], connector: str) -> int:
    """Refuse unknown params (a typo must not widen a harvest); return max_pages."""
    refuse_unknown(params, allowed, connector)
    return whole_number(params, "max_pages", MAX_PAGES, connector)


# --- reading RDF safely ---------------------------------------------------------------------------------------

def syntax_of(url: str, body: bytes, param: str | None) -> str:
    if param:
        if param.lower() not in SYNTAXES:
            raise InvalidInput(f"dcat: unknown syntax {param!r}; use turtle, xml or json-ld")
        return SYNTAXES[param.lower()]
    suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return "xml" if head == b"<" else "json-ld" if head in (b"{", b"[") else "turtle"


def _guard_xml(body: bytes, url: str) -> None:
    """Refuse RDF/XML with a DTD (the door to external entities and entity bombs) and XML that is not well formed."""
    with xml_failures(url, source="a DCAT feed"):
        defused_fromstring(body, forbid_dtd=True)


def _inline_contexts(node: Any, fetcher: Fetcher, url: str, cache: dict[str, Any]) -> Any:
    """The JSON-LD document with every remote @context fetched through the fetcher, so rdflib never opens a URL
    itself (it would, with no deadline, size cap or politeness)."""
    if isinstance(node, list):
        return [_inline_contexts(item, fetcher, url, cache) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _inline_contexts(value, fetcher, url, cache) for key, value in node.items() if key != "@context"}
    if "@context" in node:
        out["@context"] = _context(node["@context"], fetcher, url, cache)
    return out


def _context(value: Any, fetcher: Fetcher, url: str, cache: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_context(item, fetcher, url, cache) for item in value]
    if isinstance(value, dict):  # term definitions may carry scoped contexts of their own
        return {key: ({**term, "@context": _context(term["@context"], fetcher, url, cache)}
                      if isinstance(term, dict) and "@context" in term else term) for key, term in value.items()}
    if not isinstance(value, str):
        return value
    if value not in cache:
        if len(cache) >= MAX_REMOTE_CONTEXTS:
            raise HarvestError(f"{url}: more than {MAX_REMOTE_CONTEXTS} remote JSON-LD contexts; stopped")
        fetched = fetcher.get_json(value)
        inner = fetched.get("@context") if isinstance(fetched, dict) else None
        if not isinstance(inner, dict | list) or _context_refers(inner):
            raise HarvestError(f"{value}: not a self-contained JSON-LD context (it is missing or refers onwards)")
        cache[value] = inner
    return cache[value]


def _remote_references(node: Any) -> bool:
    """Whether a JSON-LD document still names a context by URL or imports one, which rdflib would fetch itself."""
    if isinstance(node, list):
        return any(_remote_references(item) for item in node)
    if not isinstance(node, dict):
        return False
    if "@context" in node and _context_refers(node["@context"]):
        return True
    return any(_remote_references(value) for key, value in node.items() if key != "@context")


def _context_refers(context: Any) -> bool:
    """Whether a context (a URL, a list, or a definition with scoped contexts) points to another one."""
    if isinstance(context, str):
        return True
    if isinstance(context, list):
        return any(_context_refers(item) for item in context)
    if isinstance(context, dict):
        return "@import" in context or any(_context_refers(term["@context"]) for term in context.values()
                                           if isinstance(term, dict) and "@context" in term)
    return False


def parse_rdf(body: bytes, url: str, syntax: str, fetcher: Fetcher) -> Graph:
    """One page of the feed as a graph; whatever the parser objects to becomes a HarvestError naming the URL."""
    graph = Graph()
    if syntax == "xml":
        _guard_xml(body, url)
        data: str | bytes = body
    elif syntax == "json-ld":
        try:
            document = json.loads(body)
        except ValueError as error:
            raise HarvestError(f"{url}: the answer is not valid JSON ({error})") from None
        document = _inline_contexts(document, fetcher, url, {})
        if _remote_references(document):
            raise HarvestError(f"{url}: the JSON-LD refers to contexts this harvester does not fetch")
        data = json.dumps(document)
    else:
        try:
            data = body.decode("utf-8")
        except UnicodeDecodeError as error:
            raise HarvestError(f"{url}: Turtle must be UTF-8 ({error})") from None
    try:
        graph.parse(data=data, format=syntax, publicID=url)
    except HarvestError:
        raise
    except Exception as error:  # rdflib's parsers raise many kinds (BadSyntax, SAX, ValueError …)
        raise HarvestError(f"{url}: not valid {syntax} ({type(error).__name__}: {str(error)[:300]})") from None
    return graph


def next_page(graph: Graph, url: str) -> str | None:
    """The Hydra next page: `hydra:next` (a PartialCollectionView) or `hydra:nextPage` (a PagedCollection)."""
    links = sorted({str(o) for p in (HYDRA.next, HYDRA.nextPage) for s, o in graph.subject_objects(p)
                    if isinstance(o, URIRef | Literal)})
    if len(links) > 1:  # several views in one page: follow the one describing this page
        own = [str(o) for p in (HYDRA.next, HYDRA.nextPage) for o in graph.objects(URIRef(url), p)]
        links = own or links[:1]
    return links[0] if links else None


def feed_pages(fetcher: Fetcher, url: str, syntax: str | None, max_pages: int) -> Iterator[tuple[str, Graph]]:
    """Every page of the feed as a graph, following Hydra links; a loop or too many pages fail, never truncate."""
    guard = PageGuard(url, max_pages, whole="feed", link_name="Hydra next page", source="feed")
    link: str | None = url
    while link is not None:
        guard.visit(link)
        body = fetcher.get_bytes(link)
        graph = parse_rdf(body, link, syntax_of(link, body, syntax), fetcher)
        yield link, graph
        link = next_page(graph, link)


# --- the dataset as Wierde metadata ---------------------------------------------------------------------------

def _texts(graph: Graph, node: Node, prop: URIRef) -> dict[str, str]:
    texts: dict[str, str] = {}
    for value in sorted(graph.objects(node, prop), key=str):
        if isinstance(value, Literal) and str(value).strip():
            texts.setdefault((value.language or "nl").split("-")[0].lower(), str(value).strip())
    return texts


def _first(graph: Graph, node: Node, *props: URIRef) -> Node | None:
    for prop in props:
        values = sorted(graph.objects(node, prop), key=str)
        if values:
            return values[0]
    return None


def _day(value: Node | None) -> str | None:
    match = re.match(r"^\d{4}-\d{2}-\d{2}", str(value or "").strip())
    return match[0] if match else None


def _tail(uri: Node | None) -> str | None:
    return str(uri).rstrip("/").rsplit("/", 1)[-1] if isinstance(uri, URIRef) else None


def agent(graph: Graph, node: Node | None) -> dict[str, str] | None:
    """A publisher or creator: its URI and its name (Dutch first)."""
    if node is None:
        return None
    names = _texts(graph, node, FOAF.name) or _texts(graph, node, VCARD.fn)
    uri = str(node) if isinstance(node, URIRef) else None
    name = names.get("nl") or next(iter(names.values()), None)
    if uri and not name:
        name = vocab.organisation_name(uri)
    return {"uri": uri, "name": name} if uri and name else None


def contact(graph: Graph, node: Node | None) -> dict[str, str] | None:
    if node is None:
        return None
    email = str(_first(graph, node, VCARD.hasEmail) or "").removeprefix("mailto:").strip()
    url = str(_first(graph, node, VCARD.hasURL) or "").strip()
    name = str(_first(graph, node, VCARD.fn) or "").strip()
    found = {"name": name, "email": email, "url": url}
    return {k: v for k, v in found.items() if v} if email or url else None


def spatial_code(uri: str) -> str:
    """A region code where Wierde's own feed would write this URI (NL, PV20, GM0014), else the URI itself."""
    if uri == vocab.NETHERLANDS:
        return "NL"
    for code, (_, geonames) in vocab.PROVINCES.items():
        if uri.rstrip("/") == f"{vocab.GEONAMES}{geonames}":
            return code
    match = re.fullmatch(rf"{re.escape(vocab.TOOI)}gemeente/gm(\d{{4}})", uri)
    return f"GM{match[1]}" if match else uri


def temporal(graph: Graph, node: Node) -> dict[str, str] | None:
    period = _first(graph, node, DCTERMS.temporal)
    if period is None:
        return None
    start = _day(_first(graph, period, DCAT.startDate, SCHEMA.startDate))
    end = _day(_first(graph, period, DCAT.endDate, SCHEMA.endDate))
    found = {k: v for k, v in (("start", start), ("end", end)) if v}
    return found or None


def dataset_metadata(graph: Graph, node: Node, fallback_publisher: dict[str, str] | None) -> dict[str, Any]:
    """DCAT-AP(-NL) properties of a dcat:Dataset as the fields of Wierde's metadata YAML."""
    keywords: dict[str, list[str]] = {}
    for word in sorted(graph.objects(node, DCAT.keyword), key=str):
        if isinstance(word, Literal):
            keywords.setdefault((word.language or "nl").split("-")[0].lower(), []).append(str(word))
    themes = sorted(str(t).rsplit("/", 1)[-1] for t in graph.objects(node, DCAT.theme)
                    if str(t).startswith(vocab.THEME_SCHEME + "/"))
    landing = _first(graph, node, DCAT.landingPage)
    access = _tail(_first(graph, node, DCTERMS.accessRights))
    return {
        "title": _texts(graph, node, DCTERMS.title) or str(node),
        "description": _texts(graph, node, DCTERMS.description),
        "keywords": keywords,
        "themes": themes,
        "publisher": agent(graph, _first(graph, node, DCTERMS.publisher)) or fallback_publisher,
        "creator": agent(graph, _first(graph, node, DCTERMS.creator)),
        "contact_point": contact(graph, _first(graph, node, DCAT.contactPoint)),
        "licence": licence_code(str(_first(graph, node, DCTERMS.license) or "")),
        "access_rights": {"PUBLIC": "public", "RESTRICTED": "restricted", "NON_PUBLIC": "non-public"}.get(
            access or ""),
        "spatial": [spatial_code(str(s)) for s in sorted(graph.objects(node, DCTERMS.spatial), key=str)
                    if isinstance(s, URIRef)],
        "temporal": temporal(graph, node),
        "accrual_periodicity": _tail(_first(graph, node, DCTERMS.accrualPeriodicity)),
        "language": [t for t in (_tail(x) for x in graph.objects(node, DCTERMS.language)) if t],
        "issued": _day(_first(graph, node, DCTERMS.issued)),
        "modified": _day(_first(graph, node, DCTERMS.modified)),
        "source": str(landing) if isinstance(landing, URIRef) else (str(node) if vocab.is_uri(str(node)) else None),
        "documentation": str(_first(graph, node, FOAF.page) or "") or None,
    }


def offers(graph: Graph, node: Node) -> list[Offer]:
    """The dataset's distributions with a URL to fetch: the download URL, else the access URL."""
    found = []
    for dist in graph.objects(node, DCAT.distribution):
        url = _first(graph, dist, DCAT.downloadURL) or _first(graph, dist, DCAT.accessURL)
        if url is None:
            continue
        hints = (_first(graph, dist, DCTERMS.format), _first(graph, dist, DCAT.mediaType), url)
        kind = format_name(*(str(hint) for hint in hints if hint is not None))
        names = tuple(str(i) for i in graph.objects(dist, DCTERMS.identifier))
        licence = licence_code(str(_first(graph, dist, DCTERMS.license) or ""))
        found.append(Offer(str(dist), str(url), kind, names, licence))
    return found


def host_agent(url: str) -> dict[str, str]:
    """The catalogue's host as publisher when the source names none: better than claiming the instance's own."""
    parts = urlsplit(url)
    return {"uri": f"{parts.scheme}://{parts.netloc}/", "name": parts.netloc}


# --- the connector --------------------------------------------------------------------------------------------

def _matches(graph: Graph, node: Node, wanted: str) -> bool:
    return str(node) == wanted or any(str(i) == wanted for i in graph.objects(node, DCTERMS.identifier))


def _catalog_publisher(graph: Graph) -> dict[str, str] | None:
    for catalog in graph.subjects(RDF.type, DCAT.Catalog):
        found = agent(graph, _first(graph, catalog, DCTERMS.publisher))
        if found:
            return found
    return None


def find_dataset(pages: Iterable[tuple[str, Graph]], wanted: str | None,
                 url: str) -> tuple[Graph, Node, dict[str, str] | None]:
    """The page graph holding the wanted dataset (reading no further than needed), its node and the catalogue's
    publisher; without `wanted` the feed must hold exactly one dataset."""
    seen: list[tuple[Graph, Node]] = []
    publisher = None
    for _, graph in pages:
        publisher = publisher or _catalog_publisher(graph)
        for node in sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str):
            if wanted is not None and _matches(graph, node, wanted):
                return graph, node, publisher
            seen.append((graph, node))
    if wanted is None and len(seen) == 1:
        return seen[0][0], seen[0][1], publisher
    listed = ", ".join(str(node) for _, node in seen[:5]) + (" …" if len(seen) > 5 else "")
    if not seen:
        raise HarvestError(f"{url}: the feed holds no dcat:Dataset")
    if wanted is not None:
        raise HarvestError(f"{url}: no dcat:Dataset {wanted!r} in the feed ({len(seen)} datasets: {listed})")
    raise InvalidInput(f"{url}: the feed holds {len(seen)} datasets; choose one with the dataset param ({listed})")


class DcatFeed:
    name = "dcat"

    def harvest(self, fetcher: Fetcher, url: str, params: Mapping[str, str], workdir: Path) -> hookspecs.Harvested:
        max_pages = check_params(params, PARAMS, self.name)
        pages = feed_pages(fetcher, url, params.get("syntax") or None, max_pages)
        counted = _Counted(pages)
        graph, node, publisher = find_dataset(counted, params.get("dataset") or None, url)
        offer = choose_offer(offers(graph, node), params.get("distribution") or None, f"{url} dataset {node}")
        meta = dataset_metadata(graph, node, publisher or host_agent(url))
        meta["licence"] = meta["licence"] or offer.licence
        kept, dropped = usable_metadata(meta)
        data = download(fetcher, offer, workdir)
        stats = {**data.stats, "pages": counted.count, "metadata_dropped": len(dropped)}
        return hookspecs.Harvested(data.data, data.format, kept, remote_id=str(node), stats=stats)


class _Counted:
    """Pages as they are read, counted for the harvest log."""

    def __init__(self, pages: Iterator[tuple[str, Graph]]) -> None:
        self.pages = pages
        self.count = 0

    def __iter__(self) -> Iterator[tuple[str, Graph]]:
        for page in self.pages:
            self.count += 1
            yield page


hookspecs.register_connector("dcat", DcatFeed)
