"""The districts (wijken) and neighbourhoods (buurten) of the demo, named after real places in each municipality.

CBS codes follow from the order here: WK + municipality digits + 2-digit district number, BU + district code digits +
2-digit neighbourhood number. A profile says what kind of place a neighbourhood is (historic centre, 1970s estate,
village, scattered farms, industrial area); population, housing and energy figures are drawn from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from wierde.demo.places import PLACES, Point

CENTRUM = "centrum"  # historic city or town centre, many students and small households
OUD = "vooroorlogs"  # pre-war city quarters
NAOORLOGS = "naoorlogs"  # 1950s-60s city estates
JAREN70 = "jaren70"  # 1970s-80s estates (Beijum, Lewenborg, Hoornse Meer)
NIEUW = "nieuw"  # 1995-2015 extensions
NIEUWBOUW = "nieuwbouw"  # building now (Meerstad): strong growth
KERN = "kern"  # centre of a small town
WIJK = "wijk"  # neighbourhood of a small town
DORP = "dorp"  # village
VERSPREID = "verspreid"  # scattered houses and farms (CBS: "Verspreide huizen")
BEDRIJVEN = "bedrijven"  # industrial estate or campus, hardly anyone lives there


@dataclass(frozen=True)
class BuurtSpec:
    """A neighbourhood: its name, its profile and, when known, where it lies."""

    name: str
    profile: str
    at: Point | None = None


@dataclass(frozen=True)
class WijkSpec:
    """A district: its name, where its centre lies and its neighbourhoods in CBS order."""

    name: str
    anchor: Point
    buurten: tuple[BuurtSpec, ...]


def _b(name: str, profile: str, at: Point | None = None) -> BuurtSpec:
    return BuurtSpec(name, profile, at if at is not None else PLACES.get(name))


def _w(name: str, anchor: str | Point, *buurten: BuurtSpec) -> WijkSpec:
    return WijkSpec(name, PLACES[anchor] if isinstance(anchor, str) else anchor, buurten)


def _villages(*names: str) -> tuple[BuurtSpec, ...]:
    return tuple(_b(n, DORP) for n in names)


def _scattered(wijk: str) -> BuurtSpec:
    return _b(f"Verspreide huizen {wijk}", VERSPREID)


def _town(name: str, *quarters: str) -> tuple[BuurtSpec, ...]:
    """A small town's centre plus its quarters, named the CBS way (Winschoten-Noord …)."""
    return (_b(f"{name}-Centrum", KERN), *(_b(f"{name}-{q}", WIJK) for q in quarters))


