"""The grounds of the Wet open overheid (Woo, art. 5.1 and 5.2) on which information may be withheld.

Every item that is not open names one of these as its reason, so a refusal can always say why.
"""

from __future__ import annotations

from wierde.errors import InvalidInput

# code → (Dutch, English). Art. 5.1 lid 1 is absolute, lid 2 relative (weighed against the public interest).
GROUNDS: dict[str, tuple[str, str]] = {
    "5.1.1a": ("eenheid van de Kroon", "unity of the Crown"),
    "5.1.1b": ("veiligheid van de Staat", "security of the State"),
    "5.1.1c": ("vertrouwelijk verstrekte bedrijfs- en fabricagegegevens",
               "company and manufacturing data supplied in confidence"),
    "5.1.1d": ("bijzondere persoonsgegevens", "special categories of personal data"),
    "5.1.1e": ("identificatienummers (zoals het BSN)", "identification numbers (such as the BSN)"),
    "5.1.2a": ("internationale betrekkingen", "international relations"),
    "5.1.2b": ("economische of financiële belangen van de overheid", "economic or financial interests of government"),
    "5.1.2c": ("opsporing en vervolging van strafbare feiten", "investigation and prosecution of offences"),
    "5.1.2d": ("inspectie, controle en toezicht", "inspection, control and supervision"),
    "5.1.2e": ("eerbiediging van de persoonlijke levenssfeer", "respect for personal privacy"),
    "5.1.2f": ("concurrentiegevoelige bedrijfs- en fabricagegegevens", "competitively sensitive business data"),
    "5.1.2g": ("bescherming van het milieu", "protection of the environment"),
    "5.1.2h": ("beveiliging van personen of bedrijven", "security of persons or companies"),
    "5.1.2i": ("goed functioneren van de Staat", "proper functioning of the State"),
    "5.1.5": ("onevenredige benadeling", "disproportionate harm"),
    "5.2": ("persoonlijke beleidsopvattingen in intern beraad", "personal policy views in internal consultation"),
}


def check_ground(code: str, *, where: str) -> str:
    """The ground's code, or a clear error listing the codes that exist."""
    clean = code.strip().lower().removeprefix("woo").strip().removeprefix("art.").strip()
    if clean not in GROUNDS:
        raise InvalidInput(f"{where}: {code!r} is not a Woo exception ground; use one of {', '.join(GROUNDS)}")
    return clean


def ground_label(code: str, lang: str = "nl") -> str:
    nl, en = GROUNDS.get(code, (code, code))
    return en if lang == "en" else nl
