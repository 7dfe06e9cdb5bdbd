"""Prove that the row API filters, sorts and pages real Parquet files correctly, safely and at constant cost."""

from __future__ import annotations

import base64
import json
import statistics
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pytest
from pyproj import Transformer

from wierde.publish.row_cursor import encode_cursor
from wierde.publish.rows import Column, QueryError, parse_query, query_sql, run_query
from wierde.store.duck import connect

PLACES = [
    Column("id", "integer"), Column("name", "string"), Column("height", "number"), Column("price", "number"),
    Column("day", "date"), Column("seen", "datetime"), Column("seen_tz", "datetime"), Column("active", "boolean"),
    Column("geom", "geometry"), Column('we"ird', "string"),
]
NUMBERS = [Column("id", "integer"), Column("grp", "integer"), Column("val", "integer"), Column("label", "string")]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect()
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def places(con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six places in RD New (EPSG:28992), with NULLs, quotes, a formula-like name and a height below NAP."""
    path = tmp_path_factory.mktemp("rows") / "places.parquet"
    con.execute(f"""
        COPY (SELECT id, name, height::DOUBLE AS height, price::DECIMAL(10, 2) AS price, day, seen, seen_tz, active,
                     ST_SetCRS(ST_Point(x, y), 'EPSG:28992') AS geom, w AS "we""ird"
              FROM (VALUES
                (1, 'Groningen', -2.3, 12.50, DATE '2024-01-31', TIMESTAMP '2024-01-31 12:00:00',
                 TIMESTAMPTZ '2024-01-31 12:00:00+01', true, 233000.0, 582000.0, 'a'),
                (2, 'O''Brien "quoted"; DROP TABLE x', 0.0, NULL, DATE '2024-02-01',
                 TIMESTAMP '2024-02-01 08:30:00.5', TIMESTAMPTZ '2024-02-01 08:30:00+00', false,
                 234000.0, 583000.0, 'b'),
                (3, 'Stad ÉÉN', NULL, 3.10, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
                (4, '=HYPERLINK("http://evil")', 5.5, 7.25, DATE '2023-12-31', TIMESTAMP '2023-12-31 23:59:59',
                 TIMESTAMPTZ '2023-12-31 23:59:59+00', true, 235000.0, 584000.0, 'c'),
                (5, NULL, 1.0, 0.99, DATE '2024-06-01', TIMESTAMP '2024-06-01 00:00:00',
                 TIMESTAMPTZ '2024-06-01 00:00:00+00', false, 236000.0, 585000.0, 'd'),
                (6, 'stad een', 'nan'::DOUBLE, 100.00, DATE '2024-06-02', TIMESTAMP '2024-06-02 00:00:00',
                 TIMESTAMPTZ '2024-06-02 00:00:00+00', true, 237000.0, 586000.0, 'e')
              ) AS t(id, name, height, price, day, seen, seen_tz, active, x, y, w))
        TO '{path}' (FORMAT parquet)""")
    return path


@pytest.fixture(scope="module")
def numbers(con: duckdb.DuckDBPyConnection, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """200,000 rows in many row groups; `grp` has many ties, `val` has ties and NULLs."""
    path = tmp_path_factory.mktemp("rows") / "numbers.parquet"
    con.execute(f"""
        COPY (SELECT i AS id, i % 7 AS grp, CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 7919) % 1000 END AS val,
                     'r' || i AS label
              FROM range(200000) t(i))
        TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 16384)""")
    return path


def rows(con: duckdb.DuckDBPyConnection, path: Path, params: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    return run_query(con, path, PLACES, parse_query(params, PLACES)).rows


def ids(con: duckdb.DuckDBPyConnection, path: Path, params: Sequence[tuple[str, str]]) -> list[int]:
    return [r["id"] for r in rows(con, path, params)]


# ------------------------------------------------------------------------------------------- parameters


@pytest.mark.parametrize(
    ("params", "parameter", "says"),
    [
        ([("colour", "red")], "colour", "id, name, height"),
        ([("height__near", "1")], "height__near", "__gte"),
        ([("height__gt", "high")], "height__gt", "not a number"),
        ([("day", "31-01-2024")], "day", "ISO 8601 date"),
        ([("active", "yes please")], "active", "true or false"),
        ([("height__contains", "2")], "height__contains", "text columns"),
        ([("geom", "POINT (1 2)")], "geom", "__isnull"),
        ([("name__isnull", "maybe")], "name__isnull", "true or false"),
        ([("limit", "0")], "limit", "between 1 and 10000"),
        ([("limit", "10001")], "limit", "between 1 and 10000"),
        ([("limit", "ten")], "limit", "whole number"),
        ([("limit", "5"), ("limit", "6")], "limit", "more than once"),
        ([("sort", "colour")], "sort", "unknown column 'colour'"),
        ([("sort", "geom")], "sort", "cannot sort"),
        ([("sort", "name,-name")], "sort", "twice"),
        ([("fields", "id,colour")], "fields", "unknown column 'colour'"),
        ([("id", "99999999999999999999999")], "id", "out of range"),
    ],
)
def test_a_bad_parameter_is_a_query_error_that_names_it_and_says_why(
    params: list[tuple[str, str]], parameter: str, says: str
) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(params, PLACES)
    assert caught.value.parameter == parameter
    assert says in caught.value.reason
    assert caught.value.status == 400
    assert caught.value.extra["invalidParams"] == [{"in": "query", "name": parameter, "reason": caught.value.reason}]


def test_format_and_an_empty_cursor_are_accepted_and_ignored_here() -> None:
    query = parse_query([("format", "csv"), ("cursor", "")], PLACES)
    assert query.cursor is None and query.filters == ()


# ------------------------------------------------------------------------------------------- injection


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("sort", "name;DROP TABLE x"),
        ("sort", 'name" DESC; --'),
        ("fields", "id) FROM read_csv('/etc/passwd') --"),
        ('name"; DROP TABLE x; --', "1"),
        ("id__gt", "1 OR 1=1"),
    ],
)
def test_injection_in_names_or_typed_values_is_refused(key: str, value: str) -> None:
    with pytest.raises(QueryError):
        parse_query([(key, value)], PLACES)


def test_quotes_in_values_are_data_not_sql(con: duckdb.DuckDBPyConnection, places: Path) -> None:
    assert ids(con, places, [("name", "O'Brien \"quoted\"; DROP TABLE x")]) == [2]
    assert ids(con, places, [("name", "x' OR '1'='1")]) == []
    assert ids(con, places, [("name__contains", "%")]) == [], "LIKE wildcards are plain characters"
    assert ids(con, places, [('we"ird', "b")]) == [2], "a column name with a quote is quoted, not broken"


def test_the_sql_binds_every_value(places: Path) -> None:
    query = parse_query([("name", "Groningen'--"), ("height__in", "1,2"), ("sort", "-height")], PLACES)
    sql, params = query_sql(places, PLACES, query, for_export=False)
    assert "Groningen" not in sql and str(places) not in sql
    assert "Groningen'--" in params and str(places) in params


# ------------------------------------------------------------------------------------------- filters


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ([("height__lt", "0")], [1]),
        ([("height__gte", "1"), ("height__lte", "5.5")], [4, 5]),
        ([("height__ne", "0")], [1, 3, 4, 5, 6]),  # rows without a height are "not 0" too
        ([("price", "12.5")], [1]),
        ([("price__gt", "12.49")], [1, 6]),
        ([("id__in", "2,4,99")], [2, 4]),
        ([("name__in", "Groningen,stad een")], [1, 6]),
        ([("name__contains", "ÉÉN")], [3]),
        ([("name__contains", "stad e")], [6]),  # case-insensitive, not accent-insensitive
        ([("name__contains", "STAD")], [3, 6]),
        ([("day__gte", "2024-02-01")], [2, 5, 6]),
        ([("seen__lt", "2024-01-31T12:00:01")], [1, 4]),
        ([("seen_tz", "2024-01-31T11:00:00Z")], [1]),
        ([("active", "false")], [2, 5]),
        ([("geom__isnull", "true")], [3]),
        ([("price__isnull", "false"), ("active", "true")], [1, 4, 6]),
    ],
)
def test_filters_select_the_rows_a_user_expects(
    con: duckdb.DuckDBPyConnection, places: Path, params: list[tuple[str, str]], expected: list[int]
) -> None:
    assert ids(con, places, params) == expected


def test_a_column_named_like_a_reserved_parameter_is_filtered_with_eq(
    con: duckdb.DuckDBPyConnection, places: Path
) -> None:
    columns = [Column("id", "integer"), Column("limit", "integer")]
    query = parse_query([("limit__eq", "3"), ("limit", "2")], columns)
    assert query.limit == 2 and query.filters[0].column == "limit" and query.filters[0].value == 3


# ------------------------------------------------------------------------------------------- values


def test_rows_are_json_ready_with_geojson_in_lon_lat(con: duckdb.DuckDBPyConnection, places: Path) -> None:
    first, second, third, *_, sixth = rows(con, places, [])
    x, y = Transformer.from_crs("EPSG:28992", "EPSG:4326", always_xy=True).transform(233000, 582000)
    assert first["geom"]["type"] == "Point"
    assert first["geom"]["coordinates"] == pytest.approx([x, y], abs=1e-9)
    assert 6.5 < first["geom"]["coordinates"][0] < 6.6, "longitude first: the city of Groningen"
    assert first["day"] == "2024-01-31" and first["seen"] == "2024-01-31T12:00:00"
    assert first["seen_tz"] == "2024-01-31T11:00:00Z"
    assert second["seen"] == "2024-02-01T08:30:00.500000"
    assert first["price"] == 12.5 and first["height"] == -2.3 and first["active"] is True
    assert third["geom"] is None and third["price"] == 3.1
    assert sixth["height"] is None, "NaN has no JSON form"
    json.dumps([first, second, third], allow_nan=False)


def test_fields_choose_and_order_the_columns(con: duckdb.DuckDBPyConnection, places: Path) -> None:
    page = run_query(con, places, PLACES, parse_query([("fields", "name,id"), ("sort", "-height")], PLACES))
    assert [list(r) for r in page.rows][0] == ["name", "id"]
    assert [c.name for c in page.columns] == ["name", "id"]
    # sorted on a column that is not shown; DuckDB ranks NaN above every number, NULL comes last
    assert [r["id"] for r in page.rows] == [6, 4, 5, 2, 1, 3]


def test_sort_descending_with_nulls_last(con: duckdb.DuckDBPyConnection, places: Path) -> None:
    assert ids(con, places, [("sort", "-day")]) == [6, 5, 2, 1, 4, 3]
    assert ids(con, places, [("sort", "active,-id")]) == [5, 2, 6, 4, 1, 3]


def test_totals(con: duckdb.DuckDBPyConnection, places: Path) -> None:
    everything = parse_query([("limit", "2")], PLACES)
    assert run_query(con, places, PLACES, everything, known_total=6).total == 6
    assert run_query(con, places, PLACES, everything).total == 6, "counted when the caller does not know"
    assert run_query(con, places, PLACES, everything, known_total=999).total == 999, "the caller's count is used"
    filtered = parse_query([("active", "true"), ("limit", "1")], PLACES)
    page = run_query(con, places, PLACES, filtered, known_total=6)
    assert page.total == 3 and len(page.rows) == 1 and page.next_cursor
    assert run_query(con, places, PLACES, filtered, with_total=False).total is None


# ------------------------------------------------------------------------------------------- paging


def walk(
    con: duckdb.DuckDBPyConnection, path: Path, params: list[tuple[str, str]], limit: int
) -> tuple[list[int], int]:
    seen: list[int] = []
    cursor: str | None = None
    pages = 0
    while True:
        extra = [("cursor", cursor)] if cursor else []
        query = parse_query([*params, ("limit", str(limit)), *extra], NUMBERS, max_limit=50_000)
        page = run_query(con, path, NUMBERS, query, with_total=False)
        seen += [r["id"] for r in page.rows]
        pages += 1
        assert len(page.rows) == limit or page.next_cursor is None
        if page.next_cursor is None:
            return seen, pages
        cursor = page.next_cursor


@pytest.mark.parametrize(
    ("params", "order_by", "where"),
    [
        ([], "file_row_number", "true"),
        ([("sort", "grp")], "grp, file_row_number", "true"),
        ([("sort", "-val,grp")], "val DESC NULLS LAST, grp, file_row_number", "true"),
        ([("sort", "val"), ("grp__in", "1,3")], "val NULLS LAST, file_row_number", "grp IN (1, 3)"),
        ([("sort", "-label")], "label DESC, file_row_number", "true"),
    ],
)
def test_walking_every_page_by_cursor_sees_each_row_once_in_order(
    con: duckdb.DuckDBPyConnection, numbers: Path, params: list[tuple[str, str]], order_by: str, where: str
) -> None:
    seen, pages = walk(con, numbers, params, limit=19997)
    expected = [r[0] for r in con.execute(
        f"SELECT id FROM read_parquet(?, file_row_number = true) WHERE {where} ORDER BY {order_by}", [str(numbers)]
    ).fetchall()]
    assert len(set(seen)) == len(seen), "no row twice"
    assert seen == expected, "every row, in the sort's order"
    assert pages == -(-len(expected) // 19997), "no empty page at the end"


def test_a_last_page_that_is_exactly_full_has_no_next_cursor(con: duckdb.DuckDBPyConnection, places: Path) -> None:
    page = run_query(con, places, PLACES, parse_query([("limit", "6")], PLACES))
    assert len(page.rows) == 6 and page.next_cursor is None


def one_by_one(con: duckdb.DuckDBPyConnection, path: Path, columns: list[Column], sort: str) -> list[int]:
    """Every id, walking pages of one row; stops (and fails) if a row keeps coming back."""
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(100):
        params = [("sort", sort), ("limit", "1"), *([("cursor", cursor)] if cursor else [])]
        page = run_query(con, path, columns, parse_query(params, columns))
        seen += [r["id"] for r in page.rows]
        if not (cursor := page.next_cursor):
            return seen
    raise AssertionError(f"paging never ended: {seen[:20]}")


@pytest.mark.parametrize("sort", ["seen_tz", "-seen", "price", "-height", "day", "name", "-active"])
def test_cursor_values_keep_their_exact_type(con: duckdb.DuckDBPyConnection, places: Path, sort: str) -> None:
    assert sorted(one_by_one(con, places, PLACES, sort)) == [1, 2, 3, 4, 5, 6]


def test_nanosecond_timestamps_page_without_repeats(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """Values that differ only below the microsecond must not make the next page start again at the same value."""
    path = tmp_path / "ns.parquet"
    con.execute(f"""
        COPY (SELECT i AS id, make_timestamp_ns(1704164645123456000 + (i % 3) * 1000000000 + i % 2) AS at
              FROM range(8) t(i))
        TO '{path}' (FORMAT parquet)""")
    columns = [Column("id", "integer"), Column("at", "datetime")]
    in_order = sorted(range(8), key=lambda i: ((i % 3) * 1_000_000_000 + i % 2, i))
    assert one_by_one(con, path, columns, "at") == in_order
    assert sorted(one_by_one(con, path, columns, "-at")) == list(range(8))


def test_a_geometry_without_crs_is_taken_as_lon_lat(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "plain.parquet"
    con.execute(f"COPY (SELECT 1 AS id, ST_Point(6.5665, 53.2194) AS geom) TO '{path}' (FORMAT parquet)")
    columns = [Column("id", "integer"), Column("geom", "geometry")]
    page = run_query(con, path, columns, parse_query([], columns))
    assert page.rows[0]["geom"] == {"type": "Point", "coordinates": [6.5665, 53.2194]}


def forged(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "eyJub3QiOiJqc29u",
        forged({"v": 1, "s": "-height", "k": [{"f": "1.5"}], "r": 3}),  # another sort
        forged({"v": 1, "s": "day", "k": ["yesterday"], "r": 3}),  # a string where a date belongs
        forged({"v": 1, "s": "day", "k": [{"date": "2024-13-45"}], "r": 3}),
        forged({"v": 1, "s": "day", "k": [{"sql": "1; DROP"}], "r": 3}),
        forged({"v": 1, "s": "day", "k": [], "r": 3}),
        forged({"v": 1, "s": "day", "k": [None], "r": -1}),
        forged({"v": 1, "s": "day", "k": [None], "r": True}),
        forged(["a", "list"]),
        "A" * 9000,
    ],
)
def test_a_tampered_cursor_is_a_query_error(cursor: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query([("sort", "day"), ("cursor", cursor)], PLACES)
    assert caught.value.parameter == "cursor"


def test_the_default_sort_seeks_inside_the_parquet_scan(numbers: Path, con: duckdb.DuckDBPyConnection) -> None:
    """The cursor's row-number condition is a Parquet scan filter, so earlier row groups are never read."""
    query = parse_query([("cursor", encode_cursor("", [], 150_000))], NUMBERS)
    sql, params = query_sql(numbers, NUMBERS, query, for_export=False)
    plan = "\n".join(str(row[1]) for row in con.execute(f"EXPLAIN {sql}", params).fetchall())
    assert "file_row_number>150000" in plan.replace(" ", "")
    assert run_query(con, numbers, NUMBERS, query).rows[0]["id"] == 150_001


