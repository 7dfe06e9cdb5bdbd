"""Demo datasets about shipping: the movable bridges, their opening log and daily passages at bridges and locks.

Each bridge knows the road that crosses it and its distance to the nearest nature area and marina, computed here
once, so the views that combine openings with traffic and nature need only joins on the bridge id.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from wierde.demo import nature
from wierde.demo.base import Metadata, Output, Text, csv_options, rng
from wierde.demo.geometry import Province, rd_xy
from wierde.demo.waterways import (
    BRIDGES,
    CLOSURES,
    CROSSINGS,
    STRUCTURES,
    Structure,
    daily_passages,
    days,
)
from wierde.demo.writers import write_csv, write_geojson

YEAR = (date(2024, 1, 1), date(2024, 12, 31))
OPENING_PERIOD = YEAR
# On working days the city's bridges stay closed to pleasure craft in the evening rush hour (spertijd).
RUSH_HOUR = (16 * 60, 18 * 60)


@dataclass(frozen=True)
class Opening:
    """One opening of a bridge: the local day, start and end minute of that day, vessel type and vessels."""

    day: date
    start: int
    end: int
    vessel: str
    vessels: int


@functools.cache
def _last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def summer_time(day: date, minute: int) -> bool:
    """Whether a local moment falls in European summer time (from 02:00 on the last Sunday of March to 03:00 on the
    last Sunday of October); the EU rule is written out so no time-zone database is needed."""
    begin, end = _last_sunday(day.year, 3), _last_sunday(day.year, 10)
    after_begin = day > begin or (day == begin and minute >= 3 * 60)
    before_end = day < end or (day == end and minute < 3 * 60)
    return after_begin and before_end


def stamp(day: date, minute: int) -> str:
    """A local time with its UTC offset, the way the operator's log writes it."""
    offset = "+02:00" if summer_time(day, minute) else "+01:00"
    return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00{offset}"


def _minutes_open(s: Structure, r_uniform: float) -> int:
    lo, hi = {"hefbrug": (5, 9), "draaibrug": (4, 8), "ophaalbrug": (3, 6)}.get(s.type, (3, 7))
    return lo + round(r_uniform * (hi - lo))


def _openings(s: Structure, day: date, r: random.Random) -> list[tuple[int, str, int]]:
    """(start minute, vessel type, vessels) for each opening: a high enough ship passes without one."""
    commercial, recreational = daily_passages(s)[day]
    need_commercial = 0.25 if s.clearance >= 9 else max(0.2, min(0.9, 1.1 - s.clearance / 8))
    # above 5 m only sailing yachts with a standing mast need the bridge; below 2.5 m nearly every boat does
    need_recreational = 0.2 if s.clearance >= 5 else 0.45 if s.clearance >= 2.5 else 0.85
    events = [(r.randint(360, 1320), "beroepsvaart", 1) for _ in range(commercial) if r.random() < need_commercial]
    waiting = sum(1 for _ in range(recreational) if r.random() < need_recreational)
    city = CROSSINGS[s.id].road == "stadsweg" and day.weekday() < 5
    while waiting > 0:  # pleasure craft are let through in groups during service hours
        group = min(waiting, 1 + math.floor(r.expovariate(0.6)))
        minute = r.randint(540, 1140)
        if 720 <= minute < 780 and s.type == "ophaalbrug":
            minute += 60  # small bridges keep a lunch break
        if city and RUSH_HOUR[0] <= minute < RUSH_HOUR[1]:
            minute = RUSH_HOUR[1] + (minute - RUSH_HOUR[0]) // 4  # boats wait until the rush hour is over
        events.append((minute, "recreatievaart", group))
        waiting -= group
    return sorted(events)


@functools.cache
def openings(s: Structure) -> tuple[Opening, ...]:
    """A bridge's openings over the year, in time order; computed once per bridge (traffic reads them too)."""
    r = rng("openingen", s.id)
    found: list[Opening] = []
    for day in days(*OPENING_PERIOD):
        free_from = 0
        for minute, vessel, count in _openings(s, day, r):
            start = max(minute, free_from)
            end = start + _minutes_open(s, r.random())
            if end >= 24 * 60:
                break
            found.append(Opening(day, start, end, vessel, count))
            free_from = end + 2
    return tuple(found)


