"""A small instance: municipal figures and an earthquake list ingested from CSV, indicators declared over them."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest
import yaml
from fastapi import FastAPI

from wierde.app import create_app
from wierde.collect.ingest import ingest
from wierde.combine.auto import subscribe as follow_views
from wierde.monitor.auto import subscribe
from wierde.store.repository import Store

# Renewable supply and energy use (TJ), inhabitants and households of three municipalities; 2024 is provisional.
# Shares: GM0014 10→30 %, GM1895 10→50 %, GM0765 10→40 %; the province's share comes from the totals.
FIGURES = """gemeente_code,jaar,hernieuwbaar_tj,verbruik_tj,inwoners,huishoudens,status
GM0014,2020,100,1000,230000,115000,Definitief
GM0014,2021,150,1000,231000,115500,Definitief
GM0014,2022,200,1000,232000,116000,Definitief
GM0014,2023,250,1000,233000,116500,Definitief
GM0014,2024,300,1000,234000,117000,Voorlopig
GM1895,2020,20,200,38000,17000,Definitief
GM1895,2021,40,200,37900,17000,Definitief
GM1895,2022,60,200,37800,17000,Definitief
GM1895,2023,80,200,37700,17000,Definitief
GM1895,2024,100,200,37600,17000,Voorlopig
GM0765,2020,10,100,12500,5500,Definitief
GM0765,2021,10,100,12400,5500,Definitief
GM0765,2022,20,100,12300,5500,Definitief
GM0765,2023,30,100,12200,5500,Definitief
GM0765,2024,40,100,12100,5500,Voorlopig
"""
QUAKES = """datum,magnitude,gemeente_code
2021-03-01,2.1,GM1895
2021-07-10,1.2,GM1895
2023-02-01,1.8,GM0765
2023-05-05,1.6,GM1895
2024-01-01,0.9,GM0765
"""
POLICY = {"nl": "Testbeleid", "en": "Test policy", "url": "https://example.org/beleid"}
RENEWABLE: dict[str, Any] = {
    "id": "hernieuwbaar",
    "name": {"nl": "Aandeel hernieuwbare energie", "en": "Share of renewable energy"},
    "definition": {"nl": "Hernieuwbare opwek als deel van het verbruik.", "en": "Renewable supply as a share of use."},
    "unit": {"nl": "%", "en": "%"},
    "theme": "ENER",
    "source": "cijfers",
    "measure": {"numerator": "sum(hernieuwbaar_tj)", "denominator": "sum(verbruik_tj)", "scale": 100},
    "regions": ["province", "gemeente"],
    "direction": "higher_is_better",
    "targets": [{"values": {2024: 30, 2030: 50}, "source": POLICY}],
}
POPULATION: dict[str, Any] = {
    "id": "bevolking-oost",
    "name": {"nl": "Bevolkingsgroei in het oosten", "en": "Population change in the east"},
    "definition": {"nl": "Verandering van het aantal inwoners.", "en": "Change in the number of inhabitants."},
    "unit": {"nl": "% per jaar", "en": "% per year"},
    "theme": "SOCI",
    "source": "cijfers",
    "measure": "sum(inwoners)",
    "change": "percent",
    "groups": [{"code": "oost", "name": {"nl": "Oost", "en": "East"}, "members": ["GM1895", "GM0765"]}],
    "default_region": "oost",
    "direction": "higher_is_better",
    "decimals": 2,
}
QUAKE_COUNT: dict[str, Any] = {
    "id": "bevingen",
    "name": {"nl": "Bevingen vanaf 1,5", "en": "Earthquakes from 1.5"},
    "definition": {"nl": "Aantal bevingen per jaar.", "en": "Number of earthquakes per year."},
    "unit": {"nl": "bevingen", "en": "earthquakes"},
    "theme": "ENVI",
    "source": "bevingen",
    "measure": "count(*)",
    "where": "magnitude >= 1.5",
    "fill_missing": 0,
    "direction": "lower_is_better",
    "decimals": 0,
}


def ingest_text(store: Store, dataset_id: str, text: str, *, publish: bool = True) -> int:
    """Ingest CSV text as the dataset's next version (through the same door a steward uses)."""
    path = store.settings.home.parent / f"{dataset_id}.csv"
    path.write_text(text, encoding="utf-8")
    number = ingest(store, path, dataset_id, meta={"title": {"nl": dataset_id.title(), "en": dataset_id.title()},
                                                   "licence": "CC-BY-4.0"}).version.number
    if publish and store.dataset(dataset_id).status != "published":
        store.set_status(dataset_id, "published")
    return number


def declare(store: Store, *indicators: dict[str, Any]) -> None:
    """Write indicators.yaml the way a steward would."""
    text = yaml.safe_dump(list(indicators), sort_keys=False, allow_unicode=True)
    (store.settings.home / "indicators.yaml").write_text(text, encoding="utf-8")


def values(store: Store, indicator_id: str) -> dict[tuple[str, str], float | None]:
    """(region, period) → value of the indicator's current version."""
    path = store.path_of(store.version(f"indicator-{indicator_id}"))
    rows = duckdb.sql(f"SELECT region_code, period, value FROM read_parquet('{path}')").fetchall()
    return {(code, period): value for code, period, value in rows}


def with_indicators(store: Store) -> FastAPI:
    """The app over this store, without the harvest scheduler."""
    return create_app(store.settings.with_(scheduler=False), store)


@pytest.fixture
def figures(store: Store) -> Store:
    """Figures and earthquakes ingested and published; views and indicators follow their inputs."""
    subscribe(follow_views(store))
    ingest_text(store, "cijfers", FIGURES)
    ingest_text(store, "bevingen", QUAKES)
    return store
