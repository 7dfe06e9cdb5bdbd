"""Prove in a real browser that the portal works, in Dutch and English, without JavaScript, with 0 axe violations."""

from __future__ import annotations

from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PAGES = ["/", "/datasets", "/datasets?theme=TRAN", "/datasets?q=verkeer", "/datasets/verkeerstellingen",
         "/datasets/gemeenten", "/datasets/hoogte?sort=-laagste_punt_m_nap", "/about", "/datasets/bestaat-niet",
         "/?lang=en", "/datasets/bruggen?lang=en"]


def violations(page: Page) -> list[str]:
    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×)" for v in result.response["violations"]]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_has_no_axe_violations(page: Page, portal_url: str, path: str) -> None:
    page.goto(portal_url + path)
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_home_shows_themes_map_and_search(page: Page, portal_url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(portal_url + "/")
    expect(page.locator("h1")).to_contain_text("Groningen")
    expect(page.locator(".themes li")).not_to_have_count(0)
    page.wait_for_selector("body[data-map-ready='1']", timeout=10000)
    assert page.locator("#map path.leaflet-interactive").count() == 10, "the ten municipalities are drawn"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home.png"), full_page=True)
    page.fill("#q", "aardbevingen")
    page.keyboard.press("Enter")
    expect(page.locator(".cards h3").first).to_contain_text("ardbeving")


def test_language_switch_to_english_and_back(page: Page, portal_url: str) -> None:
    page.goto(portal_url + "/datasets")
    page.click("text=English")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h2#results-h")).to_contain_text("found")
    page.goto(portal_url + "/")  # the choice is remembered
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.click("text=Nederlands")
    expect(page.locator("html")).to_have_attribute("lang", "nl")


def test_search_facets_and_preview_work_without_javascript(browser: Browser, portal_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(portal_url + "/")
    page.fill("#q", "verkeer")
    page.click("button[type=submit]")
    expect(page).to_have_url(portal_url + "/datasets?q=verkeer")
    page.click(".facet a >> nth=0")
    expect(page.locator(".facet a.on")).to_have_count(1)
    page.goto(portal_url + "/datasets/hoogte")
    page.click("th >> text=laagste_punt_m_nap")
    first = page.locator("#preview-table tbody tr >> nth=0").inner_text()
    page.click("th >> text=laagste_punt_m_nap")
    assert page.locator("#preview-table tbody tr >> nth=0").inner_text() != first, "a second click reverses the sort"
    page.select_option("#f-col", "gemeente_code")
    page.fill("#f-v", "GM0765")
    page.click("text=Filteren")
    cells = page.locator("#preview-table tbody tr td:nth-child(3)").all_inner_texts()
    assert cells and set(cells) == {"GM0765"}
    context.close()


def test_dataset_page_offers_downloads_that_work(page: Page, portal_url: str) -> None:
    page.goto(portal_url + "/datasets/bruggen")
    links = page.locator(".downloads a")
    assert {t.strip() for t in links.all_inner_texts()} >= {"CSV", "GeoJSON", "GeoPackage", "Parquet"}
    with page.expect_download() as info:
        page.click(".downloads a >> text=GeoJSON")
    assert info.value.suggested_filename.endswith(".geojson")
    page.wait_for_selector("body[data-map-ready='1']", timeout=10000)
    page.screenshot(path=str(SCREENSHOTS / "dataset-bruggen.png"), full_page=True)
