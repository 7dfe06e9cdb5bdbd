"""Real names and approximate locations in the province of Groningen, typed in by hand for the demo.

Coordinates are WGS84 (lon, lat), rounded to about a few hundred metres: good enough to put a village, bridge or
lock in the right place on a provincial map, not for surveying. Generated geometry snaps them into the right
municipality, so a slightly-off coordinate never produces a point in the wrong polygon.
"""

from __future__ import annotations

Point = tuple[float, float]

# The ten municipalities of the province (CBS codes, 2025 boundaries).
GEMEENTEN: tuple[tuple[str, str], ...] = (
    ("GM0014", "Groningen"),
    ("GM1966", "Het Hogeland"),
    ("GM1969", "Westerkwartier"),
    ("GM1952", "Midden-Groningen"),
    ("GM1979", "Eemsdelta"),
    ("GM1895", "Oldambt"),
    ("GM0765", "Pekela"),
    ("GM0037", "Stadskanaal"),
    ("GM0047", "Veendam"),
    ("GM1950", "Westerwolde"),
)
GEMEENTE_NAMES = dict(GEMEENTEN)

# Towns and villages (and a few hamlets and harbours) by name.
PLACES: dict[str, Point] = {
    # Groningen
    "Groningen": (6.5665, 53.2194), "Haren": (6.6045, 53.1734), "Glimmen": (6.6300, 53.1420),
    "Onnen": (6.6370, 53.1570), "Noordlaren": (6.6650, 53.1175), "Essen": (6.5800, 53.1850),
    "Harenermolen": (6.5870, 53.1770), "Ten Boer": (6.6960, 53.2760), "Ten Post": (6.7540, 53.3020),
    "Woltersum": (6.7220, 53.2840), "Thesinge": (6.6420, 53.2640), "Garmerwolde": (6.6470, 53.2470),
    "Sint Annen": (6.6900, 53.2980), "Wittewierum": (6.7370, 53.2570), "Hoogkerk": (6.5030, 53.2130),
    "Leegkerk": (6.4940, 53.2270), "Dorkwerd": (6.5190, 53.2420), "Noorddijk": (6.6350, 53.2500),
    "Middelbert": (6.6450, 53.2150), "Engelbert": (6.6280, 53.2180), "Waterhuizen": (6.6600, 53.1950),
    # Het Hogeland
    "Winsum": (6.5170, 53.3300), "Baflo": (6.5150, 53.3620), "Sauwerd": (6.5390, 53.2930),
    "Adorp": (6.5440, 53.2730), "Den Andel": (6.5010, 53.3870), "Bedum": (6.6020, 53.3000),
    "Onderdendam": (6.5880, 53.3350), "Zuidwolde": (6.5950, 53.2630), "Noordwolde": (6.6250, 53.2990),
    "Uithuizen": (6.6710, 53.4080), "Uithuizermeeden": (6.7240, 53.4150), "Roodeschool": (6.7560, 53.4170),
    "Oudeschip": (6.7950, 53.4330), "Eemshaven": (6.8300, 53.4400), "Zandeweer": (6.6750, 53.3760),
    "Warffum": (6.5600, 53.3920), "Usquert": (6.6120, 53.4020), "Kantens": (6.6350, 53.3670),
    "Rottum": (6.6100, 53.3850), "Stitswerd": (6.6060, 53.3640), "Leens": (6.3790, 53.3620),
    "Ulrum": (6.3330, 53.3590), "Eenrum": (6.4630, 53.3630), "Mensingeweer": (6.4280, 53.3570),
    "Wehe-den Hoorn": (6.4050, 53.3590), "Zoutkamp": (6.2980, 53.3370), "Lauwersoog": (6.2090, 53.4050),
    "Vierhuizen": (6.2920, 53.3700), "Kloosterburen": (6.4040, 53.4030), "Pieterburen": (6.4520, 53.4000),
    "Hornhuizen": (6.3540, 53.3960), "Roodehaan": (6.4350, 53.3420),
    # Westerkwartier
    "Zuidhorn": (6.4040, 53.2470), "Noordhorn": (6.3960, 53.2620), "Den Horn": (6.4450, 53.2350),
    "Aduard": (6.4580, 53.2560), "Den Ham": (6.4330, 53.2470), "Ezinge": (6.4440, 53.3170),
    "Garnwerd": (6.4990, 53.3140), "Feerwerd": (6.4720, 53.3020), "Saaksum": (6.4430, 53.3370),
    "Grijpskerk": (6.3070, 53.2630), "Visvliet": (6.2620, 53.2590), "Pieterzijl": (6.2660, 53.2800),
    "Niekerk": (6.3550, 53.2280), "Gaarkeuken": (6.3160, 53.2430), "Grootegast": (6.2720, 53.2110),
    "Doezum": (6.2390, 53.1960), "Kornhorn": (6.2120, 53.2180), "Lutjegast": (6.2520, 53.2340),
    "Opende": (6.1990, 53.1670), "Sebaldeburen": (6.3100, 53.2010), "Leek": (6.3790, 53.1610),
    "Tolbert": (6.3620, 53.1660), "Zevenhuizen": (6.3510, 53.1400), "Midwolde": (6.4180, 53.1630),
    "Lettelbert": (6.4270, 53.1800), "Enumatil": (6.3960, 53.1850), "Marum": (6.2630, 53.1450),
    "Noordwijk": (6.2540, 53.1700), "Nuis": (6.3040, 53.1450), "Niebert": (6.3240, 53.1560),
    "Boerakker": (6.3170, 53.1790), "De Wilp": (6.2000, 53.1350),
    # Midden-Groningen
    "Hoogezand": (6.7600, 53.1620), "Sappemeer": (6.7940, 53.1610), "Martenshoek": (6.7280, 53.1660),
    "Foxhol": (6.7120, 53.1690), "Westerbroek": (6.6750, 53.1860), "Kropswolde": (6.7190, 53.1470),
    "Kiel-Windeweer": (6.7330, 53.1180), "Tripscompagnie": (6.8250, 53.1450), "Slochteren": (6.8050, 53.2180),
    "Schildwolde": (6.8170, 53.2320), "Hellum": (6.8390, 53.2380), "Siddeburen": (6.8720, 53.2420),
    "Harkstede": (6.6800, 53.2170), "Kolham": (6.7360, 53.1850), "Froombosch": (6.7820, 53.1970),
    "Lageland": (6.7000, 53.2030), "Overschild": (6.7830, 53.2660), "Steendam": (6.8150, 53.2690),
    "Tjuchem": (6.8250, 53.2830), "Scharmer": (6.7150, 53.1920), "Zuidbroek": (6.8620, 53.1620),
    "Muntendam": (6.8720, 53.1330), "Noordbroek": (6.8680, 53.1960), "Meeden": (6.9260, 53.1400),
    # Eemsdelta
    "Appingedam": (6.8580, 53.3210), "Delfzijl": (6.9190, 53.3300), "Farmsum": (6.9280, 53.3180),
    "Oosterhorn": (6.9700, 53.3100), "Woldendorp": (6.9930, 53.2720), "Termunten": (7.0350, 53.2990),
    "Termunterzijl": (7.0420, 53.3060), "Wagenborgen": (6.9300, 53.2600), "Borgsweer": (7.0150, 53.3010),
    "Meedhuizen": (6.9530, 53.2900), "Loppersum": (6.7460, 53.3320), "Middelstum": (6.6400, 53.3470),
    "Stedum": (6.6960, 53.3220), "'t Zandt": (6.7740, 53.3620), "Zeerijp": (6.7570, 53.3450),
    "Garrelsweer": (6.7800, 53.3020), "Westeremden": (6.7060, 53.3380), "Huizinge": (6.6720, 53.3560),
    "Wirdum": (6.8030, 53.3190), "Garsthuizen": (6.7180, 53.3670), "Leermens": (6.7840, 53.3500),
    "Eenum": (6.7880, 53.3320), "Oosterwijtwerd": (6.7980, 53.3390), "Toornwerd": (6.6520, 53.3630),
    # Oldambt
    "Winschoten": (7.0340, 53.1440), "Heiligerlee": (7.0060, 53.1570), "Scheemda": (6.9710, 53.1730),
    "Westerlee": (6.9880, 53.1470), "Nieuw-Scheemda": (6.9780, 53.1940), "'t Waar": (6.9600, 53.2150),
    "Nieuwolda": (6.9740, 53.2440), "Midwolda": (7.0110, 53.1950), "Oostwold": (7.0390, 53.2100),
    "Blauwestad": (7.0100, 53.1820), "Bad Nieuweschans": (7.1960, 53.1830), "Finsterwolde": (7.0880, 53.1980),
    "Beerta": (7.1000, 53.1740), "Drieborg": (7.1440, 53.2110), "Nieuw-Beerta": (7.1450, 53.1890),
    # Pekela
    "Oude Pekela": (7.0100, 53.1040), "Nieuwe Pekela": (6.9620, 53.0800), "Boven Pekela": (6.9350, 53.0600),
    # Stadskanaal
    "Stadskanaal": (6.9500, 52.9900), "Musselkanaal": (7.0130, 52.9320), "Mussel": (7.0150, 52.9530),
    "Onstwedde": (7.0360, 53.0050), "Alteveer": (6.9900, 53.0250), "Vledderveen": (6.9800, 52.9100),
    "Ter Apelkanaal": (7.0200, 52.9000),
    # Veendam
    "Veendam": (6.8760, 53.1070), "Wildervank": (6.8650, 53.0770), "Ommelanderwijk": (6.9000, 53.0830),
    "Zuidwending": (6.9200, 53.0950), "Bareveld": (6.8450, 53.0450),
    # Westerwolde
    "Ter Apel": (7.0640, 52.8760), "Vlagtwedde": (7.1070, 53.0280), "Sellingen": (7.1510, 52.9450),
    "Jipsinghuizen": (7.1500, 52.9780), "Bourtange": (7.1910, 53.0070), "Bellingwolde": (7.1670, 53.1170),
    "Blijham": (7.0760, 53.1140), "Wedde": (7.0810, 53.0700), "Oudeschans": (7.1920, 53.1290),
    "Vriescheloo": (7.1180, 53.0960), "Veelerveen": (7.1100, 53.0800),
}

