"""Prove that Excel, JSON, geodata and Parquet files become (Geo)Parquet with types, CRS and bad rows reported."""

from __future__ import annotations

import datetime as dt
import hashlib
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import pytest
import xlsxwriter

from wierde.collect.files import (
    FileFormatError,
    IngestResult,
    OptionsError,
    ReadOptions,
    RejectedRowsError,
    ingest_file,
)

GPKG = "data/ogcapi/bag_amsterdam_epsg28992.gpkg"
GEOJSON = "data/regions/cbs_gemeente_2025_gegeneraliseerd_wgs84_rounded.geojson"


def types_of(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    relation = con.sql(f"SELECT * FROM read_parquet('{path}')")
    return dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))


def rows_of(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[Any, ...]]:
    return con.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()


def ingest(con: duckdb.DuckDBPyConnection, source: Path, out: Path, **options: Any) -> IngestResult:
    return ingest_file(con, source, out, ReadOptions(**options))


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- Excel --------------------------------------------------------------------------------------------------


def workbook(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """An .xlsx file with real cell types: numbers as numbers, dates as dates, text as text."""
    book = xlsxwriter.Workbook(str(path))
    date_format = book.add_format({"num_format": "dd-mm-yyyy"})
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, dt.datetime):
                    sheet.write_datetime(r, c, value, date_format)
                elif isinstance(value, str) and value.startswith("="):
                    sheet.write_formula(r, c, value, None, "#DIV/0!")
                elif value is not None:
                    sheet.write(r, c, value)
    book.close()
    return path


SHEET = [
    [" naam ", "postcode", "aantal", "bedrag", "peildatum"],
    ["Jansen", "0612", 12, 12.5, dt.datetime(2024, 12, 31)],
    ["De Vries", "9712 CP", 3, 4, dt.datetime(2025, 1, 1)],
    [None, None, None, None, None],
    ["Bakker", "9713", 7, 0.25, dt.datetime(2025, 2, 1)],
]


def test_xlsx_types_come_from_the_cells(con, tmp_path, out):
    source = workbook(tmp_path / "telling.xlsx", {"Telling": SHEET, "Toelichting": [["tekst"], ["zie website"]]})
    result = ingest(con, source, out)
    assert types_of(con, out) == {
        "naam": "VARCHAR", "postcode": "VARCHAR", "aantal": "BIGINT", "bedrag": "DOUBLE", "peildatum": "DATE",
    }
    assert rows_of(con, out) == [
        ("Jansen", "0612", 12, 12.5, dt.date(2024, 12, 31)),
        ("De Vries", "9712 CP", 3, 4.0, dt.date(2025, 1, 1)),
        ("Bakker", "9713", 7, 0.25, dt.date(2025, 2, 1)),
    ]
    assert result.format == "xlsx" and result.row_count == 3
    assert result.dialect["sheet"] == "Telling" and result.dialect["sheets"] == ["Telling", "Toelichting"]


def test_xlsx_named_sheet_and_unknown_sheet(con, tmp_path, out):
    source = workbook(tmp_path / "telling.xlsx", {"Telling": SHEET, "Toelichting": [["tekst"], ["zie website"]]})
    assert ingest(con, source, out, sheet="Toelichting").row_count == 1
    assert rows_of(con, out) == [("zie website",)]
    with pytest.raises(OptionsError, match="no sheet 'Blad1'"):
        ingest(con, source, out, sheet="Blad1")


def test_xlsx_bad_rows_have_sheet_row_numbers(con, tmp_path, out):
    rows = [
        ["naam", "aantal"],      # row 1
        ["Jansen", 12],          # row 2
        ["De Vries", "veel"],    # row 3: not an integer (override)
        ["Bakker", "=1/0"],      # row 4: an Excel error value
        ["Smit", 5, None, "x"],  # row 5: a value in column D, which has no header
        ["Visser", "8"],         # row 6: integer written as text, fine for an integer override
    ]
    source = workbook(tmp_path / "fouten.xlsx", {"Blad1": rows})
    with pytest.raises(RejectedRowsError) as caught:
        ingest(con, source, out, types={"aantal": "integer"})
    assert [(r.line, r.column) for r in caught.value.rejected] == [(3, "aantal"), (4, None), (5, None)]
    assert "fouten.xlsx: 3 bad rows" in str(caught.value)
    assert not out.exists()
    result = ingest(con, source, out, types={"aantal": "integer"}, bad_rows="quarantine")
    assert rows_of(con, out) == [("Jansen", 12), ("Visser", 8)]
    assert "#DIV/0!" in result.rejected[1].reason and "column D" in result.rejected[2].reason


