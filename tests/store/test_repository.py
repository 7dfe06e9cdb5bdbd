"""Prove that versions are immutable, content-addressed, and become current in one step."""

from __future__ import annotations

from pathlib import Path

import pytest

from wierde.errors import InvalidInput, NotFound
from wierde.store.repository import Store


def staged_parquet(store: Store, rows: int) -> Path:
    path = store.new_tmp_path()
    store.duck().execute(f"COPY (SELECT range AS n FROM range({rows})) TO '{path}' (FORMAT parquet)")
    return path


def commit(store: Store, dataset_id: str, rows: int):  # type: ignore[no-untyped-def]
    return store.commit_version(dataset_id, staged_parquet(store, rows), row_count=rows,
                                table_schema={"fields": [{"name": "n", "type": "integer"}]}, source={}, report={})


def test_a_new_content_makes_a_new_current_version(store: Store) -> None:
    first = commit(store, "tellingen", 10)
    second = commit(store, "tellingen", 20)
    assert (first.created, second.created) == (True, True)
    assert [v.number for v in store.versions("tellingen")] == [1, 2]
    assert store.version("tellingen").row_count == 20
    assert store.path_of(first.version).exists(), "the older version stays downloadable"


def test_identical_content_makes_no_new_version(store: Store) -> None:
    commit(store, "tellingen", 10)
    again = commit(store, "tellingen", 10)
    assert again.created is False
    assert len(store.versions("tellingen")) == 1
    assert not list(store.settings.tmp_dir.glob("*.parquet")), "the staged duplicate is cleaned up"


def test_unsafe_dataset_ids_are_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="not valid"):
        store.ensure_dataset("../etc")
    with pytest.raises(NotFound):
        store.dataset("bestaat-niet")


def test_leftovers_of_dead_loads_are_cleaned_but_live_ones_kept(store: Store) -> None:
    dead = store.settings.tmp_dir / "999999999-abc.parquet"
    dead.write_bytes(b"half a file")
    live = store.new_tmp_path()
    live.write_bytes(b"being written")
    assert store.clean_tmp() == 1
    assert not dead.exists() and live.exists()
