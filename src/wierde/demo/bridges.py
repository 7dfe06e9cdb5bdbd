"""Demo datasets about shipping: the movable bridges, their opening log and daily passages at bridges and locks."""

from __future__ import annotations

import math
import random
from datetime import date
from pathlib import Path

from shapely.geometry import Point

from wierde.demo.base import Metadata, Output, Text, csv_options, rng
from wierde.demo.geometry import Province, rd_xy
from wierde.demo.waterways import BRIDGES, CLOSURES, STRUCTURES, Structure, daily_passages, days
from wierde.demo.writers import write_csv, write_geojson

OPENING_PERIOD = (date(2024, 4, 1), date(2024, 9, 30))  # wholly summer time, so every offset is +02:00
YEAR = (date(2024, 1, 1), date(2024, 12, 31))


def _minutes_open(s: Structure, r_uniform: float) -> int:
    lo, hi = {"hefbrug": (5, 9), "draaibrug": (4, 8), "ophaalbrug": (3, 6)}.get(s.type, (3, 7))
    return lo + round(r_uniform * (hi - lo))


def _stamp(day: date, minute: int) -> str:
    return f"{day.isoformat()}T{minute // 60:02d}:{minute % 60:02d}:00+02:00"


def _openings(s: Structure, day: date, r: random.Random) -> list[tuple[int, str, int]]:
    """(start minute, vessel type, vessels) for each opening: a high enough ship passes without one."""
    commercial, recreational = daily_passages(s)[day]
    need_commercial = 0.25 if s.clearance >= 9 else max(0.2, min(0.9, 1.1 - s.clearance / 8))
    # above 5 m only sailing yachts with a standing mast need the bridge; below 2.5 m nearly every boat does
    need_recreational = 0.2 if s.clearance >= 5 else 0.45 if s.clearance >= 2.5 else 0.85
    events = [(r.randint(360, 1320), "beroepsvaart", 1) for _ in range(commercial) if r.random() < need_commercial]
    waiting = sum(1 for _ in range(recreational) if r.random() < need_recreational)
    while waiting > 0:  # pleasure craft are let through in groups during service hours
        group = min(waiting, 1 + math.floor(r.expovariate(0.6)))
        minute = r.randint(540, 1140)
        if 720 <= minute < 780 and s.type == "ophaalbrug":
            minute += 60  # small bridges keep a lunch break
        events.append((minute, "recreatievaart", group))
        waiting -= group
    return sorted(events)


def _opening_rows(s: Structure) -> list[list[object]]:
    r = rng("openingen", s.id)
    rows: list[list[object]] = []
    for day in days(*OPENING_PERIOD):
        free_from = 0
        for minute, vessel, count in _openings(s, day, r):
            start = max(minute, free_from)
            end = start + _minutes_open(s, r.random())
            if end >= 24 * 60:
                break
            rows.append([s.id, _stamp(day, start), _stamp(day, end), vessel, count])
            free_from = end + 2
    return rows


def bruggen(province: Province, target: Path) -> Output:
    path = target / "bruggen.geojson"
    features = []
    for s in BRIDGES:
        lon, lat = province.place(s.gemeente, *s.at)
        x, y = rd_xy(lon, lat)
        props = {"bridge_id": s.id, "naam": s.name, "vaarweg": s.waterway, "brugtype": s.type,
                 "beheerder": s.operator, "doorvaarthoogte_m": s.clearance, "gemeente_code": s.gemeente}
        features.append((Point(round(x, 2), round(y, 2)), props))
    write_geojson(path, features, name="bruggen", epsg=28992, digits=2)
    meta = Metadata(
        title=Text("Beweegbare bruggen over de vaarwegen", "Movable bridges over the waterways"),
        description=Text(
            "Beweegbare bruggen over het Van Starkenborghkanaal, Eemskanaal, Winschoterdiep, Reitdiep, "
            "Damsterdiep, Ruiten Aa-kanaal, Westerwoldse Aa en Musselkanaal met brugtype, beheerder en "
            "doorvaarthoogte in gesloten stand. Coördinaten in RD New (EPSG:28992).",
            "Movable bridges over the Van Starkenborgh canal, Eems canal, Winschoterdiep, Reitdiep, Damsterdiep, "
            "Ruiten Aa canal, Westerwoldse Aa and Musselkanaal with bridge type, operator and clearance when "
            "closed. Coordinates in RD New (EPSG:28992).",
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
    rows = (row for s in BRIDGES for row in _opening_rows(s))
    write_csv(path, ("bridge_id", "start", "end", "vessel_type", "vessels"), rows)
    closed = ", ".join(f"{b} {a.isoformat()} – {z.isoformat()}" for b, (a, z) in CLOSURES.items())
    meta = Metadata(
        title=Text("Brugopeningen", "Bridge openings"),
        description=Text(
            "Elke opening van een beweegbare brug van april tot en met september 2024: begin en einde "
            "(lokale tijd), soort scheepvaart (beroepsvaart of recreatievaart) en het aantal schepen dat "
            f"passeerde. In de zomer gaan de bruggen veel vaker open voor de recreatievaart. Stremming: {closed}.",
            "Every opening of a movable bridge from April to September 2024: start and end (local time), "
            "vessel type (beroepsvaart = commercial, recreatievaart = recreational) and the number of vessels that "
            f"passed. In summer, bridges open far more often for pleasure craft. Closure: {closed}.",
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
