"""Prove that region names resolve to CBS codes however they are typed, that former municipalities lead to their
successor (or to themselves in a year they still existed), and that an ambiguous name lists its candidates."""

from __future__ import annotations

import pytest

from wierde.regions import AmbiguousNameError, RegionSet, UnknownNameError, explain, resolve


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Midden-Groningen", "GM1952"), ("Midden Groningen", "GM1952"), ("midden-groningen", "GM1952"),
        ("Het Hogeland", "GM1966"), ("Hogeland", "GM1966"), ("het hogeland", "GM1966"),
        ("Westerwolde", "GM1950"), ("Wésterwolde", "GM1950"), ("EEMSDELTA", "GM1979"), ("Eems delta", None),
        ("Westerkwartier", "GM1969"), ("Pekela", "GM0765"), ("Oldambt", "GM1895"), ("  Stadskanaal ", "GM0037"),
    ],
)
def test_prove_names_resolve_whatever_their_spelling(name: str, code: str | None) -> None:
    if code is None:
        with pytest.raises(UnknownNameError):
            resolve(name)
    else:
        assert resolve(name) == code


@pytest.mark.parametrize(
    ("name", "former", "code", "year"),
    [
        ("Hoogezand-Sappemeer", "GM0018", "GM1952", 2018), ("Hoogezand Sappemeer", "GM0018", "GM1952", 2018),
        ("Menterwolde", "GM1987", "GM1952", 2018), ("Slochteren", "GM0040", "GM1952", 2018),
        ("Bellingwedde", "GM0007", "GM1950", 2018), ("Haren", "GM0017", "GM0014", 2019),
        ("Ten Boer", "GM0009", "GM0014", 2019), ("De Marne", "GM1663", "GM1966", 2019),
        ("Zuidhorn", "GM0056", "GM1969", 2019), ("Delfzijl", "GM0010", "GM1979", 2021),
        ("Reiderland", "GM1661", "GM1895", 2010),
    ],
)
def test_prove_a_former_municipality_leads_to_its_successor(name: str, former: str, code: str, year: int) -> None:
    found = explain(name)
    assert (found.code, found.former_code, found.since, found.level) == (code, former, year, "GM")
    assert resolve(name, year=year - 1) == former  # the year before, it still had its own code


def test_prove_a_split_municipality_goes_to_its_dominant_successor() -> None:
    found = explain("Winsum")
    assert found.code == "GM1966"
    assert found.share == pytest.approx(0.883)


def test_prove_a_code_is_not_given_for_a_year_before_it_existed() -> None:
    with pytest.raises(UnknownNameError):
        resolve("Midden-Groningen", year=2017)
    assert resolve("Midden-Groningen", year=2018) == "GM1952"


def test_prove_groningen_is_ambiguous_without_a_level() -> None:
    with pytest.raises(AmbiguousNameError) as caught:
        resolve("Groningen")
    message = str(caught.value)
    assert "PV20 Groningen (province)" in message
    assert "GM0014 Groningen (municipality)" in message
    assert caught.value.extra["candidates"] == ["GM0014", "PV20"]


@pytest.mark.parametrize(
    ("name", "level", "code"),
    [("Groningen", "PV", "PV20"), ("Groningen", "GM", "GM0014"), ("gemeente Groningen", None, "GM0014"),
     ("Groningen (provincie)", None, "PV20"), ("Provincie Groningen", None, "PV20"),
     ("Groningen (gemeente)", None, "GM0014")],
)
def test_prove_a_level_settles_the_ambiguity(name: str, level: str | None, code: str) -> None:
    assert resolve(name, level) == code  # type: ignore[arg-type]


def test_prove_districts_and_neighbourhoods_resolve_with_a_region_set(regions: RegionSet) -> None:
    assert resolve("Binnenstad-Noord", regions=regions) == "BU00140000"
    assert resolve("binnenstad noord", "BU", regions=regions) == "BU00140000"
    with pytest.raises(AmbiguousNameError, match="WK001410 Haren \\(district\\)"):
        resolve("Haren", regions=regions)  # the district Haren, and the former municipality now in GM0014
    assert resolve("Haren", "GM", regions=regions) == "GM0014"


def test_prove_an_unknown_name_suggests_a_close_one() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'Westerwolde'"):
        resolve("Westerwold")
    with pytest.raises(UnknownNameError, match="no region is called 'Atlantis'"):
        resolve("Atlantis")
