"""A small instance for the map tests: two municipalities with their districts and neighbourhoods (RD New),
a CBS-style table keyed to them at three levels, many points, a detailed shape, and data nobody may see."""

from __future__ import annotations

import math
from pathlib import Path

from wierde.config import Settings
from wierde.protect.privacy.resolve import accept
from wierde.protect.privacy.status import open_findings
from wierde.store.repository import Store

TOKEN = "map-steward-token"
POINTS = 5000  # more than a map answer holds: at low zoom they are counted per cell
SQUARES = 3500
DAYS = 400  # from 2023-01-01: all of 2023 and 35 days of 2024
# Municipality GM0001 is x 200-210 km, GM0002 x 210-220 km, both y 560-570 km (RD New).
WIJKEN = {"WK000100": (200000, 205000, "GM0001"), "WK000101": (205000, 210000, "GM0001"),
          "WK000200": (210000, 220000, "GM0002")}
BUURTEN = {"BU00010000": (200000, 202500, "WK000100"), "BU00010001": (202500, 205000, "WK000100"),
           "BU00010100": (205000, 210000, "WK000101"), "BU00020000": (210000, 220000, "WK000200")}
# inwoners per region and year, as a CBS table lists them: the municipality itself, its districts and its
# neighbourhoods, each on a row of its own (so adding all rows of a municipality would count people three times).
INWONERS = {
    2023: {"GM0001": 900, "GM0002": 450, "WK000100": 540, "WK000101": 360, "WK000200": 450,
           "BU00010000": 200, "BU00010001": 340, "BU00010100": 360, "BU00020000": 450},
    2024: {"GM0001": 1000, "GM0002": 500, "WK000100": 600, "WK000101": 400, "WK000200": 500,
           "BU00010000": 250, "BU00010001": 350, "BU00010100": 400, "BU00020000": 500},
}


def point_xy(i: int) -> tuple[int, int]:
    """RD New coordinates of point i: spread over both municipalities, the same on every run."""
    return 200000 + (i * 7919) % 20000, 560000 + (i * 104729) % 10000


def _commit(store: Store, dataset_id: str, select_sql: str, fields: list[dict[str, str]], rows: int,
            meta: dict[str, object], status: str | None = "published") -> None:
    staged = store.new_tmp_path()
    store.duck().execute(f"COPY ({select_sql}) TO '{staged}' (FORMAT parquet)")
    store.commit_version(dataset_id, staged, row_count=rows, table_schema={"fields": fields}, source={}, report={},
                         meta=meta)
    if status:
        store.set_status(dataset_id, status)


def _box(x0: int, x1: int) -> str:
    return f"ST_SetCRS(ST_MakeEnvelope({x0}, 560000, {x1}, 570000), 'EPSG:28992')"


def _regions(store: Store) -> None:
    geometry = {"name": "geometry", "type": "geometry"}
    text = {"type": "string"}
    _commit(store, "gemeenten", f"SELECT 'GM0001' AS code, 'Oostdorp' AS naam, {_box(200000, 210000)} AS geometry "
                                f"UNION ALL SELECT 'GM0002', 'Westerveen', {_box(210000, 220000)} ORDER BY code",
            [{"name": "code", **text}, {"name": "naam", **text}, geometry], 2, {"title": "Gemeenten"})
    wijken = " UNION ALL ".join(f"SELECT '{c}' AS code, 'Wijk {c[-3:]}' AS naam, '{gm}' AS gemeente_code, "
                                f"{_box(x0, x1)} AS geometry" for c, (x0, x1, gm) in WIJKEN.items())
    _commit(store, "wijken", wijken, [{"name": "code", **text}, {"name": "naam", **text},
                                      {"name": "gemeente_code", **text}, geometry], len(WIJKEN), {"title": "Wijken"})
    buurten = " UNION ALL ".join(f"SELECT '{c}' AS code, 'Buurt {c[-4:]}' AS naam, '{wk}' AS wijk_code, "
                                 f"{_box(x0, x1)} AS geometry" for c, (x0, x1, wk) in BUURTEN.items())
    _commit(store, "buurten", buurten, [{"name": "code", **text}, {"name": "naam", **text},
                                        {"name": "wijk_code", **text}, geometry], len(BUURTEN), {"title": "Buurten"})


