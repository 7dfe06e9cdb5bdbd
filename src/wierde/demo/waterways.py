"""Real movable bridges and locks on Groningen's waterways, and a model of the ships that pass them each day."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, timedelta

from wierde.demo.base import poisson, rng
from wierde.demo.places import Point


@dataclass(frozen=True)
class Structure:
    """A movable bridge or a lock: where it is, what it is, and how busy its waterway is there."""

    id: str
    name: str
    kind: str  # brug or sluis
    type: str  # basculebrug, hefbrug, draaibrug, ophaalbrug, schutsluis, zeesluis
    waterway: str
    gemeente: str
    at: Point
    operator: str
    commercial: float = 1.0  # share of the waterway's commercial traffic that passes here
    recreational: float = 1.0  # same for pleasure craft
    clearance: float = 0.0  # metres above water when closed (bridges)


# Commercial vessels per working day and pleasure craft per day at the height of summer, per waterway.
WATERWAYS: dict[str, tuple[float, float]] = {
    "Prinses Margrietkanaal": (46, 40),  # from Lemmer; becomes the Van Starkenborghkanaal at the border
    "Van Starkenborghkanaal": (46, 40),  # part of the Lemmer–Delfzijl main route
    "Eemskanaal": (36, 38),
    "Winschoterdiep": (8, 24),  # shipyards in Hoogezand and Martenshoek
    "Reitdiep": (1.0, 42),
    "Damsterdiep": (0.2, 14),
    "Ruiten Aa-kanaal": (0.0, 9),
    "Westerwoldse Aa": (0.1, 11),
    "Musselkanaal": (0.1, 6),
    "Lauwersmeer": (14, 80),  # fishing cutters from Lauwersoog, yachts to the Wadden Sea
}
RWS, PROVINCE = "Rijkswaterstaat (bediening Provincie Groningen)", "Provincie Groningen"

STRUCTURES: tuple[Structure, ...] = (
    Structure("GR-BR-001", "Gaarkeukenbrug", "brug", "basculebrug", "Van Starkenborghkanaal", "GM1969",
              (6.3140, 53.2385), RWS, clearance=5.4),
    Structure("GR-BR-002", "Brug Zuidhorn", "brug", "hefbrug", "Van Starkenborghkanaal", "GM1969",
              (6.3998, 53.2552), RWS, clearance=9.4),
    Structure("GR-BR-003", "Aduarderbrug", "brug", "hefbrug", "Van Starkenborghkanaal", "GM1969",
              (6.4620, 53.2490), RWS, clearance=9.4),
    Structure("GR-BR-004", "Dorkwerderbrug", "brug", "basculebrug", "Van Starkenborghkanaal", "GM0014",
              (6.5155, 53.2405), RWS, clearance=6.9),
    Structure("GR-BR-005", "Paddepoelsterbrug", "brug", "basculebrug", "Van Starkenborghkanaal", "GM0014",
              (6.5445, 53.2400), RWS, clearance=6.6),
    Structure("GR-BR-006", "Berlagebrug", "brug", "basculebrug", "Eemskanaal", "GM0014",
              (6.6000, 53.2170), RWS, clearance=3.5),
    Structure("GR-BR-007", "Driebondsbrug", "brug", "basculebrug", "Eemskanaal", "GM0014",
              (6.6165, 53.2160), RWS, clearance=5.7),
    Structure("GR-BR-008", "Borgbrug", "brug", "basculebrug", "Eemskanaal", "GM0014",
              (6.6420, 53.2280), RWS, clearance=5.6),
    Structure("GR-BR-009", "Bloemhofbrug", "brug", "basculebrug", "Eemskanaal", "GM0014",
              (6.7260, 53.2780), RWS, clearance=5.8),
    Structure("GR-BR-010", "Woldbrug", "brug", "basculebrug", "Eemskanaal", "GM1979",
              (6.8600, 53.3070), RWS, clearance=5.8),
    Structure("GR-BR-011", "Sontbrug", "brug", "basculebrug", "Winschoterdiep", "GM0014",
              (6.6040, 53.2080), PROVINCE, clearance=3.8),
    Structure("GR-BR-012", "Euvelgunnerbrug", "brug", "basculebrug", "Winschoterdiep", "GM0014",
              (6.6170, 53.2020), PROVINCE, clearance=4.4),
    Structure("GR-BR-013", "Waterhuizerbrug", "brug", "draaibrug", "Winschoterdiep", "GM0014",
              (6.6640, 53.1950), PROVINCE, clearance=2.2),
    Structure("GR-BR-014", "Slochterbrug", "brug", "basculebrug", "Winschoterdiep", "GM1952",
              (6.7870, 53.1640), PROVINCE, commercial=0.6, recreational=0.7, clearance=2.1),
    Structure("GR-BR-015", "Noordbroeksterbrug", "brug", "basculebrug", "Winschoterdiep", "GM1952",
              (6.8050, 53.1630), PROVINCE, commercial=0.5, recreational=0.7, clearance=2.0),
    Structure("GR-BR-016", "Eexterbrug", "brug", "basculebrug", "Winschoterdiep", "GM1895",
              (6.9700, 53.1690), PROVINCE, commercial=0.2, recreational=0.5, clearance=1.9),
    Structure("GR-BR-017", "Renselbrug", "brug", "basculebrug", "Winschoterdiep", "GM1895",
              (7.0150, 53.1500), PROVINCE, commercial=0.15, recreational=0.45, clearance=1.8),
    Structure("GR-BR-018", "Brug Wierumerschouw", "brug", "basculebrug", "Reitdiep", "GM1966",
              (6.5330, 53.2730), PROVINCE, clearance=2.6),
    Structure("GR-BR-019", "Garnwerderbrug", "brug", "basculebrug", "Reitdiep", "GM1969",
              (6.4990, 53.3140), PROVINCE, recreational=0.9, clearance=2.3),
    Structure("GR-BR-020", "Brug Roodehaan", "brug", "basculebrug", "Reitdiep", "GM1966",
              (6.4350, 53.3420), PROVINCE, recreational=0.8, clearance=2.3),
    Structure("GR-BR-021", "Brug Zoutkamp", "brug", "basculebrug", "Reitdiep", "GM1966",
              (6.2990, 53.3370), PROVINCE, recreational=0.9, clearance=2.5),
    Structure("GR-BR-022", "Solwerderbrug", "brug", "ophaalbrug", "Damsterdiep", "GM1979",
              (6.8700, 53.3260), "Gemeente Eemsdelta", clearance=1.3),
    Structure("GR-BR-023", "Jurjen ter Borchbrug", "brug", "ophaalbrug", "Ruiten Aa-kanaal", "GM1950",
              (7.1600, 52.9850), "Gemeente Westerwolde", clearance=1.1),
    Structure("GR-BR-024", "Bourtangersluisbrug", "brug", "ophaalbrug", "Ruiten Aa-kanaal", "GM1950",
              (7.1870, 53.0090), "Gemeente Westerwolde", clearance=1.0),
    Structure("GR-BR-025", "Ter Apelerbrug", "brug", "ophaalbrug", "Ruiten Aa-kanaal", "GM1950",
              (7.0800, 52.8800), "Gemeente Westerwolde", recreational=0.7, clearance=1.0),
    Structure("GR-BR-026", "Brug Klein Ulsda", "brug", "ophaalbrug", "Westerwoldse Aa", "GM1950",
              (7.1450, 53.0950), PROVINCE, clearance=1.2),
    Structure("GR-BR-027", "Brug Nieuweschans", "brug", "draaibrug", "Westerwoldse Aa", "GM1895",
              (7.1990, 53.1840), PROVINCE, recreational=1.1, clearance=1.5),
    Structure("GR-BR-028", "Stationsbrug Musselkanaal", "brug", "ophaalbrug", "Musselkanaal", "GM0037",
              (7.0100, 52.9330), "Gemeente Stadskanaal", clearance=0.9),
    Structure("GR-BR-029", "Brug Stroobos", "brug", "draaibrug", "Prinses Margrietkanaal", "GM1969",
              (6.2880, 53.2335), "Rijkswaterstaat", clearance=2.6),
    Structure("GR-SL-001", "Oostersluis", "sluis", "schutsluis", "Van Starkenborghkanaal", "GM0014",
              (6.6090, 53.2140), RWS, commercial=1.1, recreational=1.2),
    Structure("GR-SL-002", "Sluis Gaarkeuken", "sluis", "schutsluis", "Van Starkenborghkanaal", "GM1969",
              (6.3120, 53.2395), RWS),
    Structure("GR-SL-003", "Zeesluis Farmsum", "sluis", "zeesluis", "Eemskanaal", "GM1979",
              (6.9350, 53.3180), RWS, commercial=0.9, recreational=0.8),
    Structure("GR-SL-004", "Robbengatsluis", "sluis", "schutsluis", "Lauwersmeer", "GM1966",
              (6.2050, 53.4070), "Rijkswaterstaat"),
    Structure("GR-SL-005", "Reitdiepsluis Zoutkamp", "sluis", "schutsluis", "Reitdiep", "GM1966",
              (6.3010, 53.3385), PROVINCE, recreational=0.9),
)
BRIDGES = tuple(s for s in STRUCTURES if s.kind == "brug")


@dataclass(frozen=True)
class Crossing:
    """The road that crosses the water on a bridge: its class, vehicles per day (both directions), speed limit."""

    road: str  # provinciale weg, stadsweg, dorpsweg
    aadt: int
    limit: int


_P, _S, _D = "provinciale weg", "stadsweg", "dorpsweg"
CROSSINGS: dict[str, Crossing] = {
    "GR-BR-001": Crossing(_P, 5_200, 60), "GR-BR-002": Crossing(_P, 8_800, 50), "GR-BR-003": Crossing(_P, 6_400, 60),
    "GR-BR-004": Crossing(_S, 7_500, 50), "GR-BR-005": Crossing(_S, 3_200, 50), "GR-BR-006": Crossing(_S, 16_000, 50),
    "GR-BR-007": Crossing(_S, 12_500, 50), "GR-BR-008": Crossing(_P, 6_800, 60), "GR-BR-009": Crossing(_D, 2_400, 60),
    "GR-BR-010": Crossing(_S, 5_600, 50), "GR-BR-011": Crossing(_S, 14_000, 50), "GR-BR-012": Crossing(_S, 11_000, 50),
    "GR-BR-013": Crossing(_D, 2_100, 50), "GR-BR-014": Crossing(_S, 6_200, 50), "GR-BR-015": Crossing(_S, 5_400, 50),
    "GR-BR-016": Crossing(_D, 2_600, 50), "GR-BR-017": Crossing(_S, 4_100, 50), "GR-BR-018": Crossing(_P, 4_800, 60),
    "GR-BR-019": Crossing(_D, 1_200, 50), "GR-BR-020": Crossing(_D, 1_500, 50), "GR-BR-021": Crossing(_P, 3_900, 50),
    "GR-BR-022": Crossing(_D, 2_300, 50), "GR-BR-023": Crossing(_D, 1_600, 50), "GR-BR-024": Crossing(_D, 900, 50),
    "GR-BR-025": Crossing(_S, 3_600, 50), "GR-BR-026": Crossing(_D, 800, 60), "GR-BR-027": Crossing(_D, 2_000, 50),
    "GR-BR-028": Crossing(_S, 4_400, 50), "GR-BR-029": Crossing(_P, 5_800, 60),
}

HOLIDAYS_2024 = {date(2024, 1, 1), date(2024, 4, 1), date(2024, 4, 27), date(2024, 5, 9), date(2024, 5, 20),
                 date(2024, 12, 25), date(2024, 12, 26)}
# Pleasure craft per month relative to the summer peak (1 = July).
_SEASON = (0.02, 0.03, 0.08, 0.25, 0.50, 0.68, 1.00, 0.95, 0.50, 0.20, 0.05, 0.02)
# The bridge at Wierumerschouw was out of service for weeks after a collision in the summer of 2024.
CLOSURES = {"GR-BR-018": (date(2024, 7, 14), date(2024, 8, 23))}


def season(day: date) -> float:
    """Pleasure-craft level on a day, interpolated between mid-month values so it has no monthly steps."""
    position = day.month - 1 + (day.day - 15) / 30
    low = math.floor(position)
    frac = position - low
    return _SEASON[low % 12] * (1 - frac) + _SEASON[(low + 1) % 12] * frac


def _day_factors(day: date) -> tuple[float, float]:
    weekday = day.weekday()
    commercial = (1.0, 1.02, 1.0, 1.02, 0.95, 0.55, 0.3)[weekday]
    recreational = 1.5 if weekday >= 5 else 1.0
    if day in HOLIDAYS_2024:
        commercial, recreational = 0.3, 1.8
    if day.month == 12 and day.day >= 24:
        commercial *= 0.6
    return commercial, recreational


@functools.cache
def daily_passages(s: Structure) -> dict[date, tuple[int, int]]:
    """Commercial and recreational vessels passing a structure on each day of 2024 (computed once per structure)."""
    r = rng("passages", s.id)
    com_base, rec_base = WATERWAYS[s.waterway]
    result = {}
    for day in days(date(2024, 1, 1), date(2024, 12, 31)):
        com_day, rec_day = _day_factors(day)
        com = poisson(r, com_base * s.commercial * com_day)
        rec = poisson(r, rec_base * s.recreational * rec_day * season(day))
        closure = CLOSURES.get(s.id)
        result[day] = (0, 0) if closure and closure[0] <= day <= closure[1] else (com, rec)
    return result


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]
