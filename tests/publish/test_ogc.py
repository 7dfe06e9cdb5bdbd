"""Prove that the OGC API (without HTTP) shows only what a caller may see, pages with the row API's cursor,
filters on properties, bbox and time, and puts coordinates in the CRS and axis order the standard asks for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pyproj
import pytest

from tests.helpers.ogc_sample import POINTS, build, point_xy
from wierde.errors import NotFound
from wierde.protect.access import ANONYMOUS, Principal
from wierde.publish import ogc, ogc_crs
from wierde.publish.row_model import QueryError
from wierde.store.repository import Store

RD = "http://www.opengis.net/def/crs/EPSG/0/28992"
WGS84 = "http://www.opengis.net/def/crs/EPSG/0/4326"
TO_LONLAT = pyproj.Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
STEWARD = Principal(kind="steward", name="test")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = build(tmp_path_factory.mktemp("ogc") / "home")
    yield store
    store.close()


@pytest.fixture
def ctx(store: Store) -> ogc.Context:
    return ogc.Context(store, ANONYMOUS, "http://example.test")


def lonlat(i: int) -> tuple[float, float]:
    return TO_LONLAT.transform(*point_xy(i))


def items(ctx: ogc.Context, collection: str = "meetpunten", **params: str) -> dict[str, Any]:
    return ogc.items(ctx, ogc.layer(ctx, collection), list(params.items())).document


def ids(document: dict[str, Any]) -> list[int]:
    return [f["id"] for f in document["features"]]


def link_params(document: dict[str, Any], rel: str) -> dict[str, str] | None:
    href = next((x["href"] for x in document["links"] if x["rel"] == rel), None)
    return None if href is None else dict(parse_qsl(urlsplit(href).query))


def test_only_published_open_geodatasets_are_collections(ctx: ogc.Context) -> None:
    listed = [c["id"] for c in ogc.collections(ctx)["collections"]]
    assert listed == ["gebieden", "meetpunten"], "no draft, no internal dataset, no table without geometry"
    for hidden in ("geheim-concept", "intern", "tabel", "bestaat-niet"):
        with pytest.raises(NotFound, match=f"collection '{hidden}' does not exist"):
            ogc.collection(ctx, hidden)
        with pytest.raises(NotFound):
            ogc.layer(ctx, hidden)
    api_paths = ogc.api(ctx, "t", "d")["paths"]
    assert "/collections/meetpunten/items" in api_paths
    assert not any("geheim" in path or "intern" in path for path in api_paths), "the API definition leaks nothing"


def test_a_steward_also_sees_the_draft(store: Store) -> None:
    steward = ogc.Context(store, STEWARD, "http://example.test")
    assert "geheim-concept" in [c["id"] for c in ogc.collections(steward)["collections"]]
    assert ids(items(steward, "geheim-concept")) == [0]


def test_collection_has_extent_from_the_data_and_its_crs_list(ctx: ogc.Context) -> None:
    found = ogc.collection(ctx, "meetpunten")
    corners = [lonlat(i) for i in range(POINTS)]
    west, south = min(x for x, _ in corners), min(y for _, y in corners)
    east, north = max(x for x, _ in corners), max(y for _, y in corners)
    assert found["extent"]["spatial"]["bbox"][0] == pytest.approx([west, south, east, north], abs=1e-7)
    assert found["extent"]["spatial"]["crs"] == ogc_crs.CRS84_URI
    assert found["extent"]["temporal"]["interval"] == [["2024-01-01T00:00:00Z", "2024-01-25T00:00:00Z"]]
    assert found["crs"] == [ogc_crs.CRS84_URI, WGS84, RD]
    assert found["storageCrs"] == RD
    assert found["itemType"] == "feature"
    rels = {(x["rel"], x["type"]) for x in found["links"]}
    assert {("self", "application/json"), ("items", "application/geo+json"),
            ("http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json")} <= rels
    areas = ogc.collection(ctx, "gebieden")
    assert areas["storageCrs"] == ogc_crs.CRS84_URI
    assert areas["extent"]["spatial"]["bbox"][0] == pytest.approx([6.5, 53.2, 6.75, 53.25])
    assert areas["extent"]["temporal"]["interval"] == [["2023-06-01T12:00:00Z", "2023-06-03T12:00:00Z"]]


def test_pages_follow_next_and_prev_links_with_the_row_cursor(ctx: ogc.Context) -> None:
    first = items(ctx)
    assert (first["numberMatched"], first["numberReturned"], ids(first)) == (POINTS, 10, list(range(10)))
    assert link_params(first, "prev") is None
    seen, page, pages = [], first, []
    while page is not None:
        pages.append(page)
        seen += ids(page)
        after = link_params(page, "next")
        page = items(ctx, **{k: v for k, v in after.items() if k != "f"}) if after else None
    assert seen == list(range(POINTS)) and len(pages) == 3
    back = link_params(pages[2], "prev")
    assert back is not None and ids(items(ctx, cursor=back["cursor"])) == list(range(10, 20))
    assert "cursor" not in (link_params(pages[1], "prev") or {"cursor": "?"}), "prev of page 2 is the first page"
    assert first["timeStamp"].endswith("Z")


def test_property_filters_use_the_row_api(ctx: ogc.Context) -> None:
    bridges = items(ctx, soort="brug", limit="5")
    assert bridges["numberMatched"] == 13 and ids(bridges) == [0, 2, 4, 6, 8]
    assert link_params(bridges, "next") == {"soort": "brug", "limit": "5", "cursor": link_params(bridges, "next")
                                            ["cursor"], "f": "json"}  # type: ignore[index]
    assert ids(items(ctx, hoogte__gte="11")) == [22, 23, 24], "the row API's operators work too"
    with pytest.raises(QueryError, match="unknown parameter"):
        items(ctx, kleur="rood")
    with pytest.raises(QueryError, match="unknown parameter"):
        items(ctx, sort="naam")
    with pytest.raises(QueryError):
        items(ctx, nummer="drie")


def test_limit_is_capped_not_refused_and_must_be_positive(ctx: ogc.Context) -> None:
    assert items(ctx, limit="20000")["numberReturned"] == POINTS
    for bad in ("0", "-1", "tien"):
        with pytest.raises(QueryError, match="limit"):
            items(ctx, limit=bad)


def test_bbox_in_crs84_rd_new_and_lat_lon(ctx: ogc.Context) -> None:
    inside = [i for i in range(POINTS) if 233000 <= point_xy(i)[0] <= 233650 and point_xy(i)[1] <= 582250]
    assert inside == [0, 1, 2, 5, 6]
    rd = items(ctx, bbox="233000,582000,233650,582250", **{"bbox-crs": RD})
    assert ids(rd) == inside and rd["numberMatched"] == 5
    w, s, e, n = 6.5549, 53.2186, 6.563, 53.2214
    in_lonlat = [i for i in range(POINTS) if w <= lonlat(i)[0] <= e and s <= lonlat(i)[1] <= n]
    assert in_lonlat == [0, 1, 2, 5]
    assert ids(items(ctx, bbox=f"{w},{s},{e},{n}")) == in_lonlat
    lat_lon = items(ctx, bbox=f"{s},{w},{n},{e}", **{"bbox-crs": WGS84})
    assert ids(lat_lon) == in_lonlat, "EPSG:4326 boxes are written lat,lon"
    assert ids(items(ctx, "gebieden", bbox="6.52,53.1,6.62,53.3")) == [0, 1]
    assert ids(items(ctx, "gebieden", bbox="229000,579000,229500,580000", **{"bbox-crs": RD})) == [0]
    for bad in ("1,2,3", "a,b,c,d", "6,53,5,54,1"):
        with pytest.raises(QueryError, match="bbox"):
            items(ctx, bbox=bad)
    with pytest.raises(QueryError, match="bbox-crs"):
        items(ctx, bbox="1,2,3,4", **{"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/3857"})


def test_response_crs_and_axis_order(ctx: ogc.Context) -> None:
    layer = ogc.layer(ctx, "meetpunten")
    default = ogc.item(ctx, layer, "3", [])
    assert default.crs == ogc_crs.CRS84 and default.content_crs == f"<{ogc_crs.CRS84_URI}>"
    assert default.document["geometry"]["coordinates"] == pytest.approx(list(lonlat(3)), abs=1e-9)
    lat_lon = ogc.item(ctx, layer, "3", [("crs", WGS84)])
    assert lat_lon.document["geometry"]["coordinates"] == pytest.approx(list(lonlat(3))[::-1], abs=1e-9)
    assert lat_lon.content_crs == f"<{WGS84}>"
    stored = ogc.item(ctx, layer, "3", [("crs", RD)])
    assert stored.document["geometry"]["coordinates"] == list(point_xy(3)), "stored RD coordinates, untouched"
    page = ogc.items(ctx, layer, [("crs", "EPSG:28992"), ("limit", "2")])
    assert [f["geometry"]["coordinates"] for f in page.document["features"]] == [list(point_xy(0)), list(point_xy(1))]
    areas = ogc.items(ctx, ogc.layer(ctx, "gebieden"), [("crs", RD)]).document
    x, y = areas["features"][0]["geometry"]["coordinates"][0][0]
    assert 200000 < x < 260000 and 550000 < y < 620000, "CRS84 storage is moved to RD New"
    with pytest.raises(QueryError, match="crs"):
        ogc.items(ctx, layer, [("crs", "http://www.opengis.net/def/crs/EPSG/0/3857")])


def test_datetime_instants_and_intervals(ctx: ogc.Context, store: Store) -> None:
    assert ids(items(ctx, datetime="2024-01-03")) == [2]
    assert ids(items(ctx, datetime="2024-01-03T00:00:00Z")) == [2]
    assert ids(items(ctx, datetime="2024-01-23/..")) == [22, 23, 24]
    assert ids(items(ctx, datetime="../2024-01-02")) == [0, 1]
    assert ids(items(ctx, datetime="2024-01-05/2024-01-06")) == [4, 5], "both ends are included"
    assert ids(items(ctx, datetime="2024-01-10T/..", soort="brug")) == [10, 12, 14, 16, 18, 20, 22, 24], \
        "GDAL 3.6 writes dates with a trailing T"
    assert ids(items(ctx, "gebieden", datetime="2023-06-02T12:00:00+00:00")) == [1]
    assert ids(items(ctx, "gebieden", datetime="2023-06-02T13:00:00+01:00/..")) == [1, 2]
    for bad in ("gisteren", "2024-02-01/2024-01-01", "a/b/c"):
        with pytest.raises(QueryError, match="datetime"):
            items(ctx, datetime=bad)
    steward = ogc.Context(store, STEWARD, "http://example.test")
    with pytest.raises(QueryError, match="no date"):
        items(steward, "geheim-concept", datetime="2024-01-01")


def test_one_feature_by_its_row_number(ctx: ogc.Context) -> None:
    layer = ogc.layer(ctx, "meetpunten")
    feature = ogc.item(ctx, layer, "7", []).document
    assert feature["id"] == 7 and feature["properties"]["naam"] == "punt 7"
    assert feature["properties"]["gemeten"] == "2024-01-08"
    assert {x["rel"] for x in feature["links"]} == {"self", "alternate", "collection"}
    for missing in ("25", "-1", "abc", "99999999999999999999"):
        with pytest.raises(NotFound, match="does not exist"):
            ogc.item(ctx, layer, missing, [])
    with pytest.raises(QueryError):
        ogc.item(ctx, layer, "7", [("bbox", "1,2,3,4")])


def test_queryables_are_a_json_schema_of_the_filterable_properties(ctx: ogc.Context) -> None:
    schema = ogc.queryables(ctx, "meetpunten")
    assert schema["$id"] == "http://example.test/ogc/collections/meetpunten/queryables"
    assert schema["properties"]["geometry"] == {"x-ogc-role": "primary-geometry", "format": "geometry-point"}
    assert schema["properties"]["gemeten"]["format"] == "date"
    assert schema["properties"]["nummer"]["type"] == "integer"
    assert ogc.queryables(ctx, "gebieden")["properties"]["geometry"]["format"] == "geometry-polygon"


def test_landing_and_conformance_name_the_standard(ctx: ogc.Context) -> None:
    landing = ogc.landing(ctx, "Titel", "Beschrijving")
    rels = {x["rel"]: x for x in landing["links"]}
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert rels["service-desc"]["href"] == "http://example.test/ogc/api?f=json"
    assert {"self", "alternate", "service-doc", "conformance", "data"} <= set(rels)
    classes = ogc.conformance(ctx)["conformsTo"]
    for part in ("ogcapi-features-1/1.0/conf/core", "ogcapi-features-1/1.0/conf/geojson",
                 "ogcapi-features-1/1.0/conf/html", "ogcapi-features-1/1.0/conf/oas30",
                 "ogcapi-features-2/1.0/conf/crs"):
        assert f"http://www.opengis.net/spec/{part}" in classes


def test_pdok_shapes_are_kept(ctx: ogc.Context, shared: Path) -> None:
    """The names PDOK's server (gokoala) uses for the same documents are the ones we use."""
    import json

    recorded = shared / "data" / "ogcapi"
    pdok_page = json.loads((recorded / "gokoala_foo_collection_with_cursor.json").read_text(encoding="utf-8"))
    ours = items(ctx, limit="2", cursor=link_params(items(ctx, limit="2"), "next")["cursor"])  # type: ignore[index]
    assert set(pdok_page) <= set(ours)
    assert {x["rel"] for x in pdok_page["links"]} - {"alternate"} <= {x["rel"] for x in ours["links"]}
    assert set(pdok_page["features"][0]) == set(ours["features"][0])
    pdok_collection = json.loads((recorded / "gokoala_collections_features_and_attributes.json")
                                 .read_text(encoding="utf-8"))["collections"][1]
    assert set(pdok_collection) - {"content", "geometryType"} <= set(ogc.collection(ctx, "meetpunten"))
    pdok_queryables = json.loads((recorded / "gokoala_queryables.json").read_text(encoding="utf-8"))
    assert set(pdok_queryables) - {"description"} <= set(ogc.queryables(ctx, "meetpunten"))


