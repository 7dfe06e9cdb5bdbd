"""Prove that the dcat connector takes one dataset out of a DCAT feed in RDF/XML, Turtle or JSON-LD, following Hydra
paging only as far as needed, maps its DCAT-AP-NL properties onto Wierde's metadata and downloads one distribution;
and that it refuses feeds that loop, never end, do not parse, or try XML entity tricks.

The feeds are the hand-written fixtures beside this file (dcat_fixtures/README.md), served by a real HTTP server on
127.0.0.1; the last test harvests a real Wierde portal's own feed.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.helpers import sample_catalog
from tests.helpers.replay import Reply, Served, misbehaving_server
from wierde import hookspecs
from wierde.catalog.model import DatasetMetadata
from wierde.collect.connectors.dcat import DcatFeed, format_name, licence_code
from wierde.collect.harvest import Source, harvest
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput
from wierde.store.repository import Store

FIXTURES = Path(__file__).parent / "dcat_fixtures"
PLACEHOLDER = "http://portal.example"
FILES = {
    "/files/bomen.csv": b"boom_id,soort\n1,Linde\n2,Eik\n",
    "/files/brugopeningen.csv": b"brug,begin,einde\nBrug A,2024-06-30T08:00:00,2024-06-30T08:10:00\n",
    "/files/brugopeningen.geojson": json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"brug": "Brug A"},
         "geometry": {"type": "Point", "coordinates": [6.59, 53.22]}}]}).encode(),
    "/files/zwemwater.csv": b"locatie,gemeente_code\nPaterswoldsemeer,GM0014\nHoornseplas,GM0014\n",
    "/files/fietstellingen.csv": b"telpunt,aantal\nA,10\n",
    "/files/windturbines.geojson": json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"naam": "Delfzijl Zuid"},
         "geometry": {"type": "Point", "coordinates": [6.95, 53.31]}}]}).encode(),
}
FEEDS = {"/catalog.rdf": "catalog_page1.rdf", "/catalog.rdf?page=1": "catalog_page1.rdf",
         "/catalog.rdf?page=2": "catalog_page2.rdf", "/feed.ttl": "feed_page1.ttl",
         "/feed.ttl?page=1": "feed_page1.ttl", "/feed.ttl?page=2": "feed_page2.ttl", "/feed.jsonld": "feed.jsonld",
         "/contexts/dcat.jsonld": "dcat_context.jsonld"}


class Portal:
    """Serves the fixture feeds with their placeholder host replaced; `extra` answers paths a test adds."""

    def __init__(self) -> None:
        self.served = Served()
        self.extra: dict[str, bytes | Callable[[str], bytes]] = {}

    @property
    def base(self) -> str:
        return self.served.base

    def feed(self, name: str) -> bytes:
        return (FIXTURES / name).read_text(encoding="utf-8").replace(PLACEHOLDER, self.base).encode()

    def behave(self, path: str) -> Reply | None:
        if path in self.extra:
            body = self.extra[path]
            return Reply(body=body(path) if callable(body) else body, content_type="application/octet-stream")
        if path in FEEDS:
            return Reply(body=self.feed(FEEDS[path]), content_type="application/octet-stream")
        if path in FILES:
            return Reply(body=FILES[path], content_type="application/octet-stream")
        return None


@pytest.fixture
def portal() -> Iterator[Portal]:
    state = Portal()
    with misbehaving_server(state.behave) as served:
        state.served = served
        yield state


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(timeout=5, retries=0, deadline_seconds=30) as client:
        yield client


def asked(portal: Portal) -> list[str]:
    return [hit for hit in portal.served.hits if not hit.startswith("/files/")]


# --- RDF/XML with ckanext-dcat's paging -----------------------------------------------------------------------

def test_a_dataset_on_the_second_page_becomes_a_dataset_with_its_metadata(portal: Portal, store: Store) -> None:
    source = Source(id="bruggen", connector="dcat", url=f"{portal.base}/catalog.rdf", dataset="brugopeningen",
                    params={"dataset": "brugopeningen-stad", "distribution": "csv"})
    record = harvest(store, source, fetcher=lambda _: Fetcher(timeout=5, retries=0))

    assert (record.outcome, record.stats["rows"], record.stats["pages"]) == ("new-version", 1, 2)
    assert record.stats["remote_id"] == f"{portal.base}/dataset/brugopeningen"
    assert asked(portal) == ["/catalog.rdf", "/catalog.rdf?page=2"]
    meta = DatasetMetadata.from_mapping(store.dataset("brugopeningen").meta)
    assert meta.title == {"nl": "Brugopeningen in de stad", "en": "Bridge openings in the city"}
    assert meta.keywords == {"nl": ["brug", "scheepvaart"], "en": ["bridge"]}
    assert meta.themes == ["TRAN"], "an OWMS theme has no EU code; only the EU theme is kept"
    assert (meta.publisher.uri, meta.publisher.name) == ("https://identifier.overheid.nl/tooi/id/gemeente/gm0014",
                                                         "Gemeente Groningen")
    assert (meta.contact_point.name, meta.contact_point.email) == ("Team Vaarwegen", "vaarwegen@groningen.example")
    assert (meta.licence, meta.access_rights, meta.spatial, meta.language) == ("CC-BY-4.0", "public", ["GM0014"],
                                                                               ["nl"])
    assert (str(meta.temporal.start), meta.temporal.end) == ("2023-01-01", None)
    assert (meta.accrual_periodicity, str(meta.issued), str(meta.modified)) == ("daily", "2023-02-01", "2024-06-30")
    assert meta.source == f"{portal.base}/dataset/brugopeningen-stad"


def test_reading_stops_at_the_page_that_holds_the_dataset(portal: Portal, fetcher, tmp_path) -> None:
    result = DcatFeed().harvest(fetcher, f"{portal.base}/catalog.rdf", {"dataset": "bomen"}, tmp_path)
    assert asked(portal) == ["/catalog.rdf"]
    assert result.data.read_bytes() == FILES["/files/bomen.csv"]
    assert result.metadata["publisher"] == {"uri": "https://identifier.overheid.nl/tooi/id/gemeente/gm0014",
                                            "name": "Gemeente Groningen"}
    assert result.metadata["licence"] == "CC0-1.0", "the distribution's licence when the dataset has none"


@pytest.mark.parametrize(("distribution", "fmt", "path"), [
    (None, "csv", "/files/brugopeningen.csv"), ("geojson", "geojson", "/files/brugopeningen.geojson"),
    ("brugopeningen-geojson", "geojson", "/files/brugopeningen.geojson"),
])
def test_the_distribution_param_picks_by_format_or_identifier(portal, fetcher, tmp_path, distribution, fmt,
                                                              path) -> None:
    params = {"dataset": "brugopeningen-stad", **({"distribution": distribution} if distribution else {})}
    result = DcatFeed().harvest(fetcher, f"{portal.base}/catalog.rdf", params, tmp_path)
    assert result.format == fmt and result.data.read_bytes() == FILES[path]


def test_the_dataset_param_is_needed_and_must_exist(portal: Portal, fetcher, tmp_path) -> None:
    with pytest.raises(InvalidInput, match=r"the feed holds 3 datasets; choose one with the dataset param"):
        DcatFeed().harvest(fetcher, f"{portal.base}/catalog.rdf", {}, tmp_path)
    with pytest.raises(HarvestError, match=r"no dcat:Dataset 'parkeren' in the feed \(3 datasets"):
        DcatFeed().harvest(fetcher, f"{portal.base}/catalog.rdf", {"dataset": "parkeren"}, tmp_path)
    with pytest.raises(HarvestError, match=r"no distribution in xlsx \(it offers json\)"):
        DcatFeed().harvest(fetcher, f"{portal.base}/catalog.rdf", {"dataset": "speelplekken", "distribution": "xlsx"},
                           tmp_path)


# --- Turtle with hydra:next -----------------------------------------------------------------------------------

def test_turtle_pages_are_followed_through_a_partial_collection_view(portal: Portal, fetcher, tmp_path) -> None:
    result = DcatFeed().harvest(fetcher, f"{portal.base}/feed.ttl", {"dataset": "fietstellingen"}, tmp_path)
    assert asked(portal) == ["/feed.ttl", "/feed.ttl?page=2"]
    assert result.format == "csv" and result.metadata["title"] == {"nl": "Fietstellingen"}
    assert result.metadata["publisher"]["uri"] == "https://identifier.overheid.nl/tooi/id/provincie/pv20", (
        "the catalogue's publisher (from page 1) stands in for a dataset that names none")


def test_a_next_link_back_to_a_page_already_read_stops_the_harvest(portal: Portal, fetcher, tmp_path) -> None:
    portal.extra["/feed.ttl?page=2"] = portal.feed("feed_page2.ttl").replace(
        b"hydra:previous", b"hydra:next")
    with pytest.raises(HarvestError, match=r"/feed.ttl\?page=2: the Hydra next page leads back to a page already "
                                           r"read; the feed loops"):
        DcatFeed().harvest(fetcher, f"{portal.base}/feed.ttl", {"dataset": "nergens"}, tmp_path)


def test_an_endless_feed_stops_at_max_pages(portal: Portal, fetcher, tmp_path) -> None:
    def page(path: str) -> bytes:
        number = int(path.rsplit("=", 1)[1])
        return (f"<{portal.base}/endless?page={number}> <http://www.w3.org/ns/hydra/core#next> "
                f"<{portal.base}/endless?page={number + 1}> .").encode()

    for number in range(1, 12):
        portal.extra[f"/endless?page={number}"] = page
    with pytest.raises(HarvestError, match=r"more than 5 pages; stopped"):
        DcatFeed().harvest(fetcher, f"{portal.base}/endless?page=1", {"max_pages": "5", "syntax": "turtle"}, tmp_path)
    assert len(asked(portal)) == 5


# --- JSON-LD --------------------------------------------------------------------------------------------------

def test_json_ld_with_a_remote_context_is_read_through_the_fetcher(portal: Portal, fetcher, tmp_path) -> None:
    result = DcatFeed().harvest(fetcher, f"{portal.base}/feed.jsonld", {}, tmp_path)
    assert asked(portal) == ["/feed.jsonld", "/contexts/dcat.jsonld"]
    assert result.format == "geojson"
    assert result.metadata["keywords"] == {"nl": ["energie", "wind"]}
    assert (result.metadata["themes"], result.metadata["spatial"], result.metadata["licence"]) == (
        ["ENER"], ["PV20"], "CC-BY-4.0")


@pytest.mark.parametrize(("context", "message"), [
    ({"@context": ["http://elsewhere.example/more.jsonld"]}, "not a self-contained JSON-LD context"),
    ({"@context": {"@import": "http://elsewhere.example/more.jsonld"}}, "not a self-contained JSON-LD context"),
    ({"@context": {"t": {"@id": "http://x.example/t", "@context": "http://elsewhere.example/scoped.jsonld"}}},
     "not a self-contained JSON-LD context"),
    ({"geen": "context"}, "not a self-contained JSON-LD context"),
])
def test_contexts_that_would_make_rdflib_fetch_on_its_own_are_refused(portal, fetcher, tmp_path, context,
                                                                       message) -> None:
    portal.extra["/contexts/dcat.jsonld"] = json.dumps(context).encode()
    with pytest.raises(HarvestError, match=message):
        DcatFeed().harvest(fetcher, f"{portal.base}/feed.jsonld", {}, tmp_path)
    assert not any("elsewhere" in hit for hit in portal.served.hits)


# --- what is refused ------------------------------------------------------------------------------------------

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rdf:RDF [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dct="http://purl.org/dc/terms/">
  <rdf:Description rdf:about="http://x.example/d"><dct:title>&secret;</dct:title></rdf:Description>
</rdf:RDF>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">&lol2;</rdf:RDF>"""


