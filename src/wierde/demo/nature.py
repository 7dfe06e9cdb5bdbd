"""Demo nature and recreation areas: real places drawn as irregular outlines of about the right size.

Lauwersmeer, Zuidlaardermeer, the Drentsche Aa and others, cut to the province, and the marinas pleasure craft
sail from. Bridges measure their distance to these shapes (see bridges.py), so views need no spatial functions.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from wierde.demo.base import Metadata, Output, Text, rng
from wierde.demo.geometry import Province, rd_xy
from wierde.demo.writers import write_geojson

SBB, NM, GL = "Staatsbosbeheer", "Natuurmonumenten", "Het Groninger Landschap"
# name, kind, manager, centre (lon, lat), half-axes in metres, rotation in degrees
AREAS: tuple[tuple[str, str, str, tuple[float, float], tuple[float, float], float], ...] = (
    ("Nationaal Park Lauwersmeer", "natuurgebied", SBB, (6.245, 53.375), (4500, 3500), 20),
    ("Zuidlaardermeer", "water en natuur", NM, (6.695, 53.135), (2200, 1700), 30),
    ("Kropswolder Buitenpolder", "natuurgebied", GL, (6.715, 53.150), (900, 700), 0),
    ("Drentsche Aa: Glimmer Es en Noordlaarderbos", "natuurgebied", SBB, (6.640, 53.125), (1500, 1000), 10),
    ("Paterswoldsemeer", "recreatiegebied", "Recreatieschap Groningen", (6.560, 53.180), (1200, 800), 0),
    ("Hoornseplas", "recreatiegebied", "Gemeente Groningen", (6.548, 53.188), (450, 350), 0),
    ("Stadspark", "park", "Gemeente Groningen", (6.542, 53.207), (700, 450), 15),
    ("Kardinge", "recreatiegebied", "Gemeente Groningen", (6.612, 53.243), (900, 600), 0),
    ("Woldmeer", "water en recreatie", "Gemeente Groningen", (6.670, 53.205), (1400, 900), 20),
    ("Schildmeer", "water en recreatie", "Recreatieschap Groningen", (6.835, 53.238), (1300, 800), 35),
    ("Oldambtmeer", "water en recreatie", "Gemeente Oldambt", (7.005, 53.185), (2200, 1200), 10),
    ("Dollardkwelders", "natuurgebied", GL, (7.120, 53.255), (3500, 1300), -30),
    ("Kwelders Noord-Groningen", "natuurgebied", GL, (6.600, 53.438), (7000, 1500), 5),
    ("Reitdiepdal", "natuurgebied", GL, (6.490, 53.300), (3500, 1200), 60),
    ("Landgoed Nienoord", "landgoed", "Gemeente Westerkwartier", (6.382, 53.158), (700, 550), 0),
    ("Fraeylemaborg", "landgoed", "Stichting Fraeylemaborg", (6.806, 53.217), (450, 350), 0),
    ("Borg Verhildersum", "landgoed", GL, (6.387, 53.362), (500, 400), 0),
    ("Boswachterij Ter Apel", "bos", SBB, (7.090, 52.880), (2200, 1400), 0),
    ("Westerwoldse Aa-dal", "natuurgebied", SBB, (7.130, 53.010), (2500, 1800), 70),
    ("Vesting Bourtange", "recreatiegebied", "Gemeente Westerwolde", (7.191, 53.007), (400, 400), 0),
    ("Sellingerbos", "bos", SBB, (7.150, 52.935), (1500, 1200), 0),
)
MARINA = "jachthaven"
# Marinas (harbour basins): name, manager, centre (lon, lat), half-axes in metres, rotation in degrees.
MARINAS: tuple[tuple[str, str, tuple[float, float], tuple[float, float], float], ...] = (
    ("Jachthaven Lauwersoog", "Gemeente Het Hogeland", (6.2130, 53.4080), (260, 140), 30),
    ("Jachthaven Zoutkamp", "Gemeente Het Hogeland", (6.3010, 53.3350), (180, 90), 0),
    ("Jachthaven Winsum", "Gemeente Het Hogeland", (6.5185, 53.3275), (120, 60), 20),
    ("Jachthaven Garnwerd", "Gemeente Westerkwartier", (6.4985, 53.3120), (110, 60), 60),
    ("Passantenhaven Oosterhaven", "Gemeente Groningen", (6.5760, 53.2150), (220, 45), 80),
    ("Jachthaven Meerwijck", "Recreatieschap Groningen", (6.7100, 53.1500), (200, 120), 10),
    ("Jachthaven Schildmeer", "Recreatieschap Groningen", (6.8230, 53.2470), (140, 80), 35),
    ("Jachthaven Neptunus Delfzijl", "Gemeente Eemsdelta", (6.9300, 53.3260), (200, 100), 15),
    ("Jachthaven Termunterzijl", "Gemeente Eemsdelta", (7.0420, 53.3040), (120, 70), 0),
    ("Jachthaven Blauwestad", "Gemeente Oldambt", (7.0050, 53.1900), (180, 110), 10),
    ("Jachthaven Winschoten", "Gemeente Oldambt", (7.0380, 53.1470), (120, 60), 0),
    ("Jachthaven Zuidhorn", "Gemeente Westerkwartier", (6.4020, 53.2530), (120, 60), 70),
)


def _blob(key: str, centre: tuple[float, float], axes: tuple[float, float], rotation: float) -> Polygon:
    """An irregular ellipse: natural areas are never neat shapes."""
    r = rng("recreatie", key)
    phases = [r.uniform(0, 2 * math.pi) for _ in range(3)]
    cx, cy = rd_xy(*centre)
    turn = math.radians(rotation)
    points = []
    for i in range(32):
        a = 2 * math.pi * i / 32
        wobble = 1 + 0.10 * math.sin(2 * a + phases[0]) + 0.07 * math.sin(3 * a + phases[1]) \
            + 0.04 * math.sin(5 * a + phases[2])
        x, y = axes[0] * math.cos(a) * wobble, axes[1] * math.sin(a) * wobble
        points.append((cx + x * math.cos(turn) - y * math.sin(turn), cy + x * math.sin(turn) + y * math.cos(turn)))
    return Polygon(points)


def areas(province: Province) -> list[tuple[BaseGeometry, dict[str, object]]]:
    """Every area with its shape in RD, cut to the province: nature and recreation first, then the marinas."""
    found = []
    marinas = [(name, MARINA, manager, centre, axes, turn) for name, manager, centre, axes, turn in MARINAS]
    everything = [*AREAS, *marinas]
    for i, (name, kind, manager, centre, axes, rotation) in enumerate(everything, start=1):
        blob = _blob(name, centre, axes, rotation)
        shape = shapely.set_precision(shapely.intersection(blob, province.outline_rd), 0.1)
        if shape.is_empty:
            continue
        gemeente = max(province.gemeenten, key=lambda g: g.rd.intersection(shape).area).code
        props: dict[str, object] = {"gebied_id": f"RG-{i:03d}", "naam": name, "soort": kind, "beheerder": manager,
                                    "gemeente_code": gemeente, "oppervlakte_ha": round(shape.area / 10_000, 1)}
        found.append((shape, props))
    return found


def recreatiegebieden(province: Province, target: Path) -> Output:
    path = target / "recreatiegebieden.geojson"
    write_geojson(path, areas(province), name="recreatiegebieden", epsg=28992, digits=1)
    meta = Metadata(
        title=Text("Natuur- en recreatiegebieden", "Nature and recreation areas"),
        description=Text(
            "Natuurgebieden, meren, landgoederen en recreatiegebieden in de provincie, zoals het Lauwersmeer, het "
            "Zuidlaardermeer en het dal van de Drentsche Aa, en de jachthavens aan de vaarwegen (soort "
            "'jachthaven'), met soort, beheerder, gemeente (grootste deel) en oppervlakte. De omtrekken zijn "
            "vereenvoudigd. Coördinaten in RD New (EPSG:28992).",
            "Nature areas, lakes, estates and recreation areas in the province, such as the Lauwersmeer, the "
            "Zuidlaardermeer and the Drentsche Aa valley, and the marinas along the waterways (kind 'jachthaven'), "
            "with kind, manager, municipality (largest part) and area. Outlines are simplified. Coordinates in RD "
            "New (EPSG:28992).",
        ),
        keywords_nl=("natuur", "recreatie", "meer", "landgoed", "groen", "jachthaven"),
        keywords_en=("nature", "recreation", "lake", "estate", "green space", "marina"),
        themes=("ENVI", "SOCI"),
        temporal=(date(2024, 1, 1), date(2024, 12, 31)),
        accrual_periodicity="irregular",
        issued=date(2022, 3, 15),
        modified=date(2024, 9, 30),
    )
    return Output("recreatiegebieden", path, meta, {"format": "geojson"})
