"""Prove that a file a steward ingests comes out with the CBS region codes of every level it can reach and a period
column: from coordinates (WGS84 or RD), shapes (with shares), region codes, postcodes and municipality names, with
nothing dropped, every unkeyed row counted, and the same file never making a second version."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
import yaml
from pyproj import Transformer

from wierde.collect.files import ReadOptions
from wierde.collect.ingest import IngestOutcome, ingest
from wierde.config import Settings
from wierde.demo.build import build_demo
from wierde.regions import RegionSet
from wierde.regions.postcodes import from_store, normalize
from wierde.store.repository import Store

SEA = (6.05, 53.62)  # the North Sea off Schiermonnikoog
TO_RD = Transformer.from_crs(4326, 28992, always_xy=True)
REFERENCE = ("gemeenten", "wijken", "buurten", "postcodes")


@pytest.fixture(scope="module")
def keyed_store(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store holding the demo's regions and postcode table, as `wierde demo` ingests them."""
    store = Store.open(Settings(home=tmp_path_factory.mktemp("keyed") / "instance"))
    for dataset in REFERENCE:
        meta = yaml.safe_load((bundle / f"{dataset}.yaml").read_text(encoding="utf-8"))
        if dataset == "postcodes":
            ingest(store, bundle / "postcodes.csv", dataset, ReadOptions(types={"postcode": "string", "pc4": "string"}),
                   meta=meta)
        else:
            ingest(store, bundle / f"{dataset}.geojson", dataset, meta=meta)
    yield store
    store.close()


def load(store: Store, tmp_path: Path, name: str, text: str, dataset: str = "proef", **options: Any) -> IngestOutcome:
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    return ingest(store, source, dataset, ReadOptions(**options) if options else None)


def rows(store: Store, outcome: IngestOutcome) -> list[dict[str, Any]]:
    relation = store.duck().sql(f"SELECT * FROM read_parquet('{store.path_of(outcome.version)}')")
    return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]


def keying(outcome: IngestOutcome) -> dict[str, Any]:
    return outcome.version.report["keying"]