@pytest.mark.slow
def test_a_deep_page_costs_about_what_the_first_page_costs(tmp_path: Path) -> None:
    con = connect()
    path = tmp_path / "big.parquet"
    con.execute(f"""
        COPY (SELECT i AS id, 'name ' || (i % 1000) AS name, (i % 97)::DOUBLE - 40 AS h,
                     ST_SetCRS(ST_Point(200000 + (i % 1000), 580000 + (i // 1000)), 'EPSG:28992') AS geom
              FROM range(2000000) t(i))
        TO '{path}' (FORMAT parquet)""")
    columns = [Column("id", "integer"), Column("name", "string"), Column("h", "number"), Column("geom", "geometry")]
    first = parse_query([], columns)
    deep = parse_query([("cursor", encode_cursor("", [], 999_999))], columns)
    times: dict[str, list[float]] = {"first": [], "deep": []}
    for _ in range(7):  # interleaved, so load on a shared machine hits both alike
        for name, query in (("first", first), ("deep", deep)):
            start = time.perf_counter()
            page = run_query(con, path, columns, query, known_total=2_000_000)
            times[name].append(time.perf_counter() - start)
            assert len(page.rows) == 100
    assert page.rows[0]["id"] == 1_000_000
    first_s, deep_s = statistics.median(times["first"]), statistics.median(times["deep"])
    print(f"page 1: {first_s * 1000:.1f} ms, page at row 1,000,000: {deep_s * 1000:.1f} ms")
    assert deep_s < 3 * first_s + 0.05
