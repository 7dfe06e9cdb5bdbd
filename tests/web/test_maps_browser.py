"""Prove in a real browser that a region-keyed dataset's page shows a choropleth with a legend (Dutch and English)
that keyboard users can change and read as a table, that large point data open counted per cell and come apart
when zoomed in, and that both pages have 0 axe violations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.helpers import map_sample
from tests.helpers.server import serve_app
from wierde.app import create_app
from wierde.store.repository import Store

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@pytest.fixture(scope="module")
def map_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = map_sample.build(tmp_path_factory.mktemp("maps-browser") / "home")
    store = Store.open(settings)
    with serve_app(create_app(settings, store)) as url:
        yield url


def violations(page: Page) -> list[str]:
    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×)" for v in result.response["violations"]]


def test_choropleth_has_a_legend_a_keyboard_choice_and_a_table(page: Page, map_url: str) -> None:
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(map_url + "/datasets/inwoners")
    page.wait_for_selector("body[data-choropleth-ready='1']", timeout=15000)
    legend = page.locator("#choropleth .map-legend")
    expect(legend).to_contain_text("Legenda")
    expect(legend).to_contain_text("inwoners (som), 2024")
    expect(legend.locator("li")).to_have_count(3)  # two classes and "Geen gegevens"
    expect(page.locator("#choropleth path.leaflet-interactive")).to_have_count(2)
    expect(page.locator("#choropleth-status")).to_contain_text("GM9999")  # named, as it has no boundary
    assert violations(page) == []
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "choropleth.png"), full_page=True)

    page.focus("#ch-level")
    page.keyboard.press("ArrowDown")  # gemeente → wijk, without a mouse
    expect(page.locator("#choropleth path.leaflet-interactive")).to_have_count(3)
    expect(legend.locator("li")).to_have_count(4)
    page.focus(".choropleth-details summary")
    page.keyboard.press("Enter")
    rows = page.locator("#choropleth-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("WK000100")
    assert "level=wijk" in page.url, "the choice is in the address, so it can be shared"
    assert violations(page) == []


def test_choropleth_legend_in_english(page: Page, map_url: str) -> None:
    page.goto(map_url + "/datasets/inwoners?lang=en&level=buurt&period=2023")
    page.wait_for_selector("body[data-choropleth-ready='1']", timeout=15000)
    legend = page.locator("#choropleth .map-legend")
    expect(legend).to_contain_text("Legend")
    expect(legend).to_contain_text("inwoners (sum), 2023")
    expect(legend).to_contain_text("No data")
    expect(page.locator("#choropleth path.leaflet-interactive")).to_have_count(4)
    assert violations(page) == []


def test_many_points_open_counted_and_come_apart_when_zoomed_in(page: Page, map_url: str) -> None:
    page.set_viewport_size({"width": 1100, "height": 900})
    page.goto(map_url + "/datasets/punten")
    page.wait_for_selector("body[data-map-ready='1']", timeout=15000)
    expect(page.locator("#map-status")).to_contain_text("geteld per vak")
    assert page.locator("#map .map-cluster").count() > 0
    assert violations(page) == []
    page.focus("#map")
    for _ in range(3):
        page.keyboard.press("Equal")  # Leaflet's zoom-in key, as + is
        page.wait_for_timeout(400)
    expect(page.locator("#map-status")).not_to_contain_text("geteld per vak", timeout=15000)
    expect(page.locator("#map .map-cluster")).to_have_count(0)
    assert page.locator("#map path.leaflet-interactive").count() > 0, "single points, drawn one by one"
