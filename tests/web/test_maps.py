"""Prove that maps never ship a whole large dataset (shapes simplified per zoom, many points counted per cell, a view
is a bbox), that choropleths show the right value per region and level, and that maps obey the access rules."""

from __future__ import annotations

from collections.abc import Iterator

import pyproj
import pytest
from fastapi.testclient import TestClient

from tests.helpers import map_sample
from wierde.app import create_app
from wierde.config import Settings
from wierde.publish.map_classes import class_of, quantile_breaks
from wierde.publish.map_features import MAX_FEATURES
from wierde.store.repository import Store

STEWARD = {"Authorization": f"Bearer {map_sample.TOKEN}"}


@pytest.fixture(scope="module")
def map_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return map_sample.build(tmp_path_factory.mktemp("maps") / "home")


@pytest.fixture(scope="module")
def client(map_settings: Settings) -> Iterator[TestClient]:
    store = Store.open(map_settings)
    with TestClient(create_app(map_settings, store)) as test_client:
        yield test_client


TO_CRS84 = pyproj.Transformer.from_crs("EPSG:28992", "OGC:CRS84", always_xy=True)


def lonlat(x: float, y: float) -> tuple[float, float]:
    return TO_CRS84.transform(x, y)


def vertices(geometry: dict) -> int:
    return sum(len(ring) for ring in geometry["coordinates"])


# ------------------------------------------------------------------------------------------------ map layers


def test_many_points_at_low_zoom_come_as_counts_per_cell(client: TestClient) -> None:
    answer = client.get("/api/v1/datasets/punten/map", params={"zoom": 8})
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/geo+json"
    body = answer.json()
    assert body["clustered"] is True
    assert sum(f["properties"]["count"] for f in body["features"]) == body["numberMatched"] == map_sample.POINTS
    assert 0 < body["numberReturned"] <= MAX_FEATURES
    assert all(f["geometry"]["type"] == "Point" and f["properties"]["cluster"] for f in body["features"])
    finer = client.get("/api/v1/datasets/punten/map", params={"zoom": 12}).json()
    assert finer["numberReturned"] > body["numberReturned"], "zooming in gives smaller cells"


def test_many_shapes_are_counted_per_cell_too(client: TestClient) -> None:
    body = client.get("/api/v1/datasets/vlakjes/map", params={"zoom": 9}).json()
    assert body["clustered"] is True
    assert sum(f["properties"]["count"] for f in body["features"]) == map_sample.SQUARES
    lon, lat = lonlat(*map_sample.point_xy(1))
    close = client.get("/api/v1/datasets/vlakjes/map",
                       params={"bbox": f"{lon - 0.002},{lat - 0.002},{lon + 0.002},{lat + 0.002}", "zoom": 16}).json()
    assert close["clustered"] is False
    assert 1 in {f["id"] for f in close["features"]}
    assert {f["geometry"]["type"] for f in close["features"]} == {"Polygon"}


def test_close_up_shows_each_point_in_the_box_with_its_label_and_item_id(client: TestClient) -> None:
    west, south = lonlat(201000, 561000)
    east, north = lonlat(203000, 563000)
    body = client.get("/api/v1/datasets/punten/map",
                      params={"bbox": f"{west},{south},{east},{north}", "zoom": 15}).json()
    assert body["clustered"] is False
    w, s, e, n = body["bbox"]  # the box asked, widened to whole tiles
    assert w <= west and s <= south and e >= east and n >= north
    expected = set()
    for i in range(map_sample.POINTS):
        lon, lat = lonlat(*map_sample.point_xy(i))
        if w <= lon <= e and s <= lat <= n:
            expected.add(i)
    returned = {f["id"]: f for f in body["features"]}
    assert expected and expected <= set(returned)
    for fid, feature in returned.items():
        assert feature["properties"]["label"] == f"punt {fid}"
        lon, lat = lonlat(*map_sample.point_xy(fid))
        got = feature["geometry"]["coordinates"]
        assert abs(got[0] - lon) < 1e-5 and abs(got[1] - lat) < 1e-5, "CRS84, rounded below a pixel"
        assert w - 0.01 < got[0] < e + 0.01 and s - 0.01 < got[1] < n + 0.01


def test_a_view_elsewhere_is_empty(client: TestClient) -> None:
    # Amsterdam, and the other side of the earth (where RD New folds back over the Netherlands)
    for bbox, zoom in (("4.8,52.3,4.9,52.4", 14), ("-176,-53,-174,-51", 20)):
        body = client.get("/api/v1/datasets/punten/map", params={"bbox": bbox, "zoom": zoom}).json()
        assert (body["numberMatched"], body["features"]) == (0, []), bbox


