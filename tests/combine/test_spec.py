"""Prove that a steward's view definitions are read as written, and refused with errors that say where and what."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from wierde.combine.engine import DuckEngine
from wierde.combine.helpers import expand_helpers
from wierde.combine.spec import (
    ViewError,
    check_sql,
    duckdb_only_features,
    load_views,
    parse_view,
    save_views,
)
from wierde.store.duck import connect


def view(**fields: object) -> dict[str, object]:
    return {"id": "openingen", "title": "Openingen", "sql": "SELECT * FROM brugopeningen", **fields}


def test_inputs_are_the_tables_the_sql_reads_not_ctes_aliases_or_strings() -> None:
    sql = """
        WITH per_uur AS (SELECT brug_id, count(*) AS n FROM brugopeningen GROUP BY ALL)
        SELECT p.brug_id, p.n, t.vertraagd, 'FROM gemeenten' AS tekst
        FROM per_uur p JOIN "verkeerstellingen" t USING (brug_id)
        WHERE t.brug_id IN (SELECT brug_id FROM Bruggen)
    """
    assert check_sql(sql) == ("bruggen", "brugopeningen", "verkeerstellingen")


@pytest.mark.parametrize(("sql", "inputs"), [
    ("FROM brugopeningen SELECT brug_id", ("brugopeningen",)),
    ("SELECT o.brug_id, t.voertuigen FROM brugopeningen o "
     "ASOF JOIN verkeerstellingen t ON o.brug_id = t.brug_id AND o.start >= t.uur", ("brugopeningen",
                                                                                  "verkeerstellingen")),
    ("SELECT * FROM (PIVOT brugopeningen ON vaartuig USING count(*) GROUP BY brug_id)", ("brugopeningen",)),
    ("SELECT h.range AS uur FROM range(24) h", ()),
])
def test_duckdb_syntax_is_understood(sql: str, inputs: tuple[str, ...]) -> None:
    assert check_sql(sql) == inputs


def test_a_yaml_file_of_views_round_trips(tmp_path: Path) -> None:
    spec = parse_view(view(title={"nl": "Openingen", "en": "Openings"}, description="Per brug",
                           sql="SELECT brug_id,\n  count(*) AS n\nFROM brugopeningen GROUP BY ALL",
                           pins={"brugopeningen": 2}, publish=True, metadata={"themes": ["TRAN"]}), "test")
    path = tmp_path / "views.yaml"
    save_views(path, [spec])
    assert "sql: |" in path.read_text(encoding="utf-8"), "multi-line SQL stays readable"
    assert load_views(path) == [spec]
    assert spec.inputs == ("brugopeningen",) and spec.version_of("brugopeningen") == 2


@pytest.mark.parametrize(("fields", "words"), [
    ({"engine": "sparkk"}, ["field 'engine'", "'sparkk'", "duckdb or spark"]),
    ({"pins": {"gemeenten": 1}}, ["field 'pins'", "'gemeenten' is not an input"]),
    ({"pins": {"brugopeningen": 0}}, ["field 'pins'", "from 1"]),
    ({"publish": "ja"}, ["field 'publish'", "true or false"]),
    ({"title": ""}, ["field 'title' is required"]),
    ({"colour": "blue"}, ["unknown field 'colour'"]),
    ({"sql": ""}, ["field 'sql'", "required"]),
    ({"metadata": {"licence": "geen-idee"}}, ["metadata", "licence"]),
])
def test_errors_name_the_file_the_view_and_the_field(tmp_path: Path, fields: dict[str, object],
                                                     words: list[str]) -> None:
    path = tmp_path / "views.yaml"
    path.write_text(yaml.safe_dump([view(**fields)]), encoding="utf-8")
    with pytest.raises(ViewError) as caught:
        load_views(path)
    message = caught.value.detail
    assert str(path) in message and "view 'openingen'" in message
    for word in words:
        assert word in message


def test_a_bad_id_and_a_duplicate_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ViewError, match="field 'id'"):
        parse_view(view(id="Openingen Per Uur"), "views.yaml")
    path = tmp_path / "views.yaml"
    path.write_text("- {id: a, title: A, sql: SELECT 1 AS x}\n- {id: a, title: B, sql: SELECT 2 AS x}\n")
    with pytest.raises(ViewError, match="'a' is declared twice"):
        load_views(path)


@pytest.mark.parametrize(("sql", "words"), [
    ("SELECT * FROM read_csv('/etc/passwd')", "not files or table functions"),
    ("SELECT * FROM ST_Read('/data/bruggen.gpkg')", "not files or table functions"),
    ("COPY brugopeningen TO '/tmp/x.csv'", "a view is a SELECT query"),
    ("SELECT 1 AS a; SELECT 2 AS b", "exactly one SELECT"),
    ("SELECT * FROM main.brugopeningen", "by its id alone"),
    ("SELECT count(*) FROM brugopeningen", "give the computed column"),
    ("SELECT period_of(start, 'fortnight') AS p FROM brugopeningen", "period_of's second argument"),
    ("SELECT per_area(1) AS p FROM gemeenten", "per_area takes 2 arguments"),
    ("SELECT FROM WHERE", "does not parse"),
])
def test_what_a_view_may_not_do_is_refused_with_the_reason(sql: str, words: str) -> None:
    with pytest.raises(ViewError, match=words):
        check_sql(sql, "view 'x'")


def test_a_view_reading_itself_is_refused() -> None:
    with pytest.raises(ViewError, match="reads itself"):
        parse_view(view(sql="SELECT * FROM openingen"), "views.yaml")


def test_duckdb_only_features_are_named() -> None:
    sql = ("SELECT b.brug_id, ST_Distance(b.geom, n.geom) AS afstand, region_at(b.gemeente, 2024) AS gm "
           "FROM bruggen b, natuur n WHERE ST_DWithin(b.geom, n.geom, 500)")
    assert duckdb_only_features(sql) == ["spatial function ST_DISTANCE", "spatial function ST_DWITHIN",
                                         "wierde helper region_at"]
    assert duckdb_only_features(expand_helpers(sql)) == ["spatial function ST_DISTANCE",
                                                         "spatial function ST_DWITHIN"]
    assert duckdb_only_features("SELECT brug_id, count(*) AS n FROM brugopeningen GROUP BY ALL") == []


def test_helpers_give_the_same_answer_as_macros_and_as_plain_sql(tmp_path: Path) -> None:
    """What DuckDB computes with the macros is exactly what another engine gets from the expanded SQL."""
    data = tmp_path / "cijfers.parquet"
    con = connect(extensions=())
    con.execute(f"""COPY (SELECT * FROM (VALUES
        ('GM0017', TIMESTAMP '2018-05-03 10:47:00', 180, 18870, 50.6),
        ('GM0053', TIMESTAMP '2019-12-31 23:59:00', 40, 13557, 0.0),
        ('GM0014', TIMESTAMP '2024-02-29 08:15:00', 900, 238147, 197.9),
        ('GM0003', TIMESTAMP '2020-06-01 00:00:00', 55, 11801, NULL)) AS t(gm, ts, n, inwoners, km2))
        TO '{data}' (FORMAT parquet)""")
    sql = ("SELECT gm, region_at(gm, 2024) AS gm_2024, region_at(gm, 2018) AS gm_2018, "
           "period_of(ts, 'week') AS week, period_of(ts, 'month') AS maand, per_capita(n, inwoners, 1000) AS pc, "
           "per_area(n, km2) AS pa FROM cijfers")
    with_macros, expanded = tmp_path / "a.parquet", tmp_path / "b.parquet"
    DuckEngine().run(sql, {"cijfers": data}, with_macros)
    plain = connect(extensions=())  # no macros here: the expanded SQL must stand on its own
    plain.execute("SET TimeZone = 'Europe/Amsterdam'")
    plain.execute(f"CREATE VIEW cijfers AS SELECT * FROM '{data}'")
    plain.execute(f"COPY ({expand_helpers(sql)} ORDER BY ALL) TO '{expanded}' (FORMAT parquet)")
    first = con.sql(f"SELECT * FROM '{with_macros}' ORDER BY gm").fetchall()
    assert first == con.sql(f"SELECT * FROM '{expanded}' ORDER BY gm").fetchall()
    by_code = {row[0]: row for row in first}
    assert by_code["GM0017"][1:3] == ("GM0014", "GM0017"), "Haren joined Groningen in 2019"
    assert by_code["GM0053"][1] == "GM1966", "split Winsum goes whole to its largest successor"
    assert by_code["GM0003"][1:3] == ("GM1979", "GM0003")
    assert str(by_code["GM0014"][3]) == "2024-02-26 00:00:00", "weeks start on Monday"
    assert by_code["GM0014"][5] == pytest.approx(900 / 238147 * 1000)
    assert by_code["GM0053"][6] is None and by_code["GM0003"][6] is None, "no division by zero or NULL"