# A coarse outline of the province, traced by hand clockwise from Lauwersoog: the Wadden coast, the Eems and
# Dollard, the German border, then Drenthe and Friesland. Used only when the real CBS boundaries are absent.
PROVINCE_OUTLINE: tuple[Point, ...] = (
    (6.200, 53.410), (6.260, 53.415), (6.340, 53.410), (6.420, 53.420), (6.520, 53.428),
    (6.620, 53.445), (6.700, 53.460), (6.800, 53.460), (6.870, 53.450), (6.890, 53.405),
    (6.915, 53.355), (6.935, 53.330), (7.030, 53.310), (7.085, 53.280), (7.150, 53.245),
    (7.210, 53.235), (7.215, 53.185), (7.195, 53.130), (7.200, 53.060), (7.210, 53.000),
    (7.190, 52.950), (7.115, 52.860), (7.060, 52.850), (7.035, 52.870), (7.010, 52.910),
    (6.985, 52.955), (6.940, 53.000), (6.870, 53.035), (6.820, 53.065), (6.780, 53.095),
    (6.735, 53.110), (6.690, 53.115), (6.650, 53.105), (6.610, 53.125), (6.575, 53.150),
    (6.555, 53.180), (6.500, 53.195), (6.440, 53.185), (6.380, 53.150), (6.340, 53.105),
    (6.280, 53.090), (6.215, 53.120), (6.190, 53.150), (6.200, 53.205), (6.235, 53.250),
    (6.265, 53.290), (6.285, 53.330), (6.195, 53.380),
)