def test_shapes_are_simplified_more_at_lower_zoom(client: TestClient) -> None:
    low = client.get("/api/v1/datasets/cirkel/map", params={"zoom": 8}).json()["features"][0]["geometry"]
    high = client.get("/api/v1/datasets/cirkel/map", params={"zoom": 14}).json()["features"][0]["geometry"]
    assert low["type"] == high["type"] == "Polygon"
    assert 4 <= vertices(low) < vertices(high) < 2001
    lon, lat = high["coordinates"][0][0]
    assert 5.9 < lon < 6.5 and 52.9 < lat < 53.2, "RD New is served as longitude, latitude"


def test_bad_views_are_refused_naming_the_parameter(client: TestClient) -> None:
    for params, name in (({"bbox": "6,53,abc,54"}, "bbox"), ({"bbox": "6,54,7,53", "zoom": 5}, "bbox"),
                         ({"zoom": 30}, "zoom")):
        answer = client.get("/api/v1/datasets/punten/map", params=params)
        assert answer.status_code == 400, params
        assert answer.json()["invalidParams"][0]["name"] == name


def test_a_dataset_without_geometry_has_no_map(client: TestClient) -> None:
    assert client.get("/api/v1/datasets/inwoners/map").status_code == 404


def test_open_map_answers_are_cacheable_and_revalidate(client: TestClient) -> None:
    first = client.get("/api/v1/datasets/punten/map", params={"zoom": 9})
    assert first.headers["cache-control"] == "public, max-age=60"
    again = client.get("/api/v1/datasets/punten/map", params={"zoom": 9},
                       headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_a_draft_is_not_found_for_anonymous_and_never_cached_for_staff(client: TestClient) -> None:
    for path in ("/api/v1/datasets/punten-concept/map", "/api/v1/datasets/inwoners-intern/choropleth"):
        hidden = client.get(path)
        assert hidden.status_code == 404, path
        assert "inwoners-intern" not in hidden.text or "does not exist" in hidden.text
        seen = client.get(path, headers=STEWARD)
        assert seen.status_code == 200, path
        assert seen.headers["cache-control"] == "private, no-store"


def test_withheld_columns_stay_off_the_map(client: TestClient) -> None:
    answer = client.get("/api/v1/datasets/meldpunten/map", params={"zoom": 15})
    assert answer.status_code == 200 and "Persoon" not in answer.text, "the names of people are withheld"
    assert {f["properties"]["label"] for f in answer.json()["features"]} == {"afval", "licht"}
    assert answer.headers["cache-control"] == "private, no-store", "not everyone sees the same answer"
    assert client.get("/api/v1/datasets/adressen/map").status_code == 404, "a withheld place has no map"
    hidden = client.get("/api/v1/datasets/inwoners-deels/choropleth", params={"measure": "inwoners"})
    assert hidden.status_code == 400 and hidden.json()["invalidParams"][0]["name"] == "measure"
    shown = client.get("/api/v1/datasets/inwoners-deels/choropleth", params={"measure": "dichtheid"})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "private, no-store"
    page = client.get("/datasets/inwoners-deels").text
    assert 'value="dichtheid"' in page and 'value="inwoners"' not in page


# ------------------------------------------------------------------------------------------------ choropleths


def values(body: dict) -> dict[str, object]:
    return {f["properties"]["code"]: f["properties"]["value"] for f in body["features"]}


def test_choropleth_per_municipality_uses_the_municipality_rows_of_the_latest_year(client: TestClient) -> None:
    body = client.get("/api/v1/datasets/inwoners/choropleth", params={"level": "gemeente"}).json()
    assert (body["measure"], body["agg"], body["period"]) == ("inwoners", "sum", "2024")
    assert body["periods"] == ["2023", "2024"]
    assert values(body) == {"GM0001": 1000, "GM0002": 500}, "not 1000 + its districts + its neighbourhoods"
    assert body["breaks"] == [500, 750, 1000]
    assert {f["properties"]["code"]: f["properties"]["class"] for f in body["features"]} == {"GM0001": 1, "GM0002": 0}
    assert body["unmatched"] == ["GM9999"], "a code without a boundary is named, not drawn"
    assert body["boundaries"]["dataset"] == "gemeenten"
    ring = body["features"][0]["geometry"]["coordinates"][0]
    assert all(5.9 < x < 6.5 and 52.9 < y < 53.2 for x, y in ring)


def test_choropleth_per_district_and_neighbourhood(client: TestClient) -> None:
    wijk = client.get("/api/v1/datasets/inwoners/choropleth", params={"level": "wijk"}).json()
    assert values(wijk) == {"WK000100": 600, "WK000101": 400, "WK000200": 500}
    assert wijk["breaks"] == [400, 466.667, 533.333, 600]
    assert {f["properties"]["code"]: f["properties"]["class"] for f in wijk["features"]} == {
        "WK000100": 2, "WK000101": 0, "WK000200": 1}
    buurt = client.get("/api/v1/datasets/inwoners/choropleth",
                       params={"level": "buurt", "period": "2023"}).json()
    assert values(buurt) == {"BU00010000": 200, "BU00010001": 340, "BU00010100": 360, "BU00020000": 450}
    assert buurt["features"][0]["properties"]["name"] == "Buurt 0000"


def test_choropleth_adds_up_finer_rows_when_there_are_no_rows_for_the_level(client: TestClient) -> None:
    total = client.get("/api/v1/datasets/woningen/choropleth", params={"level": "gemeente"}).json()
    assert values(total) == {"GM0001": 60, "GM0002": 40}
    mean = client.get("/api/v1/datasets/woningen/choropleth", params={"level": "wijk", "agg": "avg"}).json()
    assert values(mean) == {"WK000100": 20.0, "WK000101": 20.0, "WK000200": 40.0}


def test_choropleth_of_a_number_column_averages_by_default(client: TestClient) -> None:
    body = client.get("/api/v1/datasets/inwoners/choropleth", params={"measure": "dichtheid"}).json()
    assert body["agg"] == "avg"
    assert values(body) == {"GM0001": 100.0, "GM0002": 50.0}


def test_choropleth_counts_rows_and_offers_years_of_daily_data(client: TestClient) -> None:
    counted = client.get("/api/v1/datasets/inwoners/choropleth", params={"agg": "count"}).json()
    assert values(counted) == {"GM0001": 1, "GM0002": 1}, "one row about each municipality itself"
    body = client.get("/api/v1/datasets/meldingen/choropleth").json()
    assert body["periods"] == ["2023", "2024"], "400 days are offered as their years"
    assert body["period"] == "2024"
    days_2024 = range(365, map_sample.DAYS)
    assert values(body) == {"GM0001": sum(1 + i % 3 for i in days_2024 if i % 2 == 0),
                            "GM0002": sum(1 + i % 3 for i in days_2024 if i % 2 == 1)}
    year = client.get("/api/v1/datasets/meldingen/choropleth", params={"period": "2023", "agg": "count"}).json()
    assert values(year) == {"GM0001": 183, "GM0002": 182}


def test_choropleth_refuses_what_the_data_cannot_show(client: TestClient) -> None:
    cases = [({"level": "provincie"}, "level"), ({"measure": "regio"}, "measure"), ({"period": "1999"}, "period")]
    for params, name in cases:
        answer = client.get("/api/v1/datasets/inwoners/choropleth", params=params)
        assert answer.status_code == 400, params
        assert answer.json()["invalidParams"][0]["name"] == name
    assert client.get("/api/v1/datasets/punten/choropleth").status_code == 400, "punten has no region codes"


def test_quantile_breaks_and_classes() -> None:
    assert quantile_breaks([]) == []
    assert quantile_breaks([3, 3, 3]) == [3, 3]
    assert quantile_breaks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == [1, 2.8, 4.6, 6.4, 8.2, 10]
    breaks = [1, 2.8, 4.6, 6.4, 8.2, 10]
    assert [class_of(v, breaks) for v in (1, 2.8, 2.9, 10, None)] == [0, 0, 1, 4, None]


# ------------------------------------------------------------------------------------------------ portal pages


def test_pages_offer_the_maps_they_can_draw(client: TestClient) -> None:
    points = client.get("/datasets/punten").text
    assert 'data-layer="/api/v1/datasets/punten/map"' in points
    assert 'id="choropleth"' not in points
    keyed = client.get("/datasets/inwoners").text
    assert 'data-choropleth="/api/v1/datasets/inwoners/choropleth"' in keyed
    assert all(f'value="{level}"' in keyed for level in ("gemeente", "wijk", "buurt"))
    assert 'id="map"' not in keyed, "no geometry, no map of objects"
    chosen = client.get("/datasets/inwoners", params={"level": "wijk", "measure": "dichtheid", "lang": "en"}).text
    assert "Map by region" in chosen and 'value="wijk" selected' in chosen and 'value="dichtheid" selected' in chosen


def test_the_first_view_of_a_page_holds_every_feature(client: TestClient) -> None:
    page = client.get("/datasets/punten").text
    bbox = page.split('data-bbox="')[1].split('"')[0]
    west, south, east, north = (float(v) for v in bbox.split(","))
    for i in range(0, map_sample.POINTS, 97):
        lon, lat = lonlat(*map_sample.point_xy(i))
        assert west - 1e-5 <= lon <= east + 1e-5 and south - 1e-5 <= lat <= north + 1e-5
