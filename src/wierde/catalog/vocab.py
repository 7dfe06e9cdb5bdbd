"""The code lists DCAT-AP-NL 3.0 prescribes, as URIs with Dutch and English labels the portal can show."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

EU = "http://publications.europa.eu/resource/authority/"
THEME_SCHEME = EU + "data-theme"
IANA_MEDIA_TYPES = "https://www.iana.org/assignments/media-types/"
TOOI = "https://identifier.overheid.nl/tooi/id/"
GEONAMES = "http://sws.geonames.org/"
NETHERLANDS = EU + "country/NLD"


@dataclass(frozen=True)
class Term:
    """One concept of a controlled vocabulary: the code we write in YAML, its URI and its labels."""

    code: str
    uri: str
    nl: str
    en: str

    def label(self, lang: str = "nl") -> str:
        return self.en if lang == "en" else self.nl


@dataclass(frozen=True)
class Licence:
    """A licence by SPDX id; `uri` goes in the feed, `eu_uri` is the same licence in the EU licence list."""

    spdx: str
    uri: str
    eu_uri: str
    nl: str
    en: str
    creative_commons: bool

    def label(self, lang: str = "nl") -> str:
        return self.en if lang == "en" else self.nl


@dataclass(frozen=True)
class FileFormat:
    """A download format: the EU file type for dct:format and the IANA media type for dcat:mediaType."""

    code: str
    file_type_uri: str
    media_type: str
    name: str

    @property
    def media_type_uri(self) -> str:
        return IANA_MEDIA_TYPES + self.media_type


def _terms(base: str, rows: Iterable[tuple[str, str, str]]) -> dict[str, Term]:
    return {code: Term(code, base + code, nl, en) for code, nl, en in rows}


# EU Vocabularies "Data theme" list: DCAT-AP-NL requires at least one of these on every dataset.
THEMES: dict[str, Term] = _terms(EU + "data-theme/", [
    ("AGRI", "Landbouw, visserij, bosbouw en voeding", "Agriculture, fisheries, forestry and food"),
    ("ECON", "Economie en financiën", "Economy and finance"),
    ("EDUC", "Onderwijs, cultuur en sport", "Education, culture and sport"),
    ("ENER", "Energie", "Energy"),
    ("ENVI", "Milieu", "Environment"),
    ("GOVE", "Overheid en publieke sector", "Government and public sector"),
    ("HEAL", "Gezondheid", "Health"),
    ("INTR", "Internationale vraagstukken", "International issues"),
    ("JUST", "Justitie, rechtsstelsel en openbare veiligheid", "Justice, legal system and public safety"),
    ("OP_DATPRO", "Voorlopige gegevens", "Provisional data"),
    ("REGI", "Regio's en steden", "Regions and cities"),
    ("SOCI", "Bevolking en samenleving", "Population and society"),
    ("TECH", "Wetenschap en technologie", "Science and technology"),
    ("TRAN", "Vervoer", "Transport"),
])
THEME_SCHEME_TITLE = {"nl": "Datathema's (EU Vocabularies)", "en": "Data theme (EU Vocabularies)"}

# EU "Frequency" list; YAML uses the lower-case names on the left.
FREQUENCIES: dict[str, Term] = {
    name: Term(name, EU + "frequency/" + code, nl, en)
    for name, code, nl, en in [
        ("continuous", "CONT", "Voortdurend", "Continuous"),
        ("continuously_updated", "UPDATE_CONT", "Voortdurend bijgewerkt", "Continuously updated"),
        ("hourly", "HOURLY", "Elk uur", "Hourly"),
        ("daily", "DAILY", "Dagelijks", "Daily"),
        ("weekly", "WEEKLY", "Wekelijks", "Weekly"),
        ("biweekly", "BIWEEKLY", "Tweewekelijks", "Biweekly"),
        ("monthly", "MONTHLY", "Maandelijks", "Monthly"),
        ("bimonthly", "BIMONTHLY", "Tweemaandelijks", "Bimonthly"),
        ("quarterly", "QUARTERLY", "Driemaandelijks", "Quarterly"),
        ("semiannual", "ANNUAL_2", "Halfjaarlijks", "Semiannual"),
        ("annual", "ANNUAL", "Jaarlijks", "Annual"),
        ("biennial", "BIENNIAL", "Tweejaarlijks", "Biennial"),
        ("triennial", "TRIENNIAL", "Driejaarlijks", "Triennial"),
        ("irregular", "IRREG", "Onregelmatig", "Irregular"),
        ("never", "NEVER", "Nooit", "Never"),
        ("unknown", "UNKNOWN", "Onbekend", "Unknown"),
        ("other", "OTHER", "Anders", "Other"),
    ]
}

# EU "Access right" list; DCAT-AP-NL allows only these three.
ACCESS_RIGHTS: dict[str, Term] = {
    name: Term(name, EU + "access-right/" + code, nl, en)
    for name, code, nl, en in [
        ("public", "PUBLIC", "Publiek", "Public"),
        ("restricted", "RESTRICTED", "Beperkt", "Restricted"),
        ("non-public", "NON_PUBLIC", "Niet-publiek", "Non-public"),
    ]
}

# EU "Language" list, keyed by the ISO 639-1 code people write (nl, en).
LANGUAGES: dict[str, Term] = {
    name: Term(name, EU + "language/" + code, nl, en)
    for name, code, nl, en in [
        ("nl", "NLD", "Nederlands", "Dutch"),
        ("en", "ENG", "Engels", "English"),
        ("fy", "FRY", "Fries", "Western Frisian"),
        ("de", "DEU", "Duits", "German"),
        ("fr", "FRA", "Frans", "French"),
    ]
}


def _licence(spdx: str, uri: str, eu_code: str, nl: str, en: str, cc: bool = True) -> Licence:
    return Licence(spdx, uri, EU + "licence/" + eu_code, nl, en, cc)


# DCAT-AP-NL 3.0 requires Creative Commons licences and gives CC deed URIs in its examples; each also carries
# its EU licence-list twin so European harvesters recognise it without a mapping of their own.
LICENCES: dict[str, Licence] = {lic.spdx: lic for lic in [
    _licence("CC0-1.0", "http://creativecommons.org/publicdomain/zero/1.0/deed.nl", "CC0",
             "Creative Commons CC0 1.0 Universeel", "Creative Commons CC0 1.0 Universal"),
    _licence("CC-BY-4.0", "http://creativecommons.org/licenses/by/4.0/deed.nl", "CC_BY_4_0",
             "Creative Commons Naamsvermelding 4.0 Internationaal",
             "Creative Commons Attribution 4.0 International"),
    _licence("CC-BY-SA-4.0", "http://creativecommons.org/licenses/by-sa/4.0/deed.nl", "CC_BYSA_4_0",
             "Creative Commons Naamsvermelding-GelijkDelen 4.0 Internationaal",
             "Creative Commons Attribution-ShareAlike 4.0 International"),
    _licence("CC-BY-ND-4.0", "http://creativecommons.org/licenses/by-nd/4.0/deed.nl", "CC_BYND_4_0",
             "Creative Commons Naamsvermelding-GeenAfgeleideWerken 4.0 Internationaal",
             "Creative Commons Attribution-NoDerivatives 4.0 International"),
    _licence("CC-BY-NC-4.0", "http://creativecommons.org/licenses/by-nc/4.0/deed.nl", "CC_BYNC_4_0",
             "Creative Commons Naamsvermelding-NietCommercieel 4.0 Internationaal",
             "Creative Commons Attribution-NonCommercial 4.0 International"),
    _licence("ODbL-1.0", "http://opendatacommons.org/licenses/odbl/1.0/", "ODC_BL",
             "Open Data Commons Open Database License 1.0", "Open Data Commons Open Database License 1.0",
             cc=False),
    _licence("ODC-By-1.0", "http://opendatacommons.org/licenses/by/1.0/", "ODC_BY",
             "Open Data Commons Attribution License 1.0", "Open Data Commons Attribution License 1.0",
             cc=False),
    _licence("PDDL-1.0", "http://opendatacommons.org/licenses/pddl/1.0/", "ODC_PDDL",
             "Open Data Commons Public Domain Dedication and License 1.0",
             "Open Data Commons Public Domain Dedication and License 1.0", cc=False),
]}

FORMATS: dict[str, FileFormat] = {fmt.code: fmt for fmt in [
    FileFormat("csv", EU + "file-type/CSV", "text/csv", "CSV"),
    FileFormat("json", EU + "file-type/JSON", "application/json", "JSON"),
    FileFormat("geojson", EU + "file-type/GEOJSON", "application/geo+json", "GeoJSON"),
    FileFormat("gpkg", EU + "file-type/GPKG", "application/geopackage+sqlite3", "GeoPackage"),
    FileFormat("parquet", EU + "file-type/PARQUET", "application/vnd.apache.parquet", "Parquet"),
    FileFormat("xlsx", EU + "file-type/XLSX",
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel (XLSX)"),
]}

# CBS province codes with their GeoNames ids: the profile asks for GeoNames when the EU place list lacks an area.
PROVINCES: dict[str, tuple[str, int]] = {
    "PV20": ("Groningen", 2755249), "PV21": ("Fryslân", 2755812), "PV22": ("Drenthe", 2756631),
    "PV23": ("Overijssel", 2748838), "PV24": ("Flevoland", 3319179), "PV25": ("Gelderland", 2755634),
    "PV26": ("Utrecht", 2745909), "PV27": ("Noord-Holland", 2749879), "PV28": ("Zuid-Holland", 2743698),
    "PV29": ("Zeeland", 2744011), "PV30": ("Noord-Brabant", 2749990), "PV31": ("Limburg", 2751596),
}
# Municipalities of the home province, so their names appear in the feed without a lookup elsewhere.
MUNICIPALITIES: dict[str, str] = {
    "GM0014": "Groningen", "GM0037": "Stadskanaal", "GM0047": "Veendam", "GM0765": "Pekela",
    "GM1895": "Oldambt", "GM1950": "Westerwolde", "GM1952": "Midden-Groningen", "GM1966": "Het Hogeland",
    "GM1969": "Westerkwartier", "GM1979": "Eemsdelta",
}
DEFAULT_PUBLISHER = TOOI + "provincie/pv20"

_REGION = re.compile(r"^(NL(01)?|PV\d{2}|GM\d{4}|WK\d{6}|BU\d{8})$")
_TOOI_ORG = re.compile(r"^https://identifier\.overheid\.nl/tooi/id/(provincie|gemeente)/(pv\d{2}|gm\d{4})$")


def is_uri(value: str) -> bool:
    return value.startswith(("http://", "https://")) and " " not in value


def lookup(table: Mapping[str, Term], key: str, what: str) -> Term:
    """The term for `key`, or a ValueError that lists every allowed value."""
    if key in table:
        return table[key]
    raise ValueError(f"unknown {what} {key!r}; allowed: {', '.join(table)}")


def theme(code: str) -> Term:
    return lookup(THEMES, code.upper(), "theme")


def frequency(name: str) -> Term:
    """A frequency by its YAML name (monthly) or by its EU code (MONTHLY, IRREG)."""
    for term in FREQUENCIES.values():
        if term.uri.endswith("/" + name.upper()):
            return term
    return lookup(FREQUENCIES, name.lower(), "accrual_periodicity")


def access_right(name: str) -> Term:
    return lookup(ACCESS_RIGHTS, name.lower(), "access_rights")


def language(code: str) -> Term:
    """A language by ISO 639-1 code (nl) or by its EU code (NLD)."""
    lowered = code.lower()
    for term in LANGUAGES.values():
        if lowered == term.code or term.uri.endswith("/" + code.upper()):
            return term
    raise ValueError(f"unknown language {code!r}; allowed: {', '.join(LANGUAGES)}")


def licence(spdx: str) -> Licence:
    by_lower = {key.lower(): lic for key, lic in LICENCES.items()}
    if spdx.lower() in by_lower:
        return by_lower[spdx.lower()]
    raise ValueError(f"unknown licence {spdx!r}; allowed SPDX ids: {', '.join(LICENCES)}")


def file_format(code: str) -> FileFormat:
    if code.lower() in FORMATS:
        return FORMATS[code.lower()]
    raise ValueError(f"unknown format {code!r}; allowed: {', '.join(FORMATS)}")


def region_code(value: str) -> str:
    """A CBS region code in its canonical form (PV20, GM0014, WK001400, BU00140000), or a ValueError."""
    code = value.strip().upper()
    if not _REGION.match(code):
        raise ValueError(
            f"{value!r} is not a CBS region code (NL, PV20, GM0014, WK001400, BU00140000) nor a URI"
        )
    return "NL" if code.startswith("NL") else code


def organisation_uri(value: str) -> str:
    """The TOOI identifier for an organisation code (PV20 → provincie/pv20, GM0014 → gemeente/gm0014)."""
    if is_uri(value):
        return value
    code = value.strip().upper()
    if re.fullmatch(r"PV\d{2}", code):
        return f"{TOOI}provincie/{code.lower()}"
    if re.fullmatch(r"GM\d{4}", code):
        return f"{TOOI}gemeente/{code.lower()}"
    raise ValueError(f"{value!r} is neither an organisation URI nor a province/municipality code (PV20, GM0014)")


def organisation_name(uri: str) -> str | None:
    """The official name of a TOOI province or municipality we know, e.g. 'Provincie Groningen'."""
    match = _TOOI_ORG.match(uri)
    if not match:
        return None
    code = match.group(2).upper()
    if code in PROVINCES:
        return f"Provincie {PROVINCES[code][0]}"
    if code in MUNICIPALITIES:
        return f"Gemeente {MUNICIPALITIES[code]}"
    return None


def spatial_uri(value: str) -> str:
    """The URI for dct:spatial: EU country list for NL, GeoNames for provinces, TOOI for municipalities.

    Municipalities get their TOOI identifier, the successor of the OWMS list data.overheid.nl used for
    dct:spatial. Districts (WK) and neighbourhoods (BU) have no persistent URI we can name offline, so they
    resolve to the municipality that contains them; that is still a true statement of coverage.
    """
    if is_uri(value):
        return value
    code = region_code(value)
    if code == "NL":
        return NETHERLANDS
    if code.startswith("PV"):
        if code not in PROVINCES:
            raise ValueError(f"unknown province code {code!r}; allowed: {', '.join(PROVINCES)}")
        return f"{GEONAMES}{PROVINCES[code][1]}/"
    return f"{TOOI}gemeente/gm{code[2:6]}"


def spatial_label(value: str) -> str | None:
    """A human name for a region code, when we know it."""
    if is_uri(value):
        return None
    code = region_code(value)
    if code == "NL":
        return "Nederland"
    if code in PROVINCES:
        return PROVINCES[code][0]
    return MUNICIPALITIES.get("GM" + code[2:6])