GRONINGEN = (
    _w("Centrum", (6.5670, 53.2180),
       _b("Binnenstad-Noord", CENTRUM, (6.5660, 53.2210)), _b("Binnenstad-Zuid", CENTRUM, (6.5680, 53.2160)),
       _b("Binnenstad-Oost", CENTRUM, (6.5730, 53.2190)), _b("Binnenstad-West", CENTRUM, (6.5600, 53.2180)),
       _b("Ebbingekwartier", NIEUW, (6.5670, 53.2240)), _b("Hortusbuurt", OUD, (6.5600, 53.2235))),
    _w("Oude Wijken", (6.5550, 53.2280),
       _b("Noorderplantsoenbuurt", OUD, (6.5590, 53.2275)), _b("Schildersbuurt", OUD, (6.5530, 53.2290)),
       _b("Oranjebuurt", OUD, (6.5510, 53.2240)), _b("Zeeheldenbuurt", OUD, (6.5530, 53.2210))),
    _w("Zuid", (6.5700, 53.2040),
       _b("Oosterpoort", OUD, (6.5780, 53.2100)), _b("Herewegbuurt", OUD, (6.5740, 53.2040)),
       _b("Rivierenbuurt", OUD, (6.5760, 53.1990)), _b("Helpman", OUD, (6.5800, 53.1940)),
       _b("Coendersborg", NAOORLOGS, (6.5890, 53.1960)), _b("Grunobuurt", OUD, (6.5620, 53.2080)),
       _b("Laanhuizen", OUD, (6.5540, 53.2050))),
    _w("Oost", (6.5900, 53.2260),
       _b("Oosterparkwijk", OUD, (6.5900, 53.2220)), _b("De Hoogte", OUD, (6.5810, 53.2320)),
       _b("Korrewegwijk", OUD, (6.5740, 53.2350)), _b("Professorenbuurt", OUD, (6.5700, 53.2310)),
       _b("Damsterbuurt", OUD, (6.5850, 53.2190)), _b("Indische Buurt", OUD, (6.5880, 53.2300))),
    _w("Noordoost", (6.6200, 53.2450),
       _b("Beijum-West", JAREN70, (6.6030, 53.2520)), _b("Beijum-Oost", JAREN70, (6.6150, 53.2530)),
       _b("Lewenborg", JAREN70, (6.6300, 53.2370)), _b("Kardinge", VERSPREID, (6.6100, 53.2410)),
       _b("Ulgersmaborg", NIEUW, (6.6260, 53.2450)), _b("Drielanden", NIEUW, (6.6350, 53.2260)),
       _b("Noorddijk", DORP)),
    _w("Noordwest", (6.5400, 53.2420),
       _b("Selwerd", NAOORLOGS, (6.5550, 53.2370)), _b("Paddepoel-Noord", NAOORLOGS, (6.5440, 53.2440)),
       _b("Paddepoel-Zuid", NAOORLOGS, (6.5450, 53.2380)), _b("Vinkhuizen-Noord", NAOORLOGS, (6.5270, 53.2350)),
       _b("Vinkhuizen-Zuid", NAOORLOGS, (6.5270, 53.2290)), _b("Tuinwijk", OUD, (6.5480, 53.2300)),
       _b("Zernike Campus", BEDRIJVEN, (6.5350, 53.2470))),
    _w("West", (6.5130, 53.2280),
       _b("De Held", NIEUW, (6.5140, 53.2230)), _b("Gravenburg", NIEUW, (6.5100, 53.2320)),
       _b("Reitdiep", NIEUW, (6.5200, 53.2480)), _b("Dorkwerd", DORP),
       _b("Westpoort", BEDRIJVEN, (6.4950, 53.2160))),
    _w("Hoogkerk", "Hoogkerk",
       _b("Hoogkerk-Noord", WIJK, (6.5030, 53.2160)), _b("Hoogkerk-Zuid", WIJK, (6.5030, 53.2090)),
       _b("De Buitenhof", NIEUW, (6.5100, 53.2030)), _b("Leegkerk", DORP), _scattered("Hoogkerk")),
    _w("Zuidwest", (6.5450, 53.1950),
       _b("De Wijert-Noord", NAOORLOGS, (6.5560, 53.1990)), _b("De Wijert-Zuid", NAOORLOGS, (6.5560, 53.1940)),
       _b("Hoornse Meer", JAREN70, (6.5450, 53.1900)), _b("Hoornse Park", NIEUW, (6.5380, 53.1930)),
       _b("Piccardthof", NIEUW, (6.5330, 53.1970)), _b("Corpus den Hoorn", NAOORLOGS, (6.5600, 53.1900))),
    _w("Zuidoost", (6.6300, 53.2060),
       _b("Europapark", NIEUW, (6.6000, 53.2050)), _b("Euvelgunne", BEDRIJVEN, (6.6200, 53.2040)),
       _b("Meerstad-Noord", NIEUWBOUW, (6.6700, 53.2120)), _b("Meerstad-Zuid", NIEUWBOUW, (6.6750, 53.2030)),
       _b("Middelbert", DORP), _b("Engelbert", DORP), _b("Waterhuizen", DORP)),
    _w("Haren", "Haren",
       *_town("Haren", "Noord", "Zuid"),
       *_villages("Glimmen", "Onnen", "Noordlaren", "Essen", "Harenermolen"), _scattered("Haren")),
    _w("Ten Boer", "Ten Boer",
       _b("Ten Boer", KERN), *_villages("Ten Post", "Woltersum", "Thesinge", "Garmerwolde", "Sint Annen",
                                        "Wittewierum"), _scattered("Ten Boer")),
)

