"""Prove that purging a version also erases its rows from every view computed from it, views of views included:
those view versions become tombstones with their files gone and an audit entry naming why, the views come back
computed from their inputs' current data or stay offline saying why, and views that never read it are untouched."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from tests.combine.conftest import OPENINGS, PER_BRIDGE, PER_HOUR, TRAFFIC, declare, ingest_text, rows
from wierde.cli import app
from wierde.combine.auto import subscribe
from wierde.combine.materialise import batch, refresh_all
from wierde.config import Settings
from wierde.protect import audit, gate
from wierde.protect.access import Principal
from wierde.store.repository import Store

runner = CliRunner()
ADMIN = Principal(kind="admin", name="beheer")
REASON = "AVG art. 17: verzoek van een schipper"
PER_HOUR_VIEW = {"id": "openingen_per_uur", "title": "Brugopeningen per uur", "sql": PER_HOUR, "publish": True}
PER_BRIDGE_VIEW = {"id": "per_brug", "title": "Vertraging per brug", "sql": PER_BRIDGE}
UNRELATED_VIEW = {"id": "verkeer_per_brug", "title": "Verkeer per brug", "publish": True,
                  "sql": "SELECT brug_id, sum(voertuigen) AS voertuigen FROM verkeerstellingen GROUP BY brug_id"}
# The schipper's opening (dorkwerd, 11:20) is taken out of the next delivery of the openings.
WITHOUT_HIM = OPENINGS.replace("dorkwerd,2024-07-01 11:20:00,2024-07-01 11:28:00,beroeps\n", "")


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Openings and traffic at version 1, a view on both, a view on that view and a view on traffic alone, all
    computed once; each test works on a copy."""
    home = tmp_path_factory.mktemp("purge") / "instance"
    store = Store.open(Settings(home=home))
    ingest_text(store, "brugopeningen", OPENINGS)
    ingest_text(store, "verkeerstellingen", TRAFFIC)
    declare(store, PER_HOUR_VIEW, PER_BRIDGE_VIEW, UNRELATED_VIEW)
    done, failed = refresh_all(store)
    assert not failed and len(done) == 3
    store.close()
    return home


@pytest.fixture
def bridges(template: Path, settings: Settings) -> Iterator[Store]:
    """The store as the CLI opens it (views follow their inputs)."""
    shutil.copytree(template, settings.home)
    store = subscribe(Store.open(settings))
    yield store
    store.close()


def wierde_json(home: Path, *args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--home", str(home), "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, Any] = json.loads(result.output)
    return out


def reopened(store: Store) -> Store:
    """The instance as a next command sees it (the CLI wrote with a store of its own)."""
    return Store.open(Settings(home=store.settings.home))


def purge_entries(store: Store) -> dict[tuple[str, int], dict[str, Any]]:
    return {(e.target, e.detail["version"]): e.detail for e in audit.search(store, action="purge")}


