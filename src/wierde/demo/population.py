"""Demo population 2015–2025 per neighbourhood: the city grows, the east shrinks, Ter Apel shows up.

Neighbourhoods add up exactly to districts, municipalities and the province.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

from wierde.demo import neighbourhoods as nb
from wierde.demo.base import Metadata, Output, Text, csv_options, rng, split_total
from wierde.demo.geometry import Area, Province
from wierde.demo.writers import write_csv

YEARS = tuple(range(2015, 2026))
# Inhabitants on 1 January 2015 and 2025 (plausible, rounded; the 2015 figure uses today's boundaries).
ANCHORS = {
    "GM0014": (226_800, 246_500), "GM1966": (48_700, 48_050), "GM1969": (62_400, 65_900),
    "GM1952": (60_900, 61_500), "GM1979": (47_100, 44_800), "GM1895": (38_600, 38_100),
    "GM0765": (12_400, 11_950), "GM0037": (32_600, 31_450), "GM0047": (27_600, 27_250),
    "GM1950": (26_200, 25_600),
}
EAST = {"GM1895", "GM0765", "GM0037", "GM0047", "GM1950"}
# profile: (typical inhabitants, yearly growth, persons per household, age shares 0-14/15-24/25-44/45-64/65+)
PROFILES: dict[str, tuple[float, float, float, tuple[float, ...]]] = {
    nb.CENTRUM: (3500, 0.010, 1.45, (0.05, 0.38, 0.33, 0.13, 0.11)),
    nb.OUD: (3000, 0.004, 1.70, (0.09, 0.25, 0.36, 0.17, 0.13)),
    nb.NAOORLOGS: (3500, 0.000, 1.90, (0.13, 0.15, 0.27, 0.23, 0.22)),
    nb.JAREN70: (4500, -0.006, 2.00, (0.15, 0.12, 0.24, 0.28, 0.21)),
    nb.NIEUW: (2500, 0.015, 2.30, (0.20, 0.10, 0.33, 0.25, 0.12)),
    nb.NIEUWBOUW: (0, 0.0, 2.50, (0.25, 0.07, 0.40, 0.22, 0.06)),
    nb.KERN: (3500, -0.002, 2.00, (0.12, 0.11, 0.21, 0.27, 0.29)),
    nb.WIJK: (2600, -0.004, 2.10, (0.14, 0.11, 0.22, 0.28, 0.25)),
    nb.DORP: (800, -0.006, 2.25, (0.14, 0.10, 0.20, 0.30, 0.26)),
    nb.VERSPREID: (250, -0.012, 2.40, (0.13, 0.10, 0.19, 0.33, 0.25)),
    nb.BEDRIJVEN: (30, 0.0, 1.50, (0.05, 0.40, 0.35, 0.12, 0.08)),
}
COLUMNS = ("inwoners", "mannen", "vrouwen", "leeftijd_0_14", "leeftijd_15_24", "leeftijd_25_44",
           "leeftijd_45_64", "leeftijd_65_plus", "huishoudens")


def municipal_totals(code: str) -> list[int]:
    """Inhabitants per year: a smooth trend between the anchors with a little noise and the known bumps."""
    start, end = ANCHORS[code]
    r = rng("bevolking-gemeente", code)
    totals = []
    for y in YEARS:
        t = (y - 2015) / 10
        value = start * (end / start) ** t
        if 2015 < y < 2025:
            value *= 1 + r.gauss(0, 0.0015)
        if code == "GM0014" and y in (2021, 2022):
            value *= 0.996  # students stayed at their parents' during the pandemic
        if code == "GM1950":
            value += {2023: 650, 2024: 800, 2025: 500}.get(y, 0)  # the crowded reception centre at Ter Apel
        totals.append(round(value))
    return totals


def _weight(b: Area, year: int, base: float) -> float:
    """How many people a neighbourhood would have in `year` before scaling to its municipality's total."""
    if b.profile == nb.NIEUWBOUW:
        return base / (1 + math.exp(-(year - 2021) / 1.6))  # Meerstad filling up
    growth = PROFILES[b.profile][1] - (0.004 if b.gemeente in EAST else 0.0)
    value = base * math.exp(growth * (year - 2015))
    if b.name == "Ter Apel-Zuid" and year >= 2022:
        value += 1800
    return value


def neighbourhood_inhabitants(province: Province) -> dict[str, list[int]]:
    """Inhabitants per neighbourhood per year; each year's neighbourhoods add up to the municipal total."""
    result: dict[str, list[int]] = {b.code: [] for b in province.buurten}
    for g in province.gemeenten:
        members = [b for b in province.buurten if b.gemeente == g.code]
        bases = {b.code: _base(b) for b in members}
        totals = municipal_totals(g.code)
        for i, year in enumerate(YEARS):
            parts = split_total(totals[i], [_weight(b, year, bases[b.code]) for b in members])
            for b, n in zip(members, parts, strict=True):
                result[b.code].append(n)
    return result


