"""Prove that indicators are computed per region and period from real ingested data (ratios from totals, groups
from their members' rows, status and disclosure flags kept), follow new input versions, and report trend and
distance to target."""

from __future__ import annotations

import pytest

from tests.monitor.conftest import FIGURES, POPULATION, QUAKE_COUNT, RENEWABLE, declare, ingest_text, values
from wierde.monitor.card import card_for
from wierde.monitor.compute import all_indicators, compute
from wierde.monitor.spec import IndicatorError, parse_indicator
from wierde.protect import audit
from wierde.store.repository import Store


def spec_of(data: dict) -> object:  # type: ignore[type-arg]
    return parse_indicator(data, "indicators.yaml")


def test_a_share_is_computed_per_region_and_period_from_totals(figures: Store) -> None:
    result = compute(figures, spec_of(RENEWABLE))  # type: ignore[arg-type]
    assert result.created and result.inputs == {"cijfers": 1}
    found = values(figures, "hernieuwbaar")
    assert found[("GM0014", "2020")] == pytest.approx(10.0)
    assert found[("GM1895", "2024")] == pytest.approx(50.0)
    # the province from the totals (200 of 1300 TJ), not the mean of the municipal shares (15 %)
    assert found[("PV20", "2021")] == pytest.approx(100 * 200 / 1300)
    assert len(found) == 4 * 5  # three municipalities and the province, five years

    dataset = figures.dataset("indicator-hernieuwbaar")
    assert dataset.status == "published" and dataset.classification == "open"
    [published] = audit.search(figures, action="publish", target="indicator-hernieuwbaar")
    assert (published.who, published.outcome) == ("monitor", "success"), "through the publication gate"
    assert dataset.meta["title"] == RENEWABLE["name"] and dataset.meta["themes"] == ["ENER"]
    assert figures.version("indicator-hernieuwbaar").source["inputs"] == {"cijfers": 1}


def test_cbs_status_is_kept_and_a_suppressed_cell_withholds_the_value(figures: Store) -> None:
    compute(figures, spec_of(RENEWABLE))  # type: ignore[arg-type]
    card = card_for(figures, spec_of(RENEWABLE), "GM0014", {})  # type: ignore[arg-type]
    assert [(r.period, r.status) for r in card.series][-2:] == [("2023", "final"), ("2024", "provisional")]

    marked = FIGURES.replace("inwoners,huishoudens,status", "inwoners,huishoudens,status,inwoners__status")
    lines = marked.splitlines()
    lines = [lines[0], *(f"{line}," + ("suppressed" if line.startswith("GM0765,2022") else "") for line in lines[1:])]
    ingest_text(figures, "cijfers", "\n".join(lines) + "\n")
    compute(figures, spec_of({**POPULATION, "change": None}))  # type: ignore[arg-type]
    card = card_for(figures, spec_of({**POPULATION, "change": None}), "GM0765", {})  # type: ignore[arg-type]
    row = next(r for r in card.series if r.period == "2022")
    assert (row.value, row.flag) == (None, "suppressed")
    group = card_for(figures, spec_of({**POPULATION, "change": None}), "oost", {})  # type: ignore[arg-type]
    assert next(r for r in group.series if r.period == "2022").flag == "suppressed", "a group inherits it"


def test_a_group_is_computed_from_its_members_and_change_is_per_period(figures: Store) -> None:
    compute(figures, spec_of(POPULATION))  # type: ignore[arg-type]
    found = values(figures, "bevolking-oost")
    assert found[("oost", "2021")] == pytest.approx(100 * (50300 - 50500) / 50500)
    assert found[("GM0014", "2024")] == pytest.approx(100 * 1000 / 233000)
    assert ("oost", "2020") not in found, "no change without a year before"
    card = card_for(figures, spec_of(POPULATION), None, {})  # type: ignore[arg-type]
    assert card.region.code == "oost" and card.region.name("en") == "East"
    assert {p.region.code for p in card.peers} == set(), "no other groups"
    member = card_for(figures, spec_of(POPULATION), "GM1895", {})  # type: ignore[arg-type]
    assert [p.region.code for p in member.peers] == ["GM0765"], "a member's peers are the other members"
    assert member.province is not None and member.province.region.code == "PV20"


