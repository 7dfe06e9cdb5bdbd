"""Prove that every download format is chosen as HTTP says and opens in a real reader with the right data."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import openpyxl
import pytest
import shapely.wkt
from pyproj import Transformer

from wierde.publish import export_files
from wierde.publish.export_stream import neutralise
from wierde.publish.formats import FORMATS, ExportFormat, FormatError, export, negotiate
from wierde.publish.rows import Column, parse_query, query_sql, run_query
from wierde.store.duck import connect

PLACES = [
    Column("id", "integer"), Column("name", "string"), Column("height", "number"), Column("price", "number"),
    Column("day", "date"), Column("seen", "datetime"), Column("seen_tz", "datetime"), Column("active", "boolean"),
    Column("geom", "geometry"),
]
RD = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True)


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def places(con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five places in RD New (EPSG:28992): formula-like text, a height below NAP, NULLs and a missing geometry."""
    path = tmp_path_factory.mktemp("formats") / "places.parquet"
    con.execute(f"""
        COPY (SELECT id, name, height::DOUBLE AS height, price::DECIMAL(10, 2) AS price, day, seen, seen_tz, active,
                     CASE WHEN x IS NULL THEN NULL ELSE ST_SetCRS(ST_Point(x, y), 'EPSG:28992') END AS geom
              FROM (VALUES
                (1, 'Groningen', -2.3, 12.50, DATE '2024-01-31', TIMESTAMP '2024-01-31 12:00:00',
                 TIMESTAMPTZ '2024-01-31 12:00:00+01', true, 233000.0, 582000.0),
                (2, '=HYPERLINK("http://evil","klik")', 0.0, NULL, DATE '2024-02-01',
                 TIMESTAMP '2024-02-01 08:30:00.5', NULL, false, 234000.0, 583000.0),
                (3, '+31 50 123 4567', NULL, 3.10, NULL, NULL, NULL, NULL, NULL, NULL),
                (4, '-2.3', -6.7, 7.25, DATE '2023-12-31', NULL, NULL, true, 235000.0, 584000.0),
                (5, 'Komma, "quote" en' || chr(10) || 'nieuwe regel @home', 1.0, 0.99, NULL, NULL, NULL, false,
                 236000.0, 585000.0)
              ) AS t(id, name, height, price, day, seen, seen_tz, active, x, y))
        TO '{path}' (FORMAT parquet)""")
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    return folder


def download(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, workdir: Path, params: list[tuple[str, str]] | None = None
) -> bytes:
    query = parse_query(params or [], PLACES)
    sql, sql_params = query_sql(path, PLACES, query, for_export=True)
    chunks = export(con, sql, sql_params, FORMATS[fmt], geometry_columns=["geom"], workdir=workdir)
    body = b"".join(chunks)
    assert list(workdir.iterdir()) == [], "temporary files are gone once the download is sent"
    return body


def lon_lat(x: float, y: float) -> tuple[float, float]:
    return RD.transform(x, y)


# ------------------------------------------------------------------------------------------- negotiation


@pytest.mark.parametrize(
    ("accept", "param", "geo", "expected"),
    [
        (None, None, False, "json"),
        ("", None, True, "json"),
        ("*/*", None, True, "json"),
        ("text/csv", None, False, "csv"),
        ("text/html,application/xhtml+xml,*/*;q=0.8", None, False, "json"),
        ("application/geo+json", None, True, "geojson"),
        ("application/json;q=0.5, text/csv;q=0.9", None, False, "csv"),
        ("text/csv;q=0, application/vnd.apache.parquet", None, False, "parquet"),
        ("text/*", None, False, "csv"),
        ("application/geo+json, text/csv;q=0.1", None, False, "csv"),
        ("text/csv", "xlsx", False, "xlsx"),
        ("text/csv", "GPKG", True, "gpkg"),
    ],
)
def test_format_param_wins_over_accept(accept: str | None, param: str | None, geo: bool, expected: str) -> None:
    assert negotiate(accept, param, has_geometry=geo).name == expected


def test_an_unknown_format_parameter_is_a_400_that_lists_the_choices() -> None:
    with pytest.raises(FormatError) as caught:
        negotiate(None, "xml", has_geometry=False)
    assert caught.value.status == 400
    assert caught.value.allowed == ["json", "csv", "parquet", "xlsx"]
    assert "json, csv, parquet, xlsx" in caught.value.detail


