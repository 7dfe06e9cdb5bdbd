"""Demo datasets of the region hierarchy itself: municipalities, districts and neighbourhoods as polygons.

Neighbourhoods carry what CBS publishes as "nabijheid": the distance to the nearest railway station and main road,
and the point they are measured from, so views can relate them to other places with plain arithmetic.
"""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

import shapely
from shapely.geometry import LineString, MultiPoint, Point
from shapely.geometry.base import BaseGeometry

from wierde.demo import neighbourhoods as nb
from wierde.demo.base import Metadata, Output, Text
from wierde.demo.geometry import Area, Province, rd_xy
from wierde.demo.places import GEMEENTE_NAMES, MAIN_ROADS, STATIONS
from wierde.demo.writers import write_geojson

# CBS "mate van stedelijkheid": 1 = very strongly urban … 5 = not urban.
STEDELIJKHEID = {
    nb.CENTRUM: 1, nb.OUD: 1, nb.NAOORLOGS: 1, nb.JAREN70: 2, nb.NIEUW: 2, nb.NIEUWBOUW: 3, nb.KERN: 3, nb.WIJK: 3,
    nb.DORP: 5, nb.VERSPREID: 5, nb.BEDRIJVEN: 4,
}
_YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def _km2(area: Area) -> float:
    return round(area.rd.area / 1e6, 2)


def _meta(province: Province, title: Text, what: Text, keywords: tuple[tuple[str, ...], tuple[str, ...]]) -> Metadata:
    note = province.geometry_note()
    licence_note = province.source == "cbs"
    return Metadata(
        title=title,
        description=Text(f"{what.nl} {note.nl}", f"{what.en} {note.en}"),
        keywords_nl=keywords[0],
        keywords_en=keywords[1],
        themes=("REGI", "GOVE"),
        temporal=_YEAR,
        accrual_periodicity="annual",
        issued=date(2025, 1, 10),
        modified=date(2025, 2, 3),
        attribution=(
            "CBS/Kadaster via PDOK (gemeentegrenzen, CC BY 4.0); Provincie Groningen (synthetische demodata)"
            if licence_note
            else "Provincie Groningen (synthetische demodata)"
        ),
    )


def gemeenten(province: Province, target: Path) -> Output:
    path = target / "gemeenten.geojson"
    features = [
        (g.wgs, {"code": g.code, "naam": g.name, "provincie_code": "PV20", "oppervlakte_km2": _km2(g)})
        for g in province.gemeenten
    ]
    write_geojson(path, features, name="gemeenten")
    meta = _meta(
        province,
        Text("Gemeenten in de provincie Groningen", "Municipalities in the province of Groningen"),
        Text(
            "De tien gemeenten van de provincie Groningen (indeling 2025) met CBS-gemeentecode, naam en oppervlakte.",
            "The ten municipalities of the province of Groningen (2025 division) with CBS code, name and area.",
        ),
        (("gemeente", "grenzen", "indeling"), ("municipality", "boundaries", "division")),
    )
    return Output("gemeenten", path, meta, {"format": "geojson"})


def wijken(province: Province, target: Path) -> Output:
    path = target / "wijken.geojson"
    features = [
        (w.wgs, {"code": w.code, "naam": w.name, "gemeente_code": w.gemeente,
                 "gemeente_naam": GEMEENTE_NAMES[w.gemeente], "oppervlakte_km2": _km2(w)})
        for w in province.wijken
    ]
    write_geojson(path, features, name="wijken")
    meta = _meta(
        province,
        Text("Wijken in de provincie Groningen", "Districts in the province of Groningen"),
        Text(
            "Wijken met CBS-wijkcode (WK), naam, gemeente en oppervlakte.",
            "Districts with CBS district code (WK), name, municipality and area.",
        ),
        (("wijk", "grenzen", "indeling"), ("district", "boundaries", "division")),
    )
    return Output("wijken", path, meta, {"format": "geojson"})


@functools.cache
def _stations_rd() -> BaseGeometry:
    return MultiPoint([rd_xy(*xy) for xy in STATIONS.values()])


@functools.cache
def _main_roads_rd() -> BaseGeometry:
    return shapely.union_all([LineString([rd_xy(*xy) for xy in line]) for line in MAIN_ROADS.values()])


def nearness(b: Area) -> dict[str, float | int]:
    """Distances as the crow flies (km) from where people live in the neighbourhood, and that point in RD."""
    centre = Point(b.anchor)  # the village or quarter the neighbourhood grew from
    if not b.rd.contains(centre):
        centre = b.rd.representative_point()
    return {"afstand_treinstation_km": round(centre.distance(_stations_rd()) / 1000, 2),
            "afstand_hoofdweg_km": round(centre.distance(_main_roads_rd()) / 1000, 2),
            "centrum_x_rd": round(centre.x), "centrum_y_rd": round(centre.y)}


def buurten(province: Province, target: Path) -> Output:
    path = target / "buurten.geojson"
    features = [
        (b.wgs, {"code": b.code, "naam": b.name, "wijk_code": b.parent, "gemeente_code": b.gemeente,
                 "stedelijkheid": STEDELIJKHEID[b.profile], "oppervlakte_km2": _km2(b), **nearness(b)})
        for b in province.buurten
    ]
    write_geojson(path, features, name="buurten")
    meta = _meta(
        province,
        Text("Buurten in de provincie Groningen", "Neighbourhoods in the province of Groningen"),
        Text(
            "Buurten met CBS-buurtcode (BU), naam, wijk, gemeente, mate van stedelijkheid (1 = zeer sterk stedelijk, "
            "5 = niet stedelijk), oppervlakte en nabijheid: de afstand hemelsbreed (km) tot het dichtstbijzijnde "
            "treinstation en de dichtstbijzijnde hoofdweg (A7, A28, N33, N46, N355, N366), gemeten vanaf het "
            "buurtcentrum (centrum_x_rd, centrum_y_rd in RD New).",
            "Neighbourhoods with CBS neighbourhood code (BU), name, district, municipality, degree of urbanisation "
            "(1 = very strongly urban, 5 = not urban), area and nearness: the straight-line distance (km) to the "
            "nearest railway station and the nearest main road (A7, A28, N33, N46, N355, N366), measured from the "
            "neighbourhood centre (centrum_x_rd, centrum_y_rd in RD New).",
        ),
        (("buurt", "grenzen", "stedelijkheid", "nabijheid"), ("neighbourhood", "boundaries", "urbanisation",
                                                             "proximity")),
    )
    return Output("buurten", path, meta, {"format": "geojson"})
