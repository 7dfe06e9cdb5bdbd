"""Prove that the regions connector turns PDOK's CBS boundaries into the region reference data the regions package
reads: the ten municipalities of the province of Groningen for a chosen year, their districts and neighbourhoods,
or every municipality of the country; and that a failing source leaves the last good version current.

The municipalities are real: CBS gebiedsindelingen 2025 and 2022 from shared/data/regions (README there), served
by a local stand-in for PDOK's OGC API (tests/collect/ogc_fake.py) as collection `gemeente_gegeneraliseerd`,
filtered by `jaarcode`. The province boundary is the union of the ten municipalities; the districts and
neighbourhoods are made up here (halves of real municipalities) in gebiedsindelingen's shape, as nothing of them
was recorded.
"""

from __future__ import annotations

import copy
import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shapely
import yaml
from shapely.geometry import box, mapping, shape

from tests.collect.ogc_fake import CRS84_URI, RD_URI, FakeOgcApi, answer, collection_document, serve
from wierde import hookspecs
from wierde.collect.connectors.regions import RegionsConnector
from wierde.collect.files import ReadOptions, ingest_file
from wierde.collect.harvest import Source, find_source, harvest
from wierde.collect.http import Fetcher, HarvestError
from wierde.errors import InvalidInput
from wierde.regions import RegionSet
from wierde.store import harvest_log

GRONINGEN = {"GM0014", "GM1966", "GM1969", "GM1952", "GM1979", "GM1895", "GM0765", "GM0037", "GM0047", "GM1950"}
QUERYABLES = ("jaarcode", "statcode")


def load(shared: Path, name: str) -> list[dict[str, Any]]:
    return copy.deepcopy(_load(shared, name))


@functools.cache
def _load(shared: Path, name: str) -> list[dict[str, Any]]:
    return json.loads((shared / "data" / "regions" / name).read_text(encoding="utf-8"))["features"]


def area(code: str, year: int, name: str, rubriek: str, geometry: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": dict(mapping(geometry)), "properties": {
        "statcode": code, "jrstatcode": f"{year}{code}", "statnaam": name, "rubriek": rubriek}}


def halves(geometry: Any, vertical: bool) -> tuple[Any, Any]:
    west, south, east, north = geometry.bounds
    if vertical:
        middle = (west + east) / 2
        return geometry.intersection(box(west, south, middle, north)), geometry.intersection(box(middle, south, east,
                                                                                                    north))
    middle = (south + north) / 2
    return geometry.intersection(box(west, south, east, middle)), geometry.intersection(box(west, middle, east, north))


