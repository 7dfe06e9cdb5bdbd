"""Prove that the demo's six indicators compute from the demo datasets and show on the dashboard with targets and
trends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.monitor.conftest import with_indicators
from wierde.demo.build import build_demo
from wierde.monitor.auto import subscribe
from wierde.monitor.card import card_for
from wierde.monitor.compute import all_indicators
from wierde.monitor.demo import demo_file, install_demo_indicators
from wierde.monitor.spec import load_indicators

DEMO = {"brugopeningen-hinder", "woningbouw", "hernieuwbare-energie", "energie-per-huishouden", "bevolking-oost",
        "aardbevingen"}


def test_the_demo_file_declares_the_six_indicators() -> None:
    specs = load_indicators(demo_file())
    assert {s.id for s in specs} == DEMO
    assert all(s.name.get("en") and s.definition.get("en") and s.unit.get("en") for s in specs), "in two languages"
    assert all(t.source.get("nl") and t.source.get("en") for s in specs for t in s.targets), "every target's policy"


@pytest.mark.slow
def test_the_demo_indicators_compute_and_show(tmp_path: Path) -> None:
    store, _items = build_demo(tmp_path / "demo")
    subscribe(store)
    done, failed = install_demo_indicators(store)
    assert [e.detail for e in failed] == [] and {r.indicator for r in done} == DEMO

    cards = {spec.id: card_for(store, spec, None, {}) for spec in all_indicators(store)}
    assert all(c.current is not None and c.current.value is not None for c in cards.values())
    assert all(c.target is not None for c in cards.values()), "every demo indicator has a target"
    assert cards["bevolking-oost"].region.code == "oost-groningen" and cards["bevolking-oost"].province is not None
    assert re.fullmatch(r"\d{4}-\d{2}", cards["brugopeningen-hinder"].period or ""), "per month"
    assert cards["hernieuwbare-energie"].trend.assessment == "improving"
    assert len(cards["woningbouw"].children) == 10, "housing drills down to the ten municipalities"

    with TestClient(with_indicators(store)) as client:
        page = client.get("/indicators", params={"lang": "en"}).text
        assert all(spec.name["en"] in page for spec in all_indicators(store))
        assert client.get("/indicators/woningbouw", params={"region": "GM0014"}).status_code == 200
