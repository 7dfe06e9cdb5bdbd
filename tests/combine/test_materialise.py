"""Prove that a view becomes a dataset like any other, keeps exact lineage, follows its inputs in dependency
order, never loses its last good version, and is never more open than its inputs."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient

from tests.combine.conftest import OPENINGS, PER_BRIDGE, PER_HOUR, TRAFFIC, declare, ingest_text, rows
from wierde.app import create_app
from wierde.combine.engine import DuckEngine
from wierde.combine.materialise import RefreshFailed, find_view, refresh, refresh_all
from wierde.errors import Conflict, InvalidInput
from wierde.store.repository import Store

HOUR_10, HOUR_11 = datetime(2024, 7, 1, 10), datetime(2024, 7, 1, 11)
PER_HOUR_VIEW = {"id": "openingen_per_uur", "title": {"nl": "Brugopeningen per uur", "en": "Bridge openings per hour"},
                 "sql": PER_HOUR, "publish": True}
PER_BRIDGE_VIEW = {"id": "per_brug", "title": "Vertraging per brug", "sql": PER_BRIDGE}


def test_a_view_over_two_ingested_csvs_is_served_by_the_row_api(bridges: Store) -> None:
    declare(bridges, PER_HOUR_VIEW)
    result = refresh(bridges, find_view(bridges, "openingen_per_uur"))
    assert result.created and result.version.row_count == 3
    fields = {f["name"]: f["type"] for f in result.version.table_schema["fields"]}
    assert fields == {"brug_id": "string", "uur": "datetime", "openingen": "integer", "minuten_open": "integer",
                      "voertuigen": "integer", "vertraagd": "integer"}

    client = TestClient(create_app(bridges.settings, bridges))  # anonymous: the view is published and open
    body = client.get("/api/v1/datasets/openingen_per_uur/rows", params={"sort": "brug_id,uur"}).json()
    assert [(r["brug_id"], r["uur"], r["openingen"], r["minuten_open"], r["vertraagd"]) for r in body["rows"]] == [
        ("dorkwerd", "2024-07-01T10:00:00", 2, 16, 61),
        ("dorkwerd", "2024-07-01T11:00:00", 1, 8, 20),
        ("gaarkeuken", "2024-07-01T10:00:00", 1, 11, 12),
    ]
    dataset = client.get("/api/v1/datasets/openingen_per_uur").json()
    assert dataset["title"] == "Brugopeningen per uur"
    assert dataset["meta"]["source"].endswith("/api/v1/views/openingen_per_uur"), "the metadata says it is a view"


def test_lineage_lists_the_exact_input_versions_of_every_version(bridges: Store) -> None:
    declare(bridges, PER_HOUR_VIEW)
    first = refresh(bridges, find_view(bridges, "openingen_per_uur")).version
    assert first.source == {"view": "openingen_per_uur", "sql": PER_HOUR.strip(), "engine": "duckdb",
                            "inputs": {"brugopeningen": 1, "verkeerstellingen": 1}}

    assert ingest_text(bridges, "verkeerstellingen", TRAFFIC.replace("420,61", "450,90")) == 2
    second = bridges.version("openingen_per_uur")
    assert second.number == 2 and second.source["inputs"] == {"brugopeningen": 1, "verkeerstellingen": 2}
    assert bridges.version("openingen_per_uur", 1).source["inputs"]["verkeerstellingen"] == 1, "versions never change"
    assert ("dorkwerd", HOUR_10, 2, 16, 450, 90) in rows(bridges, "openingen_per_uur")


def test_an_unchanged_refresh_makes_no_new_version(bridges: Store) -> None:
    declare(bridges, PER_HOUR_VIEW)
    view = find_view(bridges, "openingen_per_uur")
    first = refresh(bridges, view)
    again = refresh(bridges, view)
    assert not again.created and again.version.number == first.version.number


def test_a_pinned_input_stays_at_its_version(bridges: Store) -> None:
    declare(bridges, {**PER_HOUR_VIEW, "pins": {"verkeerstellingen": 1}})
    refresh(bridges, find_view(bridges, "openingen_per_uur"))
    ingest_text(bridges, "verkeerstellingen", TRAFFIC.replace("420,61", "450,90"))
    assert bridges.version("openingen_per_uur").number == 1, "a pinned input's new version changes nothing"

    again = refresh(bridges, find_view(bridges, "openingen_per_uur"))
    assert again.inputs == {"brugopeningen": 1, "verkeerstellingen": 1} and not again.created
    assert ("dorkwerd", HOUR_10, 2, 16, 420, 61) in rows(bridges, "openingen_per_uur")


def test_a_new_input_version_refreshes_views_and_views_of_views_in_order(bridges: Store) -> None:
    declare(bridges, PER_BRIDGE_VIEW, PER_HOUR_VIEW)  # declared out of order on purpose
    done, failed = refresh_all(bridges)
    assert failed == [] and [r.view for r in done] == ["openingen_per_uur", "per_brug"]
    assert rows(bridges, "per_brug") == [("dorkwerd", 3, 81), ("gaarkeuken", 1, 12)]

    commits: list[str] = []
    bridges.after_commit(commits.append)
    ingest_text(bridges, "brugopeningen", OPENINGS + "gaarkeuken,2024-07-01 11:05:00,2024-07-01 11:12:00,beroeps\n")
    assert sorted(commits) == ["brugopeningen", "openingen_per_uur", "per_brug"], "each view refreshed once"
    assert commits.index("openingen_per_uur") < commits.index("per_brug")
    assert rows(bridges, "per_brug") == [("dorkwerd", 3, 81), ("gaarkeuken", 2, 12)]
    assert bridges.version("per_brug").source["inputs"] == {"openingen_per_uur": 2}


def test_refresh_all_names_a_cycle_and_a_missing_input(bridges: Store) -> None:
    declare(bridges, {"id": "a", "title": "A", "sql": "SELECT * FROM b"},
            {"id": "b", "title": "B", "sql": "SELECT * FROM a"})
    with pytest.raises(InvalidInput, match=r"cycle: (a → b → a|b → a → b)"):
        refresh_all(bridges)
    declare(bridges, {"id": "a", "title": "A", "sql": "SELECT * FROM brugopeningen JOIN bruggen USING (brug_id)"},
            PER_HOUR_VIEW)
    done, failed = refresh_all(bridges)
    assert [r.view for r in done] == ["openingen_per_uur"], "one broken view does not stop the others"
    assert [e.detail for e in failed] == ["view 'a' reads 'bruggen': dataset 'bruggen' does not exist"]


def test_a_failed_refresh_keeps_the_last_good_version(bridges: Store, caplog: pytest.LogCaptureFixture) -> None:
    declare(bridges, PER_HOUR_VIEW)
    refresh(bridges, find_view(bridges, "openingen_per_uur"))
    tmp_before = set(bridges.settings.tmp_dir.iterdir())

    declare(bridges, {**PER_HOUR_VIEW, "sql": PER_HOUR.replace("t.vertraagd", "t.wachtenden")})
    with pytest.raises(RefreshFailed) as caught:
        refresh(bridges, find_view(bridges, "openingen_per_uur"))
    assert "view 'openingen_per_uur'" in caught.value.detail and "version 1 stays current" in caught.value.detail
    assert "wachtenden" in caught.value.detail, "DuckDB's own reason is passed on"
    assert bridges.version("openingen_per_uur").number == 1
    assert set(bridges.settings.tmp_dir.iterdir()) == tmp_before, "nothing half-written is left behind"

    declare(bridges, PER_HOUR_VIEW)  # the input now breaks the view: the ingest still succeeds
    with caplog.at_level(logging.WARNING):
        version = ingest_text(bridges, "verkeerstellingen", TRAFFIC.replace("vertraagd", "wachtend"))
    assert version == 2 and bridges.version("openingen_per_uur").number == 1
    assert "openingen_per_uur" in caplog.text


def test_a_view_inherits_the_strictest_classification_of_its_inputs(bridges: Store) -> None:
    bridges.set_access("verkeerstellingen", "restricted", {"scope": "verkeer.intern", "reason": "5.1.2e"})
    declare(bridges, PER_HOUR_VIEW)
    refresh(bridges, find_view(bridges, "openingen_per_uur"))
    view = bridges.dataset("openingen_per_uur")
    assert view.status == "published" and view.classification == "restricted"
    assert view.access == {"scope": "verkeer.intern", "reason": "5.1.2e"}
    client = TestClient(create_app(bridges.settings, bridges))
    assert client.get("/api/v1/datasets/openingen_per_uur/rows").status_code in (403, 404)

    bridges.set_access("verkeerstellingen", "open", {})
    refresh(bridges, find_view(bridges, "openingen_per_uur"))
    assert bridges.dataset("openingen_per_uur").classification == "open", "derived again at every refresh"
    assert client.get("/api/v1/datasets/openingen_per_uur/rows").status_code == 200


def test_scoped_columns_keep_their_scope_in_the_view(bridges: Store) -> None:
    rule = {"scope": "verkeer.detail", "reason": "5.1.2e"}
    bridges.set_access("verkeerstellingen", "open", {"columns": {"vertraagd": rule}})
    declare(bridges, PER_HOUR_VIEW)
    refresh(bridges, find_view(bridges, "openingen_per_uur"))
    assert bridges.dataset("openingen_per_uur").access == {"columns": {"vertraagd": rule}}


def test_a_view_cannot_take_over_an_ingested_dataset(bridges: Store) -> None:
    declare(bridges, {"id": "brugopeningen", "title": "B", "sql": "SELECT * FROM verkeerstellingen"})
    with pytest.raises(Conflict, match="already exists and is not a view"):
        refresh(bridges, find_view(bridges, "brugopeningen"))
    assert bridges.version("brugopeningen").source.get("file") == "brugopeningen.csv"


def test_view_sql_reaches_no_file_but_its_inputs(tmp_path: Path) -> None:
    """Even SQL that got past the checks cannot read or write other files on the server."""
    secret = tmp_path / "geheim.csv"
    secret.write_text("wachtwoord\nhunter2\n", encoding="utf-8")
    with pytest.raises(duckdb.PermissionException):
        DuckEngine().run(f"SELECT * FROM read_csv('{secret}')", {}, tmp_path / "uit.parquet")
    with pytest.raises(duckdb.PermissionException):
        DuckEngine().run("SELECT content FROM read_text('/etc/hostname')", {}, tmp_path / "uit.parquet")
    assert not (tmp_path / "uit.parquet").exists()
