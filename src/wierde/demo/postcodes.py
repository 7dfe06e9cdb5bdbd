"""Demo postcode table (PC6 → neighbourhood, district, municipality), so data with only a postcode gets a place too.

Addresses are sampled as points inside each neighbourhood (as many as it has households in the population data);
points close together share a PC6, and each district's PC6 postcodes are cut into PC4 areas along a sweep over the
map, so a PC4 can span neighbourhoods as real ones do. PC4 numbers follow the real first digits of each
municipality (Groningen 97xx, Delfzijl and Appingedam 99xx, Leek 93xx, Winschoten 96xx ...), all within 9300–9999.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import shapely

from wierde.demo import neighbourhoods as nb
from wierde.demo.base import Metadata, Output, Text, csv_options, rng, split_total
from wierde.demo.geometry import Area, Province
from wierde.demo.population import households, neighbourhood_inhabitants
from wierde.demo.writers import write_csv

# Where each municipality's PC4 numbers start; the ranges must not meet (checked when numbering).
PC4_START = {
    "GM1969": 9350, "GM0037": 9500, "GM1950": 9540, "GM1952": 9600, "GM0047": 9640, "GM0765": 9660,
    "GM1895": 9670, "GM0014": 9711, "GM1979": 9900, "GM1966": 9950,
}
ADDRESSES_PER_PC6 = 17  # the Dutch average is about this many addresses per PC6
PC6_PER_PC4 = 220
# PostNL leaves out F, I, O, Q, U and Y (too easily misread) and the pairs SA, SD and SS.
_LETTERS = "ABCDEGHJKLMNPRSTVWXZ"
PAIRS = tuple(a + b for a, b in itertools.product(_LETTERS, repeat=2) if a + b not in ("SA", "SD", "SS"))


@dataclass(frozen=True)
class Pc6:
    """One PC6 area: where its addresses are centred (RD), how many there are, and the neighbourhood it lies in."""

    x: float
    y: float
    addresses: int
    buurt: Area


def _points_inside(area: Area, count: int, seed: int) -> np.ndarray:
    """`count` points spread at random inside the neighbourhood (RD), by rejection from its bounding box."""
    generator = np.random.default_rng(seed)
    x0, y0, x1, y1 = area.rd.bounds
    shapely.prepare(area.rd)
    found = np.empty((0, 2))
    while len(found) < count:
        batch = generator.uniform((x0, y0), (x1, y1), size=(max(64, count * 4), 2))
        found = np.vstack([found, batch[shapely.contains_xy(area.rd, batch[:, 0], batch[:, 1])]])
    return found[:count]


def _addresses(b: Area, inhabitants: int) -> int:
    homes = households(b.profile, 2025, inhabitants)
    return max(homes, 40) if b.profile == nb.BEDRIJVEN else max(homes, 3)  # firms have postcodes too


def _pc6_areas(b: Area, inhabitants: int) -> list[Pc6]:
    r = rng("postcodes", b.code)
    total = _addresses(b, inhabitants)
    count = max(1, round(total / ADDRESSES_PER_PC6))
    points = _points_inside(b, count, r.getrandbits(32))
    sizes = split_total(total, [r.uniform(0.5, 1.5) for _ in range(count)])
    return [Pc6(float(x), float(y), n, b) for (x, y), n in zip(points, sizes, strict=True)]


def _sweep(areas: list[Pc6]) -> list[Pc6]:
    """Bands of 300 m from north to south, west to east in each: neighbours on the map stay neighbours in order."""
    return sorted(areas, key=lambda a: (-math.floor(a.y / 300), a.x))


def _district_pc4s(areas: list[Pc6]) -> list[list[Pc6]]:
    """A district's PC6 areas in swept order, cut into PC4 areas of about equal size."""
    ordered = _sweep(areas)
    parts = max(1, math.ceil(len(ordered) / PC6_PER_PC4))
    bounds = [round(i * len(ordered) / parts) for i in range(parts + 1)]
    return [ordered[lo:hi] for lo, hi in itertools.pairwise(bounds)]


def rows(province: Province) -> list[list[object]]:
    """(postcode, pc4, bu_code, wk_code, gm_code, adressen), one row per PC6, in postcode order."""
    people = {code: series[-1] for code, series in neighbourhood_inhabitants(province).items()}
    result: list[list[object]] = []
    next_pc4 = dict(PC4_START)
    limits = _limits()
    for wijk in province.wijken:
        members = [b for b in province.buurten if b.parent == wijk.code]
        areas = [a for b in members for a in _pc6_areas(b, people[b.code])]
        for group in _district_pc4s(areas):
            pc4 = next_pc4[wijk.gemeente]
            if pc4 >= limits[wijk.gemeente]:
                raise ValueError(f"{wijk.gemeente} has more PC4 areas than its range from {PC4_START[wijk.gemeente]}")
            next_pc4[wijk.gemeente] = pc4 + 1
            for pair, area in zip(PAIRS[: len(group)], _sweep(group), strict=True):  # PC6_PER_PC4 < len(PAIRS)
                b = area.buurt
                result.append([f"{pc4}{pair}", str(pc4), b.code, b.parent, b.gemeente, area.addresses])
    return sorted(result, key=lambda row: str(row[0]))


def _limits() -> dict[str, int]:
    """The first number each municipality may not use: the next municipality's start, or 10000."""
    ordered = sorted(PC4_START.items(), key=lambda item: item[1])
    return {code: (ordered[i + 1][1] if i + 1 < len(ordered) else 10000) for i, (code, _) in enumerate(ordered)}


def postcodes(province: Province, target: Path) -> Output:
    path = target / "postcodes.csv"
    write_csv(path, ("postcode", "pc4", "bu_code", "wk_code", "gm_code", "adressen"), rows(province))
    meta = Metadata(
        title=Text("Postcodes naar buurt, wijk en gemeente", "Postcodes by neighbourhood, district and municipality"),
        description=Text(
            "Elke zescijferige postcode (PC6) van de provincie met de buurt, wijk en gemeente waarin hij ligt en het "
            "aantal adressen. Wierde gebruikt deze tabel om gegevens met alleen een postcode (PC6 of PC4) aan "
            "regio's te koppelen.",
            "Every six-character postcode (PC6) in the province with the neighbourhood, district and municipality "
            "it lies in and its number of addresses. Wierde uses this table to key data that only has a postcode "
            "(PC6 or PC4) to regions.",
        ),
        keywords_nl=("postcode", "buurt", "adressen"),
        keywords_en=("postcode", "neighbourhood", "addresses"),
        themes=("REGI",),
        temporal=(date(2025, 1, 1), date(2025, 12, 31)),
        accrual_periodicity="annual",
        issued=date(2025, 1, 10),
        modified=date(2025, 2, 3),
    )
    types = {"postcode": "string", "pc4": "string", "bu_code": "string", "wk_code": "string", "gm_code": "string",
             "adressen": "integer"}
    return Output("postcodes", path, meta, csv_options(types))
