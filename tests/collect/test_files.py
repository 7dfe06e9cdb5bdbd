"""Prove that a steward's CSV becomes one typed Parquet file, with Dutch conventions and a report of bad rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import pytest

from wierde.collect.files import (
    FileFormatError,
    IngestResult,
    OptionsError,
    ReadOptions,
    RejectedRowsError,
    ingest_file,
    table_schema,
    write_parquet,
)
from wierde.errors import InvalidInput

Writer = Callable[..., Path]


def types_of(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, str]:
    relation = con.sql(f"SELECT * FROM read_parquet('{path}')")
    return dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))


def rows_of(con: duckdb.DuckDBPyConnection, path: Path) -> list[tuple[Any, ...]]:
    return con.sql(f"SELECT * FROM read_parquet('{path}')").fetchall()


def ingest(con: duckdb.DuckDBPyConnection, source: Path, out: Path, **options: Any) -> IngestResult:
    return ingest_file(con, source, out, ReadOptions(**options))


# --- types --------------------------------------------------------------------------------------------------


def test_integers_stay_integers_and_codes_stay_text(con, write, out):
    source = write("codes.csv", (
        "gemeente,pc4,postcode,code,aantal,nul,bedrag\n"
        "GM0014,0612,9712 CP,0123,12,0,1.5\n"
        "GM1966,9712,9713 AB,4567,-3,0,2\n"
        "GM1969,9999,9714 AC,0001,40000000000,0,-0.25\n"
    ))
    result = ingest(con, source, out)
    assert types_of(con, out) == {
        "gemeente": "VARCHAR", "pc4": "VARCHAR", "postcode": "VARCHAR", "code": "VARCHAR",
        "aantal": "BIGINT", "nul": "BIGINT", "bedrag": "DOUBLE",
    }
    assert rows_of(con, out)[0] == ("GM0014", "0612", "9712 CP", "0123", 12, 0, 1.5)
    assert [f["type"] for f in result.schema["fields"]] == [
        "string", "string", "string", "string", "integer", "integer", "number",
    ]
    assert result.row_count == 3 and result.rejected == () and result.format == "csv"


def test_dutch_decimal_comma_and_dates(con, write, out):
    source = write("nl.csv", (
        "regio;bedrag;datum;tijdstip;aantal\n"
        "GM0014;12,5;31-12-2024;31-12-2024 14:00;7\n"
        "GM1966;3;01-02-2025;01-02-2025 09:30;8\n"
        "GM1969;-0,75;15-03-2025;15-03-2025 23:59;9\n"
    ))
    result = ingest(con, source, out)
    assert types_of(con, out) == {
        "regio": "VARCHAR", "bedrag": "DOUBLE", "datum": "DATE", "tijdstip": "TIMESTAMP", "aantal": "BIGINT",
    }
    first = rows_of(con, out)[0]
    assert first[1] == 12.5 and str(first[2]) == "2024-12-31" and str(first[3]) == "2024-12-31 14:00:00"
    assert con.sql(f"SELECT sum(bedrag) FROM '{out}'").fetchone() == (14.75,)
    assert result.dialect["delimiter"] == ";"
    assert result.dialect["decimal_separator"] == ","
    assert result.dialect["date_format"] == "%d-%m-%Y"
    assert result.dialect["datetime_format"] == "%d-%m-%Y %H:%M"
    assert result.dialect["header"] is True


def test_tab_delimited_with_iso_dates(con, write, out):
    text = "id\tdag\twanneer\n1\t2024-05-01\t2024-05-01T08:00:00\n2\t2024-05-02\t2024-05-02T09:15:30\n"
    source = write("tab.tsv", text)
    result = ingest(con, source, out)
    assert result.dialect["delimiter"] == "\t"
    assert types_of(con, out) == {"id": "BIGINT", "dag": "DATE", "wanneer": "TIMESTAMP"}


def test_iso_timestamps_with_offset_keep_the_instant(con, write, out):
    source = write("tz.csv", "id,gemeten\n1,2024-05-01T10:00:00+02:00\n2,2024-05-01T08:00:00Z\n")
    ingest(con, source, out)
    assert types_of(con, out)["gemeten"] == "TIMESTAMP WITH TIME ZONE"
    # The same instant written two ways: the offsets were applied, not dropped.
    assert con.sql(f"SELECT count(DISTINCT epoch(gemeten)) FROM '{out}'").fetchone() == (1,)


def test_leading_zero_past_the_sample_keeps_the_column_text(con, write, out):
    # Far more rows than the type sample: the code with a leading zero and the odd date only come near the end.
    lines = ["id;pc4;peildatum"] + [f"{i};{1000 + i % 8999};31-12-2024" for i in range(1, 30001)]
    lines[29000] = "29000;0612;31-12-2024"
    lines[29500] = "29500;9712;onbekend"
    source = write("lang.csv", "\n".join(lines) + "\n")
    result = ingest(con, source, out)
    assert types_of(con, out) == {"id": "BIGINT", "pc4": "VARCHAR", "peildatum": "VARCHAR"}
    assert con.sql(f"SELECT pc4, peildatum FROM '{out}' WHERE id IN (29000, 29500) ORDER BY id").fetchall() == [
        ("0612", "31-12-2024"), ("9712", "onbekend"),
    ]
    assert result.row_count == 30000 and result.rejected == ()


def test_padded_values_and_a_late_padded_date_keep_their_types(con, write, out):
    lines = ["regio;waarde;datum"] + [f"PV20  ;   {i}.5;2024-01-01" for i in range(1, 25001)]
    lines[24000] = "PV20  ;   7.5;2024-02-29 "  # read_csv's own DATE parser refuses the trailing space
    result = ingest(con, write("cbs.csv", "\n".join(lines) + "\n"), out)
    assert types_of(con, out) == {"regio": "VARCHAR", "waarde": "DOUBLE", "datum": "DATE"}
    assert con.sql(f"SELECT max(datum), min(waarde) FROM '{out}'").fetchone() == (dt.date(2024, 2, 29), 1.5)
    assert result.rejected == ()


def test_a_csv_that_starts_like_json_is_still_a_csv(con, write, out):
    assert ingest(con, write("haken.csv", "[id];naam\n1;a\n"), out).format == "csv"
    assert list(types_of(con, out)) == ["[id]", "naam"]


def test_header_only_gives_an_empty_table(con, write, out):
    result = ingest(con, write("leeg.csv", "a;b\n"), out)
    assert result.row_count == 0
    assert types_of(con, out) == {"a": "VARCHAR", "b": "VARCHAR"}


# --- encodings ----------------------------------------------------------------------------------------------

ENCODED = "naam;plaats;bedrag\nCafé ’t Hoekje;Groningen;€ 5\nJan;Haren;3\n"


@pytest.mark.parametrize(
    ("encoding", "text", "reported"),
    [
        ("utf-8", ENCODED, "utf-8"),
        ("utf-8-sig", ENCODED, "utf-8-sig"),
        ("cp1252", ENCODED, "cp1252"),
        ("latin-1", "naam;plaats\nCafé;Groningen\nJosé;Haren\n", "latin-1"),
    ],
)
def test_encodings_are_detected(con, write, out, encoding, text, reported):
    source = write("enc.csv", text, encoding)
    result = ingest(con, source, out)
    assert result.dialect["encoding"] == reported
    expected = [tuple(line.split(";")) for line in text.splitlines()[1:]]
    assert [tuple(str(v) for v in row) for row in rows_of(con, out)] == expected
    assert sorted(p.name for p in out.parent.iterdir()) == ["data.parquet"]  # no transcoded copy left behind


def test_cp1252_found_past_the_first_mebibyte(con, write, out):
    filler = "".join(f"{i};ascii only\n" for i in range(70_000))  # well over 1 MiB before the first euro sign
    source = write("laat.csv", "id;tekst\n" + filler + "70000;prijs in €\n", "cp1252")
    result = ingest(con, source, out)
    assert result.dialect["encoding"] == "cp1252"
    assert con.sql(f"SELECT tekst FROM '{out}' WHERE id = 70000").fetchone() == ("prijs in €",)
    assert result.rejected == ()


def test_a_mix_of_utf8_and_cp1252_rejects_the_rows_with_bad_bytes(con, write, out):
    content = "id;naam\n1;Café\n".encode() + "2;Caf\u00e9\n".encode("cp1252") + "3;Thé\n".encode()
    with pytest.raises(RejectedRowsError) as caught:
        ingest(con, write("gemengd.csv", content), out)
    assert [r.line for r in caught.value.rejected] == [3]
    assert "invalid encoding" in caught.value.rejected[0].reason


def test_an_explicit_encoding_is_used(con, write, out):
    source = write("x.csv", "naam\nÀb\n", "cp1252")
    result = ingest(con, source, out, encoding="windows-1252")
    assert result.dialect["encoding"] == "cp1252" and result.dialect["encoding_detected"] is False
    assert rows_of(con, out) == [("Àb",)]


# --- bad rows -----------------------------------------------------------------------------------------------

BAD = (
    "id;naam;aantal\n"            # line 1
    '1;"Jansen, J.";10\n'         # line 2
    '2;"twee\nregels";20\n'       # lines 3-4: a quoted value across two lines
    "3;Bakker;30;extra\n"         # line 5: too many fields
    "4;De Vries;veel\n"           # line 6: not an integer (with the override)
    "5;Smit;50\n"                 # line 7
    "6;Visser\n"                  # line 8: too few fields
)


def test_refuse_names_file_count_and_lines(con, write, out):
    source = write("telling.csv", BAD)
    with pytest.raises(RejectedRowsError) as caught:
        ingest(con, source, out, types={"aantal": "integer"})
    error = caught.value
    assert [(r.line, r.column) for r in error.rejected] == [(5, None), (6, "aantal"), (8, None)]
    message = str(error)
    assert "telling.csv" in message and "3 bad rows" in message
    assert "line 5" in message and "line 6 (column 'aantal'): 'veel' is not a valid integer" in message
    assert isinstance(error, InvalidInput)  # so the web layer and the CLI show it as the steward's mistake
    assert not out.exists()


def test_quarantine_writes_the_good_rows_and_returns_the_bad(con, write, out):
    result = ingest(con, write("telling.csv", BAD), out, types={"aantal": "integer"}, bad_rows="quarantine")
    assert result.row_count == 3
    assert rows_of(con, out) == [(1, "Jansen, J.", 10), (2, "twee\nregels", 20), (5, "Smit", 50)]
    assert [r.line for r in result.rejected] == [5, 6, 8]
    assert result.rejected[0].raw == "3;Bakker;30;extra"
    assert "too many columns" in result.rejected[0].reason


def test_structural_errors_are_rejected_without_overrides(con, write, out):
    with pytest.raises(RejectedRowsError) as caught:
        ingest(con, write("t.csv", BAD), out)
    assert [r.line for r in caught.value.rejected] == [5, 8]


def test_line_numbers_count_a_bom_title_lines_and_crlf(con, write, out):
    rows = [f"{i};naam {i};{i * 10}" for i in range(1, 40)]
    rows[20] = "21;naam 21;210;te veel"  # line 24: two title lines, the header, then 20 good rows
    text = "Verkeerstellingen 2024\r\nBron: provincie Groningen\r\nid;naam;aantal\r\n" + "\r\n".join(rows) + "\r\n"
    result = ingest(con, write("titel.csv", b"\xef\xbb\xbf" + text.encode()), out, bad_rows="quarantine")
    assert result.dialect["header_line"] == 3
    assert [r.line for r in result.rejected] == [24]
    assert result.row_count == 38 and rows_of(con, out)[0] == (1, "naam 1", 10)


def test_overrides_win_over_inference(con, write, out):
    source = write("o.csv", "postcode;aantal;jaar;actief\n9712;12;2024;ja\n9713;13;2025;nee\n")
    result = ingest(con, source, out, types={"postcode": "string", "aantal": "number", "jaar": "year",
                                              "actief": "boolean"})
    assert types_of(con, out) == {"postcode": "VARCHAR", "aantal": "DOUBLE", "jaar": "INTEGER", "actief": "BOOLEAN"}
    assert rows_of(con, out) == [("9712", 12.0, 2024, True), ("9713", 13.0, 2025, False)]
    assert [f["type"] for f in result.schema["fields"]] == ["string", "number", "year", "boolean"]


def test_an_override_date_in_dutch_order_rejects_what_does_not_parse(con, write, out):
    source = write("d.csv", "id;datum\n1;31-12-2024\n2;morgen\n3;01-01-2025\n")
    result = ingest(con, source, out, types={"datum": "date"}, bad_rows="quarantine")
    assert types_of(con, out)["datum"] == "DATE"
    assert [(r.line, r.column) for r in result.rejected] == [(3, "datum")]
    assert [str(r[1]) for r in rows_of(con, out)] == ["2024-12-31", "2025-01-01"]


def test_dates_declared_datetime_become_midnight(con, write, out):
    ingest(con, write("d.csv", "id;datum\n1;31-12-2024\n2;01-01-2025\n"), out, types={"datum": "datetime"})
    assert types_of(con, out)["datum"] == "TIMESTAMP"
    assert [str(r[1]) for r in rows_of(con, out)] == ["2024-12-31 00:00:00", "2025-01-01 00:00:00"]


def test_override_of_an_unknown_column_is_refused(con, write, out):
    with pytest.raises(OptionsError, match="postcod"):
        ingest(con, write("o.csv", "postcode\n9712\n"), out, types={"postcod": "string"})


def test_unknown_override_type_is_refused():
    with pytest.raises(OptionsError, match="geheel"):
        ReadOptions(types={"a": "geheel"})


# --- names and unreadable input ----------------------------------------------------------------------------


def test_column_names_are_stripped(con, write, out):
    ingest(con, write("n.csv", " naam ;\tplaats\nJan;Haren\n"), out)
    assert list(types_of(con, out)) == ["naam", "plaats"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("naam;naam\nJan;Piet\n", "duplicate column names 'naam'"),
        ("naam; Naam \nJan;Piet\n", "duplicate column names 'naam' and 'Naam'"),
        ("naam;;plaats\nJan;x;Haren\n", "column 2 has no name"),
    ],
)
def test_duplicate_or_empty_names_are_refused(con, write, out, text, message):
    with pytest.raises(FileFormatError, match=message):
        ingest(con, write("n.csv", text), out)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("leeg.csv", b"", "the file is empty"),
        ("wit.csv", b"\xef\xbb\xbf\n \r\n", "the file is empty"),
        ("getallen.csv", b"1;2;3\n4;5;6\n7;8;9\n", "no header row"),
        ("oud.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "save it as .xlsx"),
        ("raar.bin", bytes(range(256)) * 4, "cannot tell the format"),
        ("kapot.zip", b"PK\x03\x04 this is no zip archive", "not a readable zip"),
        ("kapot.json", b'[{"a": 1}, {"a": ', "kapot.json"),
    ],
)
def test_unreadable_input_says_what_and_where(con, write, out, name, content, message):
    with pytest.raises(FileFormatError, match=message) as caught:
        ingest(con, write(name, content), out)
    assert name in str(caught.value)
    assert not out.exists()


def test_unknown_format_option_is_refused():
    with pytest.raises(OptionsError, match="unknown format"):
        ReadOptions(format="dbf")


# --- output -------------------------------------------------------------------------------------------------


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_input_gives_byte_identical_output(con, write, tmp_path):
    lines = ["site_id;gemeente;tijd;voertuigen;snelheid"]
    lines += [f"PGR06_{i % 97:04d};GM00{14 + i % 3};01-01-2024 {i % 24:02d}:00;{i * 7 % 500};{i % 90},5"
              for i in range(50_000)]
    source = write("verkeer.csv", "\n".join(lines) + "\n")
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    ingest(con, source, first)
    ingest(con, source, second)
    assert sha256(first) == sha256(second)
    meta = con.sql(f"SELECT DISTINCT compression FROM parquet_metadata('{first}')").fetchall()
    assert meta == [("ZSTD",)]


def test_types_spark_cannot_read_are_cast(con, tmp_path, out):
    source = tmp_path / "in.parquet"
    con.execute(
        "COPY (SELECT '5f0c0d2e-6f0e-4d8a-9a53-3d7bb4b9f3c1'::UUID AS id, INTERVAL 90 MINUTE AS duur, "
        f"TIMESTAMP_NS '2024-01-01 10:00:00.123456789' AS moment, ['{uuid.UUID(int=1)}'::UUID] AS lijst, "
        "{'code': '0612', 'n': 1} AS los) "
        f"TO '{source}' (FORMAT parquet)"
    )
    result = ingest(con, source, out)
    assert types_of(con, out) == {
        "id": "VARCHAR", "duur": "VARCHAR", "moment": "TIMESTAMP", "lijst": "VARCHAR[]",
        "los": "STRUCT(code VARCHAR, n INTEGER)",
    }
    assert rows_of(con, out)[0][0] == "5f0c0d2e-6f0e-4d8a-9a53-3d7bb4b9f3c1"
    assert result.format == "parquet"


def test_hugeint_becomes_bigint_when_it_fits_else_double(con, tmp_path):
    small, huge = tmp_path / "small.parquet", tmp_path / "huge.parquet"
    assert write_parquet(con, "SELECT 12::HUGEINT AS n", small) == 1
    write_parquet(con, "SELECT (2::HUGEINT ** 100)::HUGEINT AS n", huge)
    assert types_of(con, small) == {"n": "BIGINT"} and types_of(con, huge) == {"n": "DOUBLE"}


def test_table_schema_describes_any_query(con):
    schema = table_schema(con, "SELECT 1 AS n, 'a' AS s, DATE '2024-01-01' AS d, 1.5 AS x, "
                               "ST_SetCRS(ST_Point(1, 2), 'EPSG:28992') AS g, [1] AS l, {'a': 1} AS o")
    assert schema == {"fields": [
        {"name": "n", "type": "integer"}, {"name": "s", "type": "string"}, {"name": "d", "type": "date"},
        {"name": "x", "type": "number"}, {"name": "g", "type": "geometry", "crs": "EPSG:28992"},
        {"name": "l", "type": "array"}, {"name": "o", "type": "object"},
    ]}


def test_quote_marks_inside_values_stay_plain_text(con, write, out):
    result = ingest(con, write("maten.csv", 'naam;maat\nscherm;24" breed\nkabel;2 m\n'), out)
    assert rows_of(con, out) == [("scherm", '24" breed'), ("kabel", "2 m")]
    assert result.dialect["quote"] == ""
