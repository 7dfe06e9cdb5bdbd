"""A small instance for the OGC API tests: published geodata in RD New and CRS84, and data nobody may see."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update

from wierde.config import Settings
from wierde.store.models import Dataset
from wierde.store.repository import Store

POINTS = 25  # meetpunten: three pages of 10
TOKEN = "ogc-steward-token"


def point_xy(i: int) -> tuple[int, int]:
    """RD New coordinates of meetpunt i, around the city of Groningen."""
    return 233000 + i * 100, 582000 + (i % 5) * 100


def _commit(store: Store, dataset_id: str, select_sql: str, fields: list[dict[str, str]], rows: int,
            meta: dict[str, object]) -> None:
    staged = store.new_tmp_path()
    store.duck().execute(f"COPY ({select_sql}) TO '{staged}' (FORMAT parquet)")
    store.commit_version(dataset_id, staged, row_count=rows, table_schema={"fields": fields}, source={}, report={},
                         meta=meta)


def build(home: Path) -> Store:
    store = Store.open(Settings(home=home, admin_token=TOKEN))
    point_fields = [{"name": "nummer", "type": "integer"}, {"name": "naam", "type": "string"},
                    {"name": "soort", "type": "string"}, {"name": "hoogte", "type": "number"},
                    {"name": "gemeten", "type": "date"}, {"name": "geometry", "type": "geometry", "crs": "EPSG:28992"}]
    _commit(store, "meetpunten", f"""
        SELECT i AS nummer, 'punt ' || i AS naam, CASE WHEN i % 2 = 0 THEN 'brug' ELSE 'sluis' END AS soort,
               i * 0.5 AS hoogte, DATE '2024-01-01' + i::INTEGER AS gemeten,
               ST_SetCRS(ST_Point(233000 + i * 100, 582000 + (i % 5) * 100), 'EPSG:28992') AS geometry
        FROM range({POINTS}) t(i)""", point_fields, POINTS,
            {"title": {"nl": "Meetpunten", "en": "Measuring points"}, "description": "Punten in Groningen."})
    store.set_status("meetpunten", "published")
    area_fields = [{"name": "code", "type": "string"}, {"name": "vastgesteld", "type": "datetime"},
                   {"name": "geometry", "type": "geometry", "crs": "OGC:CRS84"}]
    _commit(store, "gebieden", """
        SELECT 'G' || i AS code, TIMESTAMPTZ '2023-06-01 12:00:00+00' + INTERVAL (i) DAY AS vastgesteld,
               ST_SetCRS(ST_MakeEnvelope(6.5 + i * 0.1, 53.2, 6.55 + i * 0.1, 53.25), 'OGC:CRS84') AS geometry
        FROM range(3) t(i)""", area_fields, 3, {"title": "Gebieden"})
    store.set_status("gebieden", "published")
    _commit(store, "geheim-concept", """
        SELECT 1 AS n, ST_SetCRS(ST_Point(233000, 582000), 'EPSG:28992') AS geometry""",
            [{"name": "n", "type": "integer"}, {"name": "geometry", "type": "geometry"}], 1, {"title": "Concept"})
    _commit(store, "intern", """
        SELECT 1 AS n, ST_SetCRS(ST_Point(233000, 582000), 'EPSG:28992') AS geometry""",
            [{"name": "n", "type": "integer"}, {"name": "geometry", "type": "geometry"}], 1, {"title": "Intern"})
    with store.session() as session:
        session.execute(update(Dataset).where(Dataset.id == "intern").values(classification="internal"))
    store.set_status("intern", "published")  # published, but not open: still hidden from anonymous callers
    _commit(store, "tabel", "SELECT 1 AS n", [{"name": "n", "type": "integer"}], 1, {"title": "Tabel"})
    store.set_status("tabel", "published")  # no geometry: not a collection
    return store
