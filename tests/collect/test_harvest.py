"""Prove that a harvest makes a version from a live source, changes nothing when the source did not change,
and that a failing source leaves the last good version current with the failure in the log."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.helpers.replay import Answer, replay_server
from wierde.cli import app
from wierde.config import Settings
from wierde.store import harvest_log
from wierde.store.repository import Store

runner = CliRunner()
CSV = b"gemeente_code,naam,inwoners\nGM0014,Groningen,238147\nGM0765,Pekela,12230\n"


def wierde(home: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--home", str(home)])
    return result.exit_code, result.output


def test_one_off_harvest_then_unchanged_then_failure(tmp_path: Path) -> None:
    state = {"broken": False}

    def route(path: str) -> Answer | None:
        if path.startswith("/gemeenten.csv"):
            return (500, "text/plain", b"oops") if state["broken"] else (200, "text/csv", CSV)
        return None

    with replay_server(route) as base:
        args = ("harvest", "--connector", "http", "--url", f"{base}/gemeenten.csv", "--dataset", "gemeenten",
                "--json")
        code, out = wierde(tmp_path, *args)
        assert code == 0, out
        assert json.loads(out)[0]["outcome"] == "new-version"
        code, out = wierde(tmp_path, *args)
        assert json.loads(out)[0]["outcome"] == "unchanged"
        state["broken"] = True
        code, out = wierde(tmp_path, *args)
        assert code == 6
        assert "HTTP 500" in json.loads(out)[0]["error"]

    store = Store.open(Settings(home=tmp_path))
    assert store.version("gemeenten").number == 1 and store.version("gemeenten").row_count == 2
    outcomes = [h.outcome for h in harvest_log.history(store, dataset_id="gemeenten")]
    assert outcomes == ["failed", "unchanged", "new-version"]
    store.close()


def test_sources_file_and_json_records(tmp_path: Path) -> None:
    document = {"data": {"items": [{"code": "GM0014", "aantal": 3}, {"code": "GM1966", "aantal": 5}]}}

    def route(path: str) -> Answer | None:
        return (200, "application/json", json.dumps(document).encode()) if path.startswith("/api") else None

    with replay_server(route) as base:
        code, out = wierde(tmp_path, "sources", "add", "meldingen", "--connector", "http", "--url", f"{base}/api",
                           "--dataset", "meldingen", "--param", "records=data.items", "--param",
                           "rename=code:gemeente_code", "--schedule", "daily")
        assert code == 0, out
        code, out = wierde(tmp_path, "harvest", "--all")
        assert code == 0, out
    listed = json.loads(wierde(tmp_path, "sources", "list", "--json")[1])
    assert listed[0]["id"] == "meldingen" and listed[0]["last_outcome"] == "new-version"
    store = Store.open(Settings(home=tmp_path))
    names = [f["name"] for f in store.version("meldingen").fields]
    assert names == ["gemeente_code", "aantal", "pv_code", "gm_code"]  # ingest keys the codes to the standard columns
    store.close()


def test_unknown_connector_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    code, out = wierde(tmp_path, "harvest", "--connector", "ftp", "--url", "x", "--dataset", "d")
    assert code == 2 and "http" in out


def test_portal_shows_a_failed_harvest_beside_the_last_good_data(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from wierde.app import create_app

    state = {"broken": False}

    def route(path: str) -> Answer | None:
        return (503, "text/plain", b"") if state["broken"] else (200, "text/csv", CSV)

    with replay_server(route) as base:
        args = ("harvest", "--connector", "http", "--url", f"{base}/g.csv", "--dataset", "gemeenten")
        assert wierde(tmp_path, *args)[0] == 0
        assert wierde(tmp_path, "publish", "gemeenten", "--licence", "CC0-1.0", "--theme", "REGI")[0] == 0
        state["broken"] = True
        assert wierde(tmp_path, *args)[0] == 6
    settings = Settings(home=tmp_path, scheduler=False)
    with TestClient(create_app(settings)) as client:
        page = client.get("/datasets/gemeenten").text
    assert "mislukt" in page and "HTTP 503" in page
    assert "Pekela" in page, "the last good version is still shown"
