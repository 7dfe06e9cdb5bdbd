"""Demo energy use and renewable supply per municipality, exported the way an old spreadsheet does it.

Windows-1252, semicolons, decimal commas and CRLF line ends: the ingester has to cope with all of them.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

from wierde.demo.base import Metadata, Output, Text, csv_options, rng
from wierde.demo.geometry import Province
from wierde.demo.population import YEARS, households, neighbourhood_inhabitants
from wierde.demo.writers import nl_decimal, write_csv

ENERGY_YEARS = tuple(y for y in YEARS if y <= 2024)
TJ_PER_KWH, TJ_PER_M3_GAS = 3.6e-6, 31.65e-6
# Business use in 2015 (TJ electricity, TJ gas) and biomass supply (TJ) per municipality.
BUSINESS = {"GM0014": (2600, 4200, 300), "GM1966": (450, 900, 60), "GM1969": (600, 1200, 90),
            "GM1952": (1100, 2600, 220), "GM1979": (6000, 26000, 1500), "GM1895": (500, 900, 80),
            "GM0765": (200, 700, 40), "GM0037": (450, 1100, 70), "GM0047": (500, 1400, 60),
            "GM1950": (400, 1800, 90)}
DATACENTRE = {2016: 500, 2017: 2000, 2018: 3500, 2019: 4500, 2020: 5500, 2021: 6500, 2022: 7000, 2023: 7400,
              2024: 7800}  # the Eemshaven data centre, in Het Hogeland (TJ electricity)
# Installed wind power (MW): {municipality: ((from year, MW), …)}, the last step reached applies.
WIND = {"GM1966": ((2015, 260), (2016, 300), (2017, 330), (2019, 360), (2020, 400), (2022, 440), (2024, 480)),
        "GM1979": ((2015, 100), (2018, 180), (2022, 230), (2024, 260)),
        "GM1952": ((2015, 5), (2021, 70)), "GM0047": ((2021, 55),), "GM1895": ((2015, 10), (2020, 120)),
        "GM0014": ((2015, 2), (2019, 15))}
# Solar parks (MW) switched on per year, on top of rooftop panels.
SOLAR_PARKS = {"GM1952": ((2019, 103),), "GM1950": ((2019, 50), (2020, 110)), "GM0014": ((2019, 35), (2022, 20)),
               "GM1979": ((2019, 30), (2021, 40)), "GM0047": ((2020, 40),), "GM0765": ((2020, 30),),
               "GM1969": ((2021, 25),), "GM1966": ((2020, 20), (2022, 40)), "GM1895": ((2021, 30),),
               "GM0037": ((2020, 25),)}
NOTES = {
    ("GM1966", 2016): "Datacenter in de Eemshaven in gebruik: elektriciteitsvraag stijgt sterk",
    ("GM1979", 2018): "Windpark Delfzijl-Zuid uitgebreid",
    ("GM1952", 2019): "Zonnepark Midden-Groningen (Sappemeer) in bedrijf",
    ("GM0014", 2019): "Warmtenet WarmteStad levert aan Paddepoel en Selwerd",
    ("GM1950", 2020): "Zonnepark Vlagtwedde in bedrijf",
    ("GM1895", 2020): "Windpark Oldambt in bedrijf",
    ("GM1952", 2021): "Windpark N33 in bedrijf; financiële participatie voor omwonenden",
    ("GM0047", 2021): "Windpark N33 in bedrijf; financiële participatie voor omwonenden",
}
CRISIS_NOTE = "Energiecrisis: lager gasverbruik; energietoeslag € 1.300 voor lage inkomens"
# Heating demand relative to an average year (warm winters use less gas).
WEATHER = {2015: 1.0, 2016: 1.02, 2017: 0.98, 2018: 0.99, 2019: 0.96, 2020: 0.92, 2021: 1.04, 2022: 0.93,
           2023: 0.94, 2024: 0.92}


def _step(steps: tuple[tuple[int, float], ...], year: int) -> float:
    return next((mw for start, mw in reversed(steps) if start <= year), 0.0)


def _households(province: Province) -> dict[str, list[int]]:
    inhabitants = neighbourhood_inhabitants(province)
    result = {g.code: [0] * len(ENERGY_YEARS) for g in province.gemeenten}
    for b in province.buurten:
        for i, year in enumerate(ENERGY_YEARS):
            result[b.gemeente][i] += households(b.profile, year, inhabitants[b.code][i])
    return result


def _row(code: str, name: str, year: int, homes: int, inhabitants: int) -> list[object]:
    r = rng("energie", code, year)
    t = year - 2015
    biz_elec, biz_gas, biomass = BUSINESS[code]
    crisis = 0.82 if year >= 2022 else 1.0
    elec = homes * 2800 * (1 - 0.012 * t) * TJ_PER_KWH + biz_elec * (1 + 0.005 * t)
    elec += DATACENTRE.get(year, 0) if code == "GM1966" else 0
    gas = homes * 1350 * (1 - 0.015 * t) * TJ_PER_M3_GAS * WEATHER[year] * crisis
    gas += biz_gas * (1 - 0.015 * t) * (0.85 if year >= 2022 else 1.0)
    heat = (50 + 70 * (year - 2019)) if code == "GM0014" and year >= 2019 else 0.0
    wind_mw = _step(WIND.get(code, ()), year)
    solar_mw = inhabitants * 25 * 1.4**t / 1e6 + sum(mw for y, mw in SOLAR_PARKS.get(code, ()) if y <= year)
    wind = wind_mw * 2600 * math.exp(r.gauss(0, 0.06)) * 3.6e-3
    solar = solar_mw * 900 * math.exp(r.gauss(0, 0.04)) * 3.6e-3
    bio = biomass * math.exp(r.gauss(0, 0.05))
    renewable = wind + solar + bio
    share = 100 * renewable / (elec + gas + heat)
    note = NOTES.get((code, year), CRISIS_NOTE if year == 2022 else "")
    return [code, name, year, *(nl_decimal(v, 1) for v in (elec, gas, heat, solar_mw, wind_mw, solar, wind, bio,
                                                             renewable, share)), note]


def energie(province: Province, target: Path) -> Output:
    path = target / "energie.csv"
    homes = _households(province)
    people = neighbourhood_inhabitants(province)
    rows = []
    for g in province.gemeenten:
        for i, year in enumerate(ENERGY_YEARS):
            inhabitants = sum(people[b.code][i] for b in province.buurten if b.gemeente == g.code)
            rows.append(_row(g.code, g.name, year, homes[g.code][i], inhabitants))
    header = ("gemeentecode", "gemeentenaam", "jaar", "elektriciteit_tj", "aardgas_tj", "warmte_tj",
              "zon_vermogen_mw", "wind_vermogen_mw", "zonnestroom_tj", "windenergie_tj", "biomassa_tj",
              "hernieuwbaar_tj", "aandeel_hernieuwbaar_pct", "opmerking")
    write_csv(path, header, rows, delimiter=";", encoding="cp1252", crlf=True)
    meta = Metadata(
        title=Text("Energieverbruik en hernieuwbare energie per gemeente",
                   "Energy use and renewable energy per municipality"),
        description=Text(
            "Elektriciteits-, aardgas- en warmteverbruik (TJ) van woningen en bedrijven, opgesteld vermogen zon en "
            "wind (MW) en hernieuwbare opwek (TJ) per gemeente en jaar, 2015–2024, met het aandeel hernieuwbaar "
            "in het energieverbruik zonder verkeer. Bestand in Windows-1252 met puntkomma's en decimale komma's.",
            "Electricity, natural gas and heat use (TJ) of homes and businesses, installed solar and wind power "
            "(MW) and renewable supply (TJ) per municipality and year, 2015–2024, with the renewable share of "
            "energy use excluding transport. File in Windows-1252 with semicolons and decimal commas.",
        ),
        keywords_nl=("energie", "hernieuwbaar", "zon", "wind", "aardgas", "energietransitie"),
        keywords_en=("energy", "renewable", "solar", "wind", "natural gas", "energy transition"),
        themes=("ENER", "ENVI"),
        temporal=(date(2015, 1, 1), date(2024, 12, 31)),
        accrual_periodicity="annual",
        issued=date(2017, 3, 1),
        modified=date(2025, 6, 10),
    )
    types = {"gemeentecode": "string", "jaar": "year", **{h: "number" for h in header[3:-1]}, "opmerking": "string"}
    return Output("energie", path, meta, csv_options(types, delimiter=";", encoding="cp1252"))
