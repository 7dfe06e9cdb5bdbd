"""The catalogue as DCAT-AP-NL 3.0 RDF, the feed national portals such as data.overheid.nl harvest."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from urllib.parse import quote

from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, SKOS

from wierde.catalog import vocab
from wierde.catalog.completeness import feed_blockers
from wierde.catalog.model import (
    Agent,
    CatalogEntry,
    CatalogInfo,
    ContactPoint,
    DatasetMetadata,
    Distribution,
)
from wierde.errors import Conflict

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCAT_VERSION = URIRef(f"{DCAT}version")  # DCAT 3 term; rdflib's closed DCAT namespace predates it
PREFIXES: dict[str, str] = {
    "dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "skos": str(SKOS),
    "vcard": str(VCARD), "rdfs": str(RDFS), "xsd": str(XSD),
}
# The JSON-LD context: prefixes only, so every key stays a recognisable DCAT term and nothing is fetched.
JSONLD_CONTEXT: dict[str, str] = dict(PREFIXES)

NO_DESCRIPTION = {"nl": "Er is nog geen beschrijving gegeven.", "en": "No description has been given yet."}
SYNTHETIC = {
    "nl": "Let op: dit zijn synthetische demonstratiegegevens, gegenereerd met plausibele waarden; "
          "ze beschrijven geen echte situatie.",
    "en": "Note: this is synthetic demonstration data, generated with plausible values; "
          "it does not describe a real situation.",
}
SOURCE = {"nl": "Bron: {}", "en": "Source: {}"}


class NotPublishable(Conflict):
    """A dataset lacks a mandatory property the feed cannot supply; in the feed it would break validation."""


def catalog_uri(info: CatalogInfo) -> URIRef:
    return URIRef(f"{info.base_url}/catalog")


def dataset_page(info: CatalogInfo, dataset_id: str) -> str:
    """The dataset's page; the resources describing it are fragments of it, so each URI resolves there."""
    return f"{info.base_url}/datasets/{quote(dataset_id, safe='')}"


def dataset_uri(info: CatalogInfo, dataset_id: str) -> URIRef:
    # A fragment keeps the dataset apart from its page (the landing page, a foaf:Document) while still resolving.
    return URIRef(f"{dataset_page(info, dataset_id)}#dataset")


def catalog_graph(info: CatalogInfo, entries: Sequence[CatalogEntry]) -> Graph:
    """The whole catalogue: one dcat:Catalog and every entry with its distributions."""
    graph = _new_graph()
    catalog = catalog_uri(info)
    graph.add((catalog, RDF.type, DCAT.Catalog))
    _texts(graph, catalog, DCTERMS.title, info.title)
    _texts(graph, catalog, DCTERMS.description, info.description)
    publisher = _agent(graph, info.agent)
    graph.add((catalog, DCTERMS.publisher, publisher))
    graph.add((catalog, DCTERMS.creator, publisher))
    graph.add((catalog, FOAF.homepage, _document(graph, info.homepage)))
    contact = _contact(graph, URIRef(f"{catalog}#contact-point"), _catalog_contact(info))
    graph.add((catalog, DCAT.contactPoint, contact))
    for code in info.language:
        graph.add((catalog, DCTERMS.language, _language(graph, code)))
    graph.add((catalog, DCAT.themeTaxonomy, _theme_scheme(graph)))
    for entry in entries:
        graph.add((catalog, DCAT.dataset, _dataset(graph, info, entry)))
    latest = [entry.modified for entry in entries if entry.modified is not None]
    if latest:
        graph.add((catalog, DCTERMS.modified, _date(max(latest))))
    return graph


def dataset_graph(info: CatalogInfo, entry: CatalogEntry) -> Graph:
    """One dataset on its own, for its page's RDF alternates."""
    graph = _new_graph()
    _dataset(graph, info, entry)
    return graph


def to_turtle(graph: Graph) -> str:
    return graph.serialize(format="turtle")


