"""Demo ground level per neighbourhood relative to NAP, with subsidence from gas extraction.

Low peat and clay polders around Groningen and in the Oldambt, sand ridges in the south-east, wierden
in the north.
"""

from __future__ import annotations

import functools
import math
from datetime import date
from pathlib import Path

from wierde.demo.base import Metadata, Output, Text, csv_options, rng
from wierde.demo.geometry import Area, Province, rd_xy
from wierde.demo.neighbourhoods import CENTRUM, DORP, KERN
from wierde.demo.writers import nl_decimal, write_csv

# Typical ground level (m NAP) at known spots; the level elsewhere is a distance-weighted mix of these.
LEVELS: tuple[tuple[float, float, float], ...] = (
    (6.567, 53.219, 2.0), (6.605, 53.173, 4.5), (6.630, 53.142, 3.0), (6.665, 53.118, 5.0), (6.700, 53.130, -0.9),
    (6.720, 53.147, -1.0), (6.712, 53.169, -1.8), (6.675, 53.186, -1.5), (6.670, 53.210, -1.6),
    (6.680, 53.217, -1.2), (6.805, 53.218, -0.8), (6.760, 53.162, 0.0), (6.794, 53.161, 0.2),
    (6.862, 53.162, -0.6), (6.872, 53.133, 1.0), (6.876, 53.107, 1.8), (6.865, 53.077, 2.5), (6.950, 52.990, 4.5),
    (7.013, 52.932, 6.0), (7.064, 52.876, 11.0), (7.151, 52.945, 12.0), (7.107, 53.028, 6.0), (7.191, 53.007, 5.0),
    (7.167, 53.117, 1.0), (7.034, 53.144, 1.5), (7.010, 53.182, -1.8), (7.011, 53.195, -0.5), (7.088, 53.198, -0.8),
    (7.196, 53.183, 0.0), (7.100, 53.260, 0.8), (7.035, 53.299, 1.0), (6.919, 53.330, 1.2), (6.858, 53.321, 0.5),
    (6.746, 53.332, 0.3), (6.696, 53.276, -0.3), (6.647, 53.247, -0.4), (6.602, 53.300, 0.2), (6.517, 53.330, 0.5),
    (6.671, 53.408, 1.0), (6.830, 53.440, 2.5), (6.560, 53.392, 1.0), (6.452, 53.400, 1.0), (6.379, 53.362, 0.6),
    (6.298, 53.337, 0.3), (6.209, 53.405, 1.5), (6.240, 53.370, -0.5), (6.404, 53.247, 0.5), (6.307, 53.263, -0.3),
    (6.272, 53.211, 0.8), (6.379, 53.161, 2.5), (6.263, 53.145, 2.0), (6.199, 53.167, 3.0), (6.458, 53.256, -0.3),
    (6.444, 53.317, 0.3), (6.503, 53.213, 0.0), (6.565, 53.180, 0.5),
)
WIERDEN = {"GM1966", "GM1979", "GM1969"}  # the terp landscape of the north
SUBSIDENCE_CENTRE = (6.75, 53.33)  # Loppersum: the deepest point of the gas-extraction subsidence bowl
SUBSIDENCE_MAX_CM = 36.0


@functools.cache
def _levels_rd() -> tuple[tuple[float, float, float], ...]:
    return tuple((*rd_xy(lon, lat), level) for lon, lat, level in LEVELS)


def ground_level(x: float, y: float) -> float:
    """Inverse-distance-weighted ground level (m NAP) at an RD point."""
    total = weight_sum = 0.0
    for ax, ay, level in _levels_rd():
        d = math.dist((x, y), (ax, ay))
        w = 1 / (d * d + 250_000)  # the constant keeps the field smooth near an anchor
        total += w * level
        weight_sum += w
    return total / weight_sum


def subsidence_cm(x: float, y: float) -> float:
    """Cumulative subsidence from gas extraction: a bowl around Loppersum."""
    d = math.dist((x, y), rd_xy(*SUBSIDENCE_CENTRE))
    return SUBSIDENCE_MAX_CM * math.exp(-((d / 14_000) ** 2))


def _profile(b: Area) -> list[object]:
    r = rng("hoogte", b.code)
    c = b.rd.representative_point()
    sink = subsidence_cm(c.x, c.y)
    mean = ground_level(c.x, c.y) + r.gauss(0, 0.25) - sink / 100
    if b.profile == CENTRUM:
        mean += 1.2  # old centres were built on the higher ground
    spread = 0.5 + abs(r.gauss(0, 0.5)) + min(2.0, b.rd.area / 20e6)
    low = mean - spread * r.uniform(0.8, 1.3)
    high = mean + spread * r.uniform(0.8, 1.5)
    if b.profile in (DORP, KERN) and b.gemeente in WIERDEN:
        high += r.uniform(1.5, 4.0)  # the village sits on a wierde
    below = 100 * _normal_cdf(-mean / max(spread / 1.5, 0.1))
    return [b.code, b.name, b.gemeente, nl_decimal(mean, 2), nl_decimal(low, 2), nl_decimal(high, 2),
            nl_decimal(below, 1), nl_decimal(sink, 1)]


def _normal_cdf(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def hoogte(province: Province, target: Path) -> Output:
    path = target / "hoogte.csv"
    header = ("buurt_code", "buurt_naam", "gemeente_code", "gemiddelde_hoogte_m_nap", "laagste_punt_m_nap",
              "hoogste_punt_m_nap", "aandeel_onder_nap_pct", "bodemdaling_gaswinning_cm")
    write_csv(path, header, (_profile(b) for b in province.buurten), delimiter=";")
    meta = Metadata(
        title=Text("Maaiveldhoogte per buurt", "Ground level per neighbourhood"),
        description=Text(
            "Gemiddelde, laagste en hoogste maaiveldhoogte per buurt in meters ten opzichte van NAP, het aandeel "
            "van de buurt onder NAP en de bodemdaling door gaswinning sinds 1972 (cm), afgeleid van een "
            "hoogtemodel zoals het AHN. Decimalen met een komma.",
            "Mean, lowest and highest ground level per neighbourhood in metres relative to NAP (Amsterdam Ordnance "
            "Datum), the share of the neighbourhood below NAP and subsidence from gas extraction since 1972 (cm), "
            "derived from an elevation model such as the AHN. Decimal comma.",
        ),
        keywords_nl=("hoogte", "NAP", "maaiveld", "bodemdaling", "AHN"),
        keywords_en=("elevation", "NAP", "ground level", "subsidence", "AHN"),
        themes=("ENVI", "REGI"),
        temporal=(date(2020, 1, 1), date(2022, 12, 31)),
        accrual_periodicity="irregular",
        issued=date(2023, 6, 20),
        modified=date(2023, 6, 20),
        licence="CC0-1.0",
    )
    types = {"buurt_code": "string", "gemeente_code": "string", **{h: "number" for h in header[3:]}}
    return Output("hoogte", path, meta, csv_options(types, delimiter=";"))