def test_counts_fill_years_without_events_and_cut_days_to_years(figures: Store) -> None:
    compute(figures, spec_of(QUAKE_COUNT))  # type: ignore[arg-type]
    found = values(figures, "bevingen")
    assert {k: v for k, v in found.items() if k[0] == "PV20"} == {
        ("PV20", "2021"): 1, ("PV20", "2023"): 2, ("PV20", "2024"): 0}
    assert found[("GM0765", "2021")] == 0 and found[("GM1895", "2023")] == 1


def test_a_new_input_version_recomputes_the_indicator(figures: Store) -> None:
    declare(figures, RENEWABLE)
    compute(figures, all_indicators(figures)[0])
    assert values(figures, "hernieuwbaar")[("GM0014", "2024")] == pytest.approx(30.0)

    ingest_text(figures, "cijfers", FIGURES.replace("GM0014,2024,300,1000", "GM0014,2024,450,1000"))

    assert figures.dataset("indicator-hernieuwbaar").current_version == 2
    assert values(figures, "hernieuwbaar")[("GM0014", "2024")] == pytest.approx(45.0)
    assert figures.version("indicator-hernieuwbaar").source["inputs"] == {"cijfers": 2}


def test_equal_inputs_make_no_new_version_but_a_new_target_does(figures: Store) -> None:
    spec = spec_of(RENEWABLE)
    assert compute(figures, spec).created  # type: ignore[arg-type]
    assert not compute(figures, spec).created  # type: ignore[arg-type]
    later = spec_of({**RENEWABLE, "targets": [{"values": {2035: 60}, "source": "Nieuw beleid"}]})
    result = compute(figures, later)  # type: ignore[arg-type]
    assert result.created and result.version.source["targets"][0]["year"] == 2035


def test_trend_and_distance_to_target(figures: Store) -> None:
    compute(figures, spec_of(RENEWABLE))  # type: ignore[arg-type]
    card = card_for(figures, spec_of(RENEWABLE), None, {})  # type: ignore[arg-type]
    assert card.region.code == "PV20" and card.period == "2024"
    assert card.current is not None and card.current.value == pytest.approx(100 * 440 / 1300)
    assert (card.trend.direction, card.trend.assessment, card.trend.periods) == ("up", "improving", 5)
    assert card.target is not None and (card.target.year, card.target.value, card.target.met) == (2024, 30.0, True)
    assert card.target.distance == pytest.approx(100 * 440 / 1300 - 30)
    assert card.target.source["url"] == "https://example.org/beleid"
    assert [c.code for c in card.children] == ["GM0014", "GM1895", "GM0765"] or {c.code for c in card.children} == {
        "GM0014", "GM1895", "GM0765"}

    lower = spec_of({**RENEWABLE, "id": "lager", "direction": "lower_is_better"})
    compute(figures, lower)  # type: ignore[arg-type]
    card = card_for(figures, lower, None, {})  # type: ignore[arg-type]
    assert card.trend.assessment == "worsening" and card.target is not None and card.target.met is False


def test_a_failed_computation_keeps_the_last_good_version(figures: Store) -> None:
    compute(figures, spec_of(RENEWABLE))  # type: ignore[arg-type]
    broken = spec_of({**RENEWABLE, "measure": "sum(CAST(gemeente_code AS INTEGER))"})
    with pytest.raises(IndicatorError, match=r"indicator 'hernieuwbaar' could not be computed \(version 1 stays "
                                             r"current\)"):
        compute(figures, broken)  # type: ignore[arg-type]
    assert figures.dataset("indicator-hernieuwbaar").current_version == 1


def test_targets_can_be_a_series_from_a_dataset(figures: Store) -> None:
    ingest_text(figures, "doelen", "gemeente_code,jaar,doel_pct\nGM0014,2024,35\nGM1895,2024,45\n")
    spec = spec_of({**RENEWABLE, "targets": [{"dataset": "doelen", "column": "doel_pct", "source": "Gemeentelijk"}]})
    compute(figures, spec)  # type: ignore[arg-type]
    card = card_for(figures, spec, "GM1895", {})  # type: ignore[arg-type]
    assert card.target is not None and (card.target.value, card.target.met) == (45.0, True)
    assert card.series[-1].target == 45.0
    assert figures.version("indicator-hernieuwbaar").source["inputs"] == {"cijfers": 1, "doelen": 1}
