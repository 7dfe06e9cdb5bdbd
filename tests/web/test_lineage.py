"""The dataset page shows lineage: a view names the exact input versions, an input names the views made from it."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from wierde.app import create_app
from wierde.collect.ingest import ingest
from wierde.combine.materialise import define_view
from wierde.combine.spec import parse_view
from wierde.protect.access import OPERATOR
from wierde.protect.classify import set_access
from wierde.store.repository import Store


def test_lineage_runs_from_source_to_view_and_hides_what_the_reader_may_not_see(store: Store, tmp_path: Path) -> None:
    for name, text in (("tellingen", "gm_code,voertuigen\nGM0014,10\nGM0014,5\n"),
                       ("intern", "gm_code,voertuigen\nGM0014,1\n")):
        (tmp_path / f"{name}.csv").write_text(text, encoding="utf-8")
        ingest(store, tmp_path / f"{name}.csv", name)
        store.set_status(name, "published")
    set_access(store, OPERATOR, "intern", "restricted", {"scope": "verkeer", "reason": "5.1.2d"})
    define_view(store, parse_view({"id": "totaal", "title": "Totaal", "publish": True,
                                   "sql": "SELECT gm_code, sum(voertuigen) AS voertuigen FROM tellingen GROUP BY 1"},
                                  "test"))
    with TestClient(create_app(store.settings.with_(scheduler=False), store)) as client:
        view_page = client.get("/datasets/totaal").text
        source_page = client.get("/datasets/tellingen?lang=en").text
    assert "Herkomst" in view_page and 'href="/datasets/tellingen"' in view_page and "versie 1" in view_page
    assert "Used in" in source_page and 'href="/datasets/totaal"' in source_page
    assert "/datasets/intern" not in source_page + view_page