def to_jsonld(graph: Graph) -> str:
    """Compact JSON-LD in a stable order, so an unchanged catalogue gives byte-identical output (and ETag)."""
    document = json.loads(graph.serialize(format="json-ld", context=JSONLD_CONTEXT))
    nodes = document.get("@graph", [])
    for node in nodes:
        for key, value in node.items():
            if isinstance(value, list):
                node[key] = sorted(value, key=lambda item: json.dumps(item, sort_keys=True))
    document["@graph"] = sorted(nodes, key=lambda node: str(node.get("@id", "")))
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False)


def jsonld_context() -> str:
    """The context as a document of its own, for clients that want to cache it."""
    return json.dumps({"@context": JSONLD_CONTEXT}, indent=2)


def _new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    return graph


def _dataset(graph: Graph, info: CatalogInfo, entry: CatalogEntry) -> URIRef:
    meta = entry.metadata
    blockers = feed_blockers(meta, has_distributions=_needs_dataset_licence(entry))
    if blockers:
        raise NotPublishable(
            f"dataset {entry.dataset_id!r} cannot go into the DCAT feed: missing {', '.join(blockers)}",
            dataset_id=entry.dataset_id, missing=list(blockers),
        )
    node = dataset_uri(info, entry.dataset_id)
    page = dataset_page(info, entry.dataset_id)
    graph.add((node, RDF.type, DCAT.Dataset))
    # DCAT-AP-NL: the identifier the owner gave, preferably a resolvable URI; ours is the dataset's URI.
    graph.add((node, DCTERMS.identifier, Literal(str(node))))
    _texts(graph, node, DCTERMS.title, meta.title)
    _texts(graph, node, DCTERMS.description, _description(meta))
    _describe_agents(graph, node, meta)
    contact = meta.contact_point or _catalog_contact(info)
    graph.add((node, DCAT.contactPoint, _contact(graph, URIRef(f"{page}#contact-point"), contact)))
    _describe_coverage(graph, node, page, meta)
    _describe_provenance(graph, node, page, meta)
    graph.add((node, DCAT.landingPage, _document(graph, entry.landing_page)))
    if meta.documentation:
        graph.add((node, FOAF.page, _document(graph, meta.documentation)))
    if entry.version_id:
        graph.add((node, DCAT_VERSION, Literal(entry.version_id)))
    if meta.issued:
        graph.add((node, DCTERMS.issued, _date(meta.issued)))
    modified = _last_change(meta.modified, entry.modified)
    if modified:
        graph.add((node, DCTERMS.modified, _date(modified)))
    for dist in entry.distributions:
        graph.add((node, DCAT.distribution, _distribution(graph, page, entry, dist)))
    return node


def _needs_dataset_licence(entry: CatalogEntry) -> bool:
    return any(dist.licence is None for dist in entry.distributions)


def _describe_agents(graph: Graph, node: URIRef, meta: DatasetMetadata) -> None:
    graph.add((node, DCTERMS.publisher, _agent(graph, meta.publisher)))
    graph.add((node, DCTERMS.creator, _agent(graph, meta.creator_or_publisher)))
    graph.add((node, DCTERMS.accessRights, _concept(graph, vocab.access_right(meta.access_rights),
                                                   DCTERMS.RightsStatement)))
    for code in meta.themes:
        theme = _concept(graph, vocab.theme(code))
        graph.add((theme, SKOS.inScheme, URIRef(vocab.THEME_SCHEME)))
        graph.add((node, DCAT.theme, theme))
    for lang, words in meta.keywords.items():
        for word in words:
            graph.add((node, DCAT.keyword, Literal(word, lang=lang)))


