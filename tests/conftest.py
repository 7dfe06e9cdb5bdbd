"""Fixtures shared by the whole suite: a temporary instance, its store, and the shared sample folder."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from wierde.config import Settings
from wierde.store.repository import Store

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path | None:
    candidates = [os.environ.get("WIERDE_SHARED"), REPO.parent / "shared"]
    for candidate in candidates:
        if candidate and Path(candidate, "data").is_dir():
            return Path(candidate)
    return None


@pytest.fixture
def shared() -> Path:
    found = shared_dir()
    if found is None:
        pytest.skip("../shared is not beside this checkout")
    return found


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "instance")


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    store = Store.open(settings)
    yield store
    store.close()
