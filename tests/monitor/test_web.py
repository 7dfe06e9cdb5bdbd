"""Prove that the dashboard, the cards, their embeds and downloads, and the API show indicators in Dutch and English
to whom may see them, and to nobody else."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from defusedxml import ElementTree
from fastapi.testclient import TestClient

from tests.monitor.conftest import POPULATION, QUAKE_COUNT, RENEWABLE, declare, with_indicators
from wierde.monitor.compute import all_indicators, compute_many
from wierde.store.repository import Store

STEWARD = {"Authorization": "Bearer steward-token"}
HTML = {"Accept": "text/html"}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def client(figures: Store) -> Iterator[TestClient]:
    declare(figures, RENEWABLE, POPULATION, QUAKE_COUNT)
    done, failed = compute_many(figures, all_indicators(figures))
    assert not failed and len(done) == 3
    app = with_indicators(figures)
    app.state.settings = figures.settings.with_(admin_token="steward-token")
    with TestClient(app) as test_client:
        yield test_client


def test_the_api_lists_each_indicator_with_value_target_and_trend(client: TestClient) -> None:
    answer = client.get("/api/v1/indicators")
    assert answer.status_code == 200 and answer.headers["API-Version"]
    by_id = {item["id"]: item for item in answer.json()}
    assert set(by_id) == {"hernieuwbaar", "bevolking-oost", "bevingen"}
    share = by_id["hernieuwbaar"]
    assert share["name"] == RENEWABLE["name"] and share["unit"] == {"nl": "%", "en": "%"}
    assert share["region"] == {"code": "PV20", "level": "province", "name": {"nl": "Groningen"}}
    assert share["period"] == "2024" and share["value"] == pytest.approx(100 * 440 / 1300)
    assert share["status"] == "provisional"
    assert share["target"]["year"] == 2024 and share["target"]["met"] is True and "distancePct" in share["target"]
    assert share["trend"] == {"direction": "up", "assessment": "improving", "slope": pytest.approx(
        share["trend"]["slope"]), "periods": 5}
    assert share["links"]["csv"] == "/indicators/hernieuwbaar.csv"
    assert by_id["bevolking-oost"]["region"]["code"] == "oost"


def test_the_api_gives_values_per_region_and_period_with_sources(client: TestClient) -> None:
    body = client.get("/api/v1/indicators/hernieuwbaar", params={"region": "GM1895"}).json()
    assert body["region"]["code"] == "GM1895" and body["value"] == pytest.approx(50.0)
    assert body["sources"] == [{"dataset": "cijfers", "title": {"nl": "Cijfers", "en": "Cijfers"}, "version": 1,
                                "url": "/api/v1/datasets/cijfers"}]
    assert {(t["region"], t["year"]) for t in body["targets"]} == {("PV20", 2024), ("PV20", 2030)}
    assert body["province"]["region"]["code"] == "PV20"
    assert {p["region"]["code"] for p in body["peers"]} == {"GM0014", "GM0765"}
    assert len(body["values"]) == 20 and {"regionCode", "regionLevel", "period", "value"} <= set(body["values"][0])
    province = client.get("/api/v1/indicators/hernieuwbaar", params={"level": "province"}).json()
    assert {v["regionCode"] for v in province["values"]} == {"PV20"}
    assert client.get("/api/v1/indicators/hernieuwbaar", params={"region": "GM9999"}).status_code == 404
    assert client.get("/api/v1/indicators/bestaat-niet").json()["detail"] == "indicator 'bestaat-niet' does not exist"


def test_the_api_is_documented(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert paths["/indicators"]["get"]["operationId"] == "listIndicators"
    assert paths["/indicators"]["post"]["operationId"] == "defineIndicator"
    assert paths["/indicators/{indicator_id}"]["get"]["operationId"] == "getIndicator"
    assert "/indicators/{indicator_id}/compute" in paths
    assert not any(p.startswith("/indicators") and p.endswith((".csv", ".svg", "/embed")) for p in paths)


def test_stewards_define_indicators_through_the_api(client: TestClient, figures: Store) -> None:
    new = {**RENEWABLE, "id": "hernieuwbaar-2", "regions": ["province"]}
    assert client.post("/api/v1/indicators", json=new).status_code == 403
    made = client.post("/api/v1/indicators", json=new, headers=STEWARD)
    assert made.status_code == 201 and made.json()["id"] == "hernieuwbaar-2"
    assert [s.id for s in all_indicators(figures)][-1] == "hernieuwbaar-2"
    again = client.post("/api/v1/indicators", json=new, headers=STEWARD)
    assert again.status_code == 409
    wrong = client.post("/api/v1/indicators", json={**new, "id": "x", "direction": "up"}, headers=STEWARD)
    assert wrong.status_code == 400 and "request body: indicator 'x': field 'direction'" in wrong.json()["detail"]
    assert "x" not in {s.id for s in all_indicators(figures)}, "a refused indicator is not written"
    computed = client.post("/api/v1/indicators/hernieuwbaar/compute", headers=STEWARD).json()
    assert computed["created"] is False and computed["inputs"] == {"cijfers": 1}


def test_the_dashboard_and_cards_speak_dutch_and_english(client: TestClient) -> None:
    dutch = client.get("/indicators").text
    assert "<h1>Indicatoren</h1>" in dutch and "Aandeel hernieuwbare energie" in dutch
    assert "Energie" in dutch and "Milieu" in dutch, "grouped by theme"
    english = client.get("/indicators", params={"lang": "en"}).text
    assert "<h1>Indicators</h1>" in english and "Share of renewable energy" in english
    assert "Energy" in english and "Environment" in english

    card = client.get("/indicators/hernieuwbaar", params={"region": "GM1895", "lang": "nl"}).text
    assert "Aandeel hernieuwbare energie" in card and "Hernieuwbare opwek als deel van het verbruik." in card
    assert "50,0" in card and "Over de laatste 5 perioden stijgend: een verbetering." in card
    assert '<a href="/datasets/cijfers">Cijfers</a>' in card and 'href="https://example.org/beleid"' not in card
    assert 'role="img"' in card and "<table" in card, "a chart with its text alternative and its data"
    card_en = client.get("/indicators/hernieuwbaar", params={"lang": "en"}).text
    assert "Renewable supply as a share of use." in card_en and "Target 2024: 33.8" not in card_en
    assert "Over the last 5 periods rising: an improvement." in card_en and "Target 2024: 30.0 %. Met." in card_en
    assert 'href="https://example.org/beleid"' in card_en, "the target's policy source is linked"


def test_the_region_selector_walks_down_and_up(client: TestClient) -> None:
    province = client.get("/indicators/bevolking-oost", params={"region": "PV20"}).text
    assert '<option value="GM1895">' in province and '<option value="oost">' in province
    member = client.get("/indicators/bevolking-oost", params={"region": "GM1895"}).text
    assert 'href="/indicators/bevolking-oost?region=PV20"' in member


def test_only_embeds_may_be_framed(client: TestClient) -> None:
    embed = client.get("/indicators/hernieuwbaar/embed")
    assert embed.headers["Content-Security-Policy"] == "frame-ancestors *"
    assert "site-header" not in embed.text and "<h1>Aandeel hernieuwbare energie</h1>" in embed.text
    assert client.get("/indicators/embed").headers["Content-Security-Policy"] == "frame-ancestors *"
    for path in ("/indicators", "/indicators/hernieuwbaar", "/api/v1/indicators", "/"):
        assert "Content-Security-Policy" not in client.get(path).headers, path


def test_csv_and_svg_downloads(client: TestClient) -> None:
    answer = client.get("/indicators/hernieuwbaar.csv")
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="indicator-hernieuwbaar.csv"' in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert len(rows) == 20 and rows[0]["indicator"] == "hernieuwbaar"
    gm1895 = {r["period"]: r for r in rows if r["region_code"] == "GM1895"}
    assert float(gm1895["2024"]["value"]) == pytest.approx(50.0) and gm1895["2024"]["status"] == "provisional"
    one = list(csv.DictReader(io.StringIO(client.get("/indicators/hernieuwbaar.csv?region=GM0014").text)))
    assert {r["region_code"] for r in one} == {"GM0014"} and len(one) == 5

    svg = client.get("/indicators/hernieuwbaar.svg", params={"region": "GM0014"})
    assert svg.headers["content-type"] == "image/svg+xml"
    root = ElementTree.fromstring(svg.content)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and "Aandeel hernieuwbare energie" in (title.text or "")
    assert desc is not None and "2020 tot 2024, van 10,0 % naar 30,0 %" in (desc.text or "")
    assert len(root.findall(f".//{SVG}circle")) == 5


def hide_source(store: Store) -> None:
    store.set_access("cijfers", "restricted", {"scope": "energie.intern", "reason": "5.1.2e"})


def test_an_indicator_of_a_dataset_you_may_not_see_is_not_shown(client: TestClient, figures: Store) -> None:
    hide_source(figures)
    listed = {item["id"] for item in client.get("/api/v1/indicators").json()}
    assert listed == {"bevingen"}
    assert client.get("/api/v1/indicators/hernieuwbaar").status_code == 403
    assert client.get("/indicators/hernieuwbaar", headers=HTML).status_code == 403
    assert client.get("/indicators/hernieuwbaar.csv").status_code == 403
    assert client.get("/indicators/hernieuwbaar.svg").status_code == 403
    assert client.get("/indicators/hernieuwbaar/embed").status_code == 403
    assert "Aandeel hernieuwbare energie" not in client.get("/indicators").text
    steward = client.get("/api/v1/indicators/hernieuwbaar", headers={**STEWARD, "X-Purpose": "beleidsmonitor"})
    assert steward.status_code == 200


def test_a_draft_source_hides_its_indicators(client: TestClient, figures: Store) -> None:
    figures.set_status("bevingen", "draft")
    assert client.get("/api/v1/indicators/bevingen").status_code == 404
    assert "bevingen" not in {item["id"] for item in client.get("/api/v1/indicators").json()}


def test_the_catalogue_still_describes_every_dataset(client: TestClient) -> None:
    feed = client.get("/catalog.ttl")
    assert feed.status_code == 200 and "indicator-hernieuwbaar" in feed.text


def test_the_api_follows_the_nl_api_design_rules(client: TestClient, tmp_path: Path) -> None:
    from tests.web.test_openapi_lint import lint

    findings = lint(client.get("/api/v1/openapi.json").json(), tmp_path)
    errors = [f"{f['code']} at {'.'.join(map(str, f['path']))}: {f['message']}" for f in findings
              if f["severity"] == 0 and "indicator" in ".".join(map(str, f["path"])).lower()]
    assert errors == []
