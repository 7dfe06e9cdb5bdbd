"""What a CBS table says about itself, as the DCAT-AP-NL fields of a dataset's metadata YAML."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from wierde.collect.connectors.cbs_common import Period

# TOOI's identifier for CBS (a ZBO), which DCAT-AP-NL 3.0 asks for as dct:publisher. CBS's own feeds still name
# the older OWMS term https://standaarden.overheid.nl/owms/terms/Centraal_Bureau_voor_de_Statistiek.
PUBLISHER = {"uri": "https://identifier.overheid.nl/tooi/id/zbo/zb000193", "name": "Centraal Bureau voor de Statistiek"}
CONTACT = "infoservice@cbs.nl"
STATLINE = "https://opendata.cbs.nl/statline/#/CBS/nl/dataset/{table}"
MAX_LISTED_REGIONS = 50  # beyond this, "the Netherlands" says more in a catalogue than a list of codes

# CBS's Frequency texts, lower-cased without spaces ("Perkwartaal" in v3, "Per kwartaal" in v4).
FREQUENCIES = {
    "perdag": "daily", "perweek": "weekly", "permaand": "monthly", "perkwartaal": "quarterly",
    "perhalfjaar": "semiannual", "perjaar": "annual", "pertweejaar": "biennial", "per2jaar": "biennial",
    "perdriejaar": "triennial", "per3jaar": "triennial", "onregelmatig": "irregular", "eenmalig": "never",
    "stopgezet": "never",  # a discontinued table is never updated again
}

# Word starts in a table's title and summary that point to an EU data theme; a table may get several.
THEME_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SOCI", ("bevolking", "inwoner", "huishoud", "geboort", "sterfte", "overled", "migratie", "immigratie",
              "emigratie", "verhuiz", "woning", "wonen", "jongeren", "ouderen", "armoede", "religie", "welzijn")),
    ("ECON", ("econom", "bedrijf", "omzet", "inkomen", "prijs", "prijzen", "inflatie", "handel", "arbeid",
              "banen", "vacature", "werkloos", "werkgelegenheid", "loon", "lonen", "faillissement", "investering",
              "financ", "toerisme", "conjunctuur")),
    ("HEAL", ("gezondheid", "zorg", "ziek", "doodsoorza", "medisch", "leefstijl", "verzuim")),
    ("EDUC", ("onderwijs", "school", "leerling", "student", "cultuur", "sport", "museum")),
    ("TRAN", ("verkeer", "vervoer", "voertuig", "mobiliteit", "reizig", "personenauto")),
    ("ENER", ("energie", "elektriciteit", "aardgas", "brandstof", "zonnestroom", "warmte")),
    ("ENVI", ("milieu", "emissie", "afval", "natuur", "klimaat", "bodem", "luchtkwaliteit")),
    ("AGRI", ("landbouw", "akkerbouw", "veeteelt", "veestapel", "visserij", "gewas", "voeding")),
    ("JUST", ("misdrijf", "misdrijven", "criminaliteit", "verdachte", "justitie", "veiligheid", "slachtoffer")),
    ("GOVE", ("overheid", "gemeentefinanci", "belasting", "verkiezing", "uitkering")),
    ("REGI", ("regio", "gemeente", "provincie", "wijk", "buurt", "stedelijk")),
)
DEFAULT_THEME = "SOCI"  # CBS describes Dutch society; a table no word places still belongs there
_REGION = re.compile(r"^(NL(01)?|PV\d{2}|GM\d{4}|WK\d{6}|BU\d{8})$")


def themes(*texts: str | None) -> list[str]:
    text = " ".join(t for t in texts if t).lower()
    found = [theme for theme, words in THEME_WORDS
             if any(re.search(rf"\b{re.escape(word)}", text) for word in words)]
    return found or [DEFAULT_THEME]


def frequency(text: str | None) -> str | None:
    return FREQUENCIES.get(re.sub(r"\s+", "", (text or "").lower()))


def _day(text: str | None) -> str | None:
    """The date of a CBS timestamp (2009-07-10T02:00:00, 2020-06-19T02:00:00+02:00)."""
    match = re.match(r"^\d{4}-\d{2}-\d{2}", (text or "").strip())
    return match[0] if match else None


def temporal(periods: Sequence[Period]) -> dict[str, str] | None:
    """The first day of the earliest period to the last day of the latest; whole years when kinds are unknown."""
    starts = [p.start for p in periods if p.start]
    ends = [p.end for p in periods if p.end]
    if starts and ends:
        return {"start": min(starts).isoformat(), "end": max(ends).isoformat()}
    years = [p.year for p in periods if p.year]
    return {"start": f"{min(years)}-01-01", "end": f"{max(years)}-12-31"} if years else None


def spatial(regions: Sequence[str], filtered: bool) -> list[str]:
    """The regions a filtered harvest kept (when few), else the Netherlands: CBS tables cover the country."""
    codes = list(dict.fromkeys("NL" if r.startswith("NL") else r for r in regions if _REGION.match(r)))
    return codes if filtered and codes and len(codes) <= MAX_LISTED_REGIONS else ["NL"]


def _text(value: Any) -> str | None:
    text = re.sub(r"[ \t]+\n", "\n", str(value).replace("\r\n", "\n")).strip() if value is not None else ""
    return text or None


def table_metadata(table_id: str, info: dict[str, Any], *, description_key: str, periods: Sequence[Period],
                   regions: Sequence[str], filtered: bool) -> dict[str, Any]:
    """Metadata from a table's TableInfos (v3) or Properties (v4) row, which share most of their names."""
    title = _text(info.get("Title")) or table_id
    summary = _text(info.get("Summary"))
    meta: dict[str, Any] = {
        "title": {"nl": title},
        "description": {"nl": _text(info.get(description_key)) or summary or title},
        "themes": themes(title, summary),
        "publisher": dict(PUBLISHER),
        "contact_point": {"name": "CBS Infoservice", "email": _contact(info.get("ContactPoint"))},
        "licence": "CC-BY-4.0",
        "attribution": "Bron: CBS",
        "source": STATLINE.format(table=table_id),
        "spatial": spatial(regions, filtered),
        "language": ["nl"] if str(info.get("Language") or "nl").lower().startswith("nl") else ["en"],
    }
    optional = {"modified": _day(info.get("Modified")), "accrual_periodicity": frequency(info.get("Frequency")),
                "temporal": temporal(periods)}
    meta.update({key: value for key, value in optional.items() if value})
    return meta


def _contact(value: Any) -> str:
    text = str(value or "").strip()
    return text if re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text) else CONTACT
