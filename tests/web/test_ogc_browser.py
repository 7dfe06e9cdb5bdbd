"""Prove in a real browser that the OGC API's HTML pages have 0 axe violations and draw their features on the map."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.web.test_portal_browser import violations

pytestmark = pytest.mark.browser
PAGES = ["/ogc?f=html", "/ogc/conformance?f=html", "/ogc/collections?f=html", "/ogc/collections/bruggen?f=html",
         "/ogc/collections/bruggen/queryables?f=html", "/ogc/collections/bruggen/items?f=html",
         "/ogc/collections/bruggen/items/0?f=html", "/ogc/collections?f=html&lang=en"]


@pytest.mark.parametrize("path", PAGES)
def test_every_ogc_page_has_no_axe_violations(page: Page, portal_url: str, path: str) -> None:
    page.goto(portal_url + path)
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_items_page_draws_its_features_and_pages_on(page: Page, portal_url: str) -> None:
    page.goto(portal_url + "/ogc/collections/bruggen/items?f=html&limit=5")
    page.wait_for_selector("body[data-map-ready='1']", timeout=10000)
    assert page.locator("#map path.leaflet-interactive").count() == 5
    page.click("a[rel=next]")
    expect(page.locator("table.data tbody tr")).to_have_count(5)
    expect(page.locator("a[rel=prev]")).to_have_count(1)
