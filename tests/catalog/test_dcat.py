"""Prove that the DCAT feed is what data.overheid.nl harvests: valid DCAT-AP-NL 3.0 in Turtle and JSON-LD."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, SKOS

from wierde.catalog import vocab
from wierde.catalog.dcat import (
    NotPublishable,
    catalog_graph,
    dataset_graph,
    dataset_uri,
    to_jsonld,
    to_turtle,
)
from wierde.catalog.model import CatalogEntry, CatalogInfo, DatasetMetadata

from .sample import BASE, ShaclOutcome, distributions

EU = "http://publications.europa.eu/resource/authority/"
# An open namespace: rdflib's closed DCAT one lacks DCAT 3 terms and warns when pytest inspects it.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
DATASET = URIRef(f"{BASE}/datasets/verkeerstellingen#dataset")
MINIMAL = URIRef(f"{BASE}/datasets/subsidies#dataset")
# What DCAT-AP-NL only recommends and our metadata cannot honestly supply yet (see the report in the PR).
EXPECTED_WARNING_PATHS = {str(DCTERMS.conformsTo), str(DCAT.accessService), str(DCTERMS.language), str(FOAF.page)}

Shacl = Callable[[Graph], ShaclOutcome]


def _reparse(text: str, fmt: str) -> Graph:
    return Graph().parse(data=text, format=fmt)


def _assert_valid(outcome: ShaclOutcome) -> None:
    assert outcome.violations == 0, outcome.report


def test_turtle_feed_has_no_violations(info: CatalogInfo, entries: list[CatalogEntry], shacl: Shacl) -> None:
    feed = _reparse(to_turtle(catalog_graph(info, entries)), "turtle")
    outcome = shacl(feed)
    print(f"{outcome.violations} violations, {len(outcome.warnings)} warnings")
    _assert_valid(outcome)
    assert {path for _, path, _ in outcome.warnings} <= EXPECTED_WARNING_PATHS, outcome.report
    assert all(shape.endswith("_aanbevolen_minCount") for _, _, shape in outcome.warnings)


def test_jsonld_feed_parses_back_to_the_same_triples(
    info: CatalogInfo, entries: list[CatalogEntry], shacl: Shacl
) -> None:
    graph = catalog_graph(info, entries)
    text = to_jsonld(graph)
    back = _reparse(text, "json-ld")
    assert isomorphic(graph, back)
    _assert_valid(shacl(back))
    # The context is inline and made of prefixes only: a harvester needs no network to read it.
    context = json.loads(text)["@context"]
    assert context["dcat"] == str(DCAT) and context["dct"] == str(DCTERMS)


def test_fully_described_dataset_only_lacks_what_the_platform_cannot_say(
    info: CatalogInfo, entries: list[CatalogEntry], shacl: Shacl
) -> None:
    outcome = shacl(catalog_graph(info, entries))
    about_full = {path for focus, path, _ in outcome.warnings if focus.startswith(f"{BASE}/datasets/verkeer")}
    assert about_full == {str(DCTERMS.conformsTo), str(DCAT.accessService)}


def test_single_dataset_graph_is_valid_on_its_own(info: CatalogInfo, entries: list[CatalogEntry], shacl: Shacl) -> None:
    graph = dataset_graph(info, entries[0])
    _assert_valid(shacl(_reparse(to_turtle(graph), "turtle")))
    assert (None, RDF.type, DCAT.Catalog) not in graph
    assert (DATASET, RDF.type, DCAT.Dataset) in graph


def test_feed_uses_the_code_lists_of_the_profile(info: CatalogInfo, entries: list[CatalogEntry]) -> None:
    g = catalog_graph(info, entries)
    csv = URIRef(f"{BASE}/datasets/verkeerstellingen#distribution-csv")
    assert (DATASET, DCAT.theme, URIRef(EU + "data-theme/TRAN")) in g
    assert (URIRef(EU + "data-theme/TRAN"), SKOS.prefLabel, Literal("Vervoer", lang="nl")) in g
    assert (DATASET, DCTERMS.accessRights, URIRef(EU + "access-right/PUBLIC")) in g
    assert (DATASET, DCTERMS.accrualPeriodicity, URIRef(EU + "frequency/MONTHLY")) in g
    assert (DATASET, DCTERMS.language, URIRef(EU + "language/NLD")) in g
    assert (DATASET, DCTERMS.spatial, URIRef("http://sws.geonames.org/2755249/")) in g
    pv20 = URIRef("https://identifier.overheid.nl/tooi/id/provincie/pv20")
    assert (DATASET, DCTERMS.publisher, pv20) in g and (DATASET, DCTERMS.creator, pv20) in g
    assert (pv20, FOAF.name, Literal("Provincie Groningen", lang="nl")) in g
    cc_by = URIRef("http://creativecommons.org/licenses/by/4.0/deed.nl")
    assert (csv, DCTERMS.license, cc_by) in g
    assert (cc_by, SKOS.exactMatch, URIRef(EU + "licence/CC_BY_4_0")) in g
    assert (csv, DCTERMS.format, URIRef(EU + "file-type/CSV")) in g
    assert (csv, DCAT.mediaType, URIRef("https://www.iana.org/assignments/media-types/text/csv")) in g
    assert (DATASET, DCTERMS.identifier, Literal(str(DATASET))) in g


def test_every_format_maps_to_a_file_type_and_media_type(info: CatalogInfo, minimal_meta: DatasetMetadata) -> None:
    entry = CatalogEntry(dataset_id="alles", metadata=minimal_meta, landing_page=f"{BASE}/datasets/alles",
                         distributions=distributions("alles", tuple(vocab.FORMATS)))
    g = dataset_graph(info, entry)
    for fmt in vocab.FORMATS.values():
        node = URIRef(f"{BASE}/datasets/alles#distribution-{fmt.code}")
        assert (node, DCTERMS.format, URIRef(fmt.file_type_uri)) in g
        assert (node, DCAT.mediaType, URIRef(fmt.media_type_uri)) in g
    geopackage = URIRef(f"{BASE}/datasets/alles#distribution-gpkg")
    assert g.value(geopackage, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/application/geopackage+sqlite3"
    )


def test_synthetic_data_says_so_in_description_and_provenance(
    info: CatalogInfo, entries: list[CatalogEntry]
) -> None:
    g = catalog_graph(info, entries)
    descriptions = {lit.language: str(lit) for lit in g.objects(DATASET, DCTERMS.description)
                    if isinstance(lit, Literal)}
    assert "synthetische" in descriptions["nl"] and "synthetic" in descriptions["en"]
    provenance = g.value(DATASET, DCTERMS.provenance)
    assert provenance is not None and "NDW" in " ".join(map(str, g.objects(provenance, None)))


def test_dataset_without_description_gets_an_honest_placeholder_and_the_catalogue_contact(
    info: CatalogInfo, entries: list[CatalogEntry]
) -> None:
    g = catalog_graph(info, entries)
    assert "nog geen beschrijving" in str(g.value(MINIMAL, DCTERMS.description))
    contact = g.value(MINIMAL, DCAT.contactPoint)
    assert contact is not None
    assert (contact, URIRef("http://www.w3.org/2006/vcard/ns#hasURL"), URIRef(info.homepage)) in g


def test_district_codes_are_covered_by_their_municipality(info: CatalogInfo, entries: list[CatalogEntry]) -> None:
    g = catalog_graph(info, entries)
    node = dataset_uri(info, "inwoners-per-wijk")
    gemeente = URIRef("https://identifier.overheid.nl/tooi/id/gemeente/gm0014")
    assert set(g.objects(node, DCTERMS.spatial)) == {gemeente}
    assert (node, DCTERMS.creator, gemeente) in g
    assert (gemeente, FOAF.name, Literal("Gemeente Groningen", lang="nl")) in g


def test_dataset_without_theme_is_refused_with_the_reason(info: CatalogInfo) -> None:
    meta = DatasetMetadata.from_mapping({"title": "Zonder thema"})
    entry = CatalogEntry(dataset_id="zonder-thema", metadata=meta, landing_page=f"{BASE}/datasets/zonder-thema",
                         distributions=distributions("zonder-thema", ("csv",)))
    with pytest.raises(NotPublishable, match="'zonder-thema'.*missing themes, licence") as caught:
        catalog_graph(info, [entry])
    assert caught.value.extra["missing"] == ["themes", "licence"]


def test_distribution_licence_overrides_and_can_stand_in_for_the_dataset(info: CatalogInfo) -> None:
    meta = DatasetMetadata.from_mapping({"title": "Licentie per bestand", "themes": ["ENVI"]})
    entry = CatalogEntry(dataset_id="per-bestand", metadata=meta, landing_page=f"{BASE}/datasets/per-bestand",
                         distributions=distributions("per-bestand", ("csv",), licence="CC0-1.0"))
    g = dataset_graph(info, entry)
    node = URIRef(f"{BASE}/datasets/per-bestand#distribution-csv")
    assert g.value(node, DCTERMS.license) == URIRef("http://creativecommons.org/publicdomain/zero/1.0/deed.nl")


def test_dataset_modified_is_the_later_of_declared_and_stored(info: CatalogInfo, entries: list[CatalogEntry]) -> None:
    g = catalog_graph(info, entries)
    assert str(g.value(DATASET, DCTERMS.modified)) == "2025-02-01T06:30:00+00:00"
    assert str(g.value(DATASET, DCAT.version)) == "7"


def test_serialisations_are_stable(info: CatalogInfo, entries: list[CatalogEntry]) -> None:
    first, second = catalog_graph(info, entries), catalog_graph(info, list(entries))
    assert to_turtle(first) == to_turtle(second)
    assert to_jsonld(first) == to_jsonld(second)
