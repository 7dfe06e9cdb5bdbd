"""Views marked for publication get their disclosure profile at every refresh; access changes are audited."""

from __future__ import annotations

from pathlib import Path

import duckdb

from wierde.collect.ingest import ingest
from wierde.combine.materialise import define_view, refresh
from wierde.combine.spec import parse_view
from wierde.protect import audit, disclosure
from wierde.protect.access import Principal
from wierde.protect.classify import set_access
from wierde.store.repository import Store

STEWARD = Principal(kind="steward", name="sanne", purpose="beheer")


def test_a_view_with_a_disclosure_profile_is_rounded_and_suppressed_at_every_refresh(
        store: Store, tmp_path: Path) -> None:
    rows = "\n".join(f"BU0014{i:04d},{n}" for i, n in enumerate([3, 12, 27, 41, 58, 7, 90, 14]))
    (tmp_path / "werk.csv").write_text("regio,werklozen\n" + rows + "\n", encoding="utf-8")
    ingest(store, tmp_path / "werk.csv", "werk")
    view = parse_view({"id": "werk-per-buurt", "title": "Werk", "publish": True,
                       "sql": "SELECT regio, werklozen FROM werk"}, "test")
    define_view(store, view)
    disclosure.save_config(store, "werk-per-buurt", disclosure.DisclosureConfig.from_mapping(
        {"profile": "cbs", "counts": ["werklozen"], "region": "regio"}))
    refreshed = refresh(store, view)
    current = store.version("werk-per-buurt")
    assert refreshed.version.number == current.number and "disclosure" in current.report
    values = [r[0] for r in duckdb.sql(f"SELECT werklozen FROM '{store.path_of(current)}'").fetchall()]
    assert all(v is None or v % 5 == 0 for v in values), "counts rounded to multiples of 5"
    assert values.count(None) >= 2, "the counts of 3 and 7 persons are secret"


def test_changing_who_may_read_a_dataset_is_in_the_audit_log(store: Store, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n", encoding="utf-8")
    ingest(store, tmp_path / "a.csv", "a")
    set_access(store, STEWARD, "a", "restricted", {"scope": "intern", "reason": "5.1.2d"})
    entry = audit.search(store, action="access", target="a")[-1]
    assert (entry.who, entry.detail["classification"], entry.detail["reason"]) == ("sanne", "restricted", "5.1.2d")