def test_views_computed_from_the_purged_version_are_purged_and_recomputed(bridges: Store) -> None:
    with batch():  # the views do not follow the new delivery yet (as when their automatic refresh failed)
        assert ingest_text(bridges, "brugopeningen", WITHOUT_HIM) == 2
    old_files = [bridges.path_of(bridges.version(v, 1)) for v in ("openingen_per_uur", "per_brug")]
    unrelated = bridges.version("verkeer_per_brug")

    out = wierde_json(bridges.settings.home, "purge", "brugopeningen", "--version", "1", "--reason", REASON)

    assert [(v["dataset_id"], v["version"], v["via"], v["was_current"]) for v in out["views_purged"]] == [
        ("openingen_per_uur", 1, "brugopeningen v1", True), ("per_brug", 1, "openingen_per_uur v1", True)]
    assert [(r["view"], r["version"], r["status"]) for r in out["views_refreshed"]] == [
        ("openingen_per_uur", 2, "published"), ("per_brug", 2, "draft")], "back online with the status they had"
    assert out["views_failed"] == []
    store = reopened(bridges)
    for view in ("openingen_per_uur", "per_brug"):
        assert store.version(view, 1).report["purged"]["because_of"] == "brugopeningen v1"
        assert store.version(view, 1).row_count == 0
        assert store.version(view).source["view"] == view
    assert not any(path.exists() for path in old_files), "the schipper's rows are gone from every view file"
    assert store.version("openingen_per_uur").source["inputs"] == {"brugopeningen": 2, "verkeerstellingen": 1}
    assert rows(store, "per_brug") == [("dorkwerd", 2, 61), ("gaarkeuken", 1, 12)], "recomputed without him"

    entries = purge_entries(store)
    assert entries[("per_brug", 1)]["because_of"] == "brugopeningen v1"
    assert entries[("per_brug", 1)]["via"] == "openingen_per_uur v1"
    assert entries[("openingen_per_uur", 1)]["reason"] == REASON
    refreshes = audit.search(store, action="refresh")
    assert {(e.target, e.outcome, e.detail["after_purge_of"]) for e in refreshes} == {
        ("openingen_per_uur", "success", "brugopeningen v1"), ("per_brug", "success", "brugopeningen v1")}
    assert store.versions("verkeer_per_brug") == [unrelated], "a view that never read it is untouched"
    assert ("verkeer_per_brug", 1) not in entries and store.path_of(unrelated).exists()
    store.close()


def test_views_stay_offline_when_the_input_has_nothing_left(bridges: Store) -> None:
    result = runner.invoke(app, ["purge", "brugopeningen", "--version", "1", "--reason", REASON,
                                 "--home", str(bridges.settings.home)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "also purged: view openingen_per_uur version 1 (its current version), computed from brugopeningen v1" \
        in text
    assert "offline: view per_brug stays purged: view 'per_brug' cannot be refreshed: its input " \
           "'openingen_per_uur' is at version 1, which is purged" in text

    store = reopened(bridges)
    for view in ("openingen_per_uur", "per_brug"):
        assert store.dataset(view).status == "purged", "served to nobody"
        assert store.versions(view)[-1].report["purged"]["status_before"] in ("published", "draft")
    assert {(e.target, e.outcome) for e in audit.search(store, action="refresh")} == {
        ("openingen_per_uur", "failed"), ("per_brug", "failed")}, "each failure is in the audit log"
    assert store.dataset("verkeer_per_brug").status == "published"
    store.close()


def test_old_view_versions_are_purged_and_a_pinned_view_goes_offline(bridges: Store) -> None:
    pinned = {"id": "eerste_levering", "title": "Eerste levering", "pins": {"brugopeningen": 1},
              "sql": "SELECT brug_id, count(*) AS openingen FROM brugopeningen GROUP BY brug_id"}
    declare(bridges, PER_HOUR_VIEW, PER_BRIDGE_VIEW, UNRELATED_VIEW, pinned)
    refresh_all(bridges)
    ingest_text(bridges, "brugopeningen", WITHOUT_HIM)  # the views follow it at once
    current = {v: bridges.version(v) for v in ("openingen_per_uur", "per_brug")}

    done = gate.purge_with_views(bridges, ADMIN, "brugopeningen", 1, REASON)

    assert {(v.dataset_id, v.version, v.was_current) for v in done.views} == {
        ("openingen_per_uur", 1, False), ("per_brug", 1, False), ("eerste_levering", 1, True)}
    assert [(r.view, r.status) for r in done.offline] == [("eerste_levering", "purged")]
    assert "'brugopeningen' is at version 1, which is purged" in str(done.offline[0].error)
    for view, version in current.items():
        assert bridges.version(view) == version and bridges.path_of(version).exists(), "current data stays"
        assert "purged" in bridges.version(view, 1).report
    again = gate.purge_with_views(bridges, ADMIN, "brugopeningen", 1, REASON)
    assert {(v.dataset_id, v.version) for v in again.views} == {(v.dataset_id, v.version) for v in done.views}, \
        "purging again (after a crash) finds the same view versions through their tombstones"
