"""Prove that the row API answers as a developer expects: filters, sort, fields, cursors, formats, errors."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

ROWS = "/api/v1/datasets/verkeerstellingen/rows"


def test_lists_published_datasets_only(client: TestClient) -> None:
    response = client.get("/api/v1/datasets")
    assert response.status_code == 200
    ids = {d["id"] for d in response.json()}
    assert {"gemeenten", "verkeerstellingen", "bruggen", "aardbevingen"} <= ids
    assert "concept-geheim" not in ids
    assert response.headers["API-Version"]


def test_a_draft_is_not_found_through_any_api_door(client: TestClient) -> None:
    for path in ("/api/v1/datasets/concept-geheim", "/api/v1/datasets/concept-geheim/rows",
                 "/api/v1/datasets/concept-geheim/versions", "/api/v1/datasets/concept-geheim/download?format=csv",
                 "/api/v1/datasets/concept-geheim/versions/1/download?format=csv"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"
        assert "geheim" not in response.text.replace("concept-geheim", ""), "no value of the draft leaks"


def test_filter_sort_and_fields(client: TestClient) -> None:
    response = client.get(ROWS, params={"gemeente_code": "GM0014", "vehicles__gt": "500", "sort": "-vehicles",
                                        "fields": "site_id,vehicles", "limit": "5"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 5 and body["total"] > 5
    vehicles = [r["vehicles"] for r in body["rows"]]
    assert vehicles == sorted(vehicles, reverse=True) and min(vehicles) > 500
    assert set(body["rows"][0]) == {"site_id", "vehicles"}


def test_cursor_pages_cover_every_row_once(client: TestClient) -> None:
    seen: list[tuple[str, str]] = []
    url: str | None = ROWS + "?gemeente_code=GM1950&limit=400&fields=site_id,timestamp"
    total = None
    while url:
        body = client.get(url).json()
        total = body["total"]
        seen += [(r["site_id"], r["timestamp"]) for r in body["rows"]]
        url = body["_links"].get("next", {}).get("href")
    assert total and len(seen) == total == len(set(seen))


def test_bad_parameters_are_problem_json_naming_the_parameter(client: TestClient) -> None:
    unknown = client.get(ROWS, params={"bestaat_niet": "1"})
    assert unknown.status_code == 400
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["invalidParams"][0]["name"] == "bestaat_niet"
    bad_value = client.get(ROWS, params={"vehicles__gt": "veel"})
    assert bad_value.status_code == 400 and "vehicles__gt" in bad_value.json()["detail"]
    bad_limit = client.get(ROWS, params={"limit": "0"})
    assert bad_limit.status_code == 400 and bad_limit.json()["status"] == 400
    injection = client.get(ROWS, params={"sort": "vehicles;DROP TABLE x"})
    assert injection.status_code == 400


def test_formats_by_accept_and_by_parameter(client: TestClient) -> None:
    as_csv = client.get(ROWS, params={"limit": "3"}, headers={"Accept": "text/csv"})
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert len(rows) == 3 and rows[0]["site_id"].startswith("PGR")
    geo = client.get("/api/v1/datasets/bruggen/rows", params={"format": "geojson"})
    features = json.loads(geo.text)["features"]
    lon, lat = features[0]["geometry"]["coordinates"]
    assert 6.0 < lon < 7.3 and 52.8 < lat < 53.6, "bridges lie in Groningen, in lon/lat order"
    refused = client.get(ROWS, params={"format": "geojson"})
    assert refused.status_code in (400, 406), "a table without geometry has no GeoJSON"


def test_immutable_versions_have_etags(client: TestClient) -> None:
    first = client.get("/api/v1/datasets/gemeenten/versions/1/rows")
    assert first.status_code == 200
    assert "immutable" in first.headers["Cache-Control"]
    again = client.get("/api/v1/datasets/gemeenten/versions/1/rows", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_download_whole_dataset(client: TestClient) -> None:
    response = client.get("/api/v1/datasets/hoogte/download", params={"format": "csv"})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    versions = client.get("/api/v1/datasets/hoogte/versions").json()
    assert len(rows) == versions[-1]["rowCount"]
    assert any(float(r["laagste_punt_m_nap"]) < 0 for r in rows), "NAP heights below zero stay numbers"


def test_aggregate_per_municipality(client: TestClient) -> None:
    response = client.get("/api/v1/datasets/verkeerstellingen/aggregate",
                          params={"groupBy": "gemeente_code", "sum": "vehicles", "avg": "mean_speed",
                                  "vehicles__gt": "0"})
    assert response.status_code == 200, response.text
    groups = response.json()["groups"]
    assert [g["gemeente_code"] for g in groups] == sorted(g["gemeente_code"] for g in groups)
    whole = client.get("/api/v1/datasets/verkeerstellingen/aggregate", params={"sum": "vehicles"}).json()
    assert sum(g["sum_vehicles"] for g in groups) == whole["groups"][0]["sum_vehicles"]
    assert all(20 < g["avg_mean_speed"] < 130 for g in groups)
    refused = client.get("/api/v1/datasets/verkeerstellingen/aggregate", params={"sum": "site_id"})
    assert refused.status_code == 400 and "site_id" in refused.json()["detail"]


def test_second_download_of_open_data_is_served_from_the_cache(client: TestClient) -> None:
    first = client.get("/api/v1/datasets/energie/download", params={"format": "csv", "jaar": "2020"})
    second = client.get("/api/v1/datasets/energie/download", params={"format": "csv", "jaar": "2020"})
    assert first.status_code == second.status_code == 200
    assert first.content == second.content and first.headers["ETag"] == second.headers["ETag"]
    assert "content-length" in second.headers, "a cached file is sent whole, with its length"
    other = client.get("/api/v1/datasets/energie/download", params={"format": "csv", "jaar": "2021"})
    assert other.content != first.content