@pytest.mark.parametrize(("path", "body", "message"), [
    ("/xxe.rdf", XXE, "refused: the document declares a DTD or entities"),
    ("/laughs.rdf", LAUGHS, "refused: the document declares a DTD or entities"),
    ("/broken.rdf", b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description>",
     "not well-formed XML"),
    ("/broken.ttl", b"<http://x.example/d> a <http://www.w3.org/ns/dcat#Dataset>", "not valid turtle"),
    ("/broken.jsonld", b'{"@graph": [', "not valid JSON"),
    ("/empty.ttl", b"# nothing here\n", "the feed holds no dcat:Dataset"),
])
def test_feeds_that_are_unsafe_or_broken_fail_naming_the_url(portal, fetcher, tmp_path, path, body, message) -> None:
    portal.extra[path] = body
    with pytest.raises(HarvestError, match=message) as raised:
        DcatFeed().harvest(fetcher, portal.base + path, {}, tmp_path)
    assert path in str(raised.value) or "no dcat:Dataset" in str(raised.value)
    assert not list(tmp_path.iterdir())


def test_params_are_checked(portal, fetcher, tmp_path) -> None:
    with pytest.raises(InvalidInput, match=r"unknown params \['formaat'\]"):
        DcatFeed().harvest(fetcher, f"{portal.base}/feed.ttl", {"formaat": "csv"}, tmp_path)
    with pytest.raises(InvalidInput, match="unknown syntax 'n3'"):
        DcatFeed().harvest(fetcher, f"{portal.base}/feed.ttl", {"syntax": "n3"}, tmp_path)


