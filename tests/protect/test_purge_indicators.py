"""Prove that purging a version also erases it from the indicators computed from it, directly or through a view:
those indicator versions become tombstones with their files gone and an audit entry naming why, the indicators are
recomputed from their inputs' current data (and views over them follow) or stay offline saying why, and indicators
that never read it are untouched."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.combine.conftest import declare as declare_views
from tests.combine.conftest import rows
from tests.monitor.conftest import FIGURES, QUAKE_COUNT, QUAKES, RENEWABLE, declare, ingest_text, values
from wierde.cli import app
from wierde.combine.auto import subscribe as follow_views
from wierde.combine.materialise import refresh_all
from wierde.config import Settings
from wierde.monitor.auto import subscribe as follow_inputs
from wierde.monitor.compute import all_indicators, compute_many
from wierde.protect import audit, gate
from wierde.protect.access import Principal
from wierde.store.repository import Store

runner = CliRunner()
ADMIN = Principal(kind="admin", name="beheer")
REASON = "AVG art. 17: verzoek van een inwoner"
# The same share, computed from the final figures only (through a view that is not published, so its indicator
# stays a draft), and a view over the first indicator's values.
FINAL_VIEW = {"id": "definitief", "title": "Definitieve cijfers",
              "sql": "SELECT * FROM cijfers WHERE status = 'Definitief'"}
SHARES_VIEW = {"id": "aandelen", "title": "Aandeel hernieuwbaar per jaar",
               "sql": "SELECT region_code, period, value FROM \"indicator-hernieuwbaar\""}
FINAL_SHARE = {**RENEWABLE, "id": "hernieuwbaar-definitief", "source": "definitief"}
# The row the request is about is left out of the next delivery of the figures.
REMOVED = "GM0765,2023,30,100,12200,5500,Definitief\n"
WITHOUT_IT = FIGURES.replace(REMOVED, "")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Figures and earthquakes at version 1, a view on the figures, three indicators (on the figures, on the view,
    on the earthquakes) and a view over the first indicator, all computed once; each test works on a copy."""
    home = tmp_path_factory.mktemp("purge-indicators") / "instance"
    store = Store.open(Settings(home=home))
    ingest_text(store, "cijfers", FIGURES)
    ingest_text(store, "bevingen", QUAKES)
    declare_views(store, FINAL_VIEW, SHARES_VIEW)
    declare(store, RENEWABLE, FINAL_SHARE, QUAKE_COUNT)
    refresh_all(store)  # the view over the indicator has nothing to read yet
    done, failed = compute_many(store, all_indicators(store))
    assert not failed and len(done) == 3
    _, failed_views = refresh_all(store)
    assert not failed_views
    store.close()
    return home


@pytest.fixture
def figures(template: Path, settings: Settings) -> Iterator[Store]:
    """A copy of the instance; this store does not follow new versions (as when an automatic recompute failed),
    the CLI's does."""
    shutil.copytree(template, settings.home)
    store = Store.open(settings)
    yield store
    store.close()


