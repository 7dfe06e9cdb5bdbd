"""Prove that staff's ad-hoc SQL reads only what its author may see, changes nothing, reaches no file, and stops in
time: joins work, every way out of the data store is refused with a message that says where, withheld columns do
not exist, endless queries are interrupted, and results are cut at the row limit."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from wierde.collect.ingest import ingest
from wierde.combine import sql_console
from wierde.combine.sql_console import QueryTimeout, SqlError, run_readonly
from wierde.errors import Forbidden, NotFound
from wierde.protect import audit
from wierde.protect.access import Principal
from wierde.protect.classify import set_access
from wierde.store.duck import connect
from wierde.store.repository import Store

STEWARD = Principal(kind="steward", name="sanne")
EMPLOYEE = Principal(kind="employee", name="piet")
JOIN = """
SELECT o.brug_id, count(*) AS openingen, any_value(t.vertraagd) AS vertraagd
FROM brugopeningen o JOIN verkeerstellingen t ON t.brug_id = o.brug_id AND t.uur = period_of(o.start, 'hour')
GROUP BY o.brug_id, t.uur ORDER BY o.brug_id, t.uur
"""
VESSELS = {"columns": {"vaartuig": {"scope": "scheepvaart.intern", "reason": "5.1.2e"}}}


def test_a_join_across_two_datasets_works(bridges: Store) -> None:
    result = run_readonly(bridges, EMPLOYEE, JOIN)
    assert result.columns == ("brug_id", "openingen", "vertraagd")
    assert result.rows == [("dorkwerd", 2, 61), ("dorkwerd", 1, 20), ("gaarkeuken", 1, 12)]
    assert not result.truncated and result.datasets == ("brugopeningen", "verkeerstellingen")
    assert 0 < result.elapsed < 5


@pytest.mark.parametrize(("sql", "message"), [
    ("SELECT * FROM read_csv('/etc/passwd')", r"line 1, column 15: files and table functions .*read_csv"),
    ("SELECT *\nFROM brugopeningen, LATERAL read_text('/etc/passwd')", r"line 2, column 29: .*read_text"),
    ("SELECT * FROM glob('/etc/*')", r"glob\(…\) is refused"),
    ("SELECT * FROM '/etc/passwd'", r"'/etc/passwd' is not a dataset id; files cannot be read"),
    ("SELECT * FROM read_parquet('data/*.parquet')", "read_parquet"),
    ("SELECT * FROM query('SELECT 1')", r"query\(…\) is refused"),
    ("ATTACH '/tmp/elsewhere.db' AS elders", "ATTACH statements are refused"),
    ("COPY brugopeningen TO '{out}'", "COPY statements are refused"),
    ("INSTALL httpfs", "INSTALL statements are refused"),
    ("LOAD httpfs", "LOAD statements are refused"),
    ("SET enable_external_access = true", "SET statements are refused"),
    ("PRAGMA version", "PRAGMA statements are refused"),
    ("CREATE TABLE kopie AS SELECT * FROM brugopeningen", "CREATE statements are refused"),
    ("SELECT 1 AS a; SELECT 2 AS b", "exactly one query"),
    ("SELECT * FROM main.brugopeningen", "refer to a dataset by its id alone"),
    ("SELECT * FROM (SUMMARIZE brugopeningen)", "DESCRIBE, SUMMARIZE and SHOW cannot run here"),
])
def test_files_statements_and_table_functions_are_refused(bridges: Store, tmp_path: Path, sql: str,
                                                          message: str) -> None:
    out = tmp_path / "uit.csv"
    with pytest.raises(SqlError, match=message):
        run_readonly(bridges, STEWARD, sql.format(out=out))
    assert not out.exists()


def test_duckdbs_own_parser_must_agree(bridges: Store) -> None:
    """Prove the second lock holds on its own: DuckDB's parse tree is checked whatever sqlglot made of the SQL."""
    for sql in ("SELECT * FROM brugopeningen, LATERAL read_text('/etc/passwd')",
                "SELECT * FROM brugopeningen WHERE brug_id IN (FROM glob('*'))",
                "SELECT * FROM (WITH \"x.parquet\" AS (SELECT 1) SELECT 1), \"x.parquet\"",
                "SELECT * FROM elders"):
        with pytest.raises(SqlError, match="is refused|not a dataset you can query"):
            sql_console.check_with_duckdb(sql, ["brugopeningen"])
    sql_console.check_with_duckdb("WITH t AS (FROM brugopeningen) SELECT * FROM t, range(3)", ["brugopeningen"])