def test_negotiation_prefers_json_unless_a_browser_asks() -> None:
    assert ogc.negotiate(None, None) == "json"
    assert ogc.negotiate(None, "application/geo+json, application/json") == "json"
    assert ogc.negotiate(None, "text/html,application/xhtml+xml,*/*;q=0.8") == "html"
    assert ogc.negotiate(None, "*/*") == "json"
    assert ogc.negotiate("html", "application/json") == "html"
    assert ogc.negotiate("json", "text/html") == "json"
    with pytest.raises(QueryError, match="'f'"):
        ogc.negotiate("xml", None)


def test_crs_references_in_every_spelling() -> None:
    for text in (RD, "https://www.opengis.net/def/crs/EPSG/0/28992", "EPSG:28992", "[EPSG:28992]",
                 "urn:ogc:def:crs:EPSG::28992"):
        assert ogc_crs.code_of(text) == "EPSG:28992"
    assert ogc_crs.code_of(ogc_crs.CRS84_URI) == "OGC:CRS84"
    assert ogc_crs.code_of("EPSG:28992 of zo") is None
    assert ogc_crs.storage_code("GEOMETRY('EPSG:28992')") == "EPSG:28992"
    assert ogc_crs.storage_code("GEOMETRY") == "OGC:CRS84"
    assert (ogc_crs.lat_first("EPSG:4326"), ogc_crs.lat_first("OGC:CRS84"), ogc_crs.lat_first("EPSG:28992")) == (
        True, False, False)
    box = ogc_crs.parse_bbox("53,6,54,7", "EPSG:4326")
    assert (box.west, box.south, box.east, box.north) == (6, 53, 7, 54)
    assert len(ogc_crs.parse_bbox("170,50,-170,60", "OGC:CRS84").parts()) == 2, "crosses the antimeridian"