def _describe_coverage(graph: Graph, node: URIRef, page: str, meta: DatasetMetadata) -> None:
    for area in meta.spatial:
        graph.add((node, DCTERMS.spatial, _location(graph, area)))
    if meta.temporal:
        period = URIRef(f"{page}#temporal")
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if meta.temporal.start:
            graph.add((period, DCAT.startDate, _date(meta.temporal.start)))
        if meta.temporal.end:
            graph.add((period, DCAT.endDate, _date(meta.temporal.end)))
        graph.add((node, DCTERMS.temporal, period))
    if meta.accrual_periodicity:
        frequency = _concept(graph, vocab.frequency(meta.accrual_periodicity), DCTERMS.Frequency)
        graph.add((node, DCTERMS.accrualPeriodicity, frequency))
    for code in meta.language:
        graph.add((node, DCTERMS.language, _language(graph, code)))


def _describe_provenance(graph: Graph, node: URIRef, page: str, meta: DatasetMetadata) -> None:
    """Where the data came from and whether it is real, in words a portal shows next to the description."""
    statements: dict[str, list[str]] = {"nl": [], "en": []}
    if meta.synthetic:
        for lang in statements:
            statements[lang].append(SYNTHETIC[lang])
    if meta.source:
        for lang in statements:
            statements[lang].append(SOURCE[lang].format(meta.source))
        # dct:source would claim the page is a dcat:Dataset; dct:relation links it without that claim.
        graph.add((node, DCTERMS.relation, URIRef(meta.source)))
    if meta.attribution:
        for lang in statements:
            statements[lang].append(meta.attribution)
    if statements["nl"]:
        provenance = URIRef(f"{page}#provenance")
        graph.add((provenance, RDF.type, DCTERMS.ProvenanceStatement))
        _texts(graph, provenance, RDFS.label, {lang: " ".join(parts) for lang, parts in statements.items()})
        graph.add((node, DCTERMS.provenance, provenance))


def _distribution(graph: Graph, page: str, entry: CatalogEntry, dist: Distribution) -> URIRef:
    meta = entry.metadata
    fmt = vocab.file_format(dist.format)
    node = URIRef(f"{page}#distribution-{fmt.code}")
    graph.add((node, RDF.type, DCAT.Distribution))
    titles = {"nl": dist.title} if dist.title else {lang: f"{t} ({fmt.name})" for lang, t in meta.title.items()}
    _texts(graph, node, DCTERMS.title, titles)
    graph.add((node, DCAT.accessURL, URIRef(dist.access_url)))
    graph.add((node, DCAT.downloadURL, URIRef(dist.download_url)))
    graph.add((node, DCTERMS.format, _typed(graph, fmt.file_type_uri, DCTERMS.MediaTypeOrExtent, fmt.name)))
    graph.add((node, DCAT.mediaType, _typed(graph, fmt.media_type_uri, DCTERMS.MediaType, dist.media_type)))
    licence = vocab.licence(str(dist.licence or meta.licence))
    graph.add((node, DCTERMS.license, _licence(graph, licence)))
    if dist.conforms_to:
        standard = URIRef(dist.conforms_to)
        graph.add((standard, RDF.type, DCTERMS.Standard))
        graph.add((node, DCTERMS.conformsTo, standard))
    if dist.byte_size is not None:
        graph.add((node, DCAT.byteSize, Literal(dist.byte_size, datatype=XSD.nonNegativeInteger)))
    modified = dist.modified or entry.modified
    if modified:
        graph.add((node, DCTERMS.modified, _date(modified)))
    for code in meta.language:
        graph.add((node, DCTERMS.language, _language(graph, code)))
    if meta.attribution:
        rights = URIRef(f"{page}#attribution")
        graph.add((rights, RDF.type, DCTERMS.RightsStatement))
        graph.add((rights, RDFS.label, Literal(meta.attribution)))
        graph.add((node, DCTERMS.rights, rights))
    return node


