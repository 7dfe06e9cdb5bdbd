"""The demo bundle's region files, generated once per session, and a DuckDB connection of its own per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from wierde.demo.bundle import find_boundaries, generate_bundle
from wierde.regions import RegionSet
from wierde.store.duck import connect


@pytest.fixture(scope="session")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bundle")
    generate_bundle(folder, boundaries=find_boundaries())
    return folder


@pytest.fixture(scope="session")
def regions(bundle: Path) -> RegionSet:
    return RegionSet.from_bundle(bundle, year=2025)


@pytest.fixture(scope="session")
def database() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(extensions=("spatial",))
    yield connection
    connection.close()


@pytest.fixture
def con(database: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection of its own (temporary tables and registered data are per connection) to the shared database,
    which has spatial loaded already: loading it again would cost most of a test's time."""
    connection = database.cursor()
    yield connection
    connection.close()
