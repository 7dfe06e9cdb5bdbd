"""Demo catalogue of induced earthquakes above the Groningen gas field, 1991–2025, with real anchor events.

Epicentres cluster around Loppersum; the yearly count rises to a peak around 2013 and fades after
production was cut and stopped; magnitudes follow Gutenberg–Richter.
"""

from __future__ import annotations

import math
import random
from datetime import date, timedelta
from pathlib import Path

from wierde.demo.base import Metadata, Output, Text, csv_options, poisson, rng
from wierde.demo.geometry import Province, rd_xy, wgs_xy
from wierde.demo.places import PLACES
from wierde.demo.writers import write_csv

END = date(2025, 9, 30)
B_VALUE = 1.0  # Gutenberg–Richter slope
# Real, widely reported events (UTC); the generated ones stay below them.
ANCHORS = (
    (date(2006, 8, 8), "05:04:00", "Westeremden", 53.348, 6.699, 3.5),
    (date(2012, 8, 16), "18:30:33", "Huizinge", 53.345, 6.672, 3.6),
    (date(2013, 2, 7), "22:19:00", "Zandeweer", 53.377, 6.673, 3.2),
    (date(2018, 1, 8), "13:00:52", "Zeerijp", 53.363, 6.751, 3.4),
    (date(2019, 5, 22), "01:48:58", "Westeremden", 53.338, 6.712, 3.4),
)
# Where the field shakes: centre (lon, lat), spread in km, weight.
CLUSTERS = (
    (6.725, 53.350, 3.5, 0.40), (6.780, 53.305, 3.0, 0.14), (6.835, 53.235, 3.0, 0.12), (6.700, 53.280, 3.0, 0.09),
    (6.765, 53.200, 3.0, 0.08), (6.875, 53.295, 3.0, 0.07), (6.665, 53.390, 3.0, 0.06), (6.620, 53.310, 3.0, 0.04),
)


def yearly_rate(year: int) -> float:
    """Expected events of magnitude 1.0 or more: growth with production, a peak in 2013, decline after the cuts."""
    if year <= 2002:
        return 2 + (year - 1991) * 10 / 11
    if year <= 2013:
        return 12 + (year - 2002) * 48 / 11
    later = {2014: 55, 2015: 40, 2016: 30, 2017: 28, 2018: 27, 2019: 30, 2020: 26, 2021: 22, 2022: 18, 2023: 12,
             2024: 9, 2025: 5}
    return float(later[year])


def _magnitude(r: random.Random, smallest: float) -> float:
    while True:
        m = smallest - math.log10(1 - r.random()) / B_VALUE
        if m <= 3.3:
            return round(m, 1)


def _epicentre(r: random.Random, province: Province) -> tuple[float, float]:
    weights = [c[3] for c in CLUSTERS]
    lon, lat, km, _ = r.choices(CLUSTERS, weights)[0]
    cx, cy = rd_xy(lon, lat)
    while True:
        x, y = cx + r.gauss(0, km * 1000), cy + r.gauss(0, km * 1000)
        lon2, lat2 = wgs_xy(x, y)
        if province.locate(lon2, lat2):
            return lon2, lat2


def _nearest_village(lon: float, lat: float) -> str:
    return min(PLACES, key=lambda n: math.dist((lon, lat * 1.65), (PLACES[n][0], PLACES[n][1] * 1.65)))


def _event(province: Province, day: date, clock: str, place: str, lat: float, lon: float, m: float,
           depth: float) -> list[object]:
    code = province.locate(lon, lat) or province.nearest(lon, lat)
    lon, lat = province.place(code, lon, lat, digits=3)
    x, y = rd_xy(lon, lat)
    return [day.isoformat(), clock, place, f"{lat:.3f}", f"{lon:.3f}", round(x), round(y), f"{m:.1f}",
            f"{depth:.1f}", code, "geïnduceerd"]


def catalogue(province: Province) -> list[list[object]]:
    """All events, oldest first."""
    events = [_event(province, d, t, p, la, lo, m, 3.0) for d, t, p, la, lo, m in ANCHORS]
    for year in range(1991, END.year + 1):
        r = rng("aardbevingen", year)
        smallest = 0.5 if year >= 2015 else 1.0  # the denser network from 2015 records smaller events
        last = END if year == END.year else date(year, 12, 31)
        span = (last - date(year, 1, 1)).days
        expected = yearly_rate(year) * 10 ** (B_VALUE * (1.0 - smallest))
        for _ in range(poisson(r, expected)):
            day = date(year, 1, 1) + timedelta(days=r.randint(0, span))
            s = r.randint(0, 86_399)
            clock = f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}"
            lon, lat = _epicentre(r, province)
            depth = 3.0 if year < 2015 else min(3.6, max(2.4, r.gauss(3.0, 0.15)))
            events.append(_event(province, day, clock, _nearest_village(lon, lat), lat, lon,
                                 _magnitude(r, smallest), depth))
    return sorted(events, key=lambda e: (str(e[0]), str(e[1])))


def aardbevingen(province: Province, target: Path) -> Output:
    path = target / "aardbevingen.csv"
    header = ("date", "time", "place", "lat", "lon", "x_rd", "y_rd", "magnitude", "depth_km", "gemeente_code", "type")
    write_csv(path, header, catalogue(province))
    meta = Metadata(
        title=Text("Aardbevingen door gaswinning", "Earthquakes caused by gas extraction"),
        description=Text(
            "Geïnduceerde aardbevingen boven het Groningenveld sinds 1991: datum en tijd (UTC), dichtstbijzijnde "
            "plaats, epicentrum (WGS84 en RD), magnitude (ML) en diepte (km). Vanaf 2015 zijn ook bevingen vanaf "
            "magnitude 0,5 opgenomen. De zwaarste bevingen (Huizinge 2012, M3,6; Zeerijp 2018, M3,4) zijn als "
            "ankerpunten opgenomen.",
            "Induced earthquakes above the Groningen gas field since 1991: date and time (UTC), nearest place, "
            "epicentre (WGS84 and RD), magnitude (ML) and depth (km). From 2015, events from magnitude 0.5 are "
            "included. The strongest events (Huizinge 2012, M3.6; Zeerijp 2018, M3.4) are included as anchors.",
        ),
        keywords_nl=("aardbeving", "gaswinning", "Groningenveld", "seismiciteit", "bodemtrilling"),
        keywords_en=("earthquake", "gas extraction", "Groningen field", "seismicity", "induced"),
        themes=("ENVI", "ENER"),
        temporal=(date(1991, 1, 1), END),
        accrual_periodicity="daily",
        issued=date(2015, 1, 20),
        modified=date(2025, 10, 1),
    )
    types = {"date": "date", "time": "string", "lat": "number", "lon": "number", "x_rd": "integer",
             "y_rd": "integer", "magnitude": "number", "depth_km": "number", "gemeente_code": "string"}
    return Output("aardbevingen", path, meta, csv_options(types))