# Railway stations in the province (NS and Arriva lines), for the distance from a neighbourhood to a station.
STATIONS: dict[str, Point] = {
    "Groningen": (6.5645, 53.2105), "Groningen Europapark": (6.5855, 53.2045), "Groningen Noord": (6.5580, 53.2300),
    "Haren": (6.6080, 53.1725), "Kropswolde": (6.7020, 53.1600), "Martenshoek": (6.7400, 53.1630),
    "Hoogezand-Sappemeer": (6.7600, 53.1600), "Sappemeer Oost": (6.8030, 53.1580), "Zuidbroek": (6.8620, 53.1650),
    "Scheemda": (6.9680, 53.1700), "Winschoten": (7.0340, 53.1410), "Bad Nieuweschans": (7.2040, 53.1850),
    "Veendam": (6.8760, 53.1100), "Zuidhorn": (6.4060, 53.2440), "Grijpskerk": (6.3050, 53.2610),
    "Sauwerd": (6.5400, 53.2910), "Winsum": (6.5200, 53.3300), "Baflo": (6.5150, 53.3620),
    "Warffum": (6.5600, 53.3900), "Usquert": (6.6090, 53.4010), "Uithuizen": (6.6700, 53.4060),
    "Uithuizermeeden": (6.7230, 53.4140), "Roodeschool": (6.7570, 53.4170), "Eemshaven": (6.8350, 53.4390),
    "Bedum": (6.5970, 53.3010), "Stedum": (6.6950, 53.3220), "Loppersum": (6.7450, 53.3310),
    "Appingedam": (6.8580, 53.3220), "Delfzijl West": (6.9030, 53.3270), "Delfzijl": (6.9240, 53.3300),
}

# Motorways and regional through roads (traced roughly through the places they pass), for the distance from a
# neighbourhood to a main road.
MAIN_ROADS: dict[str, tuple[Point, ...]] = {
    "A7": ((6.180, 53.125), (6.262, 53.140), (6.380, 53.163), (6.460, 53.195), (6.505, 53.206), (6.565, 53.203),
           (6.620, 53.199), (6.672, 53.186), (6.735, 53.175), (6.800, 53.168), (6.862, 53.165), (6.960, 53.180),
           (7.030, 53.156), (7.110, 53.165), (7.205, 53.185)),
    "A28": ((6.565, 53.205), (6.585, 53.180), (6.600, 53.150), (6.612, 53.108)),
    "N33": ((6.790, 53.030), (6.840, 53.100), (6.862, 53.165), (6.880, 53.220), (6.870, 53.285), (6.860, 53.312),
            (6.925, 53.325)),
    "N46": ((6.592, 53.252), (6.625, 53.300), (6.650, 53.350), (6.660, 53.398), (6.760, 53.430), (6.830, 53.440)),
    "N366": ((6.876, 53.107), (6.962, 53.080), (6.990, 53.025), (6.950, 52.990), (7.013, 52.932), (7.064, 52.876)),
    "N355": ((6.505, 53.206), (6.404, 53.247), (6.307, 53.263), (6.262, 53.259)),
}
