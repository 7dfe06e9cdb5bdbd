"""Demo datasets of the region hierarchy itself: municipalities, districts and neighbourhoods as polygons."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from wierde.demo import neighbourhoods as nb
from wierde.demo.base import Metadata, Output, Text
from wierde.demo.geometry import Area, Province
from wierde.demo.places import GEMEENTE_NAMES
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


def buurten(province: Province, target: Path) -> Output:
    path = target / "buurten.geojson"
    features = [
        (b.wgs, {"code": b.code, "naam": b.name, "wijk_code": b.parent, "gemeente_code": b.gemeente,
                 "stedelijkheid": STEDELIJKHEID[b.profile], "oppervlakte_km2": _km2(b)})
        for b in province.buurten
    ]
    write_geojson(path, features, name="buurten")
    meta = _meta(
        province,
        Text("Buurten in de provincie Groningen", "Neighbourhoods in the province of Groningen"),
        Text(
            "Buurten met CBS-buurtcode (BU), naam, wijk, gemeente, mate van stedelijkheid (1 = zeer sterk stedelijk, "
            "5 = niet stedelijk) en oppervlakte.",
            "Neighbourhoods with CBS neighbourhood code (BU), name, district, municipality, degree of urbanisation "
            "(1 = very strongly urban, 5 = not urban) and area.",
        ),
        (("buurt", "grenzen", "stedelijkheid"), ("neighbourhood", "boundaries", "urbanisation")),
    )
    return Output("buurten", path, meta, {"format": "geojson"})
