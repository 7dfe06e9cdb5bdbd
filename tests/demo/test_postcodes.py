"""Prove that the demo postcode table looks like Groningen's: valid, unique PC6 postcodes in the province's PC4
range 9300–9999, each in a real demo neighbourhood, PC4 areas inside one district, and about one address per
household."""

from __future__ import annotations

from collections import defaultdict

import pytest

from wierde.demo.geometry import Province, build_province, find_boundaries
from wierde.demo.population import households, neighbourhood_inhabitants
from wierde.demo.postcodes import PC4_START, rows
from wierde.regions.postcodes import normalize


@pytest.fixture(scope="module")
def province() -> Province:
    return build_province(find_boundaries())


def test_prove_every_pc6_is_valid_unique_and_lies_in_a_demo_neighbourhood(province: Province) -> None:
    table = rows(province)
    buurten = {b.code: b for b in province.buurten}
    assert len(table) > 5000
    assert len({r[0] for r in table}) == len(table)
    for postcode, pc4, bu, wk, gm, addresses in table:
        assert normalize(postcode) == postcode and str(postcode)[:4] == pc4 and 9300 <= int(str(pc4)) <= 9999
        assert buurten[str(bu)].parent == wk and buurten[str(bu)].gemeente == gm and int(str(addresses)) > 0


def test_prove_pc4_areas_follow_their_municipality_and_stay_in_one_district(province: Province) -> None:
    districts: dict[str, set[object]] = defaultdict(set)
    municipality: dict[str, set[object]] = defaultdict(set)
    for _, pc4, _, wk, gm, _ in rows(province):
        districts[str(pc4)].add(wk)
        municipality[str(pc4)].add(gm)
    assert all(len(found) == 1 for found in districts.values())
    for pc4, (gm,) in ((k, tuple(v)) for k, v in municipality.items()):
        assert int(pc4) >= PC4_START[str(gm)]
    assert min(int(p) for p, g in municipality.items() if g == {"GM0014"}) == 9711  # the city of Groningen: 97xx


def test_prove_addresses_add_up_to_about_the_households(province: Province) -> None:
    people = {code: series[-1] for code, series in neighbourhood_inhabitants(province).items()}
    homes = sum(households(b.profile, 2025, people[b.code]) for b in province.buurten)
    addresses = sum(int(str(r[5])) for r in rows(province))
    assert homes <= addresses <= homes * 1.05  # firms' addresses on top of the homes
