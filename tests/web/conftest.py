"""A demo instance built once per test process, served in-process for API tests and over HTTP for browsers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from wierde.app import create_app
from wierde.config import Settings
from wierde.demo.build import build_demo
from wierde.store.repository import Store


@pytest.fixture(scope="session")
def demo_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    home: Path = tmp_path_factory.mktemp("demo") / "home"
    store, _items = build_demo(home)
    # A draft beside the published demo: every door must keep it hidden from anonymous users.
    staged = store.new_tmp_path()
    store.duck().execute(f"COPY (SELECT 'geheim' AS naam, 42 AS waarde) TO '{staged}' (FORMAT parquet)")
    store.commit_version("concept-geheim", staged, row_count=1, source={}, report={},
                         table_schema={"fields": [{"name": "naam", "type": "string"},
                                                  {"name": "waarde", "type": "integer"}]})
    store.set_metadata("concept-geheim", {"title": "Geheim concept", "themes": ["GOVE"], "licence": "CC0-1.0"})
    store.close()
    return store.settings


@pytest.fixture(scope="session")
def client(demo_settings: Settings) -> Iterator[TestClient]:
    store = Store.open(demo_settings)
    with TestClient(create_app(demo_settings, store)) as test_client:
        yield test_client


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:  # type: ignore[type-arg]
    """Debian's Chromium, never a downloaded browser."""
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium", "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def portal_url(demo_settings: Settings) -> Iterator[str]:
    from tests.helpers.server import serve_app

    store = Store.open(demo_settings)
    with serve_app(create_app(demo_settings, store)) as url:
        yield url
