"""Prove that real OGC API Features clients work against /ogc unmodified: GDAL/OGR's OAPIF driver and OWSLib,
over real HTTP, with the media types, headers and problem answers the standard asks for."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyproj
import pytest
from fastapi.testclient import TestClient

from tests.conftest import REPO
from tests.helpers.ogc_sample import POINTS, TOKEN, build, point_xy
from tests.helpers.server import serve_app
from wierde.app import create_app
from wierde.store.repository import Store

OGRINFO, OGR2OGR = shutil.which("ogrinfo"), shutil.which("ogr2ogr")
needs_gdal = pytest.mark.skipif(OGRINFO is None or OGR2OGR is None, reason="Debian's gdal-bin is not installed")
TO_LONLAT = pyproj.Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)
RD = "http://www.opengis.net/def/crs/EPSG/0/28992"
HIDDEN = ("geheim-concept", "intern")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = build(tmp_path_factory.mktemp("ogc-web") / "home")
    yield store
    store.close()


@pytest.fixture(scope="module")
def client(store: Store) -> Iterator[TestClient]:
    with TestClient(create_app(store.settings, store)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def ogc_url(store: Store) -> Iterator[str]:
    with serve_app(create_app(store.settings, store)) as url:
        yield url + "/ogc"


def gdal(*args: str) -> str:
    run = subprocess.run(list(args), capture_output=True, text=True, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "GDAL_HTTP_TIMEOUT": "30", "CPL_DEBUG": "OFF"})
    assert run.returncode == 0, run.stderr
    assert "ERROR" not in run.stderr, run.stderr
    return run.stdout


# -- HTTP, as every client sees it ----------------------------------------------------------------------------

def test_landing_page_is_json_for_programs_and_html_for_browsers(client: TestClient) -> None:
    for path in ("/ogc", "/ogc/"):
        answer = client.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
        assert {x["rel"] for x in answer.json()["links"]} >= {"self", "service-desc", "conformance", "data"}
    browser = client.get("/ogc", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.headers["content-type"].startswith("text/html") and "OGC API" in browser.text
    assert client.get("/ogc?f=html").headers["content-type"].startswith("text/html")
    assert client.get("/ogc?f=json", headers={"Accept": "text/html"}).headers["content-type"] == "application/json"
    bad = client.get("/ogc?f=xml")
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"


def test_features_are_geojson_with_a_content_crs(client: TestClient) -> None:
    page = client.get("/ogc/collections/meetpunten/items", params={"crs": RD, "limit": 3})
    assert page.headers["content-type"] == "application/geo+json"
    assert page.headers["content-crs"] == f"<{RD}>"
    assert page.json()["features"][1]["geometry"]["coordinates"] == list(point_xy(1))
    one = client.get("/ogc/collections/meetpunten/items/4")
    assert one.headers["content-type"] == "application/geo+json"
    assert one.headers["content-crs"] == "<http://www.opengis.net/def/crs/OGC/1.3/CRS84>"
    assert client.get("/ogc/collections/meetpunten/queryables").headers["content-type"] == "application/schema+json"
    api = client.get("/ogc/api")
    assert api.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert api.json()["openapi"].startswith("3.0")
    assert "swagger-ui" in client.get("/ogc/api?f=html").text


def test_hidden_and_missing_are_the_same_404_problem(client: TestClient) -> None:
    assert [c["id"] for c in client.get("/ogc/collections").json()["collections"]] == ["gebieden", "meetpunten"]
    answers = {}
    for name in (*HIDDEN, "bestaat-niet"):
        for suffix in ("", "/items", "/items/0", "/queryables"):
            answer = client.get(f"/ogc/collections/{name}{suffix}")
            assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
            answers[(name, suffix)] = answer.json()["detail"].replace(name, "NAME")
    assert len(set(answers.values())) <= 2, "a hidden collection is answered exactly like a missing one"
    steward = client.get("/ogc/collections/geheim-concept/items", headers={"Authorization": f"Bearer {TOKEN}"})
    assert steward.status_code == 200 and steward.json()["numberReturned"] == 1


def test_bad_parameters_are_400_problems(client: TestClient) -> None:
    for params in ({"limit": "0"}, {"bbox": "1,2"}, {"crs": "EPSG:3857"}, {"kleur": "rood"}, {"datetime": "ooit"}):
        answer = client.get("/ogc/collections/meetpunten/items", params=params)
        assert answer.status_code == 400, params
        assert answer.headers["content-type"] == "application/problem+json"


def test_html_pages_show_features_and_page_on(client: TestClient) -> None:
    html = client.get("/ogc/collections/meetpunten/items?f=html&limit=5").text
    assert "punt 4" in html and "punt 5" not in html
    assert re.search(r'href="/ogc/collections/meetpunten/items\?limit=5&amp;cursor=[^"]+&amp;f=html" rel="next"', html)
    assert 'data-geojson="/ogc/collections/meetpunten/items?limit=5&amp;f=json"' in html
    assert "Object 3" in client.get("/ogc/collections/meetpunten/items/3?f=html").text
    english = client.get("/ogc/collections?f=html&lang=en").text
    client.cookies.clear()  # the language choice is remembered in a cookie
    assert "Collections" in english and "Measuring points" in english, "titles in the visitor's language"


def test_api_definition_passes_spectral_oas_rules(client: TestClient, tmp_path: Path) -> None:
    spectral = REPO / "node_modules" / ".bin" / "spectral"
    if not spectral.exists() or shutil.which("node") is None:
        pytest.skip("Spectral is missing: run `make test-setup` (npm ci) first")
    (tmp_path / "api.json").write_text(client.get("/ogc/api").text, encoding="utf-8")
    (tmp_path / "ruleset.yaml").write_text('extends: ["spectral:oas"]\n', encoding="utf-8")
    run = subprocess.run([str(spectral), "lint", "-r", str(tmp_path / "ruleset.yaml"), "-f", "json", "--quiet",
                          str(tmp_path / "api.json")], capture_output=True, text=True, timeout=120)
    findings = json.loads(run.stdout or "[]")
    assert [f"{f['code']}: {f['message']}" for f in findings if f["severity"] <= 1] == []


# -- GDAL/OGR's OAPIF driver ----------------------------------------------------------------------------------

@needs_gdal
def test_ogrinfo_lists_every_visible_collection(ogc_url: str) -> None:
    listing = gdal(str(OGRINFO), "-ro", "-so", f"OAPIF:{ogc_url}")
    assert re.findall(r"^\d+: (\S+)", listing, re.MULTILINE) == ["gebieden", "meetpunten"]
    assert not any(name in listing for name in HIDDEN)


@needs_gdal
def test_ogrinfo_reads_every_feature_through_the_pages(ogc_url: str) -> None:
    out = gdal(str(OGRINFO), "-ro", "-al", "-q", f"OAPIF:{ogc_url}", "meetpunten")
    assert len(re.findall(r"^OGRFeature\(meetpunten\):\d+$", out, re.MULTILINE)) == POINTS
    assert [int(n) for n in re.findall(r"nummer \(Integer\) = (\d+)", out)] == list(range(POINTS))
    assert "gemeten (Date) = 2024/01/25" in out
    summary = gdal(str(OGRINFO), "-ro", "-al", "-so", f"OAPIF:{ogc_url}", "meetpunten")
    assert f"Feature Count: {POINTS}" in summary and "TEMPORAL_INTERVAL_MIN=2024-01-01T00:00:00Z" in summary


@needs_gdal
def test_ogrinfo_filters_on_the_server(ogc_url: str) -> None:
    west, south = TO_LONLAT.transform(232950, 581950)
    east, north = TO_LONLAT.transform(233350, 582450)
    out = gdal(str(OGRINFO), "-ro", "-al", "-q", f"OAPIF:{ogc_url}", "meetpunten",
               "-spat", str(west), str(south), str(east), str(north), "-where", "soort = 'brug'")
    assert [int(n) for n in re.findall(r"nummer \(Integer\) = (\d+)", out)] == [0, 2]
    dated = gdal(str(OGRINFO), "-ro", "-al", "-q", f"OAPIF:{ogc_url}", "meetpunten",
                 "-where", "gemeten >= '2024-01-23'")
    assert [int(n) for n in re.findall(r"nummer \(Integer\) = (\d+)", dated)] == [22, 23, 24]


@needs_gdal
def test_ogr2ogr_copies_a_collection_to_geopackage(ogc_url: str, tmp_path: Path) -> None:
    target = tmp_path / "meetpunten.gpkg"
    gdal(str(OGR2OGR), "-f", "GPKG", str(target), f"OAPIF:{ogc_url}", "meetpunten")
    out = gdal(str(OGRINFO), "-ro", "-al", "-q", str(target))
    points = [(float(x), float(y)) for x, y in re.findall(r"POINT \(([-\d.]+) ([-\d.]+)\)", out)]
    assert len(points) == POINTS
    for i, (lon, lat) in enumerate(points):
        expected = TO_LONLAT.transform(*point_xy(i))
        assert lon == pytest.approx(expected[0], abs=1e-7) and lat == pytest.approx(expected[1], abs=1e-7)
    rd = tmp_path / "gebieden.gpkg"
    gdal(str(OGR2OGR), "-f", "GPKG", "-t_srs", "EPSG:28992", str(rd), f"OAPIF:{ogc_url}", "gebieden")
    assert gdal(str(OGRINFO), "-ro", "-so", "-al", str(rd)).count("Feature Count: 3") == 1


# -- OWSLib ---------------------------------------------------------------------------------------------------

def test_owslib_reads_conformance_collections_and_features(ogc_url: str) -> None:
    features_module = pytest.importorskip("owslib.ogcapi.features")
    api = features_module.Features(ogc_url)
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in api.conformance()["conformsTo"]
    assert [c["id"] for c in api.collections()["collections"]] == ["gebieden", "meetpunten"]
    assert api.feature_collections() == ["gebieden", "meetpunten"]
    west, south = TO_LONLAT.transform(232950, 581950)
    east, north = TO_LONLAT.transform(233250, 582250)
    found = api.collection_items("meetpunten", limit=2, bbox=[west, south, east, north])
    assert (found["numberMatched"], found["numberReturned"]) == (3, 2)
    assert [f["properties"]["naam"] for f in found["features"]] == ["punt 0", "punt 1"]
    one = api.collection_item("meetpunten", 7)
    assert one["id"] == 7 and one["geometry"]["coordinates"] == pytest.approx(
        list(TO_LONLAT.transform(*point_xy(7))), abs=1e-9)
    assert "soort" in api.collection_queryables("meetpunten")["properties"]
    assert api.api()["paths"]["/collections/{collectionId}/items"]
    with pytest.raises(RuntimeError, match="does not exist"):
        api.collection("geheim-concept")