def test_geo_formats_need_geometry() -> None:
    with pytest.raises(FormatError) as caught:
        negotiate(None, "geojson", has_geometry=False)
    assert "geometry" in caught.value.detail
    assert negotiate(None, "geojson", has_geometry=True).media_type == "application/geo+json"


def test_an_accept_header_nothing_matches_is_a_406() -> None:
    with pytest.raises(FormatError) as caught:
        negotiate("image/png, application/geo+json", None, has_geometry=False)
    assert caught.value.status == 406
    assert "text/csv (csv)" in caught.value.detail


def test_the_formats_table() -> None:
    assert {f.name for f in FORMATS.values() if f.geo_only} == {"geojson", "gpkg"}
    assert all(isinstance(f, ExportFormat) and f.extension for f in FORMATS.values())


# ------------------------------------------------------------------------------------------- CSV


def test_csv_round_trips_and_neutralises_formulas_but_not_numbers(
    con: duckdb.DuckDBPyConnection, places: Path, workdir: Path
) -> None:
    body = download(con, places, "csv", workdir)
    assert b"\r\n" in body and not body.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    assert table[0] == ["id", "name", "height", "price", "day", "seen", "seen_tz", "active", "geom"]
    by_id = {row[0]: dict(zip(table[0], row, strict=True)) for row in table[1:]}
    assert by_id["2"]["name"] == "'=HYPERLINK(\"http://evil\",\"klik\")"
    assert by_id["3"]["name"] == "'+31 50 123 4567", "a phone number is not a plain number"
    assert by_id["4"]["name"] == "-2.3", "text that is just a number cannot run as a formula"
    assert by_id["5"]["name"] == 'Komma, "quote" en\nnieuwe regel @home'
    assert by_id["1"]["height"] == "-2.3" and by_id["4"]["height"] == "-6.7", "NAP heights stay numbers"
    assert by_id["1"]["price"] == "12.50" and by_id["3"]["height"] == ""
    assert by_id["1"]["seen"] == "2024-01-31T12:00:00" and by_id["1"]["seen_tz"] == "2024-01-31T11:00:00Z"
    assert by_id["1"]["day"] == "2024-01-31" and by_id["1"]["active"] == "true"
    point = shapely.wkt.loads(by_id["1"]["geom"])
    assert (point.x, point.y) == pytest.approx(lon_lat(233000, 582000), abs=1e-9)
    assert by_id["3"]["geom"] == ""


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+2", "'=1+2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"), ("\rx", "'\rx"),
        ("-cmd|' /C calc'!A0", "'-cmd|' /C calc'!A0"),
        ("-2.3", "-2.3"), ("+5", "+5"), ("1e5", "1e5"), ("plain", "plain"), ("", ""),
    ],
)
def test_neutralise(text: str, safe: str) -> None:
    assert neutralise(text) == safe


def test_csv_follows_the_query(con: duckdb.DuckDBPyConnection, places: Path, workdir: Path) -> None:
    params = [("sort", "-height"), ("height__isnull", "false"), ("fields", "id,height")]
    body = download(con, places, "csv", workdir, params)
    assert body.decode() == "id,height\r\n5,1\r\n2,0\r\n1,-2.3\r\n4,-6.7\r\n"


# ------------------------------------------------------------------------------------------- JSON


def test_json_download_holds_the_same_objects_as_the_row_api(
    con: duckdb.DuckDBPyConnection, places: Path, workdir: Path
) -> None:
    downloaded = json.loads(download(con, places, "json", workdir))
    page = run_query(con, places, PLACES, parse_query([], PLACES))
    assert downloaded == page.rows
    assert downloaded[0]["geom"]["coordinates"] == pytest.approx(lon_lat(233000, 582000), abs=1e-9)


@pytest.fixture(scope="module")
def kinds(con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Column]]:
    """One row with the column types a Parquet file from elsewhere may hold."""
    path = tmp_path_factory.mktemp("formats") / "kinds.parquet"
    con.execute(f"""
        COPY (SELECT 1 AS id, 5::UBIGINT AS big, '5e5e8b4e-8f8a-4f8e-9b8a-8f8a4f8e9b8a'::UUID AS u,
                     TIME '10:11:12.5' AS tm, 'abc'::BLOB AS bl, {{'a': 1, 'b': [1.5, 2]}} AS st, [1, 2] AS l,
                     1.25::DECIMAL(20, 3) AS dc, TIMESTAMPTZ '2024-01-02 03:04:05.25+01' AS tz,
                     TIMESTAMP_NS '2024-01-02 03:04:05.123456789' AS tns, 1.1::REAL AS r, 'inf'::DOUBLE AS f,
                     ST_Point(6.5, 53.2) AS plain_geom)
        TO '{path}' (FORMAT parquet)""")
    kinds = [("id", "integer"), ("big", "integer"), ("u", "string"), ("tm", "time"), ("bl", "any"), ("st", "object"),
             ("l", "array"), ("dc", "number"), ("tz", "datetime"), ("tns", "datetime"), ("r", "number"),
             ("f", "number"), ("plain_geom", "geometry")]
    return path, [Column(name, kind) for name, kind in kinds]