def inside(regions: RegionSet, count: int = 8) -> list[tuple[str, float, float]]:
    """A point well inside each of a spread of neighbourhoods, with that neighbourhood's code."""
    buurten = regions.level("BU")
    points = []
    for region in buurten[:: max(1, len(buurten) // count)]:
        assert region.geometry is not None
        core = region.geometry.buffer(-0.0005)
        point = (core if not core.is_empty else region.geometry).representative_point()
        points.append((region.code, round(point.x, 6), round(point.y, 6)))
    return points


def chain(regions: RegionSet, bu: str) -> dict[str, str]:
    wk, gm, pv = (r.code for r in regions.ancestors(bu))
    return {"pv_code": pv, "gm_code": gm, "wk_code": wk, "bu_code": bu}


CODES = ("pv_code", "gm_code", "wk_code", "bu_code")


def area_rd(geometry: shapely.Geometry) -> float:
    """The area in square metres, worked out apart from DuckDB."""
    return float(shapely.transform(geometry, lambda c: np.column_stack(TO_RD.transform(c[:, 0], c[:, 1]))).area)


def test_prove_points_with_lat_lon_get_the_codes_of_their_neighbourhood(
    keyed_store: Store, regions: RegionSet, tmp_path: Path
) -> None:
    points = inside(regions)
    lines = [f"{code},{lat},{lon}" for code, lon, lat in points] + [f"zee,{SEA[1]},{SEA[0]}", "leeg,,"]
    outcome = load(keyed_store, tmp_path, "meldingen.csv", "label,lat,lon\n" + "\n".join(lines) + "\n")
    found = rows(keyed_store, outcome)
    assert [r["label"] for r in found] == [p[0] for p in points] + ["zee", "leeg"]  # every row, in order
    for row in found[:-2]:
        assert {c: row[c] for c in CODES} == chain(regions, row["label"])
    assert [[r[c] for c in CODES] for r in found[-2:]] == [[None] * 4, [None] * 4]
    report = keying(outcome)
    assert report["sources"][0] == "coordinates: lon, lat (EPSG:4326)"
    assert report["levels"]["BU"] == {"column": "bu_code", "keyed": len(points), "unkeyed": 2, "added": True}
    assert report["levels"]["PV"]["unkeyed"] == 2
    assert outcome.version.row_count == len(points) + 2


def test_prove_rd_coordinates_key_like_wgs84(keyed_store: Store, regions: RegionSet, tmp_path: Path) -> None:
    points = inside(regions)
    lines = [f"{code};{round(x)};{round(y)}" for code, *lonlat in points for x, y in [TO_RD.transform(*lonlat)]]
    outcome = load(keyed_store, tmp_path, "putten.csv", "label;x;y\n" + "\n".join(lines) + "\n", "putten")
    for row in rows(keyed_store, outcome):
        assert row["bu_code"] == row["label"]
    # the labels are codes too; the coordinates come first and reach as deep, so they key every row
    assert keying(outcome)["keyed_by"]["coordinates: x, y (EPSG:28992)"] == len(points)


def test_prove_a_polygon_gets_the_region_holding_most_of_it_and_the_share(
    keyed_store: Store, regions: RegionSet, tmp_path: Path
) -> None:
    home = regions.get("BU00140000").geometry
    other = regions.get("BU00140001").geometry
    assert home is not None and other is not None
    most = home.buffer(-0.0003)
    bit = other.buffer(-0.0003).intersection(shapely.box(*other.buffer(-0.0003).centroid.buffer(0.001).bounds))
    features = [("twee buurten", shapely.union_all([most, bit])), ("zee", shapely.Point(SEA).buffer(0.01))]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"naam": n}, "geometry": shapely.geometry.mapping(g)} for n, g in features]}
    outcome = load(keyed_store, tmp_path, "vlakken.geojson", json.dumps(doc), "vlakken")
    spread, sea = rows(keyed_store, outcome)
    assert spread["bu_code"] == "BU00140000" and spread["gm_code"] == "GM0014" and spread["pv_code"] == "PV20"
    expected = area_rd(most) / (area_rd(most) + area_rd(bit))
    assert expected < 0.999 and spread["bu_share"] == pytest.approx(expected, rel=1e-3)
    assert spread["gm_share"] == pytest.approx(1.0, abs=1e-6)
    assert sea["gm_code"] is None and sea["bu_share"] is None
    assert keying(outcome)["shares"] == ["pv_share", "gm_share", "wk_share", "bu_share"]
    assert keying(outcome)["levels"]["GM"]["unkeyed"] == 1


def test_prove_regions_themselves_keep_their_own_codes(keyed_store: Store) -> None:
    version = keyed_store.version("wijken")
    found = rows(keyed_store, IngestOutcome(version, False, 0))
    assert all(r["wk_code"] == r["code"] and r["gm_code"] == r["gemeente_code"] for r in found)
    assert "bu_code" not in found[0], "a district is not keyed into one of its own neighbourhoods"
    assert any("regions themselves" in n for n in version.report["keying"]["notes"])


def postcode_sample(store: Store) -> tuple[str, str, str]:
    """A PC6 from the store's table with its neighbourhood, and a PC4 all of whose PC6 lie in one district."""
    path = store.path_of(store.version("postcodes"))
    pc6, bu = store.duck().sql(f"SELECT postcode, bu_code FROM read_parquet('{path}') ORDER BY postcode "
                               "LIMIT 1 OFFSET 100").fetchone()
    return pc6, bu, pc6[:4]


