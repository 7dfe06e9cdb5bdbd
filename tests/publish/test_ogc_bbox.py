"""Bbox queries answered from the Hilbert-sorted copy give exactly the features a plain scan would, page by page,
in every CRS; and the copy goes when its version is purged."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import pyproj
import pytest
import shapely

from wierde.config import Settings
from wierde.protect import gate
from wierde.protect.access import ANONYMOUS, Principal
from wierde.publish import ogc, ogc_memory, spatial_copy
from wierde.store.repository import Store

POINTS = 3000
RD_URI = "http://www.opengis.net/def/crs/EPSG/0/28992"
TO_CRS84 = pyproj.Transformer.from_crs("EPSG:28992", "OGC:CRS84", always_xy=True)
ADMIN = Principal(kind="admin", name="beheer")


def rd_points() -> list[tuple[float, float, str]]:
    rng = random.Random(5)
    return [(rng.uniform(210_000, 270_000), rng.uniform(560_000, 600_000), rng.choice(["brug", "sluis"]))
            for _ in range(POINTS)]


def commit(store: Store, dataset_id: str, select_sql: str, fields: list[dict[str, str]], rows: int) -> None:
    staged = store.new_tmp_path()
    store.duck().execute(f"COPY ({select_sql}) TO '{staged}' (FORMAT parquet)")
    store.commit_version(dataset_id, staged, row_count=rows, table_schema={"fields": fields}, source={}, report={},
                         meta={"title": dataset_id})
    store.set_status(dataset_id, "published")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = make_store(tmp_path_factory.mktemp("bbox") / "home")
    yield store
    store.close()


def make_store(home: Path) -> Store:
    store = Store.open(Settings(home=home, scheduler=False))
    values = ", ".join(f"({i}, {x!r}, {y!r}, '{kind}')" for i, (x, y, kind) in enumerate(rd_points()))
    fields = [{"name": "nummer", "type": "integer"}, {"name": "soort", "type": "string"},
              {"name": "geometry", "type": "geometry"}]
    rows = f"SELECT * FROM (VALUES {values}) t(nummer, x, y, soort) ORDER BY nummer"
    commit(store, "punten-rd", f"SELECT nummer, soort, ST_SetCRS(ST_Point(x, y), 'EPSG:28992') AS geometry "
                               f"FROM ({rows})", fields, POINTS)
    commit(store, "punten-84", f"SELECT nummer, soort, ST_SetCRS(ST_Transform(ST_Point(x, y), 'EPSG:28992', "
                               f"'EPSG:4326', always_xy := true), 'OGC:CRS84') AS geometry FROM ({rows})",
           fields, POINTS)
    commit(store, "vlakken-rd", f"SELECT nummer, soort, ST_SetCRS(ST_MakeEnvelope(x, y, x + 900, y + 600), "
                                f"'EPSG:28992') AS geometry FROM ({rows}) WHERE nummer < 800", fields, 800)
    return store


def random_boxes(count: int, seed: int) -> list[tuple[float, float, float, float]]:
    rng = random.Random(seed)
    boxes = []
    for _ in range(count):
        west, south = rng.uniform(6.2, 7.1), rng.uniform(53.0, 53.4)
        boxes.append((west, south, west + rng.uniform(0.01, 0.2), south + rng.uniform(0.01, 0.1)))
    return boxes


def all_pages(ctx: ogc.Context, collection: str, **params: str) -> tuple[list[int], int]:
    """Every feature id over all pages (following next links), and the first page's numberMatched."""
    layer = ogc.layer(ctx, collection)
    ids: list[int] = []
    matched = None
    pairs = list(params.items())
    for _ in range(200):
        document = ogc.items(ctx, layer, pairs).document
        matched = document["numberMatched"] if matched is None else matched
        assert document["numberMatched"] == matched, "the count stays the same on every page"
        ids += [f["properties"]["nummer"] for f in document["features"]]
        nxt = next((x["href"] for x in document["links"] if x["rel"] == "next"), None)
        if nxt is None:
            return ids, matched
        pairs = parse_qsl(urlsplit(nxt).query)
    raise AssertionError("too many pages")


