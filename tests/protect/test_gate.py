"""Prove that nothing becomes public by accident: the gate refuses with every reason at once and changes nothing,
a complete dataset publishes from one command, a withdrawn dataset disappears for everyone outside, and a purge
erases a version's data while a tombstone keeps the history honest."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.protect.privacy_sample import valid_bsn
from tests.protect.test_disclosure import COUNTS, HIERARCHY, TYPES
from tests.protect.test_disclosure import put as put_rows
from wierde.app import create_app
from wierde.catalog.completeness import MANDATORY, completeness
from wierde.catalog.model import DatasetMetadata
from wierde.cli import app
from wierde.cli import gate as cli_gate  # noqa: F401  (registers withdraw, purge, disclosure until cli/__init__ does)
from wierde.collect.ingest import ingest
from wierde.config import Settings
from wierde.errors import Conflict, Forbidden
from wierde.protect import audit, disclosure, gate
from wierde.protect.access import ANONYMOUS, Principal, can_see
from wierde.protect.privacy.records import report_path
from wierde.store.repository import SNAPSHOT_SECONDS, Store

runner = CliRunner()
STEWARD = Principal(kind="steward", name="marieke", purpose="publicatie open data")
ADMIN = Principal(kind="admin", name="beheer")
TOKEN = "steward-token-for-tests"


def counts_csv(path: Path, rows: int = 30, seed: int = 1) -> Path:
    rng = random.Random(seed)
    lines = ["telpunt;gemeente_code;fietsers"] + [f"T{i:03d};GM0014;{rng.randrange(50, 900)}" for i in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def with_bsn_csv(path: Path) -> Path:
    rng = random.Random(5)
    lines = ["klant_bsn;gemeente_code;aantal"] + [f"{valid_bsn(rng)};GM0014;{rng.randrange(1, 40)}"
                                                  for _ in range(40)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wierde(home: Path, *args: str, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--home", str(home)])
    assert result.exit_code == code, result.output
    return result.output


def test_the_gate_refuses_with_every_reason_and_changes_nothing(store: Store, tmp_path: Path) -> None:
    ingest(store, with_bsn_csv(tmp_path / "meldingen.csv"), "meldingen")
    disclosure.save_config(store, "meldingen", disclosure.DisclosureConfig.from_mapping({"counts": ["aantal"]}))
    before = store.dataset("meldingen")

    with pytest.raises(Conflict) as refused:
        gate.publish(store, STEWARD, "meldingen", licence="CC-BY-9.9")
    reasons = refused.value.extra["reasons"]
    assert isinstance(reasons, list)
    text = "\n".join(reasons)
    assert "unknown licence 'CC-BY-9.9'" in text
    assert "no licence" in text
    assert "themes (Theme) is missing" in text
    assert "'klant_bsn' holds bsn" in text
    assert "disclosure profile 'cbs' is configured but not applied to version 1" in text
    assert reasons == gate.check(store, "meldingen", licence="CC-BY-9.9"), "check says what publish would"

    after = store.dataset("meldingen")
    assert (after.status, after.meta, after.current_version) == ("draft", before.meta, before.current_version)
    assert not (store.settings.metadata_dir / "meldingen.yaml").exists()
    refusal = audit.search(store, action="publish")[-1]
    assert (refusal.outcome, refusal.who, refusal.detail["reasons"]) == ("refused", "marieke", reasons)

    output = wierde(store.settings.home, "publish", "meldingen", "--licence", "CC0-1.0", "--theme", "ECON", code=5)
    assert "klant_bsn" in output and "disclosure profile" in output and "no licence" not in output
    assert store.dataset("meldingen").status == "draft"


def test_only_stewards_publish(store: Store, tmp_path: Path) -> None:
    ingest(store, counts_csv(tmp_path / "f.csv"), "fietsen")
    with pytest.raises(Forbidden):
        gate.publish(store, Principal(kind="employee", name="jan"), "fietsen", licence="CC0-1.0", theme="TRAN")
    assert store.dataset("fietsen").status == "draft"


def test_a_complete_dataset_publishes_with_licence_and_theme_in_one_go(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    source = counts_csv(tmp_path / "fietstellingen.csv")
    wierde(home, "ingest", str(source), "--dataset", "fietstellingen")
    out = json.loads(wierde(home, "publish", "fietstellingen", "--licence", "CC0-1.0", "--theme", "TRAN",
                            "--purpose", "open data voor fietsbeleid", "--json"))
    assert out == {"dataset": "fietstellingen", "status": "published", "version": 1, "licence": "CC0-1.0",
                   "themes": ["TRAN"]}

    store = Store.open(Settings.load(home))
    try:
        dataset = store.dataset("fietstellingen")
        meta = DatasetMetadata.from_mapping(dataset.meta)
        assert meta.title == {"nl": "Fietstellingen"}
        assert "30 rijen" in meta.description["nl"] and "fietsers (geheel getal)" in meta.description["nl"]
        assert meta.publisher.uri == store.settings.publisher
        assert meta.contact_point is not None and meta.contact_point.email == store.settings.contact_email
        assert completeness(meta).missing_at(MANDATORY) == ()
        assert can_see(ANONYMOUS, dataset) and dataset.published_at is not None
        mirrored = (store.settings.metadata_dir / "fietstellingen.yaml").read_text(encoding="utf-8")
        assert "licence: CC0-1.0" in mirrored, "a later ingest keeps the licence"
        entry = audit.search(store, action="publish")[-1]
        assert entry.outcome == "success" and entry.who.endswith("(command line)")
        assert entry.purpose == "open data voor fietsbeleid" and entry.target == "fietstellingen"
    finally:
        store.close()


@pytest.mark.slow  # seven commands, each opening the instance afresh
def test_a_disclosure_profile_must_be_applied_to_the_version_being_published(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    wierde(home, "ingest", str(counts_csv(tmp_path / "a.csv")), "--dataset", "fietsen")
    applied = json.loads(wierde(home, "disclosure", "fietsen", "--profile", "cbs", "--counts", "fietsers", "--json"))
    assert applied["version"] == 2 and applied["disclosure"]["columns"]["fietsers"]["rounded"] == 30
    wierde(home, "publish", "fietsen", "--licence", "CC-BY-4.0", "--theme", "TRAN")

    wierde(home, "ingest", str(counts_csv(tmp_path / "b.csv", seed=2)), "--dataset", "fietsen")
    refused = wierde(home, "publish", "fietsen", "--check", code=5)
    assert "not applied to version 3" in refused
    wierde(home, "disclosure", "fietsen")  # the saved profile, applied to the new data
    assert "passes every check" in wierde(home, "publish", "fietsen", "--check")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[TestClient, Store]]:
    settings = Settings(home=tmp_path / "inst", admin_token=TOKEN, scheduler=False)
    store = Store.open(settings)
    application = create_app(settings, store)
    with TestClient(application) as client:
        yield client, store


def test_withdrawal_hides_the_dataset_from_anonymous_users_and_is_logged(served: tuple[TestClient, Store],
                                                                         tmp_path: Path) -> None:
    client, store = served
    steward = {"Authorization": f"Bearer {TOKEN}", "X-Purpose": "tellingen openbaar maken"}
    ingest(store, counts_csv(tmp_path / "f.csv"), "fietsen")
    assert client.post("/api/v1/datasets/fietsen/publish", json={}).status_code == 404, "a draft stays unknown"

    gate_state = client.get("/api/v1/datasets/fietsen/gate", headers=steward).json()
    assert gate_state["ready"] is False and any("no licence" in r for r in gate_state["reasons"])
    refused = client.post("/api/v1/datasets/fietsen/publish", json={}, headers=steward)
    assert refused.status_code == 409 and len(refused.json()["reasons"]) == 2

    published = client.post("/api/v1/datasets/fietsen/publish", json={"licence": "CC-BY-4.0", "theme": "TRAN"},
                            headers=steward)
    assert published.status_code == 200, published.text
    assert published.json()["status"] == "published" and published.json()["licence"] == "CC-BY-4.0"
    assert client.get("/api/v1/datasets/fietsen/rows").status_code == 200
    assert client.post("/api/v1/datasets/fietsen/withdraw", json={"reason": "x"}).status_code == 403

    withdrawn = client.post("/api/v1/datasets/fietsen/withdraw", headers=steward,
                            json={"reason": "telpunt T004 stond verkeerd afgesteld"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    for path in ("/api/v1/datasets/fietsen", "/api/v1/datasets/fietsen/rows", "/api/v1/datasets/fietsen/download"):
        assert client.get(path).status_code == 404, path
    entry = audit.search(store, action="withdraw")[-1]
    assert (entry.who, entry.kind, entry.target) == ("token", "steward", "fietsen")
    assert entry.detail["reason"] == "telpunt T004 stond verkeerd afgesteld"
    assert client.post("/api/v1/datasets/fietsen/publish", json={}, headers=steward).status_code == 200, \
        "a steward can publish a withdrawn dataset again"


def test_purge_deletes_the_files_and_keeps_a_tombstone(store: Store, tmp_path: Path) -> None:
    first = counts_csv(tmp_path / "a.csv")
    ingest(store, first, "fietsen")
    ingest(store, counts_csv(tmp_path / "b.csv", seed=2), "fietsen")
    old = store.version("fietsen", 1)
    privacy_file = report_path(store.settings, "fietsen", 1)
    privacy_file.parent.mkdir(parents=True, exist_ok=True)
    privacy_file.write_text("{}", encoding="utf-8")

    with pytest.raises(Forbidden):
        gate.purge(store, STEWARD, "fietsen", 1, "AVG art. 17 verzoek")
    tombstone = gate.purge(store, ADMIN, "fietsen", 1, "AVG art. 17 verzoek 2026-04")

    assert not store.path_of(old).exists() and not privacy_file.exists()
    assert [v.number for v in store.versions("fietsen")] == [1, 2], "the version stays in the history"
    purged = store.version("fietsen", 1).report["purged"]
    assert purged["reason"] == "AVG art. 17 verzoek 2026-04" and purged["by"] == "beheer" and purged["rows"] == 30
    assert tombstone.row_count == 0 and tombstone.content_hash != old.content_hash
    assert store.dataset("fietsen").status == "draft", "another version is current: the dataset stays"
    assert audit.search(store, action="purge")[-1].detail["version"] == 1

    again = ingest(store, first, "fietsen")
    assert again.created and again.version.number == 3, "the same data again is a new version, not a revival"

    wierde(store.settings.home, "purge", "fietsen", "--version", "3", "--reason", "opnieuw verwijderd")
    time.sleep(SNAPSHOT_SECONDS)  # another command's change reaches this store's snapshot within this time
    assert store.dataset("fietsen").status == "purged", "purging the current version takes the dataset offline"
    assert not can_see(ADMIN, store.dataset("fietsen"))
    assert any("purged" in r for r in gate.check(store, "fietsen", licence="CC0-1.0", theme="TRAN"))


def test_the_portal_marks_secret_and_rounded_cells(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "inst", scheduler=False)
    store = Store.open(settings)
    put_rows(store, "werkloosheid", [{"regio": code, "period": "2024", "werklozen": n} for code, n in HIERARCHY], TYPES)
    disclosure.apply_profile(store, "werkloosheid", disclosure.DisclosureConfig.from_mapping(COUNTS))
    store.set_metadata("werkloosheid", {"title": "Werkloosheid"})
    store.set_status("werkloosheid", "published")
    with TestClient(create_app(settings, store)) as client:
        page = client.get("/datasets/werkloosheid")
    assert page.status_code == 200
    assert page.text.count(' sdc-suppressed"') == 5 and page.text.count(' sdc-rounded"') == 2
    assert "geheim: te weinig personen achter de waarde" in page.text