WIJKEN: dict[str, tuple[WijkSpec, ...]] = {
    "GM0014": GRONINGEN,
    "GM1966": (
        _w("Winsum", "Winsum", _b("Winsum", KERN), *_villages("Baflo", "Sauwerd", "Adorp", "Den Andel"),
           _scattered("Winsum")),
        _w("Bedum", "Bedum", *_town("Bedum", "Noord", "Zuid"), *_villages("Onderdendam", "Zuidwolde", "Noordwolde")),
        _w("Uithuizen", "Uithuizen", _b("Uithuizen", KERN),
           *_villages("Uithuizermeeden", "Roodeschool", "Oudeschip", "Zandeweer"), _b("Eemshaven", BEDRIJVEN)),
        _w("Warffum", "Warffum", *_villages("Warffum", "Usquert", "Kantens", "Rottum", "Stitswerd"),
           _scattered("Warffum")),
        _w("Leens", "Leens", *_villages("Leens", "Ulrum", "Eenrum", "Mensingeweer", "Wehe-den Hoorn", "Roodehaan"),
           _scattered("Leens")),
        _w("Zoutkamp", "Zoutkamp",
           *_villages("Zoutkamp", "Lauwersoog", "Vierhuizen", "Kloosterburen", "Pieterburen", "Hornhuizen")),
    ),
    "GM1969": (
        _w("Zuidhorn", "Zuidhorn", *_town("Zuidhorn", "Zuid"), *_villages("Noordhorn", "Den Horn"),
           _scattered("Zuidhorn")),
        _w("Aduard", "Aduard", *_villages("Aduard", "Den Ham"), _scattered("Aduard")),
        _w("Ezinge", "Ezinge", *_villages("Ezinge", "Garnwerd", "Feerwerd", "Saaksum")),
        _w("Grijpskerk", "Grijpskerk", *_villages("Grijpskerk", "Visvliet", "Pieterzijl", "Niekerk", "Gaarkeuken")),
        _w("Grootegast", "Grootegast",
           *_villages("Grootegast", "Doezum", "Kornhorn", "Lutjegast", "Sebaldeburen", "Opende")),
        _w("Leek", "Leek", *_town("Leek", "Oost"), *_villages("Tolbert", "Zevenhuizen", "Midwolde", "Lettelbert",
                                                             "Enumatil")),
        _w("Marum", "Marum", *_villages("Marum", "Nuis", "Niebert", "Noordwijk", "Boerakker", "De Wilp")),
    ),
    "GM1952": (
        _w("Hoogezand", "Hoogezand", *_town("Hoogezand", "Noord", "Zuid"), _b("Martenshoek", WIJK),
           *_villages("Foxhol", "Westerbroek", "Kropswolde")),
        _w("Sappemeer", "Sappemeer", _b("Sappemeer-Oost", WIJK, (6.8050, 53.1600)),
           _b("Sappemeer-West", WIJK, (6.7850, 53.1620)), *_villages("Kiel-Windeweer", "Tripscompagnie")),
        _w("Slochteren", "Slochteren", *_villages("Slochteren", "Schildwolde", "Hellum", "Kolham", "Froombosch",
                                                  "Harkstede", "Lageland", "Scharmer")),
        _w("Siddeburen", "Siddeburen", *_villages("Siddeburen", "Tjuchem", "Steendam", "Overschild"),
           _scattered("Siddeburen")),
        _w("Menterwolde", "Zuidbroek", *_villages("Zuidbroek", "Muntendam", "Noordbroek", "Meeden"),
           _scattered("Menterwolde")),
    ),
    "GM1979": (
        _w("Appingedam", "Appingedam", *_town("Appingedam", "West"), *(_b(n, WIJK) for n in ("Opwierde", "Solwerd")),
           _b("Tjamsweer", WIJK, (6.8710, 53.3180))),
        _w("Delfzijl", "Delfzijl", *_town("Delfzijl", "Noord", "Zuid"), _b("Farmsum", DORP),
           _b("Oosterhorn", BEDRIJVEN)),
        _w("Woldendorp", "Woldendorp",
           *_villages("Woldendorp", "Termunten", "Termunterzijl", "Wagenborgen", "Borgsweer", "Meedhuizen")),
        _w("Loppersum", "Loppersum", *_villages("Loppersum", "Wirdum", "Garrelsweer", "Eenum", "Leermens",
                                                "Oosterwijtwerd", "Zeerijp", "'t Zandt")),
        _w("Middelstum", "Middelstum",
           *_villages("Middelstum", "Huizinge", "Westeremden", "Stedum", "Garsthuizen", "Toornwerd")),
    ),
    "GM1895": (
        _w("Winschoten", "Winschoten", *_town("Winschoten", "Noord", "Oost", "Zuid", "West"), _b("Heiligerlee", DORP)),
        _w("Scheemda", "Scheemda", *_villages("Scheemda", "Westerlee", "Nieuw-Scheemda", "'t Waar", "Nieuwolda"),
           _scattered("Scheemda")),
        _w("Midwolda", "Midwolda", *_villages("Midwolda", "Oostwold"), _b("Blauwestad", NIEUW),
           _scattered("Midwolda")),
        _w("Reiderland", "Beerta",
           *_villages("Bad Nieuweschans", "Finsterwolde", "Beerta", "Drieborg", "Nieuw-Beerta"),
           _scattered("Reiderland")),
    ),
    "GM0765": (
        _w("Oude Pekela", "Oude Pekela", *_town("Oude Pekela", "Noord", "Zuid")),
        _w("Nieuwe Pekela", "Nieuwe Pekela", _b("Nieuwe Pekela", KERN), _b("Boven Pekela", DORP),
           _scattered("Pekela")),
    ),
    "GM0037": (
        _w("Stadskanaal", "Stadskanaal", *_town("Stadskanaal", "Noord", "Oost", "Zuid", "West")),
        _w("Musselkanaal", "Musselkanaal", _b("Musselkanaal", KERN),
           *_villages("Mussel", "Vledderveen", "Ter Apelkanaal")),
        _w("Onstwedde", "Onstwedde", *_villages("Onstwedde", "Alteveer"), _scattered("Onstwedde")),
    ),
    "GM0047": (
        _w("Veendam", "Veendam", *_town("Veendam", "Noord", "Oost", "Zuid", "West")),
        _w("Wildervank", "Wildervank", _b("Wildervank", KERN),
           *_villages("Ommelanderwijk", "Zuidwending", "Bareveld"), _scattered("Wildervank")),
    ),
    "GM1950": (
        _w("Ter Apel", "Ter Apel", *_town("Ter Apel", "Noord", "Zuid")),
        _w("Vlagtwedde", "Vlagtwedde", *_villages("Vlagtwedde", "Sellingen", "Jipsinghuizen", "Bourtange"),
           _scattered("Vlagtwedde")),
        _w("Bellingwedde", "Bellingwolde",
           *_villages("Bellingwolde", "Blijham", "Wedde", "Oudeschans", "Vriescheloo", "Veelerveen")),
    ),
}
