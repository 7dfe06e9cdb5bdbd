"""Prove that the region hierarchy is read from the demo bundle's files and DuckDB relations, links every
neighbourhood up to the province, and refuses malformed codes with a message naming the code."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from wierde.errors import InvalidInput, NotFound
from wierde.regions import RegionCodeError, RegionSet, level_of, validate_code

GRONINGEN_MUNICIPALITIES = {
    "GM0014", "GM0037", "GM0047", "GM0765", "GM1895", "GM1950", "GM1952", "GM1966", "GM1969", "GM1979",
}


def features(path: Path) -> list[dict[str, object]]:
    return [f["properties"] for f in json.loads(path.read_text(encoding="utf-8"))["features"]]


def test_prove_the_bundle_gives_every_level_with_its_parents(bundle: Path, regions: RegionSet) -> None:
    assert regions.levels() == ("PV", "GM", "WK", "BU")
    assert {r.code for r in regions.level("GM")} == GRONINGEN_MUNICIPALITIES
    assert len(regions.level("WK")) == len(features(bundle / "wijken.geojson"))
    assert len(regions.level("BU")) == len(features(bundle / "buurten.geojson"))
    assert regions.crs in ("EPSG:4326", "OGC:CRS84")
    assert regions.year == 2025
    names = {r.code: r.name for r in regions.level("GM")}
    assert names["GM1952"] == "Midden-Groningen"
    assert names["GM1966"] == "Het Hogeland"


def test_prove_the_province_is_derived_from_its_municipalities(regions: RegionSet) -> None:
    province = regions.get("PV20")
    assert province.name == "Groningen"
    assert province.level == "PV"
    assert {r.code for r in regions.children("PV20")} == GRONINGEN_MUNICIPALITIES
    assert province.geometry is not None
    municipalities = sum(r.geometry.area for r in regions.level("GM") if r.geometry is not None)
    assert province.geometry.area == pytest.approx(municipalities, rel=1e-3)


def test_prove_a_neighbourhood_knows_its_district_municipality_and_province(regions: RegionSet) -> None:
    assert [r.code for r in regions.ancestors("BU00140000")] == ["WK001400", "GM0014", "PV20"]
    assert regions.parent("BU00140000") == regions.get("WK001400")
    assert regions.parent("PV20") is None
    centre = regions.children("WK001400")
    assert centre and all(r.code.startswith("BU001400") and r.level == "BU" for r in centre)
    city = regions.descendants("GM0014", "BU")
    assert set(centre) <= set(city)
    assert all(regions.ancestors(r.code)[1].code == "GM0014" for r in city)


def test_prove_an_unknown_code_is_named_in_the_error(regions: RegionSet) -> None:
    with pytest.raises(NotFound, match="GM9999"):
        regions.get("GM9999")
    assert "gm0014 " in regions  # padded and lower-case codes are the same code
    assert "GM9999" not in regions


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("GM0014", "GM0014"), ("PV20  ", "PV20"), ("gm1966", "GM1966"), ("WK001400", "WK001400"),
     ("BU00140000", "BU00140000")],
)
def test_prove_valid_codes_are_normalised(raw: str, expected: str) -> None:
    assert validate_code(raw) == expected
    assert level_of(raw) == expected[:2]


@pytest.mark.parametrize(
    ("raw", "says"),
    [("GM14", "GM and 4 digits, like GM0014"), ("WK0014", "WK and 6 digits"), ("BU0014000", "BU and 8 digits"),
     ("PV2", "PV and 2 digits"), ("NL01", "not a CBS region code"), ("", "not a CBS region code")],
)
def test_prove_a_malformed_code_is_refused_by_name(raw: str, says: str) -> None:
    with pytest.raises(RegionCodeError, match=says) as caught:
        validate_code(raw)
    assert repr(raw) in str(caught.value)


def test_prove_a_code_of_the_wrong_level_is_refused() -> None:
    with pytest.raises(RegionCodeError, match="neighbourhood code where a municipality code was expected"):
        validate_code("BU00140000", "GM")


def regions_sql(rows: str) -> str:
    return f"SELECT * FROM (VALUES {rows}) AS t(code, naam, gemeente_code, wijk_code)"


def test_prove_a_bad_code_in_data_is_named(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(RegionCodeError, match="'GM14'"):
        RegionSet.from_relation(con, regions_sql("('GM14', 'Groningen', NULL, NULL)"))


def test_prove_a_parent_that_contradicts_the_code_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(RegionCodeError, match="BU00140000 names WK001401 .* puts it in WK001400"):
        RegionSet.from_relation(con, regions_sql("('BU00140000', 'Binnenstad-Noord', 'GM0014', 'WK001401')"))


def test_prove_a_duplicate_region_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InvalidInput, match="GM0014 .* appears twice"):
        RegionSet.from_relation(con, regions_sql("('GM0014', 'Groningen', NULL, NULL), ('GM0014', 'Stad', NULL, NULL)"))


def test_prove_parents_come_from_codes_when_no_column_says(con: duckdb.DuckDBPyConnection) -> None:
    rows = "('GM0014', 'Groningen', NULL, NULL), ('WK001400', 'Centrum', NULL, NULL), " \
           "('BU00140000', 'Binnenstad-Noord', NULL, NULL)"
    regions = RegionSet.from_relation(con, regions_sql(rows), province="PV20")
    assert [r.code for r in regions.ancestors("BU00140000")] == ["WK001400", "GM0014", "PV20"]
    assert regions.get("PV20").geometry is None  # no shapes to unite, the province still exists
    assert regions.crs is None


def test_prove_geoparquet_in_rd_and_geojson_in_wgs84_make_one_set(bundle: Path, tmp_path: Path,
                                                                  con: duckdb.DuckDBPyConnection) -> None:
    rd = tmp_path / "gemeenten.parquet"
    con.execute(
        f"COPY (SELECT code, naam, provincie_code, ST_Transform(geom, 'EPSG:28992', always_xy := true) AS geom "
        f"FROM ST_Read('{bundle / 'gemeenten.geojson'}')) TO '{rd}' (FORMAT parquet)"
    )
    regions = RegionSet.from_files([rd, bundle / "buurten.geojson"], con=con, year=2025)
    assert regions.crs == "EPSG:28992"  # the first file's CRS; the neighbourhoods were transformed to it
    city = regions.get("GM0014").geometry
    centre = regions.get("BU00140000").geometry
    assert city is not None and centre is not None
    assert 100e6 < city.area < 300e6  # square metres: Groningen is about 198 km²
    assert city.contains(centre.representative_point())
    assert {r.code for r in regions.level("WK")} == set()  # no district file was given
    assert regions.parent("BU00140000") is None  # its district is known by code, not loaded
    assert regions.get("BU00140000").parent == "WK001400"


def test_prove_a_relation_object_is_accepted(bundle: Path, con: duckdb.DuckDBPyConnection) -> None:
    relation = con.sql(
        "SELECT code AS statcode, naam AS statnaam, '2025' || code AS jrstatcode, geom "
        f"FROM ST_Read('{bundle / 'gemeenten.geojson'}')"
    )
    regions = RegionSet.from_relation(con, relation)
    assert regions.year == 2025  # read from PDOK's jrstatcode
    assert {r.code for r in regions.level("GM")} == GRONINGEN_MUNICIPALITIES
    assert regions.level("PV") == ()  # no province column and none given


def test_prove_a_missing_bundle_is_reported(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="gemeenten"):
        RegionSet.from_bundle(tmp_path)


def test_prove_a_parent_of_the_wrong_level_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT 'GM0014' AS code, 'Groningen' AS naam, 'GM0010' AS provincie_code"
    with pytest.raises(RegionCodeError, match="GM0014 .* names GM0010 .* a municipality lies in a province"):
        RegionSet.from_relation(con, sql)