def _base(b: Area) -> float:
    r = rng("bevolking-buurt", b.code)
    typical = 3000.0 if b.profile == nb.NIEUWBOUW else PROFILES[b.profile][0]
    spread = 0.6 if b.profile in (nb.DORP, nb.VERSPREID) else 0.3
    return typical * math.exp(r.gauss(0, spread))


def households(profile: str, year: int, inhabitants: int) -> int:
    """Households: household size follows the profile and shrinks slowly, as it does nationally."""
    size = PROFILES[profile][2] * (1 - 0.003 * (year - 2015))
    return round(inhabitants / size)


def _record(b: Area, year: int, inhabitants: int) -> list[int]:
    r = rng("bevolking-opbouw", b.code)
    shares = [s * math.exp(r.gauss(0, 0.08)) for s in PROFILES[b.profile][3]]
    if b.profile in (nb.KERN, nb.WIJK, nb.DORP, nb.VERSPREID, nb.JAREN70):
        ageing = 0.004 * (year - 2015)  # the countryside greys faster than the city
        shares[4] += ageing
        shares[2] -= ageing / 2
        shares[3] -= ageing / 2
    male_share = r.uniform(0.485, 0.51) + (0.06 if b.name == "Ter Apel-Zuid" and year >= 2022 else 0.0)
    men = round(inhabitants * male_share)
    return [inhabitants, men, inhabitants - men, *split_total(inhabitants, shares),
            households(b.profile, year, inhabitants)]


Level = tuple[str, str, str, str, list[Area]]


def region_levels(province: Province) -> list[Level]:
    """Every region with the neighbourhoods it adds up: (code, name, level, municipality, members)."""
    levels: list[Level] = [("PV20", "Groningen", "provincie", "", list(province.buurten))]
    for g in province.gemeenten:
        levels.append((g.code, g.name, "gemeente", g.code, [b for b in province.buurten if b.gemeente == g.code]))
    for w in province.wijken:
        levels.append((w.code, w.name, "wijk", w.gemeente, [b for b in province.buurten if b.parent == w.code]))
    levels.extend((b.code, b.name, "buurt", b.gemeente, [b]) for b in province.buurten)
    return levels


def _rows(province: Province) -> list[list[object]]:
    series = neighbourhood_inhabitants(province)
    levels = region_levels(province)
    rows: list[list[object]] = []
    for i, year in enumerate(YEARS):
        records = {b.code: _record(b, year, series[b.code][i]) for b in province.buurten}
        for code, name, level, gm, members in levels:
            sums = [sum(col) for col in zip(*(records[m.code] for m in members), strict=True)]
            rows.append([code, name, level, gm, year, *sums])
    return rows


def bevolking(province: Province, target: Path) -> Output:
    path = target / "bevolking.csv"
    write_csv(path, ("regio_code", "regio_naam", "regio_niveau", "gemeente_code", "jaar", *COLUMNS),
              _rows(province))
    meta = Metadata(
        title=Text("Bevolking per gemeente, wijk en buurt", "Population by municipality, district and neighbourhood"),
        description=Text(
            "Inwoners op 1 januari 2015–2025 naar geslacht en leeftijdsgroep, en het aantal huishoudens, voor de "
            "provincie, de gemeenten, wijken en buurten. De stad Groningen groeit; Oost-Groningen en de Eemsdelta "
            "krimpen licht. Buurten met weinig inwoners zijn niet afgeschermd.",
            "Inhabitants on 1 January 2015–2025 by sex and age group, and the number of households, for the "
            "province, its municipalities, districts and neighbourhoods. The city of Groningen grows; the east and "
            "Eemsdelta shrink slightly. Neighbourhoods with few inhabitants are not suppressed.",
        ),
        keywords_nl=("bevolking", "inwoners", "leeftijd", "huishoudens", "krimp"),
        keywords_en=("population", "inhabitants", "age", "households", "shrinkage"),
        themes=("SOCI", "REGI"),
        temporal=(date(2015, 1, 1), date(2025, 1, 1)),
        accrual_periodicity="annual",
        issued=date(2016, 4, 1),
        modified=date(2025, 3, 14),
        spatial=("PV20",),
    )
    types = {"regio_code": "string", "gemeente_code": "string", "jaar": "year", **{c: "integer" for c in COLUMNS}}
    return Output("bevolking", path, meta, csv_options(types))
