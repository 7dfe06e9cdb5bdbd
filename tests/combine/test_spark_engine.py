"""Prove that the Spark engine gives DuckDB's answers for realistic views, and refuses what only DuckDB runs.

The DuckDB side is DuckDB itself (views over the Parquet files, COPY to Parquet, the engine's time zone), not
the DuckDB engine, so a difference found here is Spark's. One Spark session serves the whole test run.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip("Spark needs Java 17", allow_module_level=True)

from wierde.combine.compare import compare_results  # noqa: E402
from wierde.combine.engine import TIME_ZONE  # noqa: E402
from wierde.combine.helpers import register_helpers  # noqa: E402
from wierde.combine.spark_engine import (  # noqa: E402
    SparkEngine,
    SparkFailed,
    SparkUnsupported,
    spark_session,
    stop_spark,
)
from wierde.sqltext import quote_ident, quote_literal  # noqa: E402
from wierde.store.duck import connect  # noqa: E402

pytestmark = pytest.mark.slow

# Four municipalities and a harbour area without inhabitants (a per-inhabitant figure there is infinite).
GEMEENTEN = """SELECT * FROM (VALUES
    ('GM0014', 'Groningen', 238000, 197.96::DECIMAL(8,2)), ('GM1966', 'Het Hogeland', 48000, 477.07),
    ('GM1969', 'Westerkwartier', 65000, 348.74), ('GM1979', 'Eemsdelta', 45000, 278.10),
    ('GM9999', 'Havengebied', 0, 25.00)) AS g(gemeente_code, naam, inwoners, oppervlakte_km2)"""
# Movable bridges, each with the counting site on the road that crosses the water; one waterway is unknown.
BRUGGEN = """SELECT * FROM (VALUES
    ('dorkwerd', 'Dorkwerderbrug', 'Van Starkenborghkanaal', 'PGR06_0101', 5.40::DECIMAL(4,2)),
    ('gaarkeuken', 'Gaarkeukenbrug', 'Van Starkenborghkanaal', 'PGR06_0102', 2.10),
    ('oostersluis', 'Oostersluisbrug', 'Eemskanaal', 'PGR06_0103', 1.20),
    ('euvelgunne', 'Euvelgunnerbrug', 'Winschoterdiep', 'PGR06_0104', 6.10),
    ('plantsoen', 'Plantsoenbrug', 'Reitdiep', 'PGR06_0105', 0.90),
    ('aduard', 'Aduarderdiepbrug', NULL, 'PGR06_0106', 3.50)) AS b(brug_id, naam, vaarweg, site_id, doorvaarthoogte)"""
# 150 days of hourly counts at 12 sites, naive local hours (the night summer time starts included), some gaps.
VERKEER = """
SELECT printf('PGR06_%04d', 101 + s) AS site_id,
       ['GM0014', 'GM1966', 'GM1969', 'GM1979', 'GM9999'][1 + s % 5] AS gemeente_code,
       TIMESTAMP '2024-01-01 00:00:00' + INTERVAL (h) HOUR AS uur,
       CAST((h * 7919 + s * 104729) % 500 AS INTEGER) AS voertuigen,
       CASE WHEN (h * 7919 + s * 104729) % 500 = 0 OR (h + s) % 97 = 0 THEN NULL
            ELSE 30 + ((h * 31 + s * 17) % 700) / 10.0 END AS snelheid
FROM range(12) AS sites(s), range(24 * 150) AS hours(h)"""
# Openings from late March (across the switch to summer time) to the end of May, zoned as the log writes them.
OPENINGEN = """
SELECT b.brug_id,
       (TIMESTAMP '2024-03-25 06:00:00' + INTERVAL (d) DAY + INTERVAL ((k * 37 + d * 11) % 900) MINUTE)
           AT TIME ZONE 'Europe/Amsterdam' AS start,
       (TIMESTAMP '2024-03-25 06:00:00' + INTERVAL (d) DAY + INTERVAL ((k * 37 + d * 11) % 900 + 4 + k % 7) MINUTE
           + INTERVAL (k * 13 % 60) SECOND) AT TIME ZONE 'Europe/Amsterdam' AS einde,
       CASE WHEN (k + d) % 3 = 0 THEN 'beroepsvaart' ELSE 'recreatievaart' END AS vaartuig
