"""Prove that the wfs connector pages through a WFS 2.0 layer, in GML 3.2 or GeoJSON, into a dataset in RD New;
that it refuses unsafe XML (external entities, entity bombs) and broken answers with a clear error naming the URL;
and that a failed harvest leaves the last good version current.

No WFS answer was recorded, so the GML fixtures in fixtures_wfs/ are written from the OGC documents (WFS 2.0,
GML 3.2.1) in the shape of PDOK's CBS Wijken en Buurten service; each says so in its header. The GeoJSON pages are
the recorded PDOK WFS answer in shared/data/regions (345 municipalities, 2022), cut into pages by the test server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from xml.etree.ElementTree import fromstring

import pytest
import yaml

from tests.collect.ogc_fake import serve, to_rd
from tests.helpers.replay import Answer
from wierde import hookspecs
from wierde.collect.connectors.wfs import Wfs, gml_feature
from wierde.collect.files import ReadOptions, ingest_file
from wierde.collect.harvest import Source, find_source, harvest
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput
from wierde.store import harvest_log

FIXTURES = Path(__file__).parent / "fixtures_wfs"
GML = "application/gml+xml; version=3.2"
WIJKENBUURTEN, GEBIEDSINDELINGEN = "/cbs/wijkenbuurten/2023/wfs/v1_0", "/cbs/gebiedsindelingen/2022/wfs/v1_0"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@dataclass
class FakeWfs:
    """Two WFS services on one local server, answering from the fixtures; `replace` swaps in other answers."""

    base: str = ""
    regions: Path | None = None  # the recorded PDOK WFS GeoJSON, when ../shared is there
    next_links: bool = False  # page GML through `next` attributes instead of leaving it to startIndex
    loop: bool = False  # a `next` attribute that names the page itself
    asked: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    replace: dict[tuple[str, str], Answer] = field(default_factory=dict)

    def route(self, raw: str) -> Answer | None:
        parts = urlsplit(raw)
        query = {key.lower(): value for key, value in parse_qsl(parts.query)}
        self.asked.append((parts.path, query))
        request = query.get("request", "").lower()
        if (parts.path, request) in self.replace:
            return self.replace[(parts.path, request)]
        if parts.path == WIJKENBUURTEN:
            return self._wijkenbuurten(request, query, raw)
        if parts.path == GEBIEDSINDELINGEN:
            return self._gebiedsindelingen(request, query)
        return None

    def features_asked(self, path: str) -> list[dict[str, str]]:
        return [q for p, q in self.asked if p == path and q.get("request", "").lower() == "getfeature"]

    def _wijkenbuurten(self, request: str, query: dict[str, str], raw: str) -> Answer | None:
        if request == "getcapabilities":
            return 200, "text/xml", fixture("wijkenbuurten_capabilities.xml")
        if request == "describefeaturetype":
            return 200, "application/xml", fixture("wijkenbuurten_gemeenten.xsd")
        if request == "getfeature":
            return 200, "application/gml+xml; version=3.2", self._gml_page(query, raw)
        return 400, "text/xml", b"<ows:ExceptionReport/>"

    def _gml_page(self, query: dict[str, str], raw: str) -> bytes:
        """The fixture's members from startIndex, count of them, with the collection's counts set to match."""
        text = fixture("wijkenbuurten_gemeenten.xml").decode()
        members = re.findall(r"  <wfs:member>.*?</wfs:member>\n", text, re.S)
        head, foot = text[: text.index("  <wfs:member>")], "</wfs:FeatureCollection>\n"
        start, count = int(query.get("startindex", "0")), int(query.get("count", "1000"))
        chosen = members[start: start + count]
        head = head.replace('numberReturned="3"', f'numberReturned="{len(chosen)}"')
        if self.loop:
            head = head.replace('numberMatched="3"', f'next="{self.base}{raw}"'.replace("&", "&amp;"))
        if self.next_links and start + count < len(members):
            following = {**query, "startindex": str(start + count), "resultsetid": "rs-42"}
            link = f"{self.base}{WIJKENBUURTEN}?{urlencode(following)}".replace("&", "&amp;")
            head = head.replace('numberMatched="3"', f'numberMatched="3" next="{link}"')
        return (head + "".join(chosen) + foot).encode()

    def _gebiedsindelingen(self, request: str, query: dict[str, str]) -> Answer | None:
        if request == "getcapabilities":
            return 200, "text/xml", fixture("gebiedsindelingen_capabilities.xml")
        if request != "getfeature" or self.regions is None:
            return None
        recorded = json.loads(self.regions.read_text(encoding="utf-8"))
        start, count = int(query.get("startindex", "0")), int(query.get("count", "1000"))
        page = recorded["features"][start: start + count]
        if "28992" in query.get("srsname", ""):
            page = [{**f, "geometry": to_rd(f["geometry"])} for f in page]
            page = [{k: v for k, v in f.items() if k != "bbox"} for f in page]
        return 200, "application/json; subtype=geojson", json.dumps({**recorded, "features": page}).encode()


@pytest.fixture
def wfs() -> Iterator[FakeWfs]:
    fake = FakeWfs()
    with serve(fake.route) as base:
        fake.base = base
        yield fake


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(timeout=5, retries=1, backoff=0.01, deadline_seconds=60) as client:
        yield client


def table(con: Any, harvested: hookspecs.Harvested, tmp_path: Path) -> tuple[Any, str]:
    out = tmp_path / "out.parquet"
    result = ingest_file(con, harvested.data, out, ReadOptions(format=harvested.format))
    return result, f"read_parquet('{out}')"


def test_the_connector_is_registered_under_its_name() -> None:
    assert isinstance(hookspecs.connector("wfs"), Wfs)


def test_a_gml_layer_is_paged_by_start_index_and_typed_by_its_schema(wfs, fetcher, tmp_path, con):
    url = f"{wfs.base}{WIJKENBUURTEN}?request=GetCapabilities&service=WFS"
    harvested = Wfs().harvest(fetcher, url, {"typeName": "gemeenten", "count": "2"}, tmp_path)
    assert harvested.stats == {"pages": 2, "matched": 3, "rows": 3}
    asked = wfs.features_asked(WIJKENBUURTEN)
    assert [(q["startindex"], q["count"]) for q in asked] == [("0", "2"), ("2", "2")]
    assert {(q["typenames"], q["outputformat"], q["srsname"]) for q in asked} == {
        ("wijkenbuurten:gemeenten", GML, "urn:ogc:def:crs:EPSG::28992")}
    result, data = table(con, harvested, tmp_path)
    assert result.crs == "EPSG:28992" and result.row_count == 3
    kinds = {f["name"]: f["type"] for f in result.schema["fields"]}
    assert (kinds["aantal_inwoners"], kinds["bevolkingsdichtheid"], kinds["is_stedelijk"]) == (
        "integer", "number", "boolean")
    found = con.sql(f"SELECT id, gemeentecode, gemeentenaam, aantal_inwoners, round(ST_Area(geometry)), "
                    f"ST_NumGeometries(geometry) FROM {data} ORDER BY id").fetchall()
    assert found == [
        ("gemeenten.1", "GM0014", "Groningen", 243768, 396_000_000.0, 1),  # 20 km square less a 2 km hole
        ("gemeenten.2", "GM1966", "Het Hogeland", 48287, 806_000_000.0, 2),  # mainland and an island
        ("gemeenten.3", "GM1969", "Westerkwartier", None, 500_000_000.0, 1)]  # xsi:nil is NULL


def test_the_next_link_of_the_response_is_followed(wfs, fetcher, tmp_path):
    wfs.next_links = True
    harvested = Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {"typeName": "wijkenbuurten:gemeenten",
                                                                     "count": "2"}, tmp_path)
    assert harvested.stats["rows"] == 3
    assert [q.get("resultsetid") for q in wfs.features_asked(WIJKENBUURTEN)] == [None, "rs-42"]


def test_geojson_output_is_preferred_when_offered(wfs, shared, fetcher, tmp_path, con):
    wfs.regions = shared / "data" / "regions" / "pdok_wfs_cbs_gemeente_gegeneraliseerd_2022_wgs84.geojson"
    harvested = Wfs().harvest(fetcher, f"{wfs.base}{GEBIEDSINDELINGEN}", {"count": "200"}, tmp_path)
    assert harvested.stats == {"pages": 2, "matched": 345, "rows": 345}
    asked = wfs.features_asked(GEBIEDSINDELINGEN)
    assert asked[0]["outputformat"] == "application/json; subtype=geojson" and "describefeaturetype" not in str(
        wfs.asked)
    result, data = table(con, harvested, tmp_path)
    assert result.crs == "EPSG:28992" and result.row_count == 345
    x, y = con.sql(f"SELECT ST_X(ST_Centroid(geometry)), ST_Y(ST_Centroid(geometry)) FROM {data} "
                   "WHERE statcode = 'GM0014'").fetchone()
    assert 225_000 < x < 245_000 and 570_000 < y < 590_000
    meta = harvested.metadata
    assert meta["title"] == {"nl": "Gemeenten (gegeneraliseerd)"} and meta["licence"] == "CC-BY-4.0"
    assert meta["spatial"] == ["NL"]


def test_metadata_comes_from_the_capabilities(wfs, fetcher, tmp_path):
    from wierde.catalog.model import DatasetMetadata

    meta = Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {"typeName": "gemeenten"}, tmp_path).metadata
    checked = DatasetMetadata.from_mapping(meta)
    assert checked.title == {"nl": "Gemeenten"} and checked.licence == "CC-BY-4.0"
    assert checked.keywords == {"nl": ["gemeenten", "grenzen"]}
    assert checked.description == {"nl": "Gemeentegrenzen met kerncijfers (CBS), 2023."}


def test_gml_geometries_in_other_encodings_and_latitude_first_crs():
    feature = fromstring("""
      <t:weg xmlns:t="urn:test" xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="weg.7">
        <t:naam>N360</t:naam>
        <t:lengte>12.5</t:lengte>
        <t:beheerder><t:naam>Provincie Groningen</t:naam><t:code>PV20</t:code></t:beheerder>
        <t:as><gml:Curve srsName="urn:ogc:def:crs:EPSG::4326"><gml:segments>
          <gml:LineStringSegment><gml:posList>53.20 6.56 53.25 6.70</gml:posList></gml:LineStringSegment>
          <gml:LineStringSegment><gml:posList>53.25 6.70 53.30 6.80</gml:posList></gml:LineStringSegment>
        </gml:segments></gml:Curve></t:as>
        <t:start><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>53.20 6.56</gml:pos></gml:Point></t:start>
      </t:weg>""")
    converted, crs = gml_feature(feature, {"lengte": "double"}, "http://wfs.example/wfs")
    assert crs is not None and crs.label == "EPSG:4326"
    assert converted["geometry"] == {"type": "LineString", "coordinates": [[6.56, 53.2], [6.7, 53.25], [6.8, 53.3]]}
    assert converted["id"] == "weg.7" and converted["properties"] == {
        "naam": "N360", "lengte": 12.5, "beheerder": {"naam": "Provincie Groningen", "code": "PV20"}}
    multi = fromstring("""
      <t:x xmlns:t="urn:test" xmlns:gml="http://www.opengis.net/gml/3.2"><t:g>
        <gml:MultiCurve srsName="urn:ogc:def:crs:EPSG::28992"><gml:curveMember><gml:LineString srsDimension="3">
          <gml:posList>233000 582000 1.5 233100 582100 2.5</gml:posList></gml:LineString></gml:curveMember>
        </gml:MultiCurve></t:g></t:x>""")
    assert gml_feature(multi, {}, "u")[0]["geometry"] == {
        "type": "MultiLineString", "coordinates": [[[233000.0, 582000.0, 1.5], [233100.0, 582100.0, 2.5]]]}
    arc = fromstring("""
      <t:x xmlns:t="urn:test" xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="x.1"><t:g><gml:Curve>
        <gml:segments><gml:ArcString><gml:posList>0 0 1 1 2 0</gml:posList></gml:ArcString></gml:segments>
      </gml:Curve></t:g></t:x>""")
    with pytest.raises(HarvestError, match=r"http://u: feature x.1: curve segment ArcString is not supported"):
        gml_feature(arc, {}, "http://u")


# --- unsafe and broken answers -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["xxe_gml.xml", "billion_laughs_gml.xml"])
def test_a_gml_page_with_a_dtd_or_entities_is_refused(wfs, fetcher, tmp_path, name):
    wfs.replace[(WIJKENBUURTEN, "getfeature")] = (200, "application/gml+xml", fixture(name))
    with pytest.raises(HarvestError, match=r"request=GetFeature.*: refused: the document declares a DTD or entities"):
        Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {"typeName": "gemeenten"}, tmp_path)
    assert not list(tmp_path.iterdir()), "neither the page nor a half-written table is left"


def test_capabilities_with_an_external_entity_are_refused(wfs, fetcher, tmp_path):
    xxe = fixture("wijkenbuurten_capabilities.xml").replace(
        b"<wfs:WFS_Capabilities", b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n<wfs:WFS_Capabilities', 1)
    wfs.replace[(WIJKENBUURTEN, "getcapabilities")] = (200, "text/xml", xxe)
    with pytest.raises(HarvestError, match=r"request=GetCapabilities: refused: the document declares a DTD"):
        Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {}, tmp_path)


def test_malformed_xml_names_the_url(wfs, fetcher, tmp_path):
    broken = fixture("wijkenbuurten_gemeenten.xml")[:3000]
    wfs.replace[(WIJKENBUURTEN, "getfeature")] = (200, "application/gml+xml", broken)
    with pytest.raises(HarvestError, match=rf"{WIJKENBUURTEN}\?.*request=GetFeature.*: not well-formed XML"):
        Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {"typeName": "gemeenten"}, tmp_path)


def test_malformed_json_names_the_url(wfs, fetcher, tmp_path):
    wfs.replace[(GEBIEDSINDELINGEN, "getfeature")] = (200, "application/json", b'{"type": "FeatureCollection", ')
    with pytest.raises(HarvestError, match=r"request=GetFeature.*: the answer is not valid JSON"):
        Wfs().harvest(fetcher, f"{wfs.base}{GEBIEDSINDELINGEN}", {}, tmp_path)


def test_an_exception_report_is_shown(wfs, fetcher, tmp_path):
    report = (b'<?xml version="1.0"?><ows:ExceptionReport xmlns:ows="http://www.opengis.net/ows/1.1" version="2.0.0">'
              b'<ows:Exception exceptionCode="InvalidParameterValue" locator="typeName"><ows:ExceptionText>'
              b"Feature type not known</ows:ExceptionText></ows:Exception></ows:ExceptionReport>")
    wfs.replace[(WIJKENBUURTEN, "getfeature")] = (400, "text/xml", report)
    with pytest.raises(HarvestError, match=r"request=GetFeature.*: HTTP 400"):
        Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {"typeName": "gemeenten"}, tmp_path)
    wfs.replace[(WIJKENBUURTEN, "getfeature")] = (200, "text/xml", report)
    with pytest.raises(HarvestError, match=r"the service answers with an error: Feature type not known"):
        Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {"typeName": "gemeenten"}, tmp_path)


def test_a_next_link_back_to_the_same_page_stops_with_a_clear_error(wfs, fetcher, tmp_path):
    wfs.loop = True
    with pytest.raises(HarvestError, match=r"startIndex=0.*: the next link leads back to a page already read; the "
                                           r"source loops"):
        Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {"typeName": "gemeenten"}, tmp_path)


def test_a_server_that_ignores_start_index_is_caught(wfs, fetcher, tmp_path):
    page = fixture("wijkenbuurten_gemeenten.xml").replace(b'numberMatched="3" ', b"")  # and always the same 3
    wfs.replace[(WIJKENBUURTEN, "getfeature")] = (200, "application/gml+xml", page)
    with pytest.raises(HarvestError, match=r"startIndex=3.*the same features came back as on an earlier page"):
        Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {"typeName": "gemeenten", "count": "3"}, tmp_path)


def test_an_endless_chain_of_pages_stops_at_max_pages(wfs, fetcher, tmp_path):
    wfs.next_links = True
    with pytest.raises(HarvestError, match=r"more than 1 pages; stopped rather than keep part of the layer"):
        Wfs().harvest(fetcher, f"{wfs.base}{WIJKENBUURTEN}", {"typeName": "gemeenten", "count": "2",
                                                              "max_pages": "1"}, tmp_path)


def test_params_are_checked(wfs, fetcher, tmp_path):
    url = f"{wfs.base}{WIJKENBUURTEN}"
    with pytest.raises(InvalidInput, match=r"set the typeName param; the service offers wijkenbuurten:gemeenten, "
                                           r"wijkenbuurten:wijken"):
        Wfs().harvest(fetcher, url, {}, tmp_path)
    with pytest.raises(InvalidInput, match=r"no feature type 'buurten'"):
        Wfs().harvest(fetcher, url, {"typeName": "buurten"}, tmp_path)
    with pytest.raises(InvalidInput, match=r"the service offers no JSON output"):
        Wfs().harvest(fetcher, url, {"typeName": "gemeenten", "format": "geojson"}, tmp_path)
    with pytest.raises(InvalidInput, match=r"wijkenbuurten:gemeenten offers no CRS EPSG:3857"):
        Wfs().harvest(fetcher, url, {"typeName": "gemeenten", "srsName": "EPSG:3857"}, tmp_path)
    with pytest.raises(InvalidInput, match=r"unknown params \['typename'\]"):
        Wfs().harvest(fetcher, url, {"typename": "gemeenten"}, tmp_path)


# --- through the harvest door --------------------------------------------------------------------------------

def test_harvest_from_sources_yaml_then_unchanged_then_a_failure_keeps_the_last_good_version(wfs, store):
    url = f"{wfs.base}{WIJKENBUURTEN}"
    sources = {"sources": [{"id": "gemeenten-wfs", "connector": "wfs", "url": url, "dataset": "gemeenten-wfs",
                            "params": {"typeName": "wijkenbuurten:gemeenten", "count": 2}}]}
    (store.settings.home / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    source = find_source(store.settings, "gemeenten-wfs")

    def quick(_: Source) -> Fetcher:
        return Fetcher(timeout=5, retries=1, backoff=0.01)

    first, second = harvest(store, source, fetcher=quick), harvest(store, source, fetcher=quick)
    assert (first.outcome, second.outcome, second.version) == ("new-version", "unchanged", 1)
    assert first.stats["rows"] == 3 and first.stats["remote_id"] == f"wfs:{url}#wijkenbuurten:gemeenten"
    assert store.version("gemeenten-wfs").report["crs"] == "EPSG:28992"

    wfs.replace[(WIJKENBUURTEN, "getfeature")] = (200, "application/gml+xml", fixture("billion_laughs_gml.xml"))
    with pytest.raises(HarvestError, match=r"source 'gemeenten-wfs': .*refused: the document declares a DTD"):
        harvest(store, source, fetcher=quick)
    assert store.version("gemeenten-wfs").number == 1 and store.version("gemeenten-wfs").row_count == 3
    history = harvest_log.history(store, dataset_id="gemeenten-wfs")
    assert [h.outcome for h in history] == ["failed", "unchanged", "new-version"]
    assert "refused" in (history[0].error or "")