def _codes(code: str) -> tuple[str, str | None, str | None]:
    """The gm_code, wk_code and bu_code of a row about `code`, as geo-keying fills them in."""
    if code.startswith("BU"):
        wijk = "WK" + code[2:8]
        return WIJKEN[wijk][2], wijk, code
    if code.startswith("WK"):
        return WIJKEN[code][2], code, None
    return code, None, None


def _keyed_table(store: Store) -> None:
    rows = []
    for year, values in INWONERS.items():
        for code, people in values.items():
            gm, wk, bu = (f"'{c}'" if c else "NULL" for c in _codes(code))
            rows.append(f"SELECT '{code}' AS regio, {gm} AS gm_code, {wk} AS wk_code, {bu} AS bu_code, "
                        f"{year} AS jaar, {people} AS inwoners, {people / 10} AS dichtheid")
    rows.append("SELECT 'GM9999', 'GM9999', NULL, NULL, 2024, 7, 0.7")  # a code without a boundary
    fields = [{"name": "regio", "type": "string"}, {"name": "gm_code", "type": "string"},
              {"name": "wk_code", "type": "string"}, {"name": "bu_code", "type": "string"},
              {"name": "jaar", "type": "year"}, {"name": "inwoners", "type": "integer"},
              {"name": "dichtheid", "type": "number"}]
    _commit(store, "inwoners", " UNION ALL ".join(rows), fields, len(rows),
            {"title": {"nl": "Inwoners per gebied", "en": "Residents per region"}})
    _commit(store, "inwoners-intern", " UNION ALL ".join(rows), fields, len(rows), {"title": "Intern"}, status=None)
    # Only neighbourhood rows: a municipality's value is the sum (or mean) of its neighbourhoods.
    buurt_rows = " UNION ALL ".join(
        f"SELECT '{gm}' AS gm_code, '{wk}' AS wk_code, '{bu}' AS bu_code, {n} AS woningen"
        for bu, n in (("BU00010000", 10), ("BU00010001", 30), ("BU00010100", 20), ("BU00020000", 40))
        for gm, wk, _ in [_codes(bu)])
    fields = [{"name": "gm_code", "type": "string"}, {"name": "wk_code", "type": "string"},
              {"name": "bu_code", "type": "string"}, {"name": "woningen", "type": "integer"}]
    _commit(store, "woningen", buurt_rows, fields, 4, {"title": "Woningen"})


def _daily(store: Store) -> None:
    """Reports per day over more than a year: the period column as geo-keying writes it (ISO dates)."""
    _commit(store, "meldingen", f"""
        SELECT strftime(DATE '2023-01-01' + i::INTEGER, '%Y-%m-%d') AS period,
               CASE WHEN i % 2 = 0 THEN 'GM0001' ELSE 'GM0002' END AS gm_code, 1 + i % 3 AS aantal
        FROM range({DAYS}) t(i)""", [{"name": "period", "type": "string"}, {"name": "gm_code", "type": "string"},
                                     {"name": "aantal", "type": "integer"}], DAYS, {"title": "Meldingen"})