def test_xlsx_without_header_or_broken(con, tmp_path, out):
    empty_header = workbook(tmp_path / "leeg.xlsx", {"Blad1": [[None], ["Jansen"]]})
    with pytest.raises(FileFormatError, match="row 1 of sheet 'Blad1' is empty"):
        ingest(con, empty_header, out)
    broken = tmp_path / "kapot.xlsx"
    with zipfile.ZipFile(broken, "w") as archive:
        archive.writestr("xl/workbook.xml", "<niet-af")
    with pytest.raises(FileFormatError, match="kapot.xlsx: not a readable .xlsx"):
        ingest(con, broken, out)


def test_xlsx_output_is_deterministic(con, tmp_path):
    source = workbook(tmp_path / "telling.xlsx", {"Telling": SHEET})
    ingest(con, source, tmp_path / "a.parquet")
    ingest(con, source, tmp_path / "b.parquet")
    assert sha256(tmp_path / "a.parquet") == sha256(tmp_path / "b.parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.parquet", "b.parquet", "telling.xlsx"]


# --- JSON ---------------------------------------------------------------------------------------------------


def test_json_array_of_objects(con, write, out):
    source = write("regios.json", (
        '[{"code": "0014", "naam": "Groningen", "inwoners": 243768, "sinds": "2019-01-01"},'
        ' {"code": "1966", "naam": "Het Hogeland", "inwoners": 48149, "sinds": "2019-01-01"}]'
    ))
    result = ingest(con, source, out)
    assert types_of(con, out) == {"code": "VARCHAR", "naam": "VARCHAR", "inwoners": "BIGINT", "sinds": "DATE"}
    assert rows_of(con, out)[0][0] == "0014"
    assert result.format == "json"


def test_ndjson_mixed_values_become_text_and_overrides_report_lines(con, write, out):
    text = '{"id": 1, "waarde": 10}\n\n{"id": 2, "waarde": "n.v.t."}\n{"id": 3, "waarde": 30}\n'
    result = ingest(con, write("metingen.ndjson", text), out)
    assert types_of(con, out)["waarde"] == "VARCHAR"
    assert [r[1] for r in rows_of(con, out)] == ["10", "n.v.t.", "30"]
    assert result.format == "ndjson"
    with pytest.raises(RejectedRowsError) as caught:
        ingest(con, write("metingen2.ndjson", text), out, types={"waarde": "integer"})
    assert [(r.line, r.column) for r in caught.value.rejected] == [(3, "waarde")]  # line 2 is blank


# --- geodata ------------------------------------------------------------------------------------------------


def test_geopackage_keeps_rd_new(con, shared, out):
    result = ingest(con, shared / GPKG, out)
    assert result.format == "gpkg" and result.crs == "EPSG:28992" and result.geometry_columns == ("geometry",)
    assert result.dialect["layer"] == "ligplaatsen"
    assert result.dialect["layers"] == ["ligplaatsen", "standplaatsen", "verblijfsobjecten"]
    assert types_of(con, out)["geometry"] == "GEOMETRY('EPSG:28992')"
    assert "OGC_FID" not in types_of(con, out)
    first = con.sql(f"SELECT ST_CRS(geometry), ST_X(geometry), ST_Y(geometry) FROM '{out}' WHERE feature_id = 3542")
    assert first.fetchone() == ("EPSG:28992", pytest.approx(120919.942), pytest.approx(489320.199))
    geometry = next(f for f in result.schema["fields"] if f["name"] == "geometry")
    assert geometry == {"name": "geometry", "type": "geometry", "crs": "EPSG:28992"}
    geo = con.sql(f"SELECT value FROM parquet_kv_metadata('{out}') WHERE key = 'geo'").fetchone()
    assert geo is not None and b'"primary_column":"geometry"' in geo[0] and b'"code":28992' in geo[0]


def test_geopackage_named_layer(con, shared, out):
    result = ingest(con, shared / GPKG, out, layer="verblijfsobjecten")
    assert result.row_count == 1836
    with pytest.raises(OptionsError, match="no layer 'panden'"):
        ingest(con, shared / GPKG, out, layer="panden")