def test_prove_postcodes_key_by_pc6_and_else_by_pc4(keyed_store: Store, tmp_path: Path) -> None:
    pc6, bu, pc4 = postcode_sample(keyed_store)
    spaced = f"{pc6[:4]} {pc6[4:].lower()}"
    text = f"melding,postcode\na,{pc6}\nb,{spaced}\nc,{pc4}\nd,{pc4} ZZ\ne,1012 AB\nf,\n"
    outcome = load(keyed_store, tmp_path, "meldingen-pc.csv", text, "meldingen-pc")
    found = {r["melding"]: r for r in rows(keyed_store, outcome)}
    assert found["a"]["bu_code"] == found["b"]["bu_code"] == bu
    # the demo's PC4 areas each lie in one district but span neighbourhoods: a PC4 reaches the district
    assert found["c"]["wk_code"] == found["d"]["wk_code"] == "WK" + bu[2:8]
    assert found["c"]["bu_code"] is None and found["d"]["bu_code"] is None
    assert found["e"]["gm_code"] is None and found["f"]["gm_code"] is None  # Amsterdam, and nothing
    report = keying(outcome)
    assert report["sources"] == ["postcode: postcode"]
    assert report["levels"]["GM"]["unkeyed"] == 2
    assert any("2 rows matched a PC6" in n for n in report["notes"])


def test_prove_municipality_names_resolve_as_of_their_year(keyed_store: Store, tmp_path: Path) -> None:
    text = ("gemeente;jaar;aantal\nGroningen;2020;1\nHaren;2018;2\nHaren;2020;3\nAppingedam;2020;4\n"
            "Appingedam;2022;5\nEemsdelta;2015;6\nmidden groningen;2020;7\nNergenshuizen;2020;8\n")
    outcome = load(keyed_store, tmp_path, "subsidies.csv", text, "subsidies", delimiter=";")
    codes = [(r["gemeente"], r["period"], r["gm_code"], r["pv_code"]) for r in rows(keyed_store, outcome)]
    assert codes == [
        ("Groningen", "2020", "GM0014", "PV20"),
        ("Haren", "2018", "GM0017", "PV20"),  # Haren still existed in 2018
        ("Haren", "2020", "GM0014", "PV20"),  # and was part of Groningen from 2019
        ("Appingedam", "2020", "GM0003", "PV20"),
        ("Appingedam", "2022", "GM1979", "PV20"),  # Eemsdelta from 2021
        ("Eemsdelta", "2015", "GM1979", "PV20"),  # today's name for earlier years: today's map
        ("midden groningen", "2020", "GM1952", "PV20"),
        ("Nergenshuizen", "2020", None, None),
    ]
    notes = " ".join(keying(outcome)["notes"])
    assert "'Nergenshuizen'" in notes and "successor" in notes


def test_prove_cbs_period_codes_and_padded_region_codes(keyed_store: Store, tmp_path: Path) -> None:
    text = ("RegioS;Perioden;waarde\nPV20  ;2023JJ00;1\nGM0014;2023MM05;2\nWK001400;2023KW02;3\n"
            "BU00140000;2023HJ01;4\nNL01  ;2023X000;5\n")
    outcome = load(keyed_store, tmp_path, "statline.csv", text, "statline", delimiter=";")
    found = [(r["pv_code"], r["gm_code"], r["wk_code"], r["bu_code"], r["period"])
             for r in rows(keyed_store, outcome)]
    assert found == [
        ("PV20", None, None, None, "2023"),
        ("PV20", "GM0014", None, None, "2023-05"),
        ("PV20", "GM0014", "WK001400", None, "2023-Q2"),
        ("PV20", "GM0014", "WK001400", "BU00140000", "2023-H1"),
        (None, None, None, None, None),  # the Netherlands is no CBS region of this hierarchy; X000 no period
    ]
    report = keying(outcome)
    assert report["period_from"] == "Perioden" and report["granularity"] == "mixed"
    assert report["granularities"] == {"half-year": 1, "month": 1, "quarter": 1, "year": 1}


