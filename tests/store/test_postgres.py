"""Prove that the metadata store works on PostgreSQL by URL alone: migrations, versions, snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import postgres
from wierde.config import Settings
from wierde.store.repository import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if not postgres.available():
        pytest.fail("PostgreSQL 15 is not installed: `make test-setup` installs it")
    with postgres.cluster() as url:
        yield url


def test_store_life_cycle_on_postgres(pg_url: str, tmp_path: Path) -> None:
    store = Store.open(Settings(home=tmp_path / "inst", database_url=pg_url))
    try:
        for rows in (10, 20, 10):
            staged = store.new_tmp_path()
            store.duck().execute(f"COPY (SELECT range AS n FROM range({rows})) TO '{staged}' (FORMAT parquet)")
            store.commit_version("tellingen", staged, row_count=rows, source={}, report={},
                                 table_schema={"fields": [{"name": "n", "type": "integer"}]},
                                 meta={"title": "Tellingen", "issued": "2024-01-01"})
        assert [v.number for v in store.versions("tellingen")] == [1, 2]
        assert store.version("tellingen").number == 1, "identical content makes the old version current again"
        store.set_status("tellingen", "published")
        assert store.dataset("tellingen").is_published
        assert store.engine.dialect.name == "postgresql"
    finally:
        store.close()
    # A second process (here: a second Store) finds everything through migrations that are already applied.
    again = Store.open(Settings(home=tmp_path / "inst", database_url=pg_url))
    assert again.dataset("tellingen").meta["title"] == "Tellingen"
    again.close()