@pytest.fixture
def ctx(store: Store) -> ogc.Context:
    return ogc.Context(store, ANONYMOUS, "http://example.test")


@pytest.mark.parametrize("collection", ["punten-rd", "punten-84"])
def test_points_in_a_crs84_box_are_those_whose_position_lies_in_it(ctx: ogc.Context, collection: str) -> None:
    lonlat = [TO_CRS84.transform(x, y) for x, y, _ in rd_points()]
    for west, south, east, north in random_boxes(12, seed=1):
        expected = [i for i, (lon, lat) in enumerate(lonlat) if west <= lon <= east and south <= lat <= north]
        ids, matched = all_pages(ctx, collection, bbox=f"{west},{south},{east},{north}", limit="37")
        assert ids == expected and matched == len(expected)


def test_a_box_in_rd_new_is_tested_in_rd_new(ctx: ogc.Context) -> None:
    points = rd_points()
    for west, south, east, north in [(230_000, 570_000, 240_000, 590_000), (250_000, 580_000, 251_500, 581_000)]:
        expected = [i for i, (x, y, _) in enumerate(points) if west <= x <= east and south <= y <= north]
        ids, matched = all_pages(ctx, "punten-rd", bbox=f"{west},{south},{east},{north}", limit="100",
                                 **{"bbox-crs": RD_URI})
        assert ids == expected and matched == len(expected)


def test_a_property_filter_and_a_box_together(ctx: ogc.Context) -> None:
    lonlat = [TO_CRS84.transform(x, y) for x, y, _ in rd_points()]
    kinds = [kind for _, _, kind in rd_points()]
    west, south, east, north = 6.4, 53.1, 6.8, 53.3
    expected = [i for i, (lon, lat) in enumerate(lonlat)
                if west <= lon <= east and south <= lat <= north and kinds[i] == "brug"]
    ids, matched = all_pages(ctx, "punten-rd", bbox=f"{west},{south},{east},{north}", soort="brug", limit="50")
    assert ids == expected and matched == len(expected)


