"""Prove that points get the codes of the neighbourhood, district and municipality they lie in, in RD or WGS84,
that a point in the sea keeps its row with NULL codes and is counted, and that lines and polygons go to the region
holding most of them with the right share."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from wierde.errors import InvalidInput
from wierde.regions import RegionSet, key_points, key_shapes

SEA = (6.05, 53.62)  # the North Sea off Schiermonnikoog
TO_RD = Transformer.from_crs(4326, 28992, always_xy=True)


def sample(regions: RegionSet, count: int = 12) -> list[tuple[str, float, float]]:
    """A point well inside each of a spread of neighbourhoods, with that neighbourhood's code."""
    buurten = regions.level("BU")
    step = max(1, len(buurten) // count)
    points = []
    for region in buurten[::step]:
        assert region.geometry is not None
        inner = region.geometry.buffer(-0.0005)  # away from borders, which the generalised outlines shift
        point = (inner if not inner.is_empty else region.geometry).representative_point()
        points.append((region.code, point.x, point.y))
    return points


def register(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, float | None, float | None]]) -> None:
    con.register("raw", pa.table({
        "label": [r[0] for r in rows], "x": [r[1] for r in rows], "y": [r[2] for r in rows],
    }))


def expected_codes(regions: RegionSet, bu: str) -> tuple[str, str, str]:
    wk, gm, _ = (r.code for r in regions.ancestors(bu))
    return gm, wk, bu


def test_prove_points_get_the_codes_of_their_neighbourhood(regions: RegionSet, con: duckdb.DuckDBPyConnection) -> None:
    points = sample(regions)
    register(con, [*points, ("sea", *SEA), ("nowhere", None, None)])
    sql = "SELECT label, CASE WHEN x IS NOT NULL THEN ST_SetCRS(ST_Point(x, y), 'EPSG:4326') END AS geom FROM raw"
    keyed = key_points(con, sql, "geom", regions)
    rows = keyed.relation.fetchall()
    assert [r[0] for r in rows] == [p[0] for p in points] + ["sea", "nowhere"]  # every row, in order
    for label, _, gm, wk, bu in rows[:-2]:
        assert (gm, wk, bu) == expected_codes(regions, label)
    assert [r[2:] for r in rows[-2:]] == [(None, None, None), (None, None, None)]
    assert keyed.rows == len(points) + 2
    assert keyed.outside == {"GM": 2, "WK": 2, "BU": 2}
    assert keyed.no_geometry == 1
    assert "2 outside every municipality (GM)" in keyed.report()
    assert keyed.relation.columns == ["label", "geom", "gm_code", "wk_code", "bu_code"]


def test_prove_rd_points_key_the_same_as_wgs84(regions: RegionSet, con: duckdb.DuckDBPyConnection) -> None:
    points = sample(regions)
    rd = [(label, *TO_RD.transform(x, y)) for label, x, y in [*points, ("sea", *SEA)]]
    register(con, rd)
    typed = key_points(con, "SELECT label, ST_SetCRS(ST_Point(x, y), 'EPSG:28992') AS geom FROM raw", "geom",
                       regions, ("GM", "BU"))
    untyped = key_points(con, "SELECT label, ST_Point(x, y) AS geom FROM raw", "geom", regions, ("GM", "BU"),
                         points_crs="EPSG:28992")
    for keyed in (typed, untyped):
        rows = keyed.relation.fetchall()
        assert [(r[0], r[3]) for r in rows] == [(p[0], p[0]) for p in points] + [("sea", None)]
        assert [r[2] for r in rows[:-1]] == [expected_codes(regions, p[0])[0] for p in points]
        assert keyed.outside == {"GM": 1, "BU": 1}


def test_prove_a_point_without_crs_is_refused_naming_the_fix(regions: RegionSet,
                                                             con: duckdb.DuckDBPyConnection) -> None:
    register(con, [("a", 233000.0, 582000.0)])
    with pytest.raises(InvalidInput, match="carries no CRS.*EPSG:28992"):
        key_points(con, "SELECT ST_Point(x, y) AS geom FROM raw", "geom", regions)
    with pytest.raises(InvalidInput, match="not GEOMETRY"):
        key_points(con, "SELECT x AS geom FROM raw", "geom", regions)
    with pytest.raises(InvalidInput, match="no PV|unknown level"):
        key_points(con, "SELECT ST_SetCRS(ST_Point(x, y), 'EPSG:28992') AS geom FROM raw", "geom", regions, ("XX",))


def test_prove_keying_again_replaces_the_codes(regions: RegionSet, con: duckdb.DuckDBPyConnection) -> None:
    register(con, [("sea", *SEA)])
    first = key_points(con, "SELECT label, ST_SetCRS(ST_Point(x, y), 'EPSG:4326') AS g FROM raw", "g", regions)
    again = key_points(con, f"SELECT * FROM {first.table}", "g", regions, ("GM",))
    assert again.relation.columns == ["label", "g", "wk_code", "bu_code", "gm_code"]


