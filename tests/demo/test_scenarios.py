"""Prove that the demo answers the province's two questions: its views show bridge openings delaying the traffic on
the roads across them (most in summer, by pleasure craft, and near nature), and score every neighbourhood from 0 to 1
in a way a reader can re-weigh; the views are published, reproducible, and give the same rows on Spark."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from wierde.combine.spec import load_views, views_path
from wierde.demo.build import build_demo, demo_views_file, install_views
from wierde.store.repository import Store
from wierde.web.scenarios import factors, ranking, weights_from

pytestmark = pytest.mark.slow  # builds the whole demo instance once (about half a minute)

VIEWS = {"brugopeningen-verkeer-per-uur", "brugvertraging-per-maand", "bruggen-vertraging-natuur",
         "geschiktheid-woningbouw"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store, _items = build_demo(tmp_path_factory.mktemp("scenarios") / "home")
    yield store
    store.close()


def rows(store: Store, dataset_id: str, where: str = "true") -> list[dict[str, Any]]:
    relation = store.duck().sql(f"SELECT * FROM read_parquet('{store.path_of(store.version(dataset_id))}') "
                                f"WHERE {where}")
    return [dict(zip(relation.columns, values, strict=True)) for values in relation.fetchall()]


def test_the_demo_installs_its_views_published_with_their_inputs(demo: Store) -> None:
    assert {v.id for v in load_views(views_path(demo.settings))} == VIEWS
    assert views_path(demo.settings).read_text(encoding="utf-8") == demo_views_file().read_text(encoding="utf-8")
    for view in VIEWS:
        dataset = demo.dataset(view)
        assert dataset.status == "published" and dataset.classification == "open", view
        assert demo.version(view).source["view"] == view
    for view in VIEWS - {"geschiktheid-woningbouw"}:
        assert set(demo.version(view).source["inputs"]) >= {"brugopeningen", "verkeerstellingen",
                                                             "meetpunten-verkeer"}, view
    assert set(demo.version("geschiktheid-woningbouw").source["inputs"]) == {
        "aardbevingen", "bevolking", "buurten", "energie", "gemeenten", "hoogte", "migratie", "woningen"}


def test_refreshing_again_changes_nothing(demo: Store) -> None:
    again = install_views(demo)
    assert {r.view for r in again} == VIEWS
    assert not any(r.created for r in again), "the same inputs give the same files, so no new versions"


def test_traffic_is_slower_and_queues_in_hours_a_bridge_opens(demo: Store) -> None:
    hours = rows(demo, "brugopeningen-verkeer-per-uur")
    assert len(hours) > 10_000
    slower = [h for h in hours if h["gem_snelheid_kmh"] is not None and h["gewone_snelheid_kmh"] is not None]
    mean_open = sum(h["gem_snelheid_kmh"] for h in slower) / len(slower)
    mean_usual = sum(h["gewone_snelheid_kmh"] for h in slower) / len(slower)
    assert mean_open < mean_usual - 5, (mean_open, mean_usual)
    assert sum(h["wachtende_voertuigen"] > 0 for h in hours) > 0.9 * len(hours)
    assert all(h["voertuiguren_vertraging"] >= 0 and h["vertraagde_voertuigen"] >= 0 for h in hours)
    # nobody queues at a bridge in an hour it stays shut: the counts themselves say so, not only the view
    bridge_of = {r["site_id"]: r["bridge_id"] for r in rows(demo, "meetpunten-verkeer", "bridge_id IS NOT NULL")}
    opened = {(h["bridge_id"], h["uur"]) for h in hours}
    queued = rows(demo, "verkeerstellingen", "queued_vehicles > 0")
    assert queued and all((bridge_of[q["site_id"]], q["timestamp"]) in opened for q in queued)


def test_pleasure_craft_make_the_summer_peak_and_commercial_traffic_stays_level(demo: Store) -> None:
    months = rows(demo, "brugvertraging-per-maand")
    assert len(months) == 24
    recreational = {r["maand"]: r["voertuiguren_vertraging"] for r in months if r["soort_vaart"] == "recreatievaart"}
    commercial = {r["maand"]: r["voertuiguren_vertraging"] for r in months if r["soort_vaart"] == "beroepsvaart"}
    assert max(recreational, key=lambda m: recreational[m]) in (6, 7, 8)
    assert recreational[7] > 10 * recreational[1]
    assert max(commercial.values()) < 1.5 * min(commercial.values())
    seasons = {r["maand"]: r["seizoen"] for r in months}
    assert seasons[7] == "zomer" and seasons[1] == "winter"
    per_hour = rows(demo, "brugopeningen-verkeer-per-uur")
    assert sum(months_row["openingen"] for months_row in months) == sum(h["openingen"] for h in per_hour)


def test_bridges_near_nature_open_mostly_for_pleasure_craft(demo: Store) -> None:
    bridges = rows(demo, "bruggen-vertraging-natuur")
    assert len(bridges) == len(rows(demo, "bruggen")) == 29
    assert {"Brug Stroobos", "Berlagebrug", "Brug Zuidhorn"} <= {b["naam"] for b in bridges}
    assert "Prinses Margrietkanaal" in {b["vaarweg"] for b in bridges}
    near = [b for b in bridges if b["afstand_natuur_m"] <= 1000]
    far = [b for b in bridges if b["afstand_natuur_m"] > 1000]
    assert near and far

    def recreational(group: list[dict[str, Any]]) -> float:
        return sum(b["openingen_recreatievaart"] for b in group) / sum(b["openingen"] for b in group)

    assert recreational(near) > recreational(far) + 0.2
    assert all(b["afstand_natuur_klasse"] == "tot 500 m" for b in bridges if b["afstand_natuur_m"] <= 500)
    assert all(0 <= b["voertuiguren_zomer"] <= b["voertuiguren_vertraging"] for b in bridges)


def test_every_factor_and_score_lies_between_0_and_1_and_points_the_right_way(demo: Store) -> None:
    table = rows(demo, "geschiktheid-woningbouw")
    assert len(table) == len(rows(demo, "buurten"))
    scored = [r for r in table if r["score"] is not None]
    assert len(scored) > 0.95 * len(table)
    assert all(r["score"] is None and r["rang"] is None for r in table if r["inwoners"] < 100)
    for factor in factors():
        values = [r[factor.column] for r in scored if r[factor.column] is not None]
        assert min(values) == 0 and max(values) == 1, factor.column
    assert all(0 <= r["score"] <= 1 for r in scored)
    quakiest = max(scored, key=lambda r: r["max_pgv_mm_s"])
    assert quakiest["f_aardbevingen"] == 0 and quakiest["gm_code"] in {"GM1979", "GM0014", "GM1966", "GM1952"}
    assert min(scored, key=lambda r: r["afstand_treinstation_km"])["f_station"] == 1
    assert min(scored, key=lambda r: r["gemiddelde_hoogte_m_nap"])["f_hoogte"] == 0
    shrinking = [r for r in scored if r["gm_code"] in {"GM0765", "GM0037", "GM1950"}]
    assert sum(r["groei_pct_per_jaar"] < 0 for r in shrinking) > 0.7 * len(shrinking), "the east shrinks"


def test_re_weighting_changes_the_ranking_and_the_defaults_are_the_views_own(demo: Store) -> None:
    table = rows(demo, "geschiktheid-woningbouw")
    known = factors()
    defaults = ranking(table, weights_from({}, known))
    by_rank = sorted((r for r in table if r["rang"] is not None), key=lambda r: r["rang"])
    assert [row["bu_code"] for _place, row in defaults] == [r["bu_code"] for r in by_rank]
    assert all(abs(row["score"] - r["score"]) < 1e-12 for (_place, row), r in zip(defaults, by_rank, strict=True))
    higher_ground = ranking(table, weights_from({"f_hoogte": "3", "f_laagste_punt": "3"}, known))
    assert higher_ground[0][1]["bu_code"] != defaults[0][1]["bu_code"]
    assert higher_ground[0][1]["gemiddelde_hoogte_m_nap"] > defaults[0][1]["gemiddelde_hoogte_m_nap"]
    nothing = ranking(table, weights_from({f.column: "0" for f in known}, known))
    assert nothing == []


def test_every_view_gives_the_same_rows_on_spark(demo: Store) -> None:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java 17")
    from wierde.combine.check import check_engines

    results = check_engines(demo, "spark")
    assert {r.view for r in results} == VIEWS
    assert [(r.view, r.outcome, r.detail) for r in results if r.outcome != "same"] == []
