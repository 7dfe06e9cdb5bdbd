"""Prove that the ogcapi-features connector harvests a whole OGC API collection into a dataset in RD New, or fails
clearly and leaves the last good version current.

The pages are PDOK's own (gokoala's recorded answers in shared/data/ogcapi, with their `http://localhost:8080` base
rewritten to a local server): a first page of 10 BAG features whose `next` link carries a cursor, then the recorded
cursor page, then a last page without `next`. The collection document is written here in gokoala's shape (the
recordings hold only the `/collections` listing, which is served as recorded).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.collect.ogc_fake import (
    CRS84_URI,
    LATLON_URI,
    RD_URI,
    FakeOgcApi,
    answer,
    collection_document,
    in_crs,
    serve,
)
from wierde import hookspecs
from wierde.collect.connectors.ogcapi_features import OgcApiFeatures
from wierde.collect.files import ReadOptions, ingest_file
from wierde.collect.harvest import Source, find_source, harvest
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput
from wierde.store import harvest_log

RECORDED_BASE = "http://localhost:8080"
FIRST_CURSOR, SECOND_CURSOR = "D78|", "DwA|Nwyr1Q"  # as the recorded next links give them
AMSTERDAM = {"spatial": {"bbox": [[4.85, 52.35, 4.95, 52.40]], "crs": CRS84_URI},
             "temporal": {"interval": [["2021-01-01T00:00:00Z", None]],
                          "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}}


def recorded(shared: Path, name: str, base: str) -> dict[str, Any]:
    text = (shared / "data" / "ogcapi" / name).read_text(encoding="utf-8")
    return json.loads(text.replace(RECORDED_BASE, base))


def reprojected(page: dict[str, Any], query: dict[str, str]) -> dict[str, Any]:
    return {**page, "features": [in_crs(f, query.get("crs")) for f in page["features"]]}


def serve_foo(api: FakeOgcApi, shared: Path, *, crs: tuple[str, ...] = (CRS84_URI, RD_URI)) -> str:
    """The recorded BAG pages of collection `foo`, behind a collection document in gokoala's shape."""
    first = recorded(shared, "gokoala_foo_collection.json", api.base)
    second = recorded(shared, "gokoala_foo_collection_with_cursor.json", api.base)
    last = {"type": "FeatureCollection", "timeStamp": "2000-01-01T00:00:00Z", "features": [], "numberReturned": 0,
            "links": [link for link in second["links"] if link["rel"] != "next"]}
    pages = {None: first, FIRST_CURSOR: second, SECOND_CURSOR: last}
    document = collection_document(api.base, "foo", "Foooo", crs=crs, extra={
        "description": "Ligplaatsen en standplaatsen uit de BAG", "extent": AMSTERDAM,
        "keywords": [{"keyword": "BAG"}, {"keyword": "adres"}]})
    api.routes["/collections"] = lambda q: answer(recorded(shared, "gokoala_collections_features_and_attributes.json",
                                                           api.base), kind="application/json")
    api.routes["/collections/foo"] = lambda q: answer(document, kind="application/json")
    api.routes["/collections/foo/items"] = lambda q: answer(reprojected(pages[q.get("cursor")], q))
    return f"{api.base}/collections/foo"


@pytest.fixture
def api() -> Iterator[FakeOgcApi]:
    fake = FakeOgcApi()
    with serve(fake.route) as base:
        fake.base = base
        yield fake


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(timeout=5, retries=1, backoff=0.01, deadline_seconds=60) as client:
        yield client


def rows(con: Any, path: Path, sql: str) -> list[tuple[Any, ...]]:
    return con.execute(sql.replace("DATA", f"read_parquet('{path}')")).fetchall()


def ingested(con: Any, harvested: hookspecs.Harvested, tmp_path: Path) -> tuple[Path, Any]:
    """What the file ingester makes of the harvest (on the module's one DuckDB connection: spatial loads slowly)."""
    out = tmp_path / "out.parquet"
    return out, ingest_file(con, harvested.data, out, ReadOptions(format=harvested.format))


def test_the_connector_is_registered_under_its_name() -> None:
    assert isinstance(hookspecs.connector("ogcapi-features"), OgcApiFeatures)