def test_prove_a_real_statline_table_is_keyed_by_province_and_quarter(
    keyed_store: Store, shared: Path, tmp_path: Path
) -> None:
    records = json.loads((shared / "data/cbs_odata/v3/83599NED_UntypedDataSet_page1.json").read_text())["value"]
    source = tmp_path / "vacatures.json"
    source.write_text(json.dumps(records), encoding="utf-8")
    outcome = ingest(keyed_store, source, "vacatures")
    report = keying(outcome)
    provinces = sum(r["RegioS"].startswith("PV") for r in records)  # CBS pads them: "PV20  "; NL01, LD01 are no PV
    assert (report["levels"]["PV"]["keyed"], report["levels"]["PV"]["unkeyed"]) == (provinces, len(records) - provinces)
    assert report["granularity"] == "quarter" and report["period_from"] == "Perioden"
    first = rows(keyed_store, outcome)[0]
    assert (first["Perioden"], first["period"]) == ("2011KW01", "2011-Q1")


def test_prove_dates_give_a_daily_period_and_numbers_a_municipality(keyed_store: Store, tmp_path: Path) -> None:
    text = "gemeentecode,datum,bezoekers\n14,2024-05-17,3\n765,2024-05-18,4\n"
    outcome = load(keyed_store, tmp_path, "musea.csv", text, "musea")
    found = [(r["gemeentecode"], r["gm_code"], r["period"]) for r in rows(keyed_store, outcome)]
    assert found == [(14, "GM0014", "2024-05-17"), (765, "GM0765", "2024-05-18")]
    assert keying(outcome)["granularity"] == "day"


def test_prove_a_standard_column_the_data_has_is_kept_not_doubled(
    keyed_store: Store, regions: RegionSet, tmp_path: Path
) -> None:
    code, lon, lat = inside(regions)[0]
    text = f"gm_code,lon,lat\nGM0765,{lon},{lat}\n"  # the steward's code disagrees with where the point lies
    outcome = load(keyed_store, tmp_path, "eigen.csv", text, "eigen")
    (row,) = rows(keyed_store, outcome)
    assert list(row) == ["gm_code", "lon", "lat", "pv_code", "wk_code", "bu_code"]
    assert row["gm_code"] == "GM0765" and row["bu_code"] == code
    report = keying(outcome)
    assert report["levels"]["GM"]["added"] is False and report["conflicts"] == 1


def test_prove_the_schema_describes_every_added_column(keyed_store: Store, tmp_path: Path) -> None:
    outcome = load(keyed_store, tmp_path, "schema.csv", "gemeente_code,jaar\nGM0014,2024\n", "schema")
    fields = outcome.version.fields
    assert [f["name"] for f in fields] == list(rows(keyed_store, outcome)[0])
    added = {f["name"]: f for f in fields[2:]}
    assert list(added) == ["pv_code", "gm_code", "period"]
    assert added["gm_code"]["constraints"] == {"pattern": "GM[0-9]{4}"} and added["gm_code"]["type"] == "string"
    assert "granularity: year" in added["period"]["description"]


def test_prove_the_same_file_makes_no_second_version(keyed_store: Store, regions: RegionSet, tmp_path: Path) -> None:
    points = inside(regions)
    text = "label,lat,lon,datum\n" + "".join(f"{c},{lat},{lon},2024-01-0{i % 9 + 1}\n"
                                             for i, (c, lon, lat) in enumerate(points))
    first = load(keyed_store, tmp_path, "twee.csv", text, "twee")
    again = load(keyed_store, tmp_path, "twee.csv", text, "twee")
    assert first.created and not again.created and again.version.number == first.version.number


def test_prove_keying_can_be_turned_off(keyed_store: Store, tmp_path: Path) -> None:
    source = tmp_path / "uit.csv"
    source.write_text("gemeente_code,jaar\nGM0014,2024\n", encoding="utf-8")
    outcome = ingest(keyed_store, source, "uit", key_regions=False)
    assert [f["name"] for f in outcome.version.fields] == ["gemeente_code", "jaar"]
    assert "keying" not in outcome.version.report