def export_kinds(
    con: duckdb.DuckDBPyConnection, kinds: tuple[Path, list[Column]], fmt: str, workdir: Path
) -> bytes:
    path, columns = kinds
    sql, params = query_sql(path, columns, parse_query([], columns), for_export=True)
    return b"".join(export(con, sql, params, FORMATS[fmt], geometry_columns=["plain_geom"], workdir=workdir))


def test_json_download_and_row_api_agree_on_every_kind_of_value(
    con: duckdb.DuckDBPyConnection, kinds: tuple[Path, list[Column]], workdir: Path
) -> None:
    path, columns = kinds
    row = run_query(con, path, columns, parse_query([], columns)).rows[0]
    assert json.loads(export_kinds(con, kinds, "json", workdir)) == [row]
    assert row["tz"] == "2024-01-02T02:04:05.250000Z" and row["tns"] == "2024-01-02T03:04:05.123456"
    assert row["bl"] == "YWJj" and row["st"] == {"a": 1, "b": [1.5, 2.0]} and row["f"] is None


def test_every_format_copes_with_every_kind_of_value(
    con: duckdb.DuckDBPyConnection, kinds: tuple[Path, list[Column]], workdir: Path, tmp_path: Path
) -> None:
    header, line = list(csv.reader(io.StringIO(export_kinds(con, kinds, "csv", workdir).decode(), newline="")))
    assert dict(zip(header, line, strict=True))["st"] == '{"a":1,"b":[1.5,2.0]}'
    assert json.loads(export_kinds(con, kinds, "geojson", workdir))["features"][0]["geometry"]["coordinates"] == [
        6.5, 53.2
    ]
    for fmt in ("xlsx", "parquet", "gpkg"):
        (tmp_path / f"kinds.{fmt}").write_bytes(export_kinds(con, kinds, fmt, workdir))
    sheet = openpyxl.load_workbook(tmp_path / "kinds.xlsx").active
    assert sheet is not None and sheet["J2"].value.isoformat().startswith("2024-01-02T03:04:05.123")  # Excel: ms
    assert con.execute("SELECT count(*) FROM read_parquet(?)", [str(tmp_path / "kinds.parquet")]).fetchone() == (1,)
    back = con.execute("SELECT st, tns::VARCHAR, ST_CRS(geom) FROM ST_Read(?)", [str(tmp_path / "kinds.gpkg")])
    assert back.fetchone() == ('{"a":1,"b":[1.5,2.0]}', "2024-01-02 03:04:05.123+00", "OGC:CRS84")


def test_json_streams_in_batches_and_stays_valid(con: duckdb.DuckDBPyConnection, workdir: Path) -> None:
    sql = "SELECT i AS id, i * 0.5 AS half, 'x' || i AS label FROM range(25000) t(i)"
    chunks = list(export(con, sql, [], FORMATS["json"], geometry_columns=[], workdir=workdir))
    assert len(chunks) >= 4, "one chunk per batch of 10,000 rows, not one big string"
    rows = json.loads(b"".join(chunks))
    assert len(rows) == 25000 and rows[-1] == {"id": 24999, "half": 12499.5, "label": "x24999"}
    assert json.loads(b"".join(export(con, sql + " WHERE false", [], FORMATS["json"], geometry_columns=[],
                                      workdir=workdir))) == []


# ------------------------------------------------------------------------------------------- GeoJSON


def test_geojson_is_a_feature_collection_in_lon_lat(
    con: duckdb.DuckDBPyConnection, places: Path, workdir: Path
) -> None:
    collection = json.loads(download(con, places, "geojson", workdir))
    assert collection["type"] == "FeatureCollection" and "crs" not in collection
    features = collection["features"]
    assert [f["properties"]["id"] for f in features] == [1, 2, 3, 4, 5]
    first = features[0]
    assert first["type"] == "Feature" and "geom" not in first["properties"]
    assert first["geometry"]["type"] == "Point"
    assert first["geometry"]["coordinates"] == pytest.approx(lon_lat(233000, 582000), abs=1e-9)
    assert first["properties"]["height"] == -2.3 and first["properties"]["seen_tz"] == "2024-01-31T11:00:00Z"
    assert features[2]["geometry"] is None
    for feature in features:
        geometry = feature["geometry"]
        if geometry:
            lon, lat = geometry["coordinates"]
            assert 6.5 < lon < 6.7 and 53.2 < lat < 53.3, "Groningen, in lon/lat order"