def test_every_page_is_followed_by_cursor_and_the_features_arrive_in_rd_new(api, shared, fetcher, tmp_path, con):
    url = serve_foo(api, shared)
    harvested = OgcApiFeatures().harvest(fetcher, url, {}, tmp_path)
    assert (harvested.format, harvested.stats["pages"], harvested.stats["rows"]) == ("geojson", 3, 12)
    assert "matched" not in harvested.stats  # gokoala gives no numberMatched, and none is needed
    asked = api.items_asked("foo")
    assert [q.get("cursor") for q in asked] == [None, FIRST_CURSOR, SECOND_CURSOR]
    assert all(q["crs"] == RD_URI and q["f"] == "json" for q in asked), "the crs is kept on every page"
    assert asked[0]["limit"] == "1000"
    out, result = ingested(con, harvested, tmp_path)
    assert result.crs == "EPSG:28992" and result.row_count == 12
    x, y = rows(con, out, "SELECT ST_X(geometry), ST_Y(geometry) FROM DATA WHERE straatnaam = 'Van Diemenkade'")[0]
    assert 120_000 < x < 123_000 and 487_000 < y < 490_000, "RD New metres around Amsterdam"
    ids = rows(con, out, "SELECT id FROM DATA ORDER BY id")
    assert len(ids) == 12 and ids[0][0] == "3542"


def test_a_collection_without_rd_new_is_harvested_in_crs84(api, shared, fetcher, tmp_path, con):
    url = serve_foo(api, shared, crs=(CRS84_URI,))
    harvested = OgcApiFeatures().harvest(fetcher, url, {}, tmp_path)
    assert "crs" not in api.items_asked("foo")[0]
    out, result = ingested(con, harvested, tmp_path)
    assert result.crs in ("EPSG:4326", "OGC:CRS84")
    x, y = rows(con, out, "SELECT ST_X(geometry), ST_Y(geometry) FROM DATA WHERE straatnaam = 'Van Diemenkade'")[0]
    assert (round(x, 3), round(y, 3)) == (4.887, 52.391)


def test_a_latitude_first_crs_is_turned_to_x_y(api, shared, fetcher, tmp_path, con):
    url = serve_foo(api, shared, crs=(CRS84_URI, LATLON_URI, RD_URI))
    harvested = OgcApiFeatures().harvest(fetcher, url, {"crs": "EPSG:4326"}, tmp_path)
    assert api.items_asked("foo")[0]["crs"] == LATLON_URI
    out, result = ingested(con, harvested, tmp_path)
    assert result.crs == "EPSG:4326"
    x, y = rows(con, out, "SELECT ST_X(geometry), ST_Y(geometry) FROM DATA WHERE straatnaam = 'Van Diemenkade'")[0]
    assert (round(x, 3), round(y, 3)) == (4.887, 52.391), "longitude first, as GeoJSON readers expect"


def test_a_crs_the_collection_does_not_offer_is_refused(api, shared, fetcher, tmp_path):
    url = serve_foo(api, shared)
    with pytest.raises(InvalidInput, match=r"offers no CRS EPSG:3035; it offers OGC:CRS84, EPSG:28992"):
        OgcApiFeatures().harvest(fetcher, url, {"crs": "EPSG:3035"}, tmp_path)


def test_query_parameters_on_the_url_filter_every_page(api, shared, fetcher, tmp_path):
    url = serve_foo(api, shared)
    OgcApiFeatures().harvest(fetcher, f"{url}/items?postcode=1013KW&f=html&limit=5", {"limit": "50"}, tmp_path)
    first = api.items_asked("foo")[0]
    assert (first["postcode"], first["f"], first["limit"]) == ("1013KW", "json", "50")


def test_metadata_comes_from_the_collection_and_the_licence_from_collections(api, shared, fetcher, tmp_path):
    from wierde.catalog.model import DatasetMetadata

    url = serve_foo(api, shared)
    meta = OgcApiFeatures().harvest(fetcher, url, {}, tmp_path).metadata
    checked = DatasetMetadata.from_mapping(meta)
    assert checked.title == {"nl": "Foooo"}
    assert checked.description == {"nl": "Ligplaatsen en standplaatsen uit de BAG"}
    assert checked.keywords == {"nl": ["BAG", "adres"]}
    assert checked.licence == "CC0-1.0", "the recorded /collections links CC0"
    assert checked.spatial == ["NL"] and str(checked.temporal.start) == "2021-01-01"
    assert checked.source == url