def _description(meta: DatasetMetadata) -> dict[str, str]:
    """The steward's description, or an honest placeholder (the property is mandatory); synthetic data says so."""
    texts = dict(meta.description) or {
        lang: f"{title}. {NO_DESCRIPTION.get(lang, NO_DESCRIPTION['en'])}" for lang, title in meta.title.items()
    }
    if meta.synthetic:
        texts = {lang: f"{text}\n\n{SYNTHETIC.get(lang, SYNTHETIC['en'])}" for lang, text in texts.items()}
    return texts


def _agent(graph: Graph, agent: Agent) -> URIRef:
    node = URIRef(agent.uri)
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, FOAF.name, Literal(agent.name, lang="nl")))
    return node


def _catalog_contact(info: CatalogInfo) -> ContactPoint:
    """Datasets without a contact of their own are answered by whoever runs the catalogue."""
    return info.contact_point or ContactPoint(name=info.agent.name, url=info.homepage)


def _contact(graph: Graph, node: URIRef, contact: ContactPoint) -> URIRef:
    graph.add((node, RDF.type, VCARD.Kind))
    graph.add((node, RDF.type, VCARD.Organization))
    if contact.name:
        graph.add((node, VCARD.fn, Literal(contact.name)))
    if contact.email:
        graph.add((node, VCARD.hasEmail, URIRef(f"mailto:{contact.email}")))
    if contact.url:
        graph.add((node, VCARD.hasURL, URIRef(contact.url)))
    return node


def _concept(graph: Graph, term: vocab.Term, *classes: URIRef) -> URIRef:
    """A code-list value typed with the class the shapes expect, labelled so the portal need not look it up."""
    node = URIRef(term.uri)
    for cls in (SKOS.Concept, *classes):
        graph.add((node, RDF.type, cls))
    _texts(graph, node, SKOS.prefLabel, {"nl": term.nl, "en": term.en})
    return node


def _language(graph: Graph, code: str) -> URIRef:
    return _concept(graph, vocab.language(code), DCTERMS.LinguisticSystem)


def _theme_scheme(graph: Graph) -> URIRef:
    node = URIRef(vocab.THEME_SCHEME)
    graph.add((node, RDF.type, SKOS.ConceptScheme))
    _texts(graph, node, DCTERMS.title, vocab.THEME_SCHEME_TITLE)
    return node


def _licence(graph: Graph, licence: vocab.Licence) -> URIRef:
    node = URIRef(licence.uri)
    graph.add((node, RDF.type, DCTERMS.LicenseDocument))
    _texts(graph, node, RDFS.label, {"nl": licence.nl, "en": licence.en})
    # The EU licence list names the same licence; European harvesters map on it.
    graph.add((node, SKOS.exactMatch, URIRef(licence.eu_uri)))
    return node


def _location(graph: Graph, area: str) -> URIRef:
    node = URIRef(vocab.spatial_uri(area))
    graph.add((node, RDF.type, DCTERMS.Location))
    name = vocab.spatial_label(area)
    if name:
        graph.add((node, SKOS.prefLabel, Literal(name, lang="nl")))
    return node


def _typed(graph: Graph, uri: str, cls: URIRef, label: str) -> URIRef:
    node = URIRef(uri)
    graph.add((node, RDF.type, cls))
    graph.add((node, RDFS.label, Literal(label)))
    return node


def _document(graph: Graph, url: str) -> URIRef:
    node = URIRef(url)
    graph.add((node, RDF.type, FOAF.Document))
    return node


def _texts(graph: Graph, node: URIRef | BNode, prop: URIRef, texts: Mapping[str, str]) -> None:
    for lang, text in texts.items():
        graph.add((node, prop, Literal(text, lang=lang)))


def _date(value: date | datetime) -> Literal:
    kind = XSD.dateTime if isinstance(value, datetime) else XSD.date
    return Literal(value.isoformat(), datatype=kind)


def _last_change(declared: date | None, stored: datetime | None) -> date | datetime | None:
    """The later of what the steward declared and when the platform stored the current version."""
    if declared is None or stored is None:
        return stored or declared
    return stored if stored.date() >= declared else declared