def purge_json(home: Path) -> dict[str, Any]:
    result = runner.invoke(app, ["purge", "cijfers", "--version", "1", "--reason", REASON, "--home", str(home),
                                 "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.output)
    return out


def reopened(store: Store) -> Store:
    """The instance as a next command sees it (the CLI wrote with a store of its own)."""
    return Store.open(Settings(home=store.settings.home))


def test_indicators_computed_from_the_purged_version_are_purged_and_recomputed(figures: Store) -> None:
    assert ingest_text(figures, "cijfers", WITHOUT_IT) == 2
    old_files = [figures.path_of(figures.version(d, 1)) for d in ("indicator-hernieuwbaar",
                                                                  "indicator-hernieuwbaar-definitief")]
    quakes = figures.versions("indicator-bevingen")

    out = purge_json(figures.settings.home)

    assert [(i["dataset_id"], i["version"], i["via"], i["was_current"]) for i in out["indicators_purged"]] == [
        ("indicator-hernieuwbaar", 1, "cijfers v1", True),
        ("indicator-hernieuwbaar-definitief", 1, "definitief v1", True)], "directly and through a view"
    assert [(r["indicator"], r["version"], r["status"]) for r in out["indicators_recomputed"]] == [
        ("hernieuwbaar", 2, "published"), ("hernieuwbaar-definitief", 2, "draft")], "back with the status it had"
    assert out["indicators_failed"] == []
    assert {(v["dataset_id"], v["via"]) for v in out["views_purged"]} == {
        ("definitief", "cijfers v1"), ("aandelen", "indicator-hernieuwbaar v1")}
    assert {(r["view"], r["version"], r["was_purged"]) for r in out["views_refreshed"]} == {
        ("definitief", 2, True), ("aandelen", 2, True)}, "the view over the indicator follows it back"
    assert out["views_failed"] == []

    store = reopened(figures)
    for dataset_id in ("indicator-hernieuwbaar", "indicator-hernieuwbaar-definitief"):
        tombstone = store.version(dataset_id, 1)
        assert tombstone.row_count == 0 and tombstone.report["purged"]["because_of"] == "cijfers v1"
    assert not any(path.exists() for path in old_files), "the values computed from the row are gone"
    assert store.version("indicator-hernieuwbaar").source["inputs"] == {"cijfers": 2}
    assert store.version("indicator-hernieuwbaar-definitief").source["inputs"] == {"definitief": 2}
    recomputed = values(store, "hernieuwbaar")
    assert ("GM0765", "2023") not in recomputed and recomputed[("GM0765", "2022")] == pytest.approx(20.0)
    assert ("GM0765", "2023") not in values(store, "hernieuwbaar-definitief")
    assert [r for r in rows(store, "aandelen") if r[:2] == ("GM0765", "2023")] == [], "the view over it followed"
    assert store.versions("indicator-bevingen") == quakes, "an indicator that never read it is untouched"

    purges = {(e.target, e.detail["version"]): e.detail for e in audit.search(store, action="purge")}
    assert purges[("indicator-hernieuwbaar", 1)]["via"] == "cijfers v1"
    assert purges[("indicator-hernieuwbaar-definitief", 1)]["via"] == "definitief v1"
    assert purges[("indicator-hernieuwbaar-definitief", 1)]["because_of"] == "cijfers v1"
    assert not any(target == "indicator-bevingen" for target, _ in purges)
    assert {(e.target, e.outcome, e.detail["after_purge_of"], e.detail["version"])
            for e in audit.search(store, action="recompute")} == {
        ("indicator-hernieuwbaar", "success", "cijfers v1", 2),
        ("indicator-hernieuwbaar-definitief", "success", "cijfers v1", 2)}
    store.close()


def test_indicators_stay_offline_when_the_input_has_nothing_left(figures: Store) -> None:
    result = runner.invoke(app, ["purge", "cijfers", "--version", "1", "--reason", REASON,
                                 "--home", str(figures.settings.home)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "also purged: indicator hernieuwbaar version 1 (its current version), computed from cijfers v1" in text
    assert "offline: indicator hernieuwbaar stays purged: indicator 'hernieuwbaar' cannot be recomputed: its " \
           "input 'cijfers' is at version 1, which is purged" in text
    assert "offline: indicator hernieuwbaar-definitief stays purged" in text

    store = reopened(figures)
    for dataset_id, status in (("indicator-hernieuwbaar", "published"), ("indicator-hernieuwbaar-definitief", "draft")):
        assert store.dataset(dataset_id).status == "purged", "served to nobody"
        assert store.version(dataset_id).report["purged"]["status_before"] == status
    assert {(e.target, e.outcome) for e in audit.search(store, action="recompute")} == {
        ("indicator-hernieuwbaar", "failed"), ("indicator-hernieuwbaar-definitief", "failed")}, \
        "each failure is in the audit log"
    assert store.dataset("indicator-bevingen").status == "published"
    store.close()


def test_old_indicator_versions_are_purged_and_the_current_values_stay(figures: Store) -> None:
    follow_inputs(follow_views(figures))
    ingest_text(figures, "cijfers", WITHOUT_IT)  # the view and the indicators follow it at once
    current = figures.version("indicator-hernieuwbaar")
    assert current.number == 2

    done = gate.purge_with_views(figures, ADMIN, "cijfers", 1, REASON)

    assert {(i.dataset_id, i.version, i.was_current) for i in done.indicators} == {
        ("indicator-hernieuwbaar", 1, False), ("indicator-hernieuwbaar-definitief", 1, False)}
    assert done.recomputed == (), "nothing current was purged: nothing to recompute"
    assert figures.version("indicator-hernieuwbaar") == current and figures.path_of(current).exists()
    assert "purged" in figures.version("indicator-hernieuwbaar", 1).report
    again = gate.purge_with_views(figures, ADMIN, "cijfers", 1, REASON)
    assert {(i.dataset_id, i.version) for i in again.indicators} == {(i.dataset_id, i.version) for i in
                                                                     done.indicators}, \
        "purging again (after a crash) finds the same indicator versions through their tombstones"


def test_an_indicator_no_longer_declared_stays_offline(figures: Store) -> None:
    ingest_text(figures, "cijfers", WITHOUT_IT)
    declare(figures, FINAL_SHARE, QUAKE_COUNT)

    done = gate.purge_with_views(figures, ADMIN, "cijfers", 1, REASON)

    [offline] = done.offline_indicators
    assert (offline.indicator, offline.status) == ("hernieuwbaar", "purged")
    assert offline.error == "indicator 'hernieuwbaar' is no longer defined in indicators.yaml; it stays offline"
    assert [r.indicator for r in done.recomputed if r.recomputed] == ["hernieuwbaar-definitief"]