def _geodata(store: Store) -> None:
    point_fields = [{"name": "nummer", "type": "integer"}, {"name": "naam", "type": "string"},
                    {"name": "geometry", "type": "geometry"}]
    _commit(store, "punten", f"""
        SELECT i AS nummer, 'punt ' || i AS naam,
               ST_SetCRS(ST_Point(200000 + (i * 7919) % 20000, 560000 + (i * 104729) % 10000), 'EPSG:28992')
               AS geometry FROM range({POINTS}) t(i)""", point_fields, POINTS, {"title": "Punten"})
    # Small squares (10 m) where the first SQUARES points are: shapes, too many to draw at a low zoom.
    _commit(store, "vlakjes", f"""
        SELECT i AS nummer, ST_SetCRS(ST_MakeEnvelope(x, y, x + 10, y + 10), 'EPSG:28992') AS geometry
        FROM (SELECT i, 200000 + (i * 7919) % 20000 AS x, 560000 + (i * 104729) % 10000 AS y FROM range({SQUARES}) t(i))
        """, [{"name": "nummer", "type": "integer"}, {"name": "geometry", "type": "geometry"}], SQUARES,
            {"title": "Vlakjes"})
    # A circle of 2,000 vertices (radius 4 km) around the middle of GM0001: plenty to simplify.
    ring = ", ".join(f"{205000 + 4000 * math.cos(k * math.pi / 1000):.3f} "
                     f"{565000 + 4000 * math.sin(k * math.pi / 1000):.3f}" for k in range(2000))
    first = ring.split(", ")[0]
    _commit(store, "cirkel", f"SELECT 'rond' AS naam, ST_SetCRS(ST_GeomFromText('POLYGON(({ring}, {first}))'), "
                             "'EPSG:28992') AS geometry", [{"name": "naam", "type": "string"},
                                                           {"name": "geometry", "type": "geometry"}], 1,
            {"title": "Cirkel"})
    _commit(store, "punten-concept", "SELECT 1 AS n, ST_SetCRS(ST_Point(205000, 565000), 'EPSG:28992') AS geometry",
            [{"name": "n", "type": "integer"}, {"name": "geometry", "type": "geometry"}], 1, {"title": "Concept"},
            status=None)


def _withheld(store: Store) -> None:
    """Open datasets with columns some may not read: names of people, and (once) the place itself."""
    rule = {"scope": "kaart.intern", "reason": "5.1.2e"}
    _commit(store, "meldpunten", """
        SELECT i AS nummer, 'Persoon ' || i AS melder, CASE WHEN i % 2 = 0 THEN 'afval' ELSE 'licht' END AS soort,
               ST_SetCRS(ST_Point(202000 + i * 10, 562000), 'EPSG:28992') AS geometry FROM range(50) t(i)""",
            [{"name": "nummer", "type": "integer"}, {"name": "melder", "type": "string"},
             {"name": "soort", "type": "string"}, {"name": "geometry", "type": "geometry"}], 50,
            {"title": "Meldpunten"})
    store.set_access("meldpunten", "open", {"columns": {"melder": rule}})
    for finding in open_findings(store, "meldpunten"):  # the points are street furniture, not homes
        if finding.column != "melder":
            accept(store, "meldpunten", finding.column, "places of street-furniture reports, not dwellings")
    _commit(store, "adressen", "SELECT 1 AS n, ST_SetCRS(ST_Point(205000, 565000), 'EPSG:28992') AS geometry",
            [{"name": "n", "type": "integer"}, {"name": "geometry", "type": "geometry"}], 1, {"title": "Adressen"})
    store.set_access("adressen", "open", {"columns": {"geometry": rule}})
    inwoners = store.version("inwoners")
    _commit(store, "inwoners-deels", f"SELECT * FROM read_parquet('{store.path_of(inwoners)}')", inwoners.fields,
            inwoners.row_count, {"title": "Inwoners, deels"})
    store.set_access("inwoners-deels", "open", {"columns": {"inwoners": rule}})


def build(home: Path) -> Settings:
    settings = Settings(home=home, admin_token=TOKEN)
    store = Store.open(settings)
    try:
        _regions(store)
        _keyed_table(store)
        _daily(store)
        _geodata(store)
        _withheld(store)
    finally:
        store.close()
    return settings
