"""Prove that figures published under the old Groningen municipality codes add up onto a later map, merger by
merger, that each moved row is reported, and that non-additive figures are never summed."""

from __future__ import annotations

import duckdb
import pytest

from wierde.errors import InvalidInput
from wierde.regions import MERGERS, NonAdditiveError, map_codes
from wierde.regions.mergers import introduced, successors

# Every municipality of the province before the mergers of 2010-2021, written out here rather than taken from
# MERGERS, so the test checks the table instead of repeating it.
OLD_MUNICIPALITIES = [
    "GM1661", "GM0039", "GM0052",  # Reiderland, Scheemda, Winschoten → Oldambt (2010)
    "GM0018", "GM1987", "GM0040",  # Hoogezand-Sappemeer, Menterwolde, Slochteren → Midden-Groningen (2018)
    "GM0007", "GM0048",  # Bellingwedde, Vlagtwedde → Westerwolde (2018)
    "GM0014", "GM0017", "GM0009",  # Groningen, Haren, Ten Boer → Groningen (2019)
    "GM0005", "GM1663", "GM1651", "GM0053",  # Bedum, De Marne, Eemsmond, Winsum → Het Hogeland (2019)
    "GM0015", "GM0022", "GM0025", "GM0056",  # Grootegast, Leek, Marum, Zuidhorn → Westerkwartier (2019)
    "GM0003", "GM0010", "GM0024",  # Appingedam, Delfzijl, Loppersum → Eemsdelta (2021)
    "GM0037", "GM0047", "GM0765",  # Stadskanaal, Veendam, Pekela: unchanged
]
EXPECTED_2025 = {
    "GM1895": 3000, "GM1952": 3000, "GM1950": 2000, "GM0014": 3000,
    "GM1966": 3000 + 883,  # 88.3 % of Winsum by population
    "GM1969": 4000 + 117,  # the former Ezinge part of Winsum
    "GM1979": 3000, "GM0037": 1000, "GM0047": 1000, "GM0765": 1000,
}


def old_map(codes: list[str], people: int = 1000, period: str = "2009") -> str:
    rows = ", ".join(f"('{code}', '{period}', {people})" for code in codes)
    return f"SELECT * FROM (VALUES {rows}) AS t(gemeente, periode, inwoners)"


def test_prove_every_merger_sums_onto_the_2025_map(con: duckdb.DuckDBPyConnection) -> None:
    result = map_codes(con, old_map(OLD_MUNICIPALITIES), "gemeente", ["inwoners"], 2025)
    totals = {code: value for code, _, value in result.relation.fetchall()}
    assert totals == pytest.approx(EXPECTED_2025)
    assert sum(totals.values()) == pytest.approx(1000 * len(OLD_MUNICIPALITIES))
    moved = {(m.old_code, m.new_code): m.share for m in result.mapped}
    assert moved[("GM0053", "GM1966")] == pytest.approx(0.883)
    assert moved[("GM0053", "GM1969")] == pytest.approx(0.117)
    assert moved[("GM0040", "GM1952")] == 1.0
    assert moved[("GM1663", "GM1966")] == 1.0  # De Marne (not GM0040, which is Slochteren)
    assert moved[("GM1987", "GM1952")] == 1.0  # Menterwolde went whole
    unchanged = {"GM0014", "GM0037", "GM0047", "GM0765"}
    assert {old for old, _ in moved} == set(OLD_MUNICIPALITIES) - unchanged
    assert all(m.rows == 1 for m in result.mapped)
    since = {m.old_code: m.since for m in result.mapped}
    assert (since["GM1661"], since["GM0018"], since["GM0017"], since["GM0053"], since["GM0024"]) == (
        2010, 2018, 2019, 2019, 2021)
    assert result.rows_mapped == len(OLD_MUNICIPALITIES) - len(unchanged)
    assert result.too_new == ()


def test_prove_the_sql_can_be_run_again(con: duckdb.DuckDBPyConnection) -> None:
    result = map_codes(con, old_map(["GM0017", "GM0009", "GM0014"]), "gemeente", ["inwoners"], 2025)
    assert con.sql(result.sql).fetchall() == [("GM0014", "2009", 3000)]
    assert dict(zip(result.relation.columns, (str(t) for t in result.relation.types), strict=True))[
        "inwoners"] == "BIGINT"  # whole municipalities only: counts stay integers


def test_prove_a_split_can_go_whole_to_its_dominant_successor(con: duckdb.DuckDBPyConnection) -> None:
    result = map_codes(con, old_map(OLD_MUNICIPALITIES), "gemeente", ["inwoners"], 2025, split="dominant")
    totals = {code: value for code, _, value in result.relation.fetchall()}
    assert totals["GM1966"] == 4000
    assert totals["GM1969"] == 4000
    assert [(m.new_code, m.share) for m in result.mapped if m.old_code == "GM0053"] == [("GM1966", 1.0)]


