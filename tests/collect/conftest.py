"""Fixtures for the collect tests: a real DuckDB connection, a helper that writes small input files, and another
Wierde portal to harvest from."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from wierde.store.duck import connect


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect()
    yield connection
    connection.close()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    """Write `text` (or bytes) as `name` in a source folder of its own, apart from where the output goes."""
    folder = tmp_path / "in"
    folder.mkdir()

    def make(name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
        path = folder / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
        return path

    return make


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder / "data.parquet"


@pytest.fixture(scope="module")
def wierde_portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Another Wierde portal, filled with the sample catalogue and served over HTTP: a real remote CKAN API and
    DCAT feed to harvest from."""
    from tests.helpers import sample_catalog
    from tests.helpers.server import free_port, serve_app
    from wierde.app import create_app
    from wierde.config import Settings
    from wierde.store.repository import Store

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings(home=tmp_path_factory.mktemp("other-portal") / "instance", base_url=base, scheduler=False)
    remote = Store.open(settings)
    sample_catalog.fill(remote)
    with serve_app(create_app(settings, remote), port=port):
        yield base