def test_the_locked_connection_reaches_no_file_and_no_python_object(tmp_path: Path) -> None:
    """The third lock: even SQL that got past both parsers reads no other file, no local variable, no setting."""
    geheim = pa.table({"x": [1]})  # noqa: F841 - DuckDB would scan a local Arrow table by its name
    con = connect(extensions=())
    sql_console.lock_down(con, [], tmp_path)
    with pytest.raises(duckdb.CatalogException):
        con.sql("SELECT * FROM geheim").fetchall()
    with pytest.raises(duckdb.PermissionException):
        con.sql("SELECT * FROM read_csv('/etc/passwd')").fetchall()
    with pytest.raises(duckdb.InvalidInputException, match="locked"):
        con.execute("SET enable_external_access = true")
    con.close()


def test_a_dataset_the_principal_may_not_see_is_refused(bridges: Store) -> None:
    set_access(bridges, STEWARD, "verkeerstellingen", "restricted", {"scope": "verkeer.intern", "reason": "5.1.2d"})
    with pytest.raises(NotFound, match=r"line 3, column 27: dataset 'verkeerstellingen' does not exist"):
        run_readonly(bridges, EMPLOYEE, JOIN)
    bridges.set_status("verkeerstellingen", "published")
    with pytest.raises(Forbidden, match="needs the scope 'verkeer.intern'"):
        run_readonly(bridges, EMPLOYEE, JOIN)
    with pytest.raises(NotFound, match="dataset 'bestaat_niet' does not exist"):
        run_readonly(bridges, STEWARD, "SELECT * FROM bestaat_niet")


def test_reads_of_non_public_data_need_a_purpose_and_are_audited(bridges: Store) -> None:
    set_access(bridges, STEWARD, "verkeerstellingen", "restricted", {"scope": "verkeer.intern", "reason": "5.1.2d"})
    insider = Principal(kind="employee", name="anna", scopes=frozenset({"verkeer.intern"}))
    with pytest.raises(Forbidden, match="state the purpose"):
        run_readonly(bridges, insider, JOIN)
    run_readonly(bridges, Principal(kind="employee", name="anna", scopes=insider.scopes, purpose="Woo-verzoek 12"),
                 JOIN)
    reads = [e for e in audit.search(bridges, action="read") if e.target == "verkeerstellingen"]
    assert [(e.who, e.outcome, e.purpose) for e in reads] == [("anna", "refused", None),
                                                               ("anna", "success", "Woo-verzoek 12")]


def test_a_withheld_column_does_not_exist_in_the_query(bridges: Store) -> None:
    set_access(bridges, STEWARD, "brugopeningen", "open", VESSELS)
    with pytest.raises(SqlError, match=r'line 1, column 17: .*Referenced column "vaartuig" not found'):
        run_readonly(bridges, EMPLOYEE, "SELECT brug_id, vaartuig FROM brugopeningen")
    assert "vaartuig" not in run_readonly(bridges, EMPLOYEE, "SELECT * FROM brugopeningen").columns
    path = bridges.path_of(bridges.version("brugopeningen"))
    with pytest.raises(SqlError):  # the file itself is the one file the connection may open: never by name
        run_readonly(bridges, EMPLOYEE, f"SELECT vaartuig FROM read_parquet('{path}')")
    with pytest.raises(SqlError):
        run_readonly(bridges, EMPLOYEE, f'SELECT vaartuig FROM "{path}"')
    listed = {q.dataset.id: [name for name, _kind in q.columns] for q in sql_console.queryable(bridges, EMPLOYEE)}
    assert "vaartuig" not in listed["brugopeningen"] and "brug_id" in listed["brugopeningen"]
    assert "vaartuig" in run_readonly(bridges, STEWARD, "SELECT * FROM brugopeningen").columns


def test_an_endless_query_is_stopped_by_the_time_limit(bridges: Store) -> None:
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) AS i FROM n"
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="ran longer than 1 s and was stopped"):
        run_readonly(bridges, EMPLOYEE, endless, timeout_s=1)
    with pytest.raises(QueryTimeout):
        run_readonly(bridges, EMPLOYEE, "SELECT count(*) AS n FROM range(1000000) a, range(1000000) b, "
                                        "range(1000000) c", timeout_s=1)
    assert time.monotonic() - started < 10, "each stops after about a second, not when it is done"
    assert run_readonly(bridges, EMPLOYEE, "SELECT count(*) AS n FROM brugopeningen").rows == [(4,)]


