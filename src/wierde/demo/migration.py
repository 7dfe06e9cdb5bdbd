"""Demo moves between municipalities: students to the city, families to its villages, the east loses."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

from wierde.demo.base import Metadata, Output, Text, csv_options, rng
from wierde.demo.geometry import Province
from wierde.demo.population import EAST, YEARS, municipal_totals
from wierde.demo.writers import write_csv

CITY = "GM0014"
SUBURBS = {"GM1969", "GM1966", "GM1952"}  # where families from the city settle
MOVE_YEARS = tuple(y for y in YEARS if y < 2025)  # moves during a calendar year
SCALE = 0.00085  # calibrated so about 13,000 people a year move between the province's municipalities


def _attraction(origin: str, dest: str) -> float:
    """How much more (or less) likely a move is than distance and size alone say."""
    if dest == CITY:
        return 1.45 if origin in EAST else 1.25  # students and starters
    if origin == CITY:
        return 1.45 if dest in SUBURBS else 0.75  # families leave for the villages around the city
    return 0.9 if dest in EAST else 1.0


def flows(province: Province, year: int) -> dict[tuple[str, str], int]:
    """Moves from one municipality to another in `year` (a gravity model with the asymmetries above)."""
    i = YEARS.index(year)
    pop = {g.code: municipal_totals(g.code)[i] for g in province.gemeenten}
    centre = {g.code: g.rd.centroid for g in province.gemeenten}
    r = rng("migratie", year)
    result = {}
    for a in province.gemeenten:
        for b in province.gemeenten:
            if a.code == b.code:
                continue
            km = centre[a.code].distance(centre[b.code]) / 1000
            raw = SCALE * (1 + 0.01 * (year - 2015)) * (pop[a.code] * pop[b.code]) ** 0.8 / (km + 8) ** 1.6
            noise = math.exp(r.gauss(0, 0.08))
            result[(a.code, b.code)] = round(raw * _attraction(a.code, b.code) * noise)
    return result


def _rows(province: Province) -> list[list[object]]:
    names = {g.code: g.name for g in province.gemeenten}
    rows: list[list[object]] = []
    for year in MOVE_YEARS:
        moves = flows(province, year)
        for (a, b), n in moves.items():
            rows.append([year, a, names[a], b, names[b], n, n - moves[(b, a)]])
    return rows


def migratie(province: Province, target: Path) -> Output:
    path = target / "migratie.csv"
    header = ("jaar", "van_gemeente_code", "van_gemeente_naam", "naar_gemeente_code", "naar_gemeente_naam",
              "verhuizingen", "saldo")
    write_csv(path, header, _rows(province))
    meta = Metadata(
        title=Text("Verhuizingen tussen Groninger gemeenten", "Moves between Groningen municipalities"),
        description=Text(
            "Aantal personen dat per jaar (2015–2024) verhuisde van de ene naar de andere gemeente in de provincie. "
            "Saldo = verhuizingen van → naar min verhuizingen naar → van (binnenlands migratiesaldo van de "
            "bestemmingsgemeente ten opzichte van de herkomstgemeente).",
            "Number of people who moved from one municipality of the province to another per year (2015–2024). "
            "Saldo = moves from → to minus moves to → from (net internal migration of the destination relative to "
            "the origin).",
        ),
        keywords_nl=("migratie", "verhuizingen", "bevolking", "saldo"),
        keywords_en=("migration", "moves", "population", "net migration"),
        themes=("SOCI", "REGI"),
        temporal=(date(2015, 1, 1), date(2024, 12, 31)),
        accrual_periodicity="annual",
        issued=date(2016, 6, 1),
        modified=date(2025, 4, 2),
    )
    types = {"jaar": "year", "van_gemeente_code": "string", "naar_gemeente_code": "string", "verhuizingen": "integer",
             "saldo": "integer"}
    return Output("migratie", path, meta, csv_options(types))