def test_a_bbox_given_latitude_first_and_a_licence_deed_are_read(api, fetcher, tmp_path):
    document = collection_document(api.base, "roads", "Roads", crs=(CRS84_URI,), extra={
        "extent": {"spatial": {"bbox": [[53.0, 6.5, 53.4, 7.0]], "crs": LATLON_URI}},
        "links": [{"rel": "license", "title": "CC BY 4.0", "href": "https://creativecommons.org/licenses/by/4.0/deed.nl"}]})
    feature = {"type": "Feature", "id": 1, "properties": {"naam": "N33"},
               "geometry": {"type": "LineString", "coordinates": [[6.8, 53.3], [6.9, 53.2]]}}
    api.add_collection(document, [feature])
    meta = OgcApiFeatures().harvest(fetcher, f"{api.base}/collections/roads", {}, tmp_path).metadata
    assert meta["spatial"] == ["PV20"] and meta["licence"] == "CC-BY-4.0"


def test_a_collection_without_geometry_becomes_a_plain_table(api, fetcher, tmp_path, con):
    document = collection_document(api.base, "road_extras", "Road extras", crs=(CRS84_URI,))
    api.add_collection(document, [{"type": "Feature", "id": i, "properties": {"naam": f"weg {i}", "lengte": i * 1.5},
                                   "geometry": None} for i in range(3)])
    harvested = OgcApiFeatures().harvest(fetcher, f"{api.base}/collections/road_extras", {"limit": "2"}, tmp_path)
    assert (harvested.format, harvested.stats["pages"]) == ("ndjson", 2)
    out, result = ingested(con, harvested, tmp_path)
    assert result.geometry_columns == () and rows(con, out, "SELECT naam, lengte, id FROM DATA ORDER BY id")[2] == (
        "weg 2", 3.0, 2)


def test_number_matched_is_logged_when_the_server_gives_it(api, fetcher, tmp_path):
    api.routes["/collections/x"] = lambda q: answer(collection_document(api.base, "x", "X"))
    api.routes["/collections/x/items"] = lambda q: answer({
        "type": "FeatureCollection", "numberMatched": 1, "numberReturned": 1, "links": [],
        "features": [{"type": "Feature", "properties": {"a": 1}, "geometry": {"type": "Point",
                                                                             "coordinates": [233000, 582000]}}]})
    assert OgcApiFeatures().harvest(fetcher, f"{api.base}/collections/x", {}, tmp_path).stats["matched"] == 1


# --- faults --------------------------------------------------------------------------------------------------

def endless(api: FakeOgcApi, *, same: bool) -> str:
    """A collection whose pages never end: each next link is the page itself, or a new cursor every time."""
    api.routes["/collections/loop"] = lambda q: answer(collection_document(api.base, "loop", "Loop"))

    def page(query: dict[str, str]) -> Any:
        cursor = query.get("cursor", "0") if same else str(int(query.get("cursor", "0")) + 1)
        href = f"{api.base}/collections/loop/items?f=json&crs={RD_URI}&cursor={cursor}"
        return answer({"type": "FeatureCollection", "links": [{"rel": "next", "type": "application/geo+json",
                                                                "href": href}],
                       "features": [{"type": "Feature", "properties": {"n": cursor},
                                     "geometry": {"type": "Point", "coordinates": [233000, 582000]}}]})
    api.routes["/collections/loop/items"] = page
    return f"{api.base}/collections/loop"


def test_a_next_link_back_to_a_page_already_read_stops_with_a_clear_error(api, fetcher, tmp_path):
    url = endless(api, same=True)
    with pytest.raises(HarvestError, match=r"/collections/loop/items\?.*the next link leads back to a page already"):
        OgcApiFeatures().harvest(fetcher, url, {}, tmp_path)
    assert not list(tmp_path.iterdir()), "nothing is left behind"


def test_an_endless_chain_of_new_cursors_stops_at_max_pages(api, fetcher, tmp_path):
    url = endless(api, same=False)
    with pytest.raises(HarvestError, match=r"more than 4 pages; stopped rather than keep part of the collection"):
        OgcApiFeatures().harvest(fetcher, url, {"max_pages": "4"}, tmp_path)
    assert len(api.items_asked("loop")) == 4


