"""An instance with bridge openings and road traffic ingested from CSV, and a way to declare views in it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from wierde.collect.ingest import ingest
from wierde.combine.auto import subscribe
from wierde.config import Settings
from wierde.store.repository import Store

# Openings of two movable bridges over the Van Starkenborghkanaal on a summer morning.
OPENINGS = """brug_id,start,einde,vaartuig
dorkwerd,2024-07-01 10:05:00,2024-07-01 10:15:00,recreatie
dorkwerd,2024-07-01 10:40:00,2024-07-01 10:46:00,beroeps
dorkwerd,2024-07-01 11:20:00,2024-07-01 11:28:00,beroeps
gaarkeuken,2024-07-01 10:30:00,2024-07-01 10:41:00,recreatie
"""
# Hourly counts on the roads that cross them: vehicles, and how many of them waited at a bridge.
TRAFFIC = """brug_id,uur,voertuigen,vertraagd
dorkwerd,2024-07-01 10:00:00,420,61
dorkwerd,2024-07-01 11:00:00,380,20
gaarkeuken,2024-07-01 10:00:00,150,12
gaarkeuken,2024-07-01 11:00:00,160,0
"""

PER_HOUR = """
SELECT o.brug_id, period_of(o.start, 'hour') AS uur, count(*) AS openingen,
       sum(date_diff('minute', o.start, o.einde)) AS minuten_open,
       any_value(t.voertuigen) AS voertuigen, any_value(t.vertraagd) AS vertraagd
FROM brugopeningen o
JOIN verkeerstellingen t ON t.brug_id = o.brug_id AND t.uur = period_of(o.start, 'hour')
GROUP BY ALL
"""
PER_BRIDGE = "SELECT brug_id, sum(openingen) AS openingen, sum(vertraagd) AS vertraagd FROM openingen_per_uur " \
             "GROUP BY brug_id"


def ingest_text(store: Store, dataset_id: str, text: str) -> int:
    """Ingest CSV text as the dataset's next version; returns the version number."""
    path = store.settings.home.parent / f"{dataset_id}.csv"
    path.write_text(text, encoding="utf-8")
    return ingest(store, path, dataset_id, meta={"title": dataset_id}).version.number


def declare(store: Store, *views: dict[str, Any]) -> None:
    """Write views.yaml the way a steward would."""
    (store.settings.home / "views.yaml").write_text(yaml.safe_dump(list(views), sort_keys=False), encoding="utf-8")


def rows(store: Store, dataset_id: str, order: str = "ALL") -> list[tuple[Any, ...]]:
    path = store.path_of(store.version(dataset_id))
    return duckdb.sql(f"SELECT * FROM read_parquet('{path}') ORDER BY {order}").fetchall()


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both inputs ingested once; each test works on a copy, so no test sees another's changes."""
    home = tmp_path_factory.mktemp("bridges") / "instance"
    store = Store.open(Settings(home=home))
    ingest_text(store, "brugopeningen", OPENINGS)
    ingest_text(store, "verkeerstellingen", TRAFFIC)
    store.close()
    return home


@pytest.fixture
def bridges(template: Path, tmp_path: Path) -> Iterator[Store]:
    """The store as the app and the CLI open it (views follow their inputs), with both inputs at version 1."""
    home = tmp_path / "instance"
    shutil.copytree(template, home)
    store = subscribe(Store.open(Settings(home=home)))
    yield store
    store.close()


@pytest.fixture
def views_file(bridges: Store) -> Path:
    return bridges.settings.home / "views.yaml"
