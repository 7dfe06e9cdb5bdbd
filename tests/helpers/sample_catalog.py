"""A small catalogue with real Parquet versions: published datasets of two publishers, a draft and bad metadata."""

from __future__ import annotations

from typing import Any

from wierde.store.repository import Store

CONTACT = {"name": "Team Data, Provincie Groningen", "email": "data@provinciegroningen.nl"}

TRAFFIC: dict[str, Any] = {
    "title": {"nl": "Verkeerstellingen provinciale wegen", "en": "Traffic counts on provincial roads"},
    "description": {"nl": "Motorvoertuigen per uur op telpunten.", "en": "Motor vehicles per hour at counting points."},
    "keywords": {"nl": ["verkeer", "telling"], "en": ["traffic", "count"]},
    "themes": ["TRAN"], "publisher": "PV20", "contact_point": CONTACT, "licence": "CC-BY-4.0",
    "spatial": ["PV20"], "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
    "accrual_periodicity": "monthly", "language": ["nl"], "issued": "2024-03-01",
}
RESIDENTS: dict[str, Any] = {
    "title": {"nl": "Inwoners per wijk", "en": "Residents per district"},
    "description": "Aantal inwoners per wijk in de gemeente Groningen.",
    "keywords": ["bevolking", "wijken"], "themes": ["SOCI", "REGI"], "publisher": "GM0014",
    "licence": "CC-BY-4.0", "spatial": ["GM0014"],
}
SUBSIDIES: dict[str, Any] = {"title": "Subsidieregelingen", "keywords": ["subsidie"], "themes": ["GOVE"],
                             "licence": "CC0-1.0"}
CYCLE_PATHS: dict[str, Any] = {
    "title": "Fietspaden", "description": "Ligging van de fietspaden in de provincie.",
    "keywords": ["verkeer", "fiets"], "themes": ["TRAN", "ENVI"], "licence": "CC0-1.0",
}
DRAFT: dict[str, Any] = {
    "title": "Geheim concept verkeersplan", "keywords": ["verkeer", "concept-geheim"], "themes": ["TRAN"],
    "publisher": "GM0047", "licence": "ODbL-1.0",
}
BROKEN: dict[str, Any] = {"title": "Oud bestand", "themes": ["NOPE"]}  # an unknown theme: does not validate

# In publication order, so metadata_modified runs the same way.
PUBLISHED = ("verkeerstellingen", "inwoners-per-wijk", "subsidieregelingen", "fietspaden", "oud-bestand")
DRAFT_ID = "geheim-concept"


def add_dataset(store: Store, dataset_id: str, meta: dict[str, Any], *, rows: int = 5, geometry: bool = False,
                status: str = "published") -> None:
    """A dataset with `rows` rows of real Parquet (none: no version yet), its metadata and its status."""
    if rows:
        path = store.new_tmp_path()
        point = ", ST_Point(6.5 + range / 100, 53.2) AS geom" if geometry else ""
        store.duck().execute(f"COPY (SELECT range AS n{point} FROM range({rows})) TO '{path}' (FORMAT parquet)")
        fields = [{"name": "n", "type": "integer"}] + ([{"name": "geom", "type": "geometry"}] if geometry else [])
        store.commit_version(dataset_id, path, row_count=rows, table_schema={"fields": fields}, source={}, report={})
    store.ensure_dataset(dataset_id, meta)
    if status != "draft":
        store.set_status(dataset_id, status)


def fill(store: Store) -> None:
    add_dataset(store, DRAFT_ID, DRAFT, status="draft")
    add_dataset(store, "verkeerstellingen", TRAFFIC)
    add_dataset(store, "inwoners-per-wijk", RESIDENTS, geometry=True)
    add_dataset(store, "subsidieregelingen", SUBSIDIES, rows=0)
    add_dataset(store, "fietspaden", CYCLE_PATHS)
    add_dataset(store, "oud-bestand", BROKEN)
