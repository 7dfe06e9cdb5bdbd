"""Demo traffic on provincial roads: counting sites and sixty days of hourly counts with real rhythms.

Rush hours, weekends, holidays, a weekend closure of the N366 and a loop that failed for three days. Beside each
movable bridge a site on the road across it counts a whole year; while the bridge is open cars queue, so in those
hours the mean speed drops and `queued_vehicles` counts who had to stop.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from shapely.geometry import LineString, Point

from wierde.demo.base import Metadata, Output, Text, array_rng, csv_options, poisson, rng
from wierde.demo.bridges import YEAR, closed_by_hour, stamp, summer_time
from wierde.demo.geometry import Province, rd_xy, wgs_xy
from wierde.demo.places import PLACES
from wierde.demo.places import Point as LonLat
from wierde.demo.waterways import BRIDGES, CROSSINGS, HOLIDAYS_2024, Crossing, Structure, days
from wierde.demo.writers import write_csv, write_geojson

PERIOD = (date(2024, 4, 15), date(2024, 6, 13))  # 60 days, all in summer time (+02:00)
HOLIDAYS = {date(2024, 4, 27): 0.7, date(2024, 5, 9): 0.6, date(2024, 5, 10): 0.85, date(2024, 5, 20): 0.6}
SCHOOL_HOLIDAY = (date(2024, 4, 27), date(2024, 5, 5))  # meivakantie, region north
CLOSURE = ("N366", date(2024, 5, 25), date(2024, 5, 26))  # the province's spring weekend closure of the N366
_DAY = (0.97, 1.0, 1.0, 1.02, 1.04, 0.78, 0.62)
# Share of a day's traffic per hour: inbound (Li) peaks in the morning, outbound (Re) in the afternoon.
_WORKDAY_IN = (0.6, 0.3, 0.2, 0.2, 0.5, 1.6, 4.5, 8.5, 8.0, 5.5, 4.8, 5.0, 5.2, 5.3, 5.6, 6.0, 6.4, 6.2, 5.0, 4.0,
               3.2, 2.6, 1.9, 1.1)
_WORKDAY_OUT = (0.6, 0.3, 0.2, 0.2, 0.5, 1.3, 3.2, 5.4, 5.5, 4.8, 4.8, 5.0, 5.3, 5.5, 6.0, 7.4, 8.6, 8.2, 5.8, 4.2,
                3.3, 2.7, 2.0, 1.1)
_WEEKEND = (1.2, 0.8, 0.5, 0.4, 0.4, 0.7, 1.2, 2.2, 3.6, 5.2, 6.6, 7.4, 7.6, 7.5, 7.4, 7.2, 6.9, 6.4, 5.6, 4.6,
            3.8, 3.2, 2.6, 1.9)


@dataclass(frozen=True)
class Road:
    """A provincial road as a line through real places, with its traffic level and speed limit."""

    number: str
    name: str
    via: tuple[str | LonLat, ...]
    towards: tuple[str, str]  # what the direction signs say: Li towards the first, Re towards the second
    cross_sections: int
    aadt: int  # vehicles per day, both directions together
    limit: int
    first_hm: float


ROADS = (
    Road("N370", "Noordelijke Ringweg", ((6.525, 53.237), (6.545, 53.243), (6.570, 53.245), (6.597, 53.239)),
         ("Westelijke Ringweg", "Oostelijke Ringweg"), 2, 32_000, 70, 52.0),
    Road("N355", "Hoendiep", ((6.490, 53.222), "Zuidhorn", "Noordhorn", "Grijpskerk", "Visvliet"),
         ("Groningen", "Visvliet"), 3, 15_000, 80, 38.0),
    Road("N360", "Groningen – Delfzijl", ((6.635, 53.243), "Ten Boer", "Garrelsweer", "Appingedam", "Delfzijl"),
         ("Groningen", "Delfzijl"), 4, 14_000, 80, 0.0),
    Road("N361", "Groningen – Lauwersoog", ((6.560, 53.255), "Adorp", "Sauwerd", "Winsum", "Mensingeweer", "Leens",
                                             "Ulrum", "Zoutkamp"), ("Groningen", "Zoutkamp"), 3, 9_000, 80, 0.0),
    Road("N46", "Eemshavenweg", ((6.592, 53.252), (6.625, 53.300), (6.650, 53.350), (6.660, 53.398), "Eemshaven"),
         ("Groningen", "Eemshaven"), 3, 12_000, 100, 0.0),
    Road("N860", "Dr. E.H. Ebelsweg", ((6.610, 53.197), (6.640, 53.196), (6.668, 53.194)),
         ("Groningen", "Hoogezand"), 1, 11_000, 70, 1.0),
    Road("N362", "Scheemda – Delfzijl", ("Scheemda", "Nieuwolda", "Wagenborgen", "Farmsum"),
         ("Scheemda", "Delfzijl"), 2, 7_000, 80, 0.0),
    Road("N366", "A.G. Wildervanckweg", ("Veendam", "Nieuwe Pekela", "Alteveer", "Stadskanaal", "Ter Apel",
                                         (7.100, 52.868)), ("Veendam", "Ter Apel"), 4, 10_000, 80, 0.0),
    Road("N367", "Winschoten – Nieuwe Pekela", ("Winschoten", "Blijham", "Oude Pekela", "Nieuwe Pekela"),
         ("Winschoten", "Nieuwe Pekela"), 2, 8_000, 80, 0.0),
    Road("N388", "Gaarkeuken – Opende", ("Gaarkeuken", "Grootegast", "Opende"), ("Gaarkeuken", "Opende"),
         1, 6_000, 80, 10.0),
)


@dataclass(frozen=True)
class Site:
    """One direction of a counting cross-section."""

    id: str
    name: str
    road: Road
    hm: float
    direction: str  # Li (towards the first place on the road) or Re
    gemeente: str
    lonlat: LonLat
    aadt: float


def _locality(province: Province, lon: float, lat: float) -> str:
    """What a road engineer would call the spot: the neighbourhood or village it lies in."""
    p = Point(lon, lat)
    name = next((b.name for b in province.buurten if b.wgs.contains(p)), "")
    name = name.removeprefix("Verspreide huizen ")
    return name.rsplit("-", 1)[0] if name.rsplit("-", 1)[-1] in ("Noord", "Zuid", "Oost", "West", "Centrum") else name


def sites(province: Province) -> list[Site]:
    """Every counting site, two per cross-section, placed on its road inside the right municipality."""
    result = []
    for road in ROADS:
        line = LineString([rd_xy(*(PLACES[p] if isinstance(p, str) else p)) for p in road.via])
        r = rng("meetpunten", road.number)
        for k in range(road.cross_sections):
            along = line.length * (k + 0.5 + r.uniform(-0.15, 0.15)) / road.cross_sections
            spot = line.interpolate(along)
            hm = round(road.first_hm + along / 1000, 1)
            lon, lat = wgs_xy(spot.x, spot.y)
            gemeente = province.locate(lon, lat) or province.nearest(lon, lat)
            lonlat = province.place(gemeente, lon, lat)
            place = _locality(province, *lonlat)
            aadt = road.aadt * math.exp(r.gauss(0, 0.15))
            for direction, towards in zip(("Li", "Re"), road.towards, strict=True):
                site_id = f"PGR08_{road.number}_hmp_{hm:.1f}_{direction}"
                name = f"{road.number} {place} richting {towards}"
                result.append(Site(site_id, name, road, hm, direction, gemeente, lonlat, aadt / 2))
    return result


@dataclass(frozen=True)
class BridgeSite:
    """The counting site on the road across a movable bridge, both directions together."""

    id: str
    bridge: Structure
    crossing: Crossing
    lonlat: LonLat
    free_share: float  # free-flow speed as a share of the limit


def bridge_sites(province: Province) -> list[BridgeSite]:
    """One site per movable bridge, where the bridge is (the loops lie in the road on the bridge's approach)."""
    return [BridgeSite(f"PGR08_{b.id}", b, CROSSINGS[b.id], province.place(b.gemeente, *b.at),
                       rng("brugverkeer-snelheid", b.id).uniform(0.85, 0.95)) for b in BRIDGES]


def _hour_share(day: date, hour: int, direction: str) -> float:
    if day.weekday() >= 5 or HOLIDAYS.get(day, 1.0) < 0.7:
        profile = _WEEKEND
    else:
        profile = _WORKDAY_IN if direction == "Li" else _WORKDAY_OUT
    return profile[hour] / sum(profile)


@functools.cache
def _day_level(day: date) -> float:
    level = _DAY[day.weekday()] * HOLIDAYS.get(day, 1.0)
    if SCHOOL_HOLIDAY[0] <= day <= SCHOOL_HOLIDAY[1] and day.weekday() < 5:
        level *= 0.9
    return level * math.exp(rng("weer", day.isoformat()).gauss(0, 0.04))


def _closed(site: Site, day: date) -> bool:
    road, first, last = CLOSURE
    return site.road.number == road and site.hm > 20 and first <= day <= last


def _site_rows(site: Site, outage: set[date]) -> list[list[object]]:
    r = rng("tellingen", site.id)
    free_speed = site.road.limit * r.uniform(0.90, 0.98)
    capacity = 1500 if site.road.limit <= 70 else 1800
    rows: list[list[object]] = []
    for offset in range((PERIOD[1] - PERIOD[0]).days + 1):
        day = PERIOD[0] + timedelta(days=offset)
        if day in outage:
            continue  # the loop was broken: no rows at all, as in a real export
        level = _day_level(day) * math.exp(r.gauss(0, 0.03))
        for hour in range(24):
            if r.random() < 0.002:
                continue  # a lost hourly record now and then
            expected = 0.0 if _closed(site, day) else site.aadt * level * _hour_share(day, hour, site.direction)
            vehicles = poisson(r, expected)
            speed = ""
            if vehicles:
                load = vehicles / capacity
                night = 3.0 if hour < 6 or hour >= 22 else 0.0
                speed = f"{(free_speed + night) / (1 + 0.25 * load**4) + r.gauss(0, 1.5):.1f}"
            moment = f"{day.isoformat()}T{hour:02d}:00:00+02:00"
            rows.append([site.id, site.gemeente, moment, vehicles, speed, ""])
    return rows


# --- the roads across the movable bridges: a whole year, with the queues of every opening --------------------

SUMMER_HOLIDAY = (date(2024, 7, 20), date(2024, 9, 1))  # zomervakantie, region north
STRETCH_KM = 1.0  # a site's mean speed is over the kilometre of road around the bridge
DISCHARGE = 1.15  # a queue takes a while to drive off: a little more delay than the closure alone


@functools.cache
def _year_level(day: date) -> float:
    level = _DAY[day.weekday()] * (0.65 if day in HOLIDAYS_2024 else 1.0)
    if SUMMER_HOLIDAY[0] <= day <= SUMMER_HOLIDAY[1] and day.weekday() < 5:
        level *= 0.88
    if day.month == 12 and day.day >= 24:
        level *= 0.8
    return level * math.exp(rng("weer", day.isoformat()).gauss(0, 0.04))


_BOTH_WAYS = tuple((a + b) / (sum(_WORKDAY_IN) + sum(_WORKDAY_OUT)) for a, b in zip(_WORKDAY_IN, _WORKDAY_OUT,
                                                                                       strict=True))
_WEEKEND_SHARE = tuple(v / sum(_WEEKEND) for v in _WEEKEND)


def _both_ways_share(day: date, hour: int) -> float:
    return (_WEEKEND_SHARE if day.weekday() >= 5 or day in HOLIDAYS_2024 else _BOTH_WAYS)[hour]


def _local_hours(day: date) -> list[int]:
    """The hours of a local day; the hour that does not exist when summer time starts is left out."""
    return [h for h in range(24) if summer_time(day, h * 60) or not summer_time(day, h * 60 + 60)]


@functools.cache
def _year_slots() -> tuple[tuple[tuple[date, int], ...], tuple[str, ...], np.ndarray, np.ndarray]:
    """Every local hour of the year: (day, hour), its time stamp, its share of a year's traffic level, and whether
    it is night (roads are emptier and a little faster)."""
    slots = tuple((day, hour) for day in days(*YEAR) for hour in _local_hours(day))
    stamps = tuple(stamp(day, hour * 60) for day, hour in slots)
    level = np.array([_year_level(day) * _both_ways_share(day, hour) for day, hour in slots])
    night = np.array([hour < 6 or hour >= 22 for _, hour in slots])
    return slots, stamps, level, night


def _bridge_site_rows(site: BridgeSite) -> list[list[object]]:
    """A year of hours at the site on the road across a bridge: counts, mean speed and queued vehicles."""
    slots, stamps, level, night = _year_slots()
    g = array_rng("brugverkeer", site.id)
    closed = closed_by_hour(site.bridge)
    minutes = np.array([closed.get(slot, (0, 0))[0] for slot in slots], float)
    squares = np.array([closed.get(slot, (0, 0))[1] for slot in slots], float)
    vehicles = g.poisson(site.crossing.aadt * level)
    # who arrives while the bridge is open stops, and waits on average half the opening (vehicle-minutes)
    queued = np.minimum(vehicles, g.poisson(vehicles * minutes / 60 * DISCHARGE))
    waiting = vehicles / 60 * squares / 2 * DISCHARGE * np.exp(g.normal(0, 0.1, len(slots)))
    free = site.crossing.limit * site.free_share + 3.0 * night
    per_km = 60 / free * (1 + 0.25 * (vehicles / 3000) ** 4) + waiting / np.maximum(vehicles, 1) / STRETCH_KM
    speeds = (60 / per_km + g.normal(0, 1.0, len(slots))).tolist()
    return [[site.id, site.bridge.gemeente, moment, n, f"{v:.1f}" if n else "", q]
            for moment, n, v, q in zip(stamps, vehicles.tolist(), speeds, queued.tolist(), strict=True)]


def meetpunten_verkeer(province: Province, target: Path) -> Output:
    path = target / "meetpunten-verkeer.geojson"
    features = []
    for s in sites(province):
        props = {"site_id": s.id, "naam": s.name, "weg": s.road.number, "wegnaam": s.road.name,
                 "hectometer": s.hm, "rijrichting": s.direction, "gemeente_code": s.gemeente,
                 "max_snelheid": s.road.limit, "meetmethode": "inductielus", "bridge_id": None}
        features.append((Point(s.lonlat), props))
    for b in bridge_sites(province):
        props = {"site_id": b.id, "naam": f"{b.bridge.name}, weg over de brug", "weg": b.crossing.road,
                 "wegnaam": f"weg over {b.bridge.name}", "hectometer": None, "rijrichting": "beide",
                 "gemeente_code": b.bridge.gemeente, "max_snelheid": b.crossing.limit, "meetmethode": "inductielus",
                 "bridge_id": b.bridge.id}
        features.append((Point(b.lonlat), props))
    write_geojson(path, features, name="meetpunten-verkeer")
    meta = Metadata(
        title=Text("Meetpunten verkeer provinciale wegen", "Traffic counting sites on provincial roads"),
        description=Text(
            "Telpunten met inductielussen op provinciale wegen, één punt per rijrichting (Li/Re), met weg, "
            "hectometerpositie, gemeente en maximumsnelheid, en bij elke beweegbare brug een telpunt op de weg "
            "over de brug (beide richtingen samen) met de brug waar het bij hoort (bridge_id).",
            "Induction-loop counting sites on provincial roads, one point per direction (Li/Re), with road, "
            "hectometre position, municipality and speed limit, and at every movable bridge a site on the road "
            "across it (both directions together) with the bridge it belongs to (bridge_id).",
        ),
        keywords_nl=("verkeer", "meetpunt", "provinciale weg"),
        keywords_en=("traffic", "counting site", "provincial road"),
        themes=("TRAN",),
        temporal=PERIOD,
        accrual_periodicity="irregular",
        issued=date(2023, 9, 1),
        modified=date(2024, 4, 10),
        licence="CC0-1.0",
    )
    return Output("meetpunten-verkeer", path, meta, {"format": "geojson"})


def verkeerstellingen(province: Province, target: Path) -> Output:
    path = target / "verkeerstellingen.csv"
    all_sites = sites(province)
    broken = rng("storing").choice(all_sites).id
    outage = {date(2024, 5, 13), date(2024, 5, 14), date(2024, 5, 15)}
    rows = [*(row for s in all_sites for row in _site_rows(s, outage if s.id == broken else set())),
            *(row for b in bridge_sites(province) for row in _bridge_site_rows(b))]
    write_csv(path, ("site_id", "gemeente_code", "timestamp", "vehicles", "mean_speed", "queued_vehicles"), rows)
    meta = Metadata(
        title=Text("Verkeerstellingen provinciale wegen", "Traffic counts on provincial roads"),
        description=Text(
            "Aantal voertuigen per uur en gemiddelde snelheid (km/u) per meetpunt en rijrichting, 15 april – 13 juni "
            "2024 (lokale tijd). Met ochtend- en avondspits, rustiger weekenden, feestdagen, de meivakantie, een "
            f"weekendafsluiting van de N366 en een meetpunt dat drie dagen uitviel ({broken}). Zonder voertuigen "
            "is de snelheid leeg. De telpunten op de wegen over de beweegbare bruggen tellen heel 2024; daar staat "
            "in queued_vehicles hoeveel voertuigen in dat uur voor een open brug moesten wachten, en de gemiddelde "
            "snelheid (over de kilometer rond de brug) is lager in de uren dat de brug opengaat.",
            "Vehicles per hour and mean speed (km/h) per counting site and direction, 15 April – 13 June 2024 "
            "(local time). With morning and evening rush hours, quieter weekends, public holidays, the May school "
            f"holiday, a weekend closure of the N366 and a site that failed for three days ({broken}). Speed is "
            "empty when no vehicles passed. The sites on the roads across the movable bridges count all of 2024; "
            "there queued_vehicles says how many vehicles had to wait for an open bridge in that hour, and the mean "
            "speed (over the kilometre around the bridge) is lower in the hours the bridge opens.",
        ),
        keywords_nl=("verkeer", "telling", "intensiteit", "snelheid", "provinciale weg"),
        keywords_en=("traffic", "count", "volume", "speed", "provincial road"),
        themes=("TRAN",),
        temporal=YEAR,
        accrual_periodicity="daily",
        issued=date(2024, 4, 16),
        modified=date(2025, 1, 6),
        licence="CC0-1.0",
    )
    types = {"site_id": "string", "gemeente_code": "string", "timestamp": "datetime", "vehicles": "integer",
             "mean_speed": "number", "queued_vehicles": "integer"}
    return Output("verkeerstellingen", path, meta, csv_options(types))
