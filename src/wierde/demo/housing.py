"""Demo housing stock per neighbourhood as an Excel workbook: construction periods, energy labels, values.

The figures follow what kind of place each neighbourhood is (historic centre, post-war estate, village).
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

from wierde.demo import neighbourhoods as nb
from wierde.demo.base import Metadata, Output, Text, rng, split_total
from wierde.demo.geometry import Area, Province
from wierde.demo.population import EAST, YEARS, households, neighbourhood_inhabitants
from wierde.demo.writers import write_csv, write_xlsx

PERIODS = ("bouwjaar_voor_1945", "bouwjaar_1945_1974", "bouwjaar_1975_1994", "bouwjaar_1995_2014",
           "bouwjaar_2015_of_later")
LABELS = ("label_a", "label_b", "label_c", "label_d", "label_e", "label_f", "label_g")
# profile: (shares per construction period, owner-occupied %, mean WOZ value in €)
PROFILES: dict[str, tuple[tuple[float, ...], float, float]] = {
    nb.CENTRUM: ((0.55, 0.12, 0.12, 0.13, 0.08), 28, 270_000),
    nb.OUD: ((0.70, 0.10, 0.08, 0.08, 0.04), 45, 330_000),
    nb.NAOORLOGS: ((0.05, 0.65, 0.12, 0.12, 0.06), 35, 215_000),
    nb.JAREN70: ((0.01, 0.25, 0.60, 0.10, 0.04), 45, 225_000),
    nb.NIEUW: ((0.00, 0.02, 0.08, 0.45, 0.45), 65, 335_000),
    nb.NIEUWBOUW: ((0.00, 0.00, 0.02, 0.18, 0.80), 75, 420_000),
    nb.KERN: ((0.40, 0.25, 0.15, 0.12, 0.08), 50, 225_000),
    nb.WIJK: ((0.10, 0.40, 0.30, 0.14, 0.06), 55, 215_000),
    nb.DORP: ((0.38, 0.22, 0.20, 0.14, 0.06), 72, 255_000),
    nb.VERSPREID: ((0.60, 0.15, 0.12, 0.09, 0.04), 85, 345_000),
    nb.BEDRIJVEN: ((0.20, 0.30, 0.20, 0.20, 0.10), 40, 250_000),
}
# Energy label shares (A … G) for homes of each construction period.
LABEL_SHARES = (
    (0.08, 0.10, 0.20, 0.18, 0.17, 0.15, 0.12),
    (0.10, 0.14, 0.30, 0.18, 0.13, 0.10, 0.05),
    (0.14, 0.22, 0.40, 0.14, 0.06, 0.03, 0.01),
    (0.45, 0.35, 0.15, 0.04, 0.01, 0.00, 0.00),
    (0.97, 0.03, 0.00, 0.00, 0.00, 0.00, 0.00),
)
VALUE_LEVEL = {"GM0014": 1.05, "GM1969": 1.05, "GM1966": 0.90, "GM1952": 0.88, "GM1979": 0.80, "GM1895": 0.85,
               "GM0765": 0.72, "GM0037": 0.78, "GM0047": 0.80, "GM1950": 0.85}
# Districts where earthquake strengthening replaced many old homes with new ones.
STRENGTHENING = {"Loppersum", "Middelstum", "Appingedam", "Ten Boer", "Slochteren", "Siddeburen"}


def _periods(b: Area, district: str, stock: int) -> list[int]:
    r = rng("woningen-bouwjaar", b.code)
    shares = [s * math.exp(r.gauss(0, 0.25)) for s in PROFILES[b.profile][0]]
    if district in STRENGTHENING:
        moved = 0.12 * (shares[0] + shares[1])
        shares = [shares[0] * 0.88, shares[1] * 0.88, shares[2], shares[3], shares[4] + moved]
    return split_total(stock, shares)


def _labels(b: Area, periods: list[int]) -> list[int]:
    r = rng("woningen-label", b.code)
    unlabelled = (0.25 if b.profile in (nb.DORP, nb.VERSPREID) else 0.12) + r.uniform(-0.04, 0.04)
    labelled = round(sum(periods) * (1 - unlabelled))
    expected = [sum(n * shares[k] for n, shares in zip(periods, LABEL_SHARES, strict=True)) for k in range(7)]
    if b.gemeente in EAST:  # older private stock, less insulated
        expected = [e * f for e, f in zip(expected, (0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2), strict=True)]
    counts = split_total(labelled, expected)
    return [*counts, sum(periods) - labelled]


def _row(b: Area, district: str, inhabitants: int) -> list[object]:
    stock = round(households(b.profile, YEARS[-1], inhabitants) * 1.03)
    periods = _periods(b, district, stock)
    r = rng("woningen-prijs", b.code)
    owned = min(98.0, max(5.0, PROFILES[b.profile][1] + r.gauss(0, 8)))
    value = PROFILES[b.profile][2] * VALUE_LEVEL[b.gemeente] * math.exp(r.gauss(0, 0.08))
    if district == "Haren":
        value *= 1.5
    return [b.code, b.name, b.gemeente, stock, *periods, *_labels(b, periods), round(owned, 1),
            int(round(value, -3)) if stock else None]


def woningen(province: Province, target: Path) -> Output:
    path = target / "woningen.xlsx"
    inhabitants = neighbourhood_inhabitants(province)
    districts = {w.code: w.name for w in province.wijken}
    header: list[object] = ["buurt_code", "buurt_naam", "gemeente_code", "woningvoorraad", *PERIODS, *LABELS,
                            "zonder_label", "koopwoningen_pct", "gem_woz_waarde_eur"]
    rows: list[list[object]] = [header]
    rows.extend(_row(b, districts[b.parent or ""], inhabitants[b.code][-1]) for b in province.buurten)
    notes: list[list[object]] = [
        ["kolom", "toelichting"],
        ["woningvoorraad", "Aantal woningen op 1 januari 2025"],
        ["bouwjaar_*", "Woningen naar bouwperiode"],
        ["label_a … label_g", "Woningen naar geregistreerd energielabel (A omvat A+ t/m A++++)"],
        ["zonder_label", "Woningen zonder geregistreerd energielabel"],
        ["koopwoningen_pct", "Aandeel koopwoningen (%)"],
        ["gem_woz_waarde_eur", "Gemiddelde WOZ-waarde (€), afgerond op duizenden"],
        ["let op", "Synthetische demodata, geen echte registratie"],
    ]
    write_xlsx(path, [("Woningvoorraad", rows), ("Toelichting", notes)])
    meta = Metadata(
        title=Text("Woningvoorraad per buurt", "Housing stock per neighbourhood"),
        description=Text(
            "Woningen per buurt op 1 januari 2025 naar bouwperiode en energielabel, met het aandeel koopwoningen "
            "en de gemiddelde WOZ-waarde. In de aardbevingsdorpen is door versterking en nieuwbouw een groter deel "
            "na 2015 gebouwd. Excel-bestand; de toelichting staat op het tweede tabblad.",
            "Dwellings per neighbourhood on 1 January 2025 by construction period and energy label, with the share "
            "of owner-occupied homes and the mean WOZ (property tax) value. In the earthquake villages a larger "
            "share was built after 2015 because of strengthening and rebuilding. Excel workbook; notes on the "
            "second sheet.",
        ),
        keywords_nl=("woningen", "energielabel", "bouwjaar", "WOZ", "versterking"),
        keywords_en=("housing", "energy label", "construction year", "property value", "strengthening"),
        themes=("SOCI", "ENER", "REGI"),
        temporal=(date(2025, 1, 1), date(2025, 1, 1)),
        accrual_periodicity="annual",
        issued=date(2025, 5, 6),
        modified=date(2025, 5, 6),
    )
    return Output("woningen", path, meta, {"format": "xlsx", "sheet": "Woningvoorraad"})


BUILD_YEARS = tuple(range(2015, 2025))


def woningbouw(province: Province, target: Path) -> Output:
    """New homes per municipality per year: the same homes as `woningen`'s 2015-or-later column, spread over the
    years (strengthening in the earthquake area speeds up after 2018), so the two datasets agree."""
    inhabitants = neighbourhood_inhabitants(province)
    districts = {w.code: w.name for w in province.wijken}
    built: dict[str, int] = {}
    for b in province.buurten:
        stock = round(households(b.profile, YEARS[-1], inhabitants[b.code][-1]) * 1.03)
        built[b.gemeente] = built.get(b.gemeente, 0) + _periods(b, districts[b.parent or ""], stock)[-1]
    rows = []
    for code in sorted(built):
        r = rng("woningbouw", code)
        ramp = 0.10 if code in ("GM1979", "GM0014", "GM1952") else 0.04
        weights = [math.exp(ramp * i + r.gauss(0, 0.15)) for i in range(len(BUILD_YEARS))]
        rows += [(code, year, n) for year, n in zip(BUILD_YEARS, split_total(built[code], weights), strict=True)]
    path = target / "woningbouw.csv"
    write_csv(path, ["gemeente_code", "jaar", "nieuwe_woningen"], rows)
    meta = Metadata(
        title=Text("Nieuwbouw van woningen per gemeente", "New homes per municipality"),
        description=Text(
            "Aantal nieuw gebouwde woningen per gemeente per jaar, 2015-2024. Samen zijn het de woningen die de "
            "woningvoorraad per buurt als 'bouwjaar 2015 of later' telt.",
            "Number of newly built homes per municipality per year, 2015-2024. Together they are the homes the "
            "housing stock per neighbourhood counts as 'built 2015 or later'.",
        ),
        keywords_nl=("woningbouw", "nieuwbouw", "woningen"),
        keywords_en=("housing production", "new homes", "housing"),
        themes=("REGI", "SOCI"),
        temporal=(date(2015, 1, 1), date(2024, 12, 31)),
        accrual_periodicity="annual",
        issued=date(2025, 5, 6),
        modified=date(2025, 5, 6),
    )
    return Output("woningbouw", path, meta, {"format": "csv"})