def test_malformed_json_names_the_page(api, shared, fetcher, tmp_path):
    url = serve_foo(api, shared)
    api.routes["/collections/foo/items"] = lambda q: (200, "application/geo+json", b'{"type": "FeatureCollection", "fe')
    with pytest.raises(HarvestError, match=r"/collections/foo/items\?f=json.*: the answer is not valid JSON"):
        OgcApiFeatures().harvest(fetcher, url, {}, tmp_path)


def test_a_problem_report_instead_of_features_is_refused(api, shared, fetcher, tmp_path):
    url = serve_foo(api, shared)
    problem = recorded(shared, "gokoala_feature_404.json", api.base)
    api.routes["/collections/foo/items"] = lambda q: answer(problem, kind="application/problem+json")
    with pytest.raises(HarvestError, match=r"not a GeoJSON FeatureCollection \(found a problem report: Not Found"):
        OgcApiFeatures().harvest(fetcher, url, {}, tmp_path)


def test_a_next_link_to_another_host_is_refused(api, shared, fetcher, tmp_path):
    url = serve_foo(api, shared)
    page = recorded(shared, "gokoala_foo_collection.json", "http://elsewhere.example")
    api.routes["/collections/foo/items"] = lambda q: answer(reprojected(page, q))
    with pytest.raises(HarvestError, match=r"the next link leads to another host \(http://elsewhere.example/"):
        OgcApiFeatures().harvest(fetcher, url, {}, tmp_path)


def test_a_server_that_ignores_the_crs_is_caught(api, shared, fetcher, tmp_path):
    url = serve_foo(api, shared)
    page = recorded(shared, "gokoala_foo_collection.json", api.base)
    api.routes["/collections/foo/items"] = lambda q: answer(page)  # degrees, whatever crs was asked
    with pytest.raises(HarvestError, match=r"asked for EPSG:28992 but the coordinates look like degrees"):
        OgcApiFeatures().harvest(fetcher, url, {}, tmp_path)


def test_params_and_urls_are_checked(api, fetcher, tmp_path):
    connector = OgcApiFeatures()
    with pytest.raises(InvalidInput, match=r"unknown params \['limt'\]"):
        connector.harvest(fetcher, f"{api.base}/collections/foo", {"limt": "5"}, tmp_path)
    with pytest.raises(InvalidInput, match=r"limit must be a positive whole number"):
        connector.harvest(fetcher, f"{api.base}/collections/foo", {"limit": "-1"}, tmp_path)
    with pytest.raises(InvalidInput, match=r"expected the URL of a collection"):
        connector.harvest(fetcher, f"{api.base}/collections", {}, tmp_path)


# --- through the harvest door --------------------------------------------------------------------------------

def test_harvest_from_sources_yaml_then_unchanged_then_a_failure_keeps_the_last_good_version(api, shared, store):
    url = serve_foo(api, shared)
    sources = {"sources": [{"id": "bag-ligplaatsen", "connector": "ogcapi-features", "url": url,
                            "dataset": "ligplaatsen", "params": {"limit": 10}, "schedule": "daily"}]}
    (store.settings.home / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    source = find_source(store.settings, "bag-ligplaatsen")

    def quick(_: Source) -> Fetcher:
        return Fetcher(timeout=5, retries=1, backoff=0.01)

    first, second = harvest(store, source, fetcher=quick), harvest(store, source, fetcher=quick)
    assert (first.outcome, second.outcome, second.version) == ("new-version", "unchanged", 1)
    assert first.stats["rows"] == 12 and first.stats["pages"] == 3
    assert first.stats["remote_id"] == f"ogcapi:{url}"
    version = store.version("ligplaatsen")
    assert version.report["crs"] == "EPSG:28992" and version.row_count == 12
    in_rd = rows(store.duck(), store.path_of(version), "SELECT count(*) FROM DATA WHERE ST_X(geometry) > 100000")
    assert in_rd == [(12,)]
    assert store.dataset("ligplaatsen").meta["title"] == {"nl": "Foooo"}

    api.routes["/collections/foo/items"] = lambda q: (200, "application/geo+json", b"<html>busy</html>")
    with pytest.raises(HarvestError, match=r"source 'bag-ligplaatsen': .*/collections/foo/items.*not valid JSON"):
        harvest(store, source, fetcher=quick)
    assert store.version("ligplaatsen").number == 1 and store.version("ligplaatsen").row_count == 12
    outcomes = [h.outcome for h in harvest_log.history(store, dataset_id="ligplaatsen")]
    assert outcomes == ["failed", "unchanged", "new-version"]