def test_polygons_match_the_plain_scan_exactly(ctx: ogc.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    boxes = random_boxes(8, seed=2)
    found = [all_pages(ctx, "vlakken-rd", bbox=",".join(map(str, box)), limit="25") for box in boxes]
    # without the sorted copy, as before it existed: a scan of the version file with the exact test
    monkeypatch.setattr(spatial_copy, "sorted_copy", lambda *args, **kwargs: None)
    reference = [all_pages(ctx, "vlakken-rd", bbox=",".join(map(str, box)), limit="25") for box in boxes]
    assert found == reference
    assert any(matched > 25 for _, matched in found), "some boxes need more than one page"


def test_polygons_are_found_by_shape_not_only_by_box(ctx: ogc.Context) -> None:
    squares = {i: shapely.box(x, y, x + 900, y + 600) for i, (x, y, _) in enumerate(rd_points()) if i < 800}
    query = (240_000.0, 575_000.0, 246_000.0, 579_000.0)
    expected = sorted(i for i, square in squares.items() if square.intersects(shapely.box(*query)))
    ids, _ = all_pages(ctx, "vlakken-rd", bbox=",".join(map(str, query)), limit="100", **{"bbox-crs": RD_URI})
    assert ids == expected


def test_previous_links_walk_back_to_the_first_page(ctx: ogc.Context) -> None:
    layer = ogc.layer(ctx, "punten-84")
    first = ogc.items(ctx, layer, [("bbox", "6.3,53.0,7.0,53.4"), ("limit", "20")]).document
    pages: list[dict[str, Any]] = [first]
    for _ in range(3):
        href = next(x["href"] for x in pages[-1]["links"] if x["rel"] == "next")
        pages.append(ogc.items(ctx, layer, parse_qsl(urlsplit(href).query)).document)
    back = pages[-1]
    for expected in reversed(pages[:-1]):
        href = next(x["href"] for x in back["links"] if x["rel"] == "prev")
        back = ogc.items(ctx, layer, parse_qsl(urlsplit(href).query)).document
        assert [f["id"] for f in back["features"]] == [f["id"] for f in expected["features"]]
    assert not any(x["rel"] == "prev" for x in first["links"])


def test_the_copy_is_made_once_and_purged_with_its_version(tmp_path: Path) -> None:
    store = make_store(tmp_path / "home")
    ctx = ogc.Context(store, ANONYMOUS, "http://example.test")
    all_pages(ctx, "punten-rd", bbox="6.5,53.2,6.6,53.3")
    version = store.version("punten-rd")
    copies = spatial_copy.copies_of(store.settings.data_dir, store.path_of(version))
    assert len(copies) == 1
    made = copies[0].stat().st_mtime_ns
    all_pages(ctx, "punten-rd", bbox="6.6,53.2,6.7,53.3")
    assert copies[0].stat().st_mtime_ns == made, "a later query reuses the copy"

    gate.purge(store, ADMIN, "punten-rd", version.number, "AVG art. 17 verzoek")
    assert not copies[0].exists() and not store.path_of(version).exists()
    store.close()


def held_answer(ctx: ogc.Context, collection: str, params: list[tuple[str, str]]) -> dict[str, Any]:
    """A page as the JSON API serialises it, once the layer's features are held in memory."""
    layer = ogc.layer(ctx, collection)
    for _ in range(200):
        document = ogc.items(ctx, layer, params, raw=True).document
        if any(isinstance(f, orjson.Fragment) for f in document["features"]):
            return dict(orjson.loads(orjson.dumps(document)))
        time.sleep(0.05)  # the first request starts the work in the background
    raise AssertionError("the features were never held in memory")


@pytest.mark.parametrize("collection", ["punten-rd", "punten-84"])
def test_features_held_in_memory_are_the_same_answer(ctx: ogc.Context, collection: str) -> None:
    layer = ogc.layer(ctx, collection)
    for box in [*random_boxes(6, seed=3), (6.0, 52.8, 7.4, 53.6)]:
        params = [("bbox", ",".join(map(str, box))), ("limit", "40")]
        for _ in range(3):  # three pages, each compared with the answer read from disk
            held = held_answer(ctx, collection, params)
            disk = ogc.items(ctx, layer, params).document
            for document in (held, disk):
                document.pop("timeStamp")
            assert held == disk
            nxt = next((x["href"] for x in held["links"] if x["rel"] == "next"), None)
            if nxt is None:
                break
            params = parse_qsl(urlsplit(nxt).query)


def test_only_open_point_layers_are_held(store: Store, ctx: ogc.Context, monkeypatch: pytest.MonkeyPatch) -> None:
    memory = ogc_memory.FeatureMemory()
    monkeypatch.setattr(ogc_memory, "MEMORY", memory)
    steward = ogc.Context(store, Principal(kind="steward", name="s"), "http://example.test")
    box = [("bbox", "6.5,53.2,6.6,53.3")]
    store.set_status("punten-84", "draft")
    try:
        ogc.items(steward, ogc.layer(steward, "punten-84"), box, raw=True)
    finally:
        store.set_status("punten-84", "published")
    assert not list(memory.held) and not memory._building and not memory._refused, "a draft is never held"
    ogc.items(ctx, ogc.layer(ctx, "vlakken-rd"), box, raw=True)
    assert not list(memory.held) and not memory._building, "polygons are never held"
    ogc.items(ctx, ogc.layer(ctx, "punten-84"), [*box, ("soort", "brug")], raw=True)
    assert not memory._building and not list(memory.held), "a property filter is answered from disk"
