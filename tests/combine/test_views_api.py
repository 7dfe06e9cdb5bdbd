"""Prove that the views API lets only stewards define and refresh views, and shows each asker only what they may
see: no view of data they may not read, and no input of a view that they may not read, not even in its SQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.combine.conftest import PER_BRIDGE, PER_HOUR
from wierde.app import create_app
from wierde.store.repository import Store

TOKEN = "steward-token-for-tests"
STEWARD = {"Authorization": f"Bearer {TOKEN}"}
PER_HOUR_VIEW = {"id": "openingen_per_uur", "title": {"nl": "Openingen per uur", "en": "Openings per hour"},
                 "sql": PER_HOUR, "publish": True}


@pytest.fixture
def client(bridges: Store) -> Iterator[TestClient]:
    settings = bridges.settings.with_(admin_token=TOKEN, scheduler=False)
    yield TestClient(create_app(settings, bridges))


def test_only_stewards_define_and_refresh_views(client: TestClient) -> None:
    refused = client.post("/api/v1/views", json=PER_HOUR_VIEW)
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"

    created = client.post("/api/v1/views", json=PER_HOUR_VIEW, headers=STEWARD)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["version"] == 1 and body["status"] == "published" and body["sql"] == PER_HOUR.strip()
    assert [(i["dataset"], i["used"], i["current"]) for i in body["inputs"]] == [
        ("brugopeningen", 1, 1), ("verkeerstellingen", 1, 1)]
    assert body["lineage"][0]["inputs"] == {"brugopeningen": 1, "verkeerstellingen": 1}
    assert client.get(body["dataset"] + "/rows").json()["count"] == 3, "the view's data is served like any dataset"

    assert client.post("/api/v1/views/openingen_per_uur/refresh").status_code == 403
    refreshed = client.post("/api/v1/views/openingen_per_uur/refresh", headers=STEWARD)
    assert refreshed.status_code == 200
    assert refreshed.json()["refreshed"][0] | {"seconds": 0} == {
        "view": "openingen_per_uur", "version": 1, "created": False, "rows": 3,
        "inputs": {"brugopeningen": 1, "verkeerstellingen": 1}, "engine": "duckdb", "seconds": 0}


def test_a_bad_definition_is_a_problem_naming_the_view_and_what_is_wrong(client: TestClient) -> None:
    missing = client.post("/api/v1/views", headers=STEWARD,
                          json={"id": "los", "title": "Los", "sql": "SELECT * FROM bruggen"})
    assert missing.status_code == 400
    assert "view 'los' reads 'bruggen'" in missing.json()["detail"]
    cycle = client.post("/api/v1/views", headers=STEWARD,
                        json={"id": "brugopeningen", "title": "B", "sql": "SELECT * FROM verkeerstellingen"})
    assert cycle.status_code == 409 and "not a view" in cycle.json()["detail"]
    unknown = client.post("/api/v1/views", headers=STEWARD, json={**PER_HOUR_VIEW, "kleur": "blauw"})
    assert unknown.status_code == 400 and "kleur" in unknown.text
    assert client.get("/api/v1/views", headers=STEWARD).json() == [], "nothing was added"


def test_anonymous_users_see_published_views_but_never_inputs_they_may_not_see(client: TestClient,
                                                                                bridges: Store) -> None:
    client.post("/api/v1/views", json=PER_HOUR_VIEW, headers=STEWARD)
    client.post("/api/v1/views", json={"id": "per_brug", "title": "Per brug", "sql": PER_BRIDGE}, headers=STEWARD)

    listed = client.get("/api/v1/views")
    assert [v["id"] for v in listed.json()] == ["openingen_per_uur"], "a draft view stays hidden"
    assert client.get("/api/v1/views/per_brug").status_code == 404
    shown = client.get("/api/v1/views/openingen_per_uur")
    assert shown.status_code == 200 and shown.json()["sql"] is None and shown.json()["inputs"] == []
    assert "brugopeningen" not in shown.text and "verkeerstellingen" not in shown.text, "draft inputs do not leak"
    assert {v["id"] for v in client.get("/api/v1/views", headers=STEWARD).json()} == {"openingen_per_uur", "per_brug"}

    bridges.set_status("brugopeningen", "published")
    shown = client.get("/api/v1/views/openingen_per_uur").json()
    assert shown["sql"] is None and [i["dataset"] for i in shown["inputs"]] == ["brugopeningen"]
    assert shown["lineage"][0]["inputs"] == {"brugopeningen": 1}
    bridges.set_status("verkeerstellingen", "published")
    assert client.get("/api/v1/views/openingen_per_uur").json()["sql"] == PER_HOUR.strip()


def test_a_view_of_restricted_data_is_not_shown_to_anonymous_users(client: TestClient, bridges: Store) -> None:
    bridges.set_access("verkeerstellingen", "restricted", {"scope": "verkeer.intern", "reason": "5.1.2e"})
    created = client.post("/api/v1/views", json=PER_HOUR_VIEW, headers=STEWARD).json()
    assert created["classification"] == "restricted"
    assert client.get("/api/v1/views").json() == []
    assert client.get("/api/v1/views/openingen_per_uur").status_code == 404
    assert client.get("/api/v1/datasets/openingen_per_uur/rows").status_code in (403, 404)