def rd(geometry: BaseGeometry) -> BaseGeometry:
    def move(coords: np.ndarray) -> np.ndarray:
        x, y = TO_RD.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, move)


def largest_share(regions: RegionSet, level: str, feature: BaseGeometry) -> tuple[str, float]:
    """The expected answer, worked out independently with shapely in RD metres."""
    feature_rd = rd(feature)
    measure = (lambda g: g.area) if feature.geom_type.endswith("Polygon") else (lambda g: g.length)
    parts = {
        r.code: measure(rd(r.geometry).intersection(feature_rd))
        for r in regions.level(level)  # type: ignore[arg-type]
        if r.geometry is not None and r.geometry.intersects(feature)
    }
    code = max(parts, key=lambda c: parts[c])
    return code, parts[code] / measure(feature_rd)


def test_prove_shapes_go_to_the_region_holding_most_of_them(regions: RegionSet,
                                                           con: duckdb.DuckDBPyConnection) -> None:
    city = regions.get("BU00140000").geometry
    assert city is not None
    inside = city.buffer(-0.0003)  # wholly inside one neighbourhood
    across = shapely.LineString([(6.50, 53.16), (6.62, 53.30)])  # a straight road through several regions
    coast = shapely.box(6.70, 53.38, 6.95, 53.52)  # Eemshaven and the Wadden Sea: largely outside every region
    shapes = [("inside", inside), ("across", across), ("coast", coast), ("sea", shapely.Point(SEA).buffer(0.01))]
    con.register("raw", pa.table({"label": [s[0] for s in shapes], "wkb": [s[1].wkb for s in shapes]}))
    keyed = key_shapes(con, "SELECT label, ST_SetCRS(ST_GeomFromWKB(wkb), 'EPSG:4326') AS geom FROM raw", "geom",
                       regions, ("GM", "BU"))
    rows = {r[0]: r[2:] for r in keyed.relation.fetchall()}
    assert rows["inside"][2] == "BU00140000"
    assert rows["inside"][3] == pytest.approx(1.0, abs=1e-6)
    assert rows["inside"][:2] == ("GM0014", pytest.approx(1.0, abs=1e-6))
    for label, feature in (("across", across), ("coast", coast)):
        for offset, level in ((0, "GM"), (2, "BU")):
            code, share = largest_share(regions, level, feature)
            assert rows[label][offset] == code
            # 1e-3: a straight edge in degrees bends slightly in metres, so cutting before or after moving to RD
            # differs a little
            assert rows[label][offset + 1] == pytest.approx(share, rel=1e-3)
    assert rows["coast"][1] < 0.5  # most of that box is sea
    assert rows["sea"] == (None, None, None, None)
    assert keyed.outside == {"GM": 1, "BU": 1}


def test_prove_other_geometries_in_key_points_get_a_code_they_touch(regions: RegionSet,
                                                                    con: duckdb.DuckDBPyConnection) -> None:
    centre = regions.get("BU00140000").geometry
    assert centre is not None
    shapes = [("area", centre.buffer(-0.0003).wkb), ("empty", shapely.Point().wkb),
              ("two", shapely.MultiPoint([centre.representative_point(), SEA]).wkb)]
    con.register("raw", pa.table({"label": [s[0] for s in shapes], "wkb": [s[1] for s in shapes]}))
    keyed = key_points(con, "SELECT label, ST_SetCRS(ST_GeomFromWKB(wkb), 'EPSG:4326') AS geom FROM raw", "geom",
                       regions, ("BU",))
    assert [r[2] for r in keyed.relation.fetchall()] == ["BU00140000", None, "BU00140000"]
    assert keyed.outside == {"BU": 1}


def test_prove_the_regions_table_holds_every_region(regions: RegionSet, con: duckdb.DuckDBPyConnection) -> None:
    table = regions.to_duckdb(con)
    assert regions.to_duckdb(con) == table  # made once per connection
    rows = con.sql(f"SELECT level, count(*), count(geom) FROM {table} GROUP BY level ORDER BY level").fetchall()
    assert {level: (n, shapes) for level, n, shapes in rows} == {
        level: (len(regions.level(level)), len(regions.level(level))) for level in ("BU", "GM", "PV", "WK")
    }
    inside = con.sql(f"SELECT code FROM {table} WHERE level = 'GM' AND ST_Contains(geom, "
                     "ST_SetCRS(ST_Point(6.5665, 53.2194), ST_CRS(geom)))").fetchall()
    assert inside == [("GM0014",)]  # the Grote Markt lies in the city of Groningen
