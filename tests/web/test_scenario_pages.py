"""Prove that the scenario pages answer the province's questions in Dutch and English, link the tables behind them
as working downloads, keep to the access function, and work in a real browser: a map of the bridges, a chart, and
weights that redraw the map and the ranking, with 0 axe violations."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from wierde.store.repository import Store

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def downloads(html: str) -> list[str]:
    return sorted(set(re.findall(r'href="(/api/v1/datasets/[^"]+/download[^"]*)"', html)))


@pytest.fixture
def dutch_client(client: TestClient) -> Iterator[TestClient]:
    """The session's client, which forgets a language chosen here (the cookie) so later tests start in Dutch."""
    client.cookies.delete("lang")
    yield client
    client.cookies.delete("lang")


@pytest.mark.parametrize("path", ["/scenarios/bruggen", "/scenarios/bouwen"])
def test_pages_answer_in_dutch_and_english(dutch_client: TestClient, path: str) -> None:
    dutch = dutch_client.get(path)
    english = dutch_client.get(path, params={"lang": "en"})
    assert dutch.status_code == english.status_code == 200
    assert "Het antwoord" in dutch.text and "The answer" in english.text
    assert "Het antwoord" not in english.text and "Ranglijst" not in english.text
    assert english.headers["content-language"] == "en"
    assert f'href="{path}" aria-current="page"' in dutch.text  # the portal's menu leads here


def test_bridges_page_says_how_much_delay_and_when(dutch_client: TestClient) -> None:
    page = dutch_client.get("/scenarios/bruggen")
    text = text_of(page.text)
    assert re.search(r"29 beweegbare bruggen het wegverkeer samen [\d.]+ voertuiguren", text)
    assert "De piek valt in juli" in text or "De piek valt in augustus" in text
    assert re.search(r"reed het verkeer over de brug gemiddeld [\d,]+ km/u, tegen [\d,]+ km/u", text)
    chart = re.search(r"<svg class=\"bar-chart\".*?</svg>", page.text, re.S)
    assert chart and chart.group(0).count("<rect class=\"bar ") == 24
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in chart.group(0)
    assert page.text.count("<tr><td>") == 24  # the table behind the chart: 12 months × 2 vessel types


def test_every_table_behind_the_pages_downloads(dutch_client: TestClient) -> None:
    pages = [dutch_client.get(path).text for path in ("/scenarios/bruggen", "/scenarios/bouwen")]
    links = [link for html in pages for link in downloads(html)]
    views = {urlsplit(link).path.split("/")[4] for link in links}
    assert views == {"brugopeningen-verkeer-per-uur", "brugvertraging-per-maand", "bruggen-vertraging-natuur",
                     "geschiktheid-woningbouw"}
    for link in links:
        if "format=csv" in link:
            response = dutch_client.get(link.replace("&amp;", "&"))
            assert response.status_code == 200, link
            assert "attachment" in response.headers["content-disposition"]
            assert len(list(csv.DictReader(io.StringIO(response.text)))) > 0, link


def test_choosing_a_distance_to_nature_filters_table_and_download(dutch_client: TestClient) -> None:
    near = dutch_client.get("/scenarios/bruggen", params={"afstand": "500"}).text
    wide = dutch_client.get("/scenarios/bruggen", params={"afstand": "5000"}).text

    def count(html: str) -> int:
        found = re.search(r"(\d+) bruggen binnen [\d.]+ m van natuur", html)
        assert found, "the table of bridges near nature has a caption with their number"
        return int(found.group(1))

    assert 0 < count(near) < count(wide)
    link = next(link for link in downloads(near) if "afstand_natuur_m__lte=500" in link)
    rows = list(csv.DictReader(io.StringIO(dutch_client.get(link.replace("&amp;", "&")).text)))
    assert len(rows) == count(near) and all(int(r["afstand_natuur_m"]) <= 500 for r in rows)
    for unknown in ("123", "ver"):  # not a distance on offer: the default, never an error
        assert dutch_client.get("/scenarios/bruggen", params={"afstand": unknown}).status_code == 200


