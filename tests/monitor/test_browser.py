"""Prove in a real browser that the dashboard and the cards are accessible (axe: 0 violations) in Dutch and English,
work without JavaScript, and that a card embeds in another site's iframe."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.helpers.replay import replay_server
from tests.helpers.server import serve_app
from tests.monitor.conftest import (
    FIGURES,
    POPULATION,
    QUAKE_COUNT,
    QUAKES,
    RENEWABLE,
    declare,
    ingest_text,
    with_indicators,
)
from tests.web.conftest import CHROMIUM_ARGS
from wierde.config import Settings
from wierde.monitor.auto import subscribe
from wierde.monitor.compute import all_indicators, compute_many
from wierde.store.repository import Store

pytestmark = pytest.mark.browser
PAGES = ["/indicators", "/indicators?lang=en", "/indicators/hernieuwbaar", "/indicators/hernieuwbaar?region=GM1895",
         "/indicators/bevolking-oost?lang=en", "/indicators/bevingen/embed", "/indicators/hernieuwbaar/embed?lang=en",
         "/indicators/embed"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = subscribe(Store.open(Settings(home=tmp_path_factory.mktemp("monitor") / "instance", scheduler=False)))
    ingest_text(store, "cijfers", FIGURES)
    ingest_text(store, "bevingen", QUAKES)
    declare(store, RENEWABLE, POPULATION, QUAKE_COUNT)
    _done, failed = compute_many(store, all_indicators(store))
    assert not failed
    with serve_app(with_indicators(store)) as url:
        yield url
    store.close()


def violations(page: Page) -> list[str]:
    result = Axe().run(page, options={"runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]})
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])}×)" for v in result.response["violations"]]


@pytest.mark.parametrize("path", PAGES)
def test_every_indicator_page_has_no_axe_violations(page: Page, site: str, path: str) -> None:
    page.goto(site + path)
    page.wait_for_load_state("networkidle")
    assert violations(page) == []


def test_the_dashboard_opens_a_card_and_its_table_without_javascript(browser: Browser, site: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(site + "/indicators")
    expect(page.locator("h2")).to_contain_text(["Bevolking en samenleving", "Energie", "Milieu"])
    page.click("text=Aandeel hernieuwbare energie")
    expect(page.locator("h1")).to_have_text("Aandeel hernieuwbare energie")
    page.select_option("#region", "GM1895")
    page.click("text=Tonen")
    expect(page.locator(".ind-value").first).to_contain_text("50,0")
    page.click("text=De gegevens achter de grafiek")
    expect(page.locator("details.ind-table tbody tr")).to_have_count(5)
    context.close()


def test_a_card_embeds_in_another_sites_iframe(page: Page, site: str) -> None:
    host = (f'<!doctype html><html lang="nl"><head><title>Gemeente</title></head><body><main><h1>Onze cijfers</h1>'
            f'<iframe src="{site}/indicators/hernieuwbaar/embed?region=GM0014" title="Hernieuwbaar" width="800" '
            f'height="600"></iframe></main></body></html>').encode()
    with replay_server(lambda path: (200, "text/html; charset=utf-8", host)) as other:
        page.goto(other + "/")
        frame = page.frame_locator("iframe")
        expect(frame.locator("h1")).to_have_text("Aandeel hernieuwbare energie")
        expect(frame.locator("svg.chart title")).to_contain_text("Aandeel hernieuwbare energie")
        assert violations(page) == []