def test_geojson_is_lon_lat(con, shared, out):
    result = ingest(con, shared / GEOJSON, out)
    assert result.format == "geojson" and result.crs == "EPSG:4326" and result.row_count == 342
    groningen = con.sql(f"SELECT ST_X(ST_Centroid(geometry)), ST_Y(ST_Centroid(geometry)) FROM '{out}' "
                        "WHERE statcode = 'GM0014'").fetchone()
    assert groningen is not None and 6.4 < groningen[0] < 6.7 and 53.1 < groningen[1] < 53.3


def zipped_shapefile(con: duckdb.DuckDBPyConnection, folder: Path, *, prj: bool = True) -> Path:
    shapes = folder / "shp"
    shapes.mkdir()
    con.execute(
        "COPY (SELECT * FROM (VALUES (1, 'Martinitoren', ST_Point(233886.0, 582086.0)), "
        "(2, 'Der Aa-kerk', ST_Point(233598.0, 582155.0))) t(id, naam, geom)) "
        f"TO '{shapes / 'torens.shp'}' (FORMAT GDAL, DRIVER 'ESRI Shapefile', SRS 'EPSG:28992')"
    )
    archive = folder / "torens.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in sorted(shapes.iterdir()):
            if prj or part.suffix != ".prj":
                zipped.write(part, f"torens/{part.name}")
    return archive


def test_zipped_shapefile(con, tmp_path, out):
    result = ingest(con, zipped_shapefile(con, tmp_path), out)
    assert result.format == "shapefile" and result.crs == "EPSG:28992" and result.row_count == 2
    assert list(types_of(con, out)) == ["id", "naam", "geometry"]  # GDAL's OGC_FID is gone
    assert con.sql(f"SELECT naam, ST_X(geometry) FROM '{out}' ORDER BY id").fetchall() == [
        ("Martinitoren", 233886.0), ("Der Aa-kerk", 233598.0),
    ]


def test_shapefile_without_prj_gets_its_crs_from_the_coordinates(con, tmp_path, out):
    result = ingest(con, zipped_shapefile(con, tmp_path, prj=False), out)
    assert result.crs == "EPSG:28992" and result.dialect["crs_source"] == "coordinates"
    assert con.sql(f"SELECT DISTINCT ST_CRS(geometry) FROM '{out}'").fetchall() == [("EPSG:28992",)]


def test_zip_without_a_shapefile_is_refused(con, tmp_path, out):
    archive = tmp_path / "leeg.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("lees-mij.txt", "geen data")
    with pytest.raises(FileFormatError, match="leeg.zip: a zip archive with neither"):
        ingest(con, archive, out)
    with pytest.raises(FileFormatError, match="leeg.zip: the zip archive holds no .shp"):
        ingest(con, archive, out, format="shapefile")


def test_geo_output_is_deterministic_and_geoparquet_round_trips(con, shared, tmp_path):
    first, second, again = tmp_path / "a.parquet", tmp_path / "b.parquet", tmp_path / "c.parquet"
    ingest(con, shared / GPKG, first, layer="verblijfsobjecten")
    ingest(con, shared / GPKG, second, layer="verblijfsobjecten")
    assert sha256(first) == sha256(second)
    result = ingest(con, first, again)  # GeoParquet in, GeoParquet out, CRS kept
    assert result.format == "parquet" and result.crs == "EPSG:28992" and result.row_count == 1836


def test_geometry_override_on_text_with_rd_coordinates(con, write, out):
    text = "naam;wkt\nMartinitoren;POINT (233886 582086)\nkapot;POINT (1 2\nDer Aa-kerk;POINT (233598 582155)\n"
    result = ingest(con, write("punten.csv", text), out, types={"wkt": "geometry"}, bad_rows="quarantine")
    assert result.crs == "EPSG:28992" and result.geometry_columns == ("wkt",)
    assert [(r.line, r.column) for r in result.rejected] == [(3, "wkt")]
    assert con.sql(f"SELECT count(*), min(ST_CRS(wkt)) FROM '{out}'").fetchone() == (2, "EPSG:28992")


@pytest.mark.slow
def test_repeated_geopackage_reads_stay_intact(con, shared, tmp_path):
    # Before geo.py turned off GDAL's prefetching GeoPackage reader, about one read in a hundred of this very
    # layer failed with "Unsupported geometry type in WKB" or crashed the process.
    digests = set()
    for i in range(60):
        out = tmp_path / f"{i}.parquet"
        assert ingest(con, shared / GPKG, out, layer="verblijfsobjecten").row_count == 1836
        digests.add(sha256(out))
        out.unlink()
    assert len(digests) == 1