def test_prove_an_earlier_target_year_applies_only_the_mergers_before_it(con: duckdb.DuckDBPyConnection) -> None:
    result = map_codes(con, old_map(["GM0018", "GM0005", "GM0003", "GM1661"]), "gemeente", ["inwoners"], 2018)
    totals = {code: value for code, _, value in result.relation.fetchall()}
    assert totals == {"GM1952": 1000, "GM0005": 1000, "GM0003": 1000, "GM1895": 1000}


def test_prove_a_code_newer_than_the_target_year_is_reported_and_kept(con: duckdb.DuckDBPyConnection) -> None:
    result = map_codes(con, old_map(["GM1979", "GM0017"]), "gemeente", ["inwoners"], 2018)
    assert result.too_new == ("GM1979",)
    assert sorted(result.relation.fetchall()) == [("GM0017", "2009", 1000), ("GM1979", "2009", 1000)]


def test_prove_periods_and_padded_codes_are_kept_apart_and_trimmed(con: duckdb.DuckDBPyConnection) -> None:
    sql = (f"{old_map(['GM0017  ', 'GM0014'], 10, '2017')} UNION ALL {old_map(['GM0017', 'GM0014'], 20, '2018')}")
    result = map_codes(con, sql, "gemeente", ["inwoners"], 2019)
    assert result.relation.fetchall() == [("GM0014", "2017", 20), ("GM0014", "2018", 40)]
    assert [(m.old_code, m.rows) for m in result.mapped] == [("GM0017", 2)]


def test_prove_neighbourhood_codes_pass_through(con: duckdb.DuckDBPyConnection) -> None:
    sql = "SELECT * FROM (VALUES ('BU00170000', 5), ('GM0017', 7)) AS t(regio, n)"
    result = map_codes(con, sql, "regio", ["n"], 2025)
    assert sorted(result.relation.fetchall()) == [("BU00170000", 5), ("GM0014", 7)]


def with_mean(codes: list[str]) -> str:
    rows = ", ".join(f"('{code}', 1000, 31000.0)" for code in codes)
    return f"SELECT * FROM (VALUES {rows}) AS t(gemeente, inwoners, gemiddeld_inkomen)"


def test_prove_a_non_additive_column_is_never_summed(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NonAdditiveError, match="gemiddeld_inkomen.*cannot be summed"):
        map_codes(con, with_mean(["GM0017"]), "gemeente", ["inwoners", "gemiddeld_inkomen"], 2025,
                  non_additive=["gemiddeld_inkomen"])
    with pytest.raises(NonAdditiveError, match=r"gemiddeld_inkomen .*combined into: GM0014"):
        map_codes(con, with_mean(["GM0017", "GM0014"]), "gemeente", ["inwoners"], 2025,
                  non_additive=["gemiddeld_inkomen"])
    with pytest.raises(NonAdditiveError, match="split: GM0053"):
        map_codes(con, with_mean(["GM0053"]), "gemeente", ["inwoners"], 2025, non_additive=["gemiddeld_inkomen"])


def test_prove_a_non_additive_column_passes_where_nothing_combines(con: duckdb.DuckDBPyConnection) -> None:
    result = map_codes(con, with_mean(["GM0017", "GM0037"]), "gemeente", ["inwoners"], 2025,
                       non_additive=["gemiddeld_inkomen"])
    assert sorted(result.relation.fetchall()) == [("GM0014", 1000, 31000.0), ("GM0037", 1000, 31000.0)]


def test_prove_text_and_unknown_columns_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(InvalidInput, match="'periode' is VARCHAR"):
        map_codes(con, old_map(["GM0017"]), "gemeente", ["periode"], 2025)
    with pytest.raises(InvalidInput, match="no column 'regio'"):
        map_codes(con, old_map(["GM0017"]), "regio", ["inwoners"], 2025)


def test_prove_the_facts_are_consistent() -> None:
    for change in MERGERS:
        assert 0 < change.share <= 1
        assert change.source
    winsum = [c for c in MERGERS if c.old_code == "GM0053"]
    assert sum(c.share for c in winsum) == pytest.approx(1.0)
    assert successors("GM0053", 2025) == pytest.approx({"GM1966": 0.883, "GM1969": 0.117})
    assert successors("GM0053", 2018) == {"GM0053": 1.0}
    assert introduced("GM1966") == 2019
    assert introduced("GM0014") is None  # Groningen kept its code through the 2019 merger