def test_weights_in_the_address_change_the_ranking_without_javascript(dutch_client: TestClient) -> None:
    def first(html: str) -> str:
        found = re.search(r'<table class="data" id="ranking">.*?<th scope="row">([^<]+)</th>', html, re.S)
        assert found, "the ranking has rows"
        return found.group(1)

    default = dutch_client.get("/scenarios/bouwen").text
    higher = dutch_client.get("/scenarios/bouwen", params={"f_hoogte": "3", "f_laagste_punt": "3"}).text
    assert first(default) != first(higher)
    assert 'id="w-f_hoogte" name="f_hoogte" min="0" max="3.0" step="0.5" value="3.0"' in higher
    assert "Berekend met uw gewichten." in higher and "Berekend met uw gewichten." not in default
    nonsense = dutch_client.get("/scenarios/bouwen", params={"f_hoogte": "veel", "f_station": "99"}).text
    assert 'name="f_station" min="0" max="3.0" step="0.5" value="3.0"' in nonsense  # clamped, never an error
    for source in ("bevolking", "migratie", "hoogte", "woningen", "buurten", "energie", "aardbevingen"):
        assert f'href="/datasets/{source}"' in default, source


def test_a_view_that_is_not_public_is_not_shown(dutch_client: TestClient) -> None:
    store: Store = dutch_client.app.state.store  # type: ignore[attr-defined]
    try:
        store.set_status("geschiktheid-woningbouw", "draft")
        hidden = dutch_client.get("/scenarios/bouwen")
        assert hidden.status_code == 404 and "Binnenstad" not in hidden.text
    finally:
        store.set_status("geschiktheid-woningbouw", "published")
    assert dutch_client.get("/scenarios/bouwen").status_code == 200


# --- in a real browser ----------------------------------------------------------------------------------------


def violations(page: Page) -> list[str]:
    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×)" for v in result.response["violations"]]


@pytest.mark.browser
def test_bridges_page_draws_every_bridge_sized_by_its_delay(page: Page, portal_url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(portal_url + "/scenarios/bruggen")
    page.wait_for_selector("body[data-scenario-ready='1']", timeout=20000)
    expect(page.locator("#bridge-map-status")).to_contain_text("29 bruggen op de kaart")
    circles = page.locator("#bridge-map path.leaflet-interactive")
    expect(circles).to_have_count(29)
    sizes = {round(box["width"]) for box in (circles.nth(i).bounding_box() for i in range(29)) if box}
    assert len(sizes) > 5, "circles differ in size with the delay"
    expect(page.locator("#bridge-map .map-legend")).to_contain_text("voertuiguren")
    assert violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "scenario-bruggen.png"), full_page=True)


@pytest.mark.browser
def test_moving_a_weight_redraws_map_and_ranking(page: Page, portal_url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(portal_url + "/scenarios/bouwen?lang=en")
    page.wait_for_selector("body[data-scenario-ready='1']", timeout=20000)
    regions = page.locator("#build-map path.leaflet-interactive")
    assert regions.count() > 200
    fills = "els => els.map(e => e.getAttribute('fill'))"
    colours = page.eval_on_selector_all("#build-map path.leaflet-interactive", fills)
    first = page.locator("#ranking tbody th").first
    before = first.inner_text()
    assert violations(page) == []
    page.focus("#w-f_hoogte")
    page.keyboard.press("End")  # the highest weight for ground level, without a mouse
    expect(page.locator("#o-f_hoogte")).to_have_text("3.0")
    expect(first).not_to_have_text(before)
    expect(page.locator("#ranking-status")).to_contain_text("number 1 is now " + first.inner_text())
    assert "f_hoogte=3" in page.url, "the weights are in the address, so a view can be shared"
    assert page.eval_on_selector_all("#build-map path.leaflet-interactive", fills) != colours, "the map is redrawn"
    assert violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "scenario-bouwen.png"), full_page=True)