@functools.cache
def closed_by_hour(s: Structure) -> dict[tuple[date, int], tuple[int, int]]:
    """Per local day and hour in which openings start: the minutes the bridge was open and the sum of each
    opening's minutes squared (what a queue's waiting time grows with)."""
    hours: dict[tuple[date, int], tuple[int, int]] = {}
    for o in openings(s):
        minutes, squares = hours.get((o.day, o.start // 60), (0, 0))
        length = o.end - o.start
        hours[(o.day, o.start // 60)] = (minutes + length, squares + length * length)
    return hours


def _nearest(point: Point, shapes: list[tuple[BaseGeometry, dict[str, object]]]) -> tuple[int, str]:
    """Metres to the nearest of the shapes (0 inside one) and its name."""
    distance, name = min((point.distance(shape), str(props["naam"])) for shape, props in shapes)
    return round(distance), name


def bruggen(province: Province, target: Path) -> Output:
    path = target / "bruggen.geojson"
    shapes = nature.areas(province)
    green = [(shape, props) for shape, props in shapes if props["soort"] != nature.MARINA]
    marinas = [(shape, props) for shape, props in shapes if props["soort"] == nature.MARINA]
    features = []
    for s in BRIDGES:
        lon, lat = province.place(s.gemeente, *s.at)
        x, y = rd_xy(lon, lat)
        here = Point(round(x, 2), round(y, 2))
        to_nature, nature_name = _nearest(here, green)
        to_marina, marina_name = _nearest(here, marinas)
        props = {"bridge_id": s.id, "naam": s.name, "vaarweg": s.waterway, "brugtype": s.type,
                 "beheerder": s.operator, "doorvaarthoogte_m": s.clearance, "gemeente_code": s.gemeente,
                 "weg": CROSSINGS[s.id].road, "wegverkeer_per_etmaal": CROSSINGS[s.id].aadt,
                 "afstand_natuur_m": to_nature, "dichtstbijzijnde_natuur": nature_name,
                 "afstand_jachthaven_m": to_marina, "dichtstbijzijnde_jachthaven": marina_name}
        features.append((here, props))
    write_geojson(path, features, name="bruggen", epsg=28992, digits=2)
    meta = Metadata(
        title=Text("Beweegbare bruggen over de vaarwegen", "Movable bridges over the waterways"),
        description=Text(
            "Beweegbare bruggen over het Prinses Margrietkanaal, Van Starkenborghkanaal, Eemskanaal, "
            "Winschoterdiep, Reitdiep, Damsterdiep, Ruiten Aa-kanaal, Westerwoldse Aa en Musselkanaal met brugtype, "
            "beheerder, doorvaarthoogte in gesloten stand, de weg over de brug (soort weg en motorvoertuigen per "
            "etmaal) en de afstand hemelsbreed (m) tot het dichtstbijzijnde natuur- of recreatiegebied en de "
            "dichtstbijzijnde jachthaven. Coördinaten in RD New (EPSG:28992).",
            "Movable bridges over the Prinses Margriet canal, Van Starkenborgh canal, Eems canal, Winschoterdiep, "
            "Reitdiep, Damsterdiep, Ruiten Aa canal, Westerwoldse Aa and Musselkanaal with bridge type, operator, "
            "clearance when closed, the road across the bridge (kind of road and motor vehicles per day) and the "
            "straight-line distance (m) to the nearest nature or recreation area and the nearest marina. "
            "Coordinates in RD New (EPSG:28992).",
        ),
        keywords_nl=("brug", "vaarweg", "scheepvaart", "infrastructuur"),
        keywords_en=("bridge", "waterway", "shipping", "infrastructure"),
        themes=("TRAN",),
        temporal=YEAR,
        accrual_periodicity="irregular",
        issued=date(2023, 5, 12),
        modified=date(2024, 11, 4),
        licence="CC0-1.0",
    )
    return Output("bruggen", path, meta, {"format": "geojson"})


def brugopeningen(province: Province, target: Path) -> Output:
    path = target / "brugopeningen.csv"
    # one bridge after another, each in time order, the way a per-bridge export is concatenated
    rows = ([s.id, stamp(o.day, o.start), stamp(o.day, o.end), o.vessel, o.vessels] for s in BRIDGES
            for o in openings(s))
    write_csv(path, ("bridge_id", "start", "end", "vessel_type", "vessels"), rows)
    closed = ", ".join(f"{b} {a.isoformat()} – {z.isoformat()}" for b, (a, z) in CLOSURES.items())
    meta = Metadata(
        title=Text("Brugopeningen", "Bridge openings"),
        description=Text(
            "Elke opening van een beweegbare brug in 2024: begin en einde (lokale tijd met UTC-verschil), soort "
            "scheepvaart (beroepsvaart of recreatievaart) en het aantal schepen dat passeerde. In de zomer gaan de "
            "bruggen veel vaker open voor de recreatievaart; in de stad blijven ze op werkdagen tussen 16 en 18 uur "
            f"dicht voor de recreatievaart (spertijd). Stremming: {closed}.",
            "Every opening of a movable bridge in 2024: start and end (local time with UTC offset), vessel type "
            "(beroepsvaart = commercial, recreatievaart = recreational) and the number of vessels that passed. In "
            "summer, bridges open far more often for pleasure craft; in the city they stay closed to pleasure craft "
            f"between 16:00 and 18:00 on working days (rush-hour ban). Closure: {closed}.",
        ),
        keywords_nl=("brug", "brugopening", "scheepvaart", "recreatievaart"),
        keywords_en=("bridge", "bridge opening", "shipping", "recreational boating"),
        themes=("TRAN",),
        temporal=OPENING_PERIOD,
        accrual_periodicity="daily",
        issued=date(2024, 4, 2),
        modified=date(2024, 10, 1),
        licence="CC0-1.0",
    )
    types = {"bridge_id": "string", "start": "datetime", "end": "datetime", "vessel_type": "string",
             "vessels": "integer"}
    return Output("brugopeningen", path, meta, csv_options(types))


def scheepvaartpassages(province: Province, target: Path) -> Output:
    path = target / "scheepvaartpassages.csv"

    def rows() -> list[list[object]]:
        out: list[list[object]] = []
        for s in STRUCTURES:
            for day, (com, rec) in daily_passages(s).items():
                day_text = day.strftime("%d-%m-%Y")
                out.append([s.id, s.name, s.kind, s.waterway, s.gemeente, day_text, com, rec, com + rec])
        return out

    header = ("object_id", "object_naam", "soort", "vaarweg", "gemeente_code", "datum", "beroepsvaart",
              "recreatievaart", "totaal")
    # written the way a spreadsheet exports it: semicolons, day-month-year, UTF-8 with a byte-order mark
    write_csv(path, header, rows(), delimiter=";", encoding="utf-8-sig")
    meta = Metadata(
        title=Text("Scheepvaartpassages bij bruggen en sluizen", "Vessel passages at bridges and locks"),
        description=Text(
            "Aantal gepasseerde schepen per dag in 2024 bij beweegbare bruggen en sluizen (Oostersluis, sluis "
            "Gaarkeuken, zeesluis Farmsum, Robbengatsluis, Reitdiepsluis Zoutkamp), gesplitst in beroepsvaart en "
            "recreatievaart.",
            "Vessels passing per day in 2024 at movable bridges and locks (Oostersluis, Gaarkeuken lock, Farmsum "
            "sea lock, Robbengat lock, Zoutkamp Reitdiep lock), split into commercial and recreational vessels.",
        ),
        keywords_nl=("scheepvaart", "sluis", "brug", "passages", "recreatievaart"),
        keywords_en=("shipping", "lock", "bridge", "passages", "recreational boating"),
        themes=("TRAN",),
        temporal=YEAR,
        accrual_periodicity="monthly",
        issued=date(2024, 2, 5),
        modified=date(2025, 1, 8),
        licence="CC0-1.0",
    )
    types = {"object_id": "string", "gemeente_code": "string", "datum": "date", "beroepsvaart": "integer",
             "recreatievaart": "integer", "totaal": "integer"}
    return Output("scheepvaartpassages", path, meta, csv_options(types, delimiter=";", encoding="utf-8-sig"))
