"""Prove that the store tells its listeners when another version of a dataset became current, and only then."""

from __future__ import annotations

import logging

import pytest

from wierde.store.repository import Store


def commit(store: Store, dataset_id: str, value: int) -> int:
    staged = store.new_tmp_path()
    store.duck().execute(f"COPY (SELECT {value} AS waarde) TO '{staged}' (FORMAT parquet)")
    return store.commit_version(dataset_id, staged, row_count=1, source={}, report={},
                                table_schema={"fields": [{"name": "waarde", "type": "integer"}]}).version.number


def test_listeners_hear_of_new_and_reverted_versions_only(store: Store) -> None:
    heard: list[str] = []
    store.after_commit(heard.append)
    store.after_commit(heard.append)  # the same listener twice is one listener

    assert commit(store, "tellingen", 1) == 1
    assert commit(store, "tellingen", 1) == 1, "identical content"
    assert heard == ["tellingen"], "no new current version, no call"
    assert commit(store, "tellingen", 2) == 2
    assert commit(store, "tellingen", 1) == 1, "a revert makes version 1 current again"
    assert heard == ["tellingen"] * 3


def test_a_failing_listener_does_not_undo_or_fail_the_commit(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    def broken(dataset_id: str) -> None:
        raise RuntimeError(f"cannot handle {dataset_id}")

    heard: list[str] = []
    store.after_commit(broken)
    store.after_commit(heard.append)
    with caplog.at_level(logging.ERROR):
        assert commit(store, "tellingen", 1) == 1
    assert store.version("tellingen").number == 1 and heard == ["tellingen"], "later listeners still hear it"
    assert "cannot handle tellingen" in caplog.text