# ------------------------------------------------------------------------------------------- Parquet and GPKG


def test_parquet_reads_back_with_the_same_rows_and_crs(
    con: duckdb.DuckDBPyConnection, places: Path, workdir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "download.parquet"
    out.write_bytes(download(con, places, "parquet", workdir))
    assert con.execute("SELECT typeof(geom) FROM read_parquet(?) LIMIT 1", [str(out)]).fetchone() == (
        "GEOMETRY('EPSG:28992')",
    )
    original = "SELECT id, name, height, price, day, ST_AsText(geom) FROM read_parquet(?) ORDER BY id"
    assert con.execute(original, [str(out)]).fetchall() == con.execute(original, [str(places)]).fetchall()


def test_geopackage_reads_back_with_the_same_rows_and_crs(
    con: duckdb.DuckDBPyConnection, places: Path, workdir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "download.gpkg"
    out.write_bytes(download(con, places, "gpkg", workdir, [("active__isnull", "false")]))
    assert out.read_bytes()[:16] == b"SQLite format 3\x00"
    back = con.execute(
        "SELECT id, name, height, price, day, ST_AsText(geom), ST_CRS(geom) FROM ST_Read(?) ORDER BY id", [str(out)]
    ).fetchall()
    original = con.execute(
        "SELECT id, name, height, price::DOUBLE, day, ST_AsText(geom), ST_CRS(geom) FROM read_parquet(?) "
        "WHERE active IS NOT NULL ORDER BY id", [str(places)]
    ).fetchall()
    assert back == original
    assert back[0][-1] == "EPSG:28992"


# ------------------------------------------------------------------------------------------- XLSX


def test_xlsx_opens_in_openpyxl_with_typed_cells_and_no_formulas(
    con: duckdb.DuckDBPyConnection, places: Path, workdir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "download.xlsx"
    out.write_bytes(download(con, places, "xlsx", workdir))
    sheet = openpyxl.load_workbook(out).active
    assert sheet is not None
    table = [list(row) for row in sheet.iter_rows()]
    assert [c.value for c in table[0]] == [c.name for c in PLACES]
    groningen, evil = table[1], table[2]
    assert evil[1].value == '=HYPERLINK("http://evil","klik")' and evil[1].data_type == "s", "text, not a formula"
    assert groningen[2].value == -2.3 and groningen[2].data_type == "n"
    assert groningen[3].value == 12.5
    assert groningen[4].value.date().isoformat() == "2024-01-31"
    assert groningen[5].value.isoformat() == "2024-01-31T12:00:00"
    assert groningen[6].value == "2024-01-31T11:00:00Z", "Excel has no time zones: ISO text keeps the moment"
    assert groningen[7].value is True
    point = shapely.wkt.loads(groningen[8].value)
    assert (point.x, point.y) == pytest.approx(lon_lat(233000, 582000), abs=1e-9)
    assert table[3][2].value is None and table[3][8].value is None


def test_xlsx_refuses_more_rows_than_a_sheet_holds_before_sending_anything(
    con: duckdb.DuckDBPyConnection, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_files, "XLSX_MAX_ROWS", 3)
    chunks = export(con, "SELECT * FROM range(5)", [], FORMATS["xlsx"], geometry_columns=[], workdir=workdir)
    with pytest.raises(export_files.TooManyRows) as caught:
        next(chunks)
    assert caught.value.status == 406 and "csv" in caught.value.detail
    assert list(workdir.iterdir()) == []


def test_a_download_stopped_half_way_leaves_no_temp_file(
    con: duckdb.DuckDBPyConnection, places: Path, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(export_files, "CHUNK_BYTES", 64)
    sql, params = query_sql(places, PLACES, parse_query([], PLACES), for_export=True)
    chunks = export(con, sql, params, FORMATS["parquet"], geometry_columns=["geom"], workdir=workdir)
    next(chunks)
    assert len(list(workdir.iterdir())) == 1
    chunks.close()  # what a server does when the client disconnects
    assert list(workdir.iterdir()) == []