def test_licences_and_formats_are_read_in_every_spelling() -> None:
    assert licence_code("http://creativecommons.org/publicdomain/zero/1.0/deed.nl") == "CC0-1.0"
    assert licence_code("https://creativecommons.org/licenses/by/4.0/legalcode") == "CC-BY-4.0"
    assert licence_code("http://publications.europa.eu/resource/authority/licence/CC_BY_4_0") == "CC-BY-4.0"
    assert licence_code("cc-zero") == "CC0-1.0" and licence_code("odc-odbl") == "ODbL-1.0"
    assert licence_code("http://standaarden.overheid.nl/owms/terms/licentieonbekend") is None
    assert format_name("http://publications.europa.eu/resource/authority/file-type/GEOJSON") == "geojson"
    assert format_name("https://www.iana.org/assignments/media-types/text/csv") == "csv"
    assert format_name("text/csv; charset=utf-8") == "csv" and format_name(".XLSX") == "xlsx"
    assert format_name("PDF", "https://x.example/f.zip") is None


# --- end to end: another Wierde portal's own feed -------------------------------------------------------------




@pytest.mark.slow  # starts a whole portal (the app's imports and a filled catalogue): seconds on a busy machine
@pytest.mark.parametrize("feed", ["catalog.ttl", "catalog.jsonld"])
def test_a_dataset_from_another_wierde_portals_feed_keeps_its_metadata(wierde_portal, store: Store, feed) -> None:
    dataset_uri = f"{wierde_portal}/datasets/verkeerstellingen#dataset"
    source = Source(id="tellingen", connector="dcat", url=f"{wierde_portal}/{feed}", dataset="tellingen",
                    params={"dataset": dataset_uri})
    record = harvest(store, source, fetcher=lambda _: Fetcher(timeout=10, retries=0))

    assert (record.outcome, record.stats["rows"], record.stats["remote_id"]) == ("new-version", 5, dataset_uri)
    meta = DatasetMetadata.from_mapping(store.dataset("tellingen").meta)
    assert meta.title == sample_catalog.TRAFFIC["title"]
    assert (meta.publisher.uri, meta.licence, meta.themes, meta.spatial) == (
        "https://identifier.overheid.nl/tooi/id/provincie/pv20", "CC-BY-4.0", ["TRAN"], ["PV20"])
    assert (meta.accrual_periodicity, str(meta.temporal.start), str(meta.issued)) == ("monthly", "2024-01-01",
                                                                                      "2024-03-01")
    assert urlsplit(meta.source or "").path == "/datasets/verkeerstellingen"


def test_the_connector_is_registered_by_name() -> None:
    assert isinstance(hookspecs.connector("dcat"), DcatFeed)
