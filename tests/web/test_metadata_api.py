"""Prove that only a steward can change metadata over the API, that bad metadata is refused whole, and that
the change reaches the YAML beside the data and the DCAT feed."""

from __future__ import annotations

from pathlib import Path

import yaml
from fastapi.testclient import TestClient

from wierde.app import create_app
from wierde.config import Settings
from wierde.store.repository import Store

TOKEN = "s3cret-steward-token"
META = {"title": {"nl": "Fietstellingen", "en": "Cycle counts"}, "themes": ["TRAN"], "licence": "CC0-1.0",
        "description": {"nl": "Fietsers per uur.", "en": "Cyclists per hour."}}


def make_client(tmp_path: Path) -> tuple[TestClient, Store]:
    settings = Settings(home=tmp_path / "inst", admin_token=TOKEN)
    store = Store.open(settings)
    staged = store.new_tmp_path()
    store.duck().execute(f"COPY (SELECT 1 AS n) TO '{staged}' (FORMAT parquet)")
    store.commit_version("fietsen", staged, row_count=1, table_schema={"fields": [{"name": "n", "type": "integer"}]},
                         source={}, report={}, meta={"title": "Fietsen"})
    store.set_status("fietsen", "published")
    return TestClient(create_app(settings, store)), store


def test_anonymous_cannot_change_metadata(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path)
    response = client.put("/api/v1/datasets/fietsen/metadata", json=META)
    assert response.status_code == 403
    wrong = client.put("/api/v1/datasets/fietsen/metadata", json=META, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403


def test_steward_changes_metadata_everywhere(tmp_path: Path) -> None:
    client, store = make_client(tmp_path)
    response = client.put("/api/v1/datasets/fietsen/metadata", json=META,
                          headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    assert client.get("/api/v1/datasets/fietsen").json()["title"] == "Fietstellingen"
    beside = yaml.safe_load((store.settings.metadata_dir / "fietsen.yaml").read_text(encoding="utf-8"))
    assert beside["title"]["en"] == "Cycle counts"
    assert "Fietstellingen" in client.get("/catalog.ttl").text


def test_invalid_metadata_is_refused_whole(tmp_path: Path) -> None:
    client, _ = make_client(tmp_path)
    bad = {**META, "themes": ["VERKEER"], "kleur": "rood"}
    response = client.put("/api/v1/datasets/fietsen/metadata", json=bad, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "VERKEER" in response.json()["detail"] and "kleur" in response.json()["detail"]
    assert client.get("/api/v1/datasets/fietsen").json()["title"] == "Fietsen", "nothing changed"