FROM (SELECT brug_id, row_number() OVER (ORDER BY brug_id) AS n FROM bruggen) b, range(66) AS days(d),
     range(6) AS k(k)
WHERE (k + b.n) % 2 = 0 OR d > 30"""

VIEWS = {
    "traffic per municipality and month": """
        SELECT r.gemeente_code, r.naam, date_trunc('month', t.uur) AS maand, count(*) AS uren,
               sum(t.voertuigen) AS voertuigen, avg(t.snelheid) AS gem_snelheid, min(t.snelheid) AS min_snelheid,
               max(t.voertuigen) AS drukste_uur
        FROM verkeer t JOIN gemeenten r ON r.gemeente_code = t.gemeente_code
        GROUP BY ALL""",
    "rush hours by weekday": """
        SELECT extract(dow FROM uur) AS weekdag, extract(isodow FROM uur) AS iso_weekdag, dayofweek(uur) AS dow,
               extract(hour FROM uur) AS uur_van_dag,
               CASE WHEN extract(hour FROM uur) BETWEEN 7 AND 9 THEN 'ochtendspits'
                    WHEN extract(hour FROM uur) BETWEEN 16 AND 18 THEN 'avondspits' ELSE 'dal' END AS periode,
               sum(voertuigen) AS voertuigen, round(avg(snelheid), 1) AS snelheid
        FROM verkeer GROUP BY ALL""",
    "ranks and running sums": """
        SELECT site_id, uur, voertuigen,
               rank() OVER (PARTITION BY gemeente_code, date_trunc('day', uur)
                            ORDER BY voertuigen DESC, site_id) AS rang,
               voertuigen - lag(voertuigen) OVER (PARTITION BY site_id ORDER BY uur) AS verschil,
               sum(voertuigen) OVER (PARTITION BY site_id ORDER BY uur
                                     ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS drie_uur,
               first_value(snelheid) OVER (PARTITION BY site_id ORDER BY snelheid, uur) AS traagste
        FROM verkeer WHERE uur < TIMESTAMP '2024-01-08'""",
    "openings per bridge and hour with the traffic on the crossing road": """
        SELECT b.naam AS brug, period_of(o.start, 'hour') AS uur, count(*) AS openingen,
               count(*) FILTER (WHERE o.vaartuig = 'recreatievaart') AS recreatief,
               sum(date_diff('minute', o.start, o.einde)) AS minuten_open,
               any_value(t.voertuigen) AS voertuigen, coalesce(any_value(t.snelheid), -1) AS snelheid
        FROM openingen o JOIN bruggen b USING (brug_id)
        LEFT JOIN verkeer t ON t.site_id = b.site_id AND t.uur = period_of(o.start, 'hour')
        GROUP BY ALL""",
    "openings by season and vessel type, with text functions": """
        SELECT upper(b.vaarweg) AS vaarweg, split_part(b.naam, 'brug', 1) AS plaats, length(b.naam) AS lengte,
               concat(b.naam, ' (', b.vaarweg, ')') AS label,
               lpad(CAST(extract(month FROM o.start) AS VARCHAR), 2, '0') AS maand,
               CASE WHEN extract(month FROM o.start) BETWEEN 4 AND 9 THEN 'zomer' ELSE 'winter' END AS seizoen,
               o.vaartuig, count(*) AS openingen,
               round(avg(date_diff('second', o.start, o.einde)) / 60, 2) AS gem_minuten,
               sum(date_diff('hour', o.start, o.einde)) AS uurgrenzen
        FROM openingen o JOIN bruggen b USING (brug_id) GROUP BY ALL""",
    "per inhabitant and per km2": """
        SELECT g.gemeente_code, g.inwoners, g.oppervlakte_km2, sum(t.voertuigen) / any_value(g.inwoners) AS per_inwoner,
               per_area(sum(t.voertuigen), any_value(g.oppervlakte_km2)) AS per_km2,
               per_capita(count(*), any_value(g.inwoners), 1000) AS uren_per_1000,
               g.oppervlakte_km2 * 2 AS dubbel, avg(g.oppervlakte_km2) AS gem_opp, sum(g.oppervlakte_km2) AS som_opp,
               sum(t.voertuigen) // 1000 AS duizendtallen, max(t.voertuigen) % 7 AS rest
        FROM gemeenten g LEFT JOIN verkeer t USING (gemeente_code)
        GROUP BY g.gemeente_code, g.inwoners, g.oppervlakte_km2""",
    "busiest and slowest hours": """
        SELECT site_id, uur, voertuigen, snelheid FROM verkeer
        ORDER BY voertuigen DESC, snelheid, site_id, uur LIMIT 10""",
    "slowest hours, NULLs last as in DuckDB": """
        SELECT site_id, uur, snelheid FROM verkeer ORDER BY snelheid, site_id, uur LIMIT 7""",
    "latest count per site": """
        SELECT * EXCLUDE (gemeente_code) FROM verkeer
        QUALIFY row_number() OVER (PARTITION BY site_id ORDER BY uur DESC) = 1""",
    "daily totals: median and percentiles": """
        WITH dag AS (SELECT site_id, CAST(uur AS DATE) AS dag, sum(voertuigen) AS voertuigen FROM verkeer GROUP BY ALL)
        SELECT site_id, 'mediaan' AS maat, median(voertuigen) AS waarde FROM dag GROUP BY site_id HAVING count(*) > 3
        UNION ALL SELECT site_id, 'p90', quantile_cont(voertuigen, 0.9) FROM dag GROUP BY site_id
        UNION ALL SELECT site_id, 'p25', quantile_disc(voertuigen, 0.25) FROM dag GROUP BY site_id
        UNION ALL SELECT site_id, 'p60', percentile_disc(0.6) WITHIN GROUP (ORDER BY voertuigen) FROM dag
                  GROUP BY site_id""",
    "naive hours around the start of summer time": """
        SELECT date_trunc('hour', uur + INTERVAL 30 MINUTE) AS half_uur,
               date_diff('hour', TIMESTAMP '2024-03-31 00:00:00', uur) AS uren_sinds,
               strftime(uur, '%Y-%m-%d') AS dag, count(*) AS metingen, sum(voertuigen) AS voertuigen
        FROM verkeer WHERE uur BETWEEN TIMESTAMP '2024-03-30 22:00:00' AND TIMESTAMP '2024-03-31 06:00:00'
        GROUP BY ALL""",
    "waterways": """
        SELECT coalesce(vaarweg, 'onbekend') AS vaarweg, count(DISTINCT brug_id) AS bruggen,
               string_agg(naam, ', ' ORDER BY naam) AS namen, bool_or(doorvaarthoogte < 3) AS lage_brug,
               max(doorvaarthoogte) AS hoogste, count(*) FILTER (WHERE naam ILIKE '%sluis%') AS sluizen
        FROM bruggen GROUP BY ALL""",
}


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkEngine]:
    engine = SparkEngine("local[2]")
    spark_session(engine.master)  # started once, up front: 8-19 s
    yield engine
    stop_spark()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The five inputs as Parquet files written by DuckDB, as the store keeps dataset versions."""
    folder = tmp_path_factory.mktemp("inputs")
    con = connect(extensions=())
    con.execute(f"SET TimeZone = {quote_literal(TIME_ZONE)}")
    tables = {}
    for name, sql in (("gemeenten", GEMEENTEN), ("bruggen", BRUGGEN), ("verkeer", VERKEER),
                      ("openingen", OPENINGEN)):
        con.execute(f"CREATE TABLE {name} AS {sql}")
        tables[name] = folder / f"{name}.parquet"
        con.execute(f"COPY {name} TO {quote_literal(str(tables[name]))} (FORMAT parquet)")
    con.close()
    return tables


def run_duckdb(sql: str, tables: dict[str, Path], out: Path) -> Path:
    """The view on DuckDB itself, in the DuckDB engine's time zone and with wierde's helper macros."""
    con = connect(extensions=())
    try:
        con.execute(f"SET TimeZone = {quote_literal(TIME_ZONE)}")
        register_helpers(con)
        for name, path in tables.items():
            con.execute(f"CREATE VIEW {quote_ident(name)} AS SELECT * FROM read_parquet({quote_literal(str(path))})")
        con.execute(f"COPY ({sql}) TO {quote_literal(str(out))} (FORMAT parquet)")
    finally:
        con.close()
    return out


@pytest.mark.parametrize("view", list(VIEWS))
def test_the_view_gives_the_same_rows_on_duckdb_and_spark(view: str, spark: SparkEngine,
                                                          inputs: dict[str, Path], tmp_path: Path) -> None:
    expected = run_duckdb(VIEWS[view], inputs, tmp_path / "duckdb.parquet")
    out = tmp_path / "spark.parquet"
    rows = spark.run(VIEWS[view], inputs, out)

    assert compare_results(expected, out, labels=("duckdb", "spark")) is None
    assert rows == pq.ParquetFile(expected).metadata.num_rows > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["duckdb.parquet", "spark.parquet"]  # one file, no folder


def test_the_result_has_the_duckdb_engines_names_types_and_order(spark: SparkEngine, inputs: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    sql = "SELECT site_id, date_trunc('day', uur) AS dag, sum(voertuigen) AS voertuigen FROM verkeer GROUP BY ALL"
    out = tmp_path / "spark.parquet"
    spark.run(sql, inputs, out)
    table = pq.read_table(out)

    assert [(f.name, str(f.type)) for f in table.schema] == [
        ("site_id", "string"), ("dag", "timestamp[us]"), ("voertuigen", "int64")]
    keys = list(zip(table.column("site_id").to_pylist(), table.column("dag").to_pylist(), strict=True))
    assert keys == sorted(keys)  # sorted by all columns, as the DuckDB engine writes a view without ORDER BY


def test_spatial_functions_are_refused_by_name_before_spark_runs(spark: SparkEngine, inputs: dict[str, Path],
                                                                 tmp_path: Path) -> None:
    sql = "SELECT naam, ST_Distance(ST_Point(0, 0), ST_Point(3, 4)) AS afstand FROM bruggen"
    out = tmp_path / "spark.parquet"
    with pytest.raises(SparkUnsupported) as refused:
        spark.run(sql, inputs, out)

    assert "ST_DISTANCE" in refused.value.detail and "ST_POINT" in refused.value.detail
    assert "duckdb engine" in refused.value.detail
    assert not out.exists()


def test_other_features_spark_computes_differently_are_refused(spark: SparkEngine, inputs: dict[str, Path],
                                                               tmp_path: Path) -> None:
    sql = "SELECT site_id, list(voertuigen ORDER BY uur) AS reeks, max(epoch(uur)) AS laatst FROM verkeer GROUP BY 1"
    with pytest.raises(SparkUnsupported) as refused:
        spark.run(sql, inputs, tmp_path / "spark.parquet")

    assert "list()" in refused.value.detail and "epoch" in refused.value.detail


def test_a_failure_inside_spark_is_one_clear_line_and_leaves_no_file(spark: SparkEngine, tmp_path: Path) -> None:
    # DuckDB writes UUID columns in a Parquet type Spark cannot read (the store casts them; a raw file may not).
    source = tmp_path / "meldingen.parquet"
    con = connect(extensions=())
    con.execute(f"COPY (SELECT uuid() AS melding_id, 'GM0014' AS gemeente_code) TO {quote_literal(str(source))} "
                "(FORMAT parquet)")
    con.close()
    out = tmp_path / "spark.parquet"
    with pytest.raises(SparkFailed) as failed:
        spark.run("SELECT gemeente_code, count(*) AS meldingen FROM meldingen GROUP BY ALL", {"meldingen": source}, out)

    assert failed.value.detail.startswith("Spark could not run the view: ")
    assert "UUID" in failed.value.detail and "\n" not in failed.value.detail
    assert sorted(p.name for p in tmp_path.iterdir()) == ["meldingen.parquet"]