def test_prove_without_reference_codes_still_key_and_the_report_says_why(store: Store, tmp_path: Path) -> None:
    text = "gemeente_code,lat,lon,postcode\nGM0014,53.2194,6.5665,9712 AB\n"
    outcome = load(store, tmp_path, "kaal.csv", text, "kaal")
    (row,) = rows(store, outcome)
    assert (row["gm_code"], row["pv_code"]) == ("GM0014", "PV20") and "bu_code" not in row
    notes = " ".join(keying(outcome)["notes"])
    assert "coordinates (lon, lat) not keyed by place" in notes and "gemeenten, wijken, buurten" in notes
    assert "postcode column 'postcode' not keyed" in notes


def test_prove_the_postcode_table_answers_lookups(keyed_store: Store) -> None:
    pc6, bu, pc4 = postcode_sample(keyed_store)
    table = from_store(keyed_store, keyed_store.duck())
    assert table is not None and table.version == keyed_store.version("postcodes").number
    found = table.lookup(keyed_store.duck(), [pc6, pc4, "1012 AB", "onzin"])
    assert found == {pc6: bu, pc4: "WK" + bu[2:8], "1012 AB": None, "onzin": None}


def test_prove_postcodes_normalize() -> None:
    assert [normalize(v) for v in ("9712 ab", "9712AB", " 9712 ", 9712, "9712 SA", "0712 AB", "97123")] == [
        "9712AB", "9712AB", "9712", "9712", None, None, None]


@pytest.mark.slow
def test_prove_every_demo_dataset_with_a_place_has_municipality_codes(tmp_path: Path) -> None:
    store, items = build_demo(tmp_path / "demo")
    try:
        placeless = {"migratie", "brugopeningen"}  # flows between municipalities; bridge openings (by bridge id)
        for item in items:
            version = store.version(item.dataset_id)
            report = version.report["keying"]
            names = [f["name"] for f in version.fields]
            columns = store.duck().sql(f"SELECT * FROM read_parquet('{store.path_of(version)}')").columns
            assert names == columns, item.dataset_id  # the schema describes the file, column for column
            if item.dataset_id in placeless:
                assert "gm_code" not in names, item.dataset_id
                continue
            assert "gm_code" in names, item.dataset_id
            unkeyed = report["levels"]["GM"]["unkeyed"]
            # bevolking has rows for the province as a whole, which lie in no single municipality
            assert unkeyed == (11 if item.dataset_id == "bevolking" else 0), (item.dataset_id, report)
            assert report["conflicts"] == 0, (item.dataset_id, report)
        periods = {i.dataset_id for i in items if "period" in [f["name"] for f in store.version(i.dataset_id).fields]}
        assert periods >= {"bevolking", "energie", "verkeerstellingen", "scheepvaartpassages", "aardbevingen",
                           "brugopeningen", "migratie"}
    finally:
        store.close()


def test_keyed_rows_keep_the_order_of_the_file(tmp_path: Path) -> None:
    """The row API's default order (and its cursors) is the file's order; adding codes must not shuffle rows."""
    from wierde.config import Settings
    from wierde.store.repository import Store

    source = tmp_path / "tellingen.csv"
    lines = [f"{i},GM00{14 if i % 3 else 37},{i % 97}" for i in range(300_000)]
    source.write_text("id,gemeente_code,aantal\n" + "\n".join(lines) + "\n", encoding="utf-8")
    store = Store.open(Settings(home=tmp_path / "instance"))
    try:
        outcome = ingest(store, source, "tellingen")
        assert "gm_code" in [f["name"] for f in outcome.version.fields]
        ids = [row[0] for row in store.duck().execute(
            "SELECT id FROM read_parquet(?)", [str(store.path_of(outcome.version))]).fetchall()]
        assert ids == list(range(300_000))
    finally:
        store.close()
