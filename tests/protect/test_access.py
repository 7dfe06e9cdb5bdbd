"""Who may read what: classifications, scopes, withheld columns and Woo reasons, through the API a client uses."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.helpers.server import serve_app
from wierde.app import create_app
from wierde.cli import app as cli
from wierde.collect.ingest import ingest
from wierde.errors import Forbidden, InvalidInput, NotFound
from wierde.protect import access
from wierde.protect.access import ANONYMOUS, Principal
from wierde.protect.classify import set_access
from wierde.store.repository import Store

STEWARD = Principal(kind="steward", name="sanne")
EMPLOYEE = Principal(kind="employee", name="piet")
TRAFFIC_EMPLOYEE = Principal(kind="employee", name="anna", scopes=frozenset({"verkeer.intern"}))
TOKEN = Principal(kind="token", name="app", scopes=frozenset({"verkeer.intern"}))
PLATES = "kenteken,gemeente_code,snelheid\nAB-123-C,GM0014,54\nXY-99-ZZ,GM0014,61\n"


@pytest.fixture
def traffic(store: Store, tmp_path: Path) -> Store:
    source = tmp_path / "flitsers.csv"
    source.write_text(PLATES, encoding="utf-8")
    ingest(store, source, "flitsers")
    store.set_status("flitsers", "published")
    return store


def test_a_restricted_dataset_needs_its_scope_and_says_why_when_refused(traffic: Store) -> None:
    dataset = set_access(traffic, STEWARD, "flitsers", "restricted", {"scope": "verkeer.intern", "reason": "5.1.2d"})
    assert access.can_see(TRAFFIC_EMPLOYEE, dataset) and access.can_see(TOKEN, dataset)
    assert access.can_see(STEWARD, dataset)
    assert not access.can_see(EMPLOYEE, dataset), "an employee without the scope"
    with pytest.raises(Forbidden, match=r"restricted \(5\.1\.2d: inspection, control and supervision\)"):
        access.require(ANONYMOUS, dataset)
    assert not access.public(dataset)


def test_non_public_data_can_hide_that_it_exists(traffic: Store) -> None:
    dataset = set_access(traffic, STEWARD, "flitsers", "non-public",
                         {"scope": "handhaving", "reason": "5.1.2c", "hide_existence": True})
    with pytest.raises(NotFound, match="does not exist"):
        access.require(TRAFFIC_EMPLOYEE, dataset)
    assert access.visible(ANONYMOUS, traffic.datasets()) == []


def test_every_non_open_item_names_a_woo_ground_and_a_scope(traffic: Store) -> None:
    with pytest.raises(InvalidInput, match="needs a scope and a reason"):
        set_access(traffic, STEWARD, "flitsers", "restricted", {"scope": "verkeer.intern"})
    with pytest.raises(InvalidInput, match="'privacy' is not a Woo exception ground"):
        set_access(traffic, STEWARD, "flitsers", "restricted", {"scope": "x", "reason": "privacy"})
    with pytest.raises(InvalidInput, match="column 'kenteken' needs a scope and a reason"):
        set_access(traffic, STEWARD, "flitsers", "open", {"columns": {"kenteken": {"scope": "x"}}})
    with pytest.raises(Forbidden, match="only data stewards"):
        set_access(traffic, TRAFFIC_EMPLOYEE, "flitsers", "open", {})
    assert traffic.dataset("flitsers").classification == "open", "a refused change changes nothing"


def test_a_withheld_column_does_not_exist_for_whoever_lacks_its_scope(traffic: Store) -> None:
    rules = {"columns": {"kenteken": {"scope": "verkeer.kenteken", "reason": "5.1.2e"}}}
    set_access(traffic, STEWARD, "flitsers", "open", rules)
    with serve_app(create_app(traffic.settings.with_(scheduler=False), traffic)) as url:
        client = httpx.Client(base_url=url)
        _read_without_the_column(client)
    assert not access.public(traffic.dataset("flitsers")), "answers differ per reader, so none is cached"


def _read_without_the_column(client: httpx.Client) -> None:
    page = client.get("/api/v1/datasets/flitsers/rows").json()
    names = [c["name"] for c in page["columns"]]
    assert "kenteken" not in names and {"gemeente_code", "snelheid"} <= set(names)
    assert "AB-123-C" not in client.get("/api/v1/datasets/flitsers/download?format=csv").text
    assert client.get("/api/v1/datasets/flitsers/rows?kenteken=AB-123-C").status_code == 400, "no filter on it"
    assert client.get("/api/v1/datasets/flitsers/rows?fields=kenteken").status_code == 400


def test_stewards_classify_over_the_api_and_anonymous_users_then_get_403(traffic: Store) -> None:
    settings = traffic.settings.with_(admin_token="geheim", scheduler=False)
    with serve_app(create_app(settings, traffic)) as url:
        _classify_and_refuse(httpx.Client(base_url=url))


def _classify_and_refuse(client: httpx.Client) -> None:
    body = {"classification": "restricted", "scope": "verkeer.intern", "reason": "5.1.2d"}
    assert client.put("/api/v1/datasets/flitsers/access", json=body).status_code in (403, 404)
    answer = client.put("/api/v1/datasets/flitsers/access", json=body, headers={"Authorization": "Bearer geheim"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["reasonLabel"] == "inspectie, controle en toezicht"
    refused = client.get("/api/v1/datasets/flitsers/rows")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "verkeer.intern" in refused.json()["detail"]
    assert client.get("/api/v1/datasets").json() == [], "not listed for anonymous users"
    assert client.get("/api/v1/datasets/flitsers/download").status_code == 403


def test_the_access_command_shows_and_changes_the_rules(traffic: Store) -> None:
    home = str(traffic.settings.home)
    runner = CliRunner()
    changed = runner.invoke(cli, ["access", "flitsers", "--classification", "open",
                                  "--column", "kenteken:verkeer.kenteken:5.1.2e", "--home", home, "--json"])
    assert changed.exit_code == 0, changed.output
    assert '"kenteken"' in changed.output
    bad = runner.invoke(cli, ["access", "flitsers", "--classification", "secret", "--home", home])
    assert bad.exit_code == 2 and "not one of open, restricted, non-public" in " ".join(bad.output.split())