def made_up_districts(municipalities: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two districts of Groningen and one of Almere, and neighbourhoods in them (not recorded: made up here)."""
    shapes = {f["properties"]["statcode"]: shapely.make_valid(shape(f["geometry"])) for f in municipalities}
    west, east = halves(shapes["GM0014"], vertical=True)
    south, north = halves(west, vertical=False)
    wijken = [area("WK001400", 2025, "Centrum", "wijk", west), area("WK001401", 2025, "Oost", "wijk", east),
              area("WK003400", 2025, "Almere-Stad", "wijk", shapes["GM0034"])]
    buurten = [area("BU00140000", 2025, "Binnenstad-Zuid", "buurt", south),
               area("BU00140001", 2025, "Binnenstad-Noord", "buurt", north),
               area("BU00140100", 2025, "Oosterpoort", "buurt", east),
               area("BU00340000", 2025, "Stedenwijk", "buurt", shapes["GM0034"])]
    return wijken, buurten


def province(municipalities: list[dict[str, Any]], year: int) -> dict[str, Any]:
    parts = [shapely.make_valid(shape(f["geometry"])) for f in municipalities
             if f["properties"]["statcode"] in GRONINGEN]
    return area("PV20", year, "Groningen", "provincie", shapely.union_all(parts))


def gebiedsindelingen(api: FakeOgcApi, shared: Path) -> str:
    """PDOK's CBS gebiedsindelingen API with the recorded municipalities of 2025 and 2022 in one collection."""
    g2025 = load(shared, "cbs_gemeente_2025_gegeneraliseerd_wgs84_rounded.geojson")
    g2022 = load(shared, "pdok_wfs_cbs_gemeente_gegeneraliseerd_2022_wgs84.geojson")
    wijken, buurten = made_up_districts(g2025)
    for cid, title, features in (
            ("gemeente_gegeneraliseerd", "Gemeenten (gegeneraliseerd)", g2025 + g2022),
            ("provincie_gegeneraliseerd", "Provincies (gegeneraliseerd)", [province(g2025, 2025),
                                                                            province(g2022, 2022)]),
            ("wijk_gegeneraliseerd", "Wijken (gegeneraliseerd)", wijken),
            ("buurt_gegeneraliseerd", "Buurten (gegeneraliseerd)", buurten)):
        api.add_collection(collection_document(api.root, cid, title), features, QUERYABLES)
    return api.root


@pytest.fixture
def api() -> Iterator[FakeOgcApi]:
    fake = FakeOgcApi(prefix="/cbs/gebiedsindelingen/ogc/v1")
    with serve(fake.route) as base:
        fake.base = base
        yield fake


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(timeout=5, retries=1, backoff=0.01, deadline_seconds=60) as client:
        yield client


def harvested_rows(con: Any, harvested: hookspecs.Harvested, tmp_path: Path, name: str) -> tuple[Path, list[dict]]:
    out = tmp_path / f"{name}.parquet"
    result = ingest_file(con, harvested.data, out, ReadOptions(format=harvested.format))
    assert result.crs == "EPSG:28992"
    relation = con.sql(f"SELECT * EXCLUDE (geometry) FROM read_parquet('{out}') ORDER BY code")
    return out, [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def harvested_rows_crs84(con: Any, harvested: hookspecs.Harvested, tmp_path: Path) -> tuple[Path, list[dict]]:
    out = tmp_path / "crs84.parquet"
    assert ingest_file(con, harvested.data, out, ReadOptions(format=harvested.format)).crs == "EPSG:4326"
    relation = con.sql(f"SELECT code, year FROM read_parquet('{out}')")
    return out, [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def test_the_connector_is_registered_under_its_name() -> None:
    assert isinstance(hookspecs.connector("regions"), RegionsConnector)


def test_the_ten_municipalities_of_groningen_become_region_reference_data(api, shared, store):
    root = gebiedsindelingen(api, shared)
    sources = {"sources": [{"id": "gemeenten-cbs", "connector": "regions", "url": root, "dataset": "gemeenten",
                            "params": {"year": 2025, "province": "PV20"}, "schedule": "monthly"}]}
    (store.settings.home / "sources.yaml").write_text(yaml.safe_dump(sources), encoding="utf-8")
    source = find_source(store.settings, "gemeenten-cbs")

    def quick(_: Source) -> Fetcher:
        return Fetcher(timeout=5, retries=1, backoff=0.01)

    first, second = harvest(store, source, fetcher=quick), harvest(store, source, fetcher=quick)
    assert (first.outcome, second.outcome, second.version) == ("new-version", "unchanged", 1)
    version = store.version("gemeenten")
    assert version.row_count == 10 and version.report["crs"] == "EPSG:28992"
    asked = api.items_asked("gemeente_gegeneraliseerd")[0]
    assert (asked["jaarcode"], asked["crs"], asked["bbox-crs"]) == ("2025", RD_URI, RD_URI), "the box narrows it"
    regions = RegionSet.from_files([store.path_of(version)])
    assert {r.code for r in regions.level("GM")} == GRONINGEN
    assert regions.get("GM1966").name == "Het Hogeland" and regions.get("GM1966").year == 2025
    assert {r.code for r in regions.children("PV20")} == GRONINGEN
    assert regions.crs == "EPSG:28992"
    x, y = regions.get("GM0014").geometry.centroid.coords[0]
    assert 225_000 < x < 245_000 and 570_000 < y < 590_000, "the city of Groningen in RD New"
    meta = store.dataset("gemeenten").meta
    assert meta["title"]["nl"] == "Gemeenten 2025 in de provincie Groningen (CBS)" and meta["spatial"] == ["PV20"]
    assert meta["licence"] == "CC-BY-4.0"

    api.broken[f"{api.prefix}/collections/gemeente_gegeneraliseerd/items"] = (502, "text/html", b"<h1>down</h1>")
    with pytest.raises(HarvestError, match=r"gemeente_gegeneraliseerd/items.*HTTP 502"):
        harvest(store, source, fetcher=quick)
    assert store.version("gemeenten").number == 1 and store.version("gemeenten").row_count == 10
    outcomes = [h.outcome for h in harvest_log.history(store, dataset_id="gemeenten")]
    assert outcomes == ["failed", "unchanged", "new-version"]


def test_the_year_chooses_the_division_and_no_province_keeps_the_country(api, shared, fetcher, tmp_path, con):
    root = gebiedsindelingen(api, shared)
    harvested = RegionsConnector().harvest(fetcher, root, {"year": "2022", "limit": "200"}, tmp_path)
    assert harvested.stats == {"pages": 2, "rows": 345}
    _, found = harvested_rows(con, harvested, tmp_path, "nl")
    assert len(found) == 345 and {r["year"] for r in found} == {2022}
    groningen = next(r for r in found if r["code"] == "GM0014")
    assert (groningen["name"], groningen["level"], groningen["parent"]) == ("Groningen", "GM", None)
    assert harvested.metadata["spatial"] == ["NL"]


def test_districts_and_neighbourhoods_follow_their_municipality_into_the_province(api, shared, fetcher, tmp_path,
                                                                                   con):
    root = gebiedsindelingen(api, shared)
    paths = []
    for level in ("gemeente", "wijk", "buurt"):
        harvested = RegionsConnector().harvest(fetcher, root, {"year": "2025", "province": "PV20", "level": level},
                                               tmp_path)
        path, found = harvested_rows(con, harvested, tmp_path, level)
        paths.append(path)
        if level == "wijk":
            assert [(r["code"], r["parent"], r["provincie_code"]) for r in found] == [
                ("WK001400", "GM0014", "PV20"), ("WK001401", "GM0014", "PV20")], "Almere's district is left out"
        if level == "buurt":
            assert [(r["code"], r["name"], r["parent"], r["gemeente_code"]) for r in found] == [
                ("BU00140000", "Binnenstad-Zuid", "WK001400", "GM0014"),
                ("BU00140001", "Binnenstad-Noord", "WK001400", "GM0014"),
                ("BU00140100", "Oosterpoort", "WK001401", "GM0014")]
    regions = RegionSet.from_files(paths)
    assert [r.code for r in regions.ancestors("BU00140001")] == ["WK001400", "GM0014", "PV20"]
    assert len(regions.descendants("PV20", "BU")) == 3


def test_the_yearly_wijken_en_buurten_api_works_too(fetcher, tmp_path, con):
    fake = FakeOgcApi(prefix="/cbs/wijken-en-buurten-2024/ogc/v1")
    with serve(fake.route) as base:
        fake.base = base
        features = [{"type": "Feature", "id": n, "properties": {
            "buurtcode": code, "buurtnaam": name, "gemeentecode": "GM0014", "gemeentenaam": "Groningen",
            "water": "NEE", "aantal_inwoners": 1200 + n}, "geometry": {"type": "Polygon", "coordinates": [[
                [6.56 + n / 100, 53.21], [6.57 + n / 100, 53.21], [6.57 + n / 100, 53.22], [6.56 + n / 100, 53.21]]]}}
            for n, (code, name) in enumerate([("BU00140000", "Binnenstad-Zuid"), ("BU00140001", "Binnenstad-Noord")])]
        fake.add_collection(collection_document(fake.root, "buurten", "Buurten"), features, ("gemeentecode",))
        url = f"{base}/cbs/wijken-en-buurten-{{year}}/ogc/v1"
        harvested = RegionsConnector().harvest(fetcher, url, {"year": "2024", "level": "buurt"}, tmp_path)
        _, found = harvested_rows(con, harvested, tmp_path, "buurten")
        assert [(r["code"], r["name"], r["parent"], r["year"]) for r in found] == [
            ("BU00140000", "Binnenstad-Zuid", "WK001400", 2024), ("BU00140001", "Binnenstad-Noord", "WK001400", 2024)]
        assert "jaarcode" not in fake.items_asked("buurten")[0], "a yearly API has no year filter"
        with pytest.raises(InvalidInput, match=r"this API has no province boundaries"):
            RegionsConnector().harvest(fetcher, url, {"year": "2024", "level": "buurt", "province": "PV20"}, tmp_path)
        with pytest.raises(InvalidInput, match=r"holds the boundaries of 2023, not of 2024"):
            RegionsConnector().harvest(fetcher, f"{base}/cbs/wijken-en-buurten-2023/ogc/v1", {"year": "2024"},
                                       tmp_path)


# --- faults --------------------------------------------------------------------------------------------------

def test_a_next_link_that_loops_stops_with_a_clear_error(api, shared, fetcher, tmp_path):
    root = gebiedsindelingen(api, shared)
    items = f"{root}/collections/gemeente_gegeneraliseerd/items"
    api.routes[f"{api.prefix}/collections/gemeente_gegeneraliseerd/items"] = lambda q: answer({
        "type": "FeatureCollection", "features": [], "links": [{"rel": "next", "href": f"{items}?f=json&cursor=x"}]})
    with pytest.raises(HarvestError, match=r"cursor=x.*: the next link leads back to a page already read"):
        RegionsConnector().harvest(fetcher, root, {"year": "2025"}, tmp_path)
    assert not list(tmp_path.iterdir())


def test_malformed_json_names_the_url(api, shared, fetcher, tmp_path):
    root = gebiedsindelingen(api, shared)
    api.routes[f"{api.prefix}/collections/provincie_gegeneraliseerd/items"] = lambda q: (200, "application/json",
                                                                                        b'{"features": [')
    with pytest.raises(HarvestError, match=r"provincie_gegeneraliseerd/items\?.*: the answer is not valid JSON"):
        RegionsConnector().harvest(fetcher, root, {"year": "2025", "province": "PV20"}, tmp_path)


def test_a_code_that_is_not_cbs_fails_the_harvest(api, fetcher, tmp_path):
    bad = area("GM14", 2025, "Groningen", "gemeente", box(6.5, 53.1, 6.7, 53.3))
    api.add_collection(collection_document(api.root, "gemeente_gegeneraliseerd", "Gemeenten"), [bad], QUERYABLES)
    with pytest.raises(HarvestError, match=r"gemeente_gegeneraliseerd/items\?.*'GM14' is not a CBS region code"):
        RegionsConnector().harvest(fetcher, api.root, {"year": "2025"}, tmp_path)


def test_a_province_without_a_boundary_that_year_is_reported(api, shared, fetcher, tmp_path):
    root = gebiedsindelingen(api, shared)
    with pytest.raises(HarvestError, match=r"no boundary of province PV21 for 2025"):
        RegionsConnector().harvest(fetcher, root, {"year": "2025", "province": "PV21"}, tmp_path)


def test_a_server_that_ignores_the_year_cannot_mix_years(api, shared, fetcher, tmp_path, con):
    g2025 = load(shared, "cbs_gemeente_2025_gegeneraliseerd_wgs84_rounded.geojson")
    g2022 = load(shared, "pdok_wfs_cbs_gemeente_gegeneraliseerd_2022_wgs84.geojson")
    api.add_collection(collection_document(api.root, "gemeente_gegeneraliseerd", "Gemeenten", crs=(CRS84_URI,)),
                       g2025 + g2022, queryables=())
    harvested = RegionsConnector().harvest(fetcher, api.root, {"year": "2025"}, tmp_path)
    _, found = harvested_rows_crs84(con, harvested, tmp_path)
    assert len(found) == 342 and {r["year"] for r in found} == {2025}


def test_params_are_checked(api, fetcher, tmp_path):
    connector = RegionsConnector()
    with pytest.raises(InvalidInput, match=r"the year param is required"):
        connector.harvest(fetcher, api.root, {}, tmp_path)
    with pytest.raises(InvalidInput, match=r"level must be gemeente, wijk or buurt, not 'dorp'"):
        connector.harvest(fetcher, api.root, {"year": "2025", "level": "dorp"}, tmp_path)
    with pytest.raises(InvalidInput, match=r"'GM0014' is a municipality code where a province code was expected"):
        connector.harvest(fetcher, api.root, {"year": "2025", "province": "GM0014"}, tmp_path)
    with pytest.raises(InvalidInput, match=r"unknown params \['jaar'\]"):
        connector.harvest(fetcher, api.root, {"jaar": "2025"}, tmp_path)