def test_only_a_few_queries_run_at_once_and_the_rest_are_told_to_wait(bridges: Store,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sql_console, "_running", threading.BoundedSemaphore(1))
    monkeypatch.setattr(sql_console, "WAIT_S", 0.2)
    endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) AS i FROM n"
    first = threading.Thread(target=lambda: pytest.raises(QueryTimeout, run_readonly, bridges, EMPLOYEE, endless,
                                                          timeout_s=1.5))
    first.start()
    time.sleep(0.3)  # the first query holds the only slot
    with pytest.raises(sql_console.ConsoleBusy, match="try again in a moment") as busy:
        run_readonly(bridges, EMPLOYEE, "SELECT count(*) AS n FROM brugopeningen")
    assert busy.value.status == 429
    first.join()
    assert run_readonly(bridges, EMPLOYEE, "SELECT count(*) AS n FROM brugopeningen").rows == [(4,)], \
        "the slot is free again once the first query has stopped"


def test_the_row_limit_truncates_and_says_so(bridges: Store) -> None:
    cut = run_readonly(bridges, EMPLOYEE, "SELECT range AS n FROM range(50) ORDER BY n DESC", max_rows=10)
    assert cut.truncated and cut.rows == [(n,) for n in range(49, 39, -1)]
    whole = run_readonly(bridges, EMPLOYEE, "SELECT range AS n FROM range(10)", max_rows=10)
    assert not whole.truncated and len(whole.rows) == 10


def test_errors_say_where_in_the_sql(bridges: Store) -> None:
    with pytest.raises(SqlError, match=r"line 2, column 20: the SQL does not parse near 'WHERE': WHERE is incomplete"):
        run_readonly(bridges, EMPLOYEE, "SELECT brug_id\nFROM brugopeningen WHERE")
    with pytest.raises(SqlError, match=r"line 1, column 8: .*nosuch does not exist"):
        run_readonly(bridges, EMPLOYEE, "SELECT nosuch(brug_id) AS x FROM brugopeningen")
    with pytest.raises(SqlError, match="Could not convert"):
        run_readonly(bridges, EMPLOYEE, "SELECT CAST(brug_id AS INTEGER) AS x FROM brugopeningen")


def test_downloads_keep_names_values_and_types(bridges: Store, tmp_path: Path) -> None:
    sql = "SELECT a.brug_id, b.brug_id, '=1+1' AS formule, DATE '2024-07-01' AS dag FROM brugopeningen a " \
          "JOIN brugopeningen b USING (start) ORDER BY a.start LIMIT 2"
    result = run_readonly(bridges, EMPLOYEE, sql)
    assert result.columns == ("brug_id", "brug_id_1", "formule", "dag"), "one name per column, as in Parquet"
    text = sql_console.csv_bytes(result).decode()
    assert text.splitlines()[:2] == ["brug_id,brug_id_1,formule,dag", "dorkwerd,dorkwerd,'=1+1,2024-07-01"]
    assert json.loads(sql_console.json_bytes(result))[0] == {"brug_id": "dorkwerd", "brug_id_1": "dorkwerd",
                                                             "formule": "=1+1", "dag": "2024-07-01"}
    out = tmp_path / "antwoord.parquet"
    sql_console.write_parquet(bridges, EMPLOYEE, sql, out)
    table = pq.read_table(out)
    assert table.column_names == ["brug_id", "brug_id_1", "formule", "dag"] and table.num_rows == 2
    assert table.schema.field("dag").type == pa.date32()


BRIDGES_GEOJSON = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"naam": "Dorkwerderbrug"}, "geometry": {"type": "Point",
                                                                                "coordinates": [6.5310, 53.2395]}},
    {"type": "Feature", "properties": {"naam": "Gaarkeukenbrug"}, "geometry": {"type": "Point",
                                                                                "coordinates": [6.2960, 53.2210]}},
]}


def test_geometries_come_out_as_wkt_and_spatial_functions_work(store: Store, tmp_path: Path) -> None:
    source = tmp_path / "bruggen.geojson"
    source.write_text(json.dumps(BRIDGES_GEOJSON), encoding="utf-8")
    ingest(store, source, "bruggen")
    result = run_readonly(store, EMPLOYEE, "SELECT naam, geometry, round(ST_X(geometry), 3) AS x FROM bruggen "
                                           "ORDER BY naam")
    assert result.types[1].startswith("GEOMETRY")
    assert result.rows == [("Dorkwerderbrug", "POINT (6.531 53.2395)", 6.531),
                           ("Gaarkeukenbrug", "POINT (6.296 53.221)", 6.296)]
    out = tmp_path / "bruggen.parquet"
    sql_console.write_parquet(store, EMPLOYEE, "SELECT * FROM bruggen", out)
    assert b"geo" in (pq.read_schema(out).metadata or {}), "the download is GeoParquet"
