"""The words the steward's pages show for statuses, classifications, actions and findings: functions, because they
are translated per request."""

from __future__ import annotations

from wierde.protect.privacy.recognizers import LABELS
from wierde.web.i18n import _


def status_labels() -> dict[str, str]:
    return {"draft": _("Concept"), "published": _("Gepubliceerd"), "withdrawn": _("Ingetrokken"),
            "purged": _("Gewist")}


def classification_labels() -> dict[str, str]:
    return {"open": _("Open"), "restricted": _("Beperkt openbaar"), "non-public": _("Niet openbaar")}


def action_labels() -> dict[str, str]:
    return {"drop": _("Kolom verwijderen"), "pseudonymise": _("Pseudonimiseren (vervangen door een sleutel)"),
            "generalise": _("Generaliseren (grover maken)"), "accept": _("Accepteren, met reden"),
            "aggregate": _("Aggregeren")}


def kind_labels() -> dict[str, str]:
    return {"bsn": _("Burgerservicenummer (BSN)"), "iban": _("IBAN-rekeningnummer"), "email": _("E-mailadres"),
            "phone": _("Telefoonnummer"), "postcode_huisnummer": _("Postcode met huisnummer"),
            "kenteken": _("Kenteken"), "birth_date": _("Geboortedatum"), "person_name": _("Persoonsnaam"),
            "dwelling_location": _("Locatie van een woning")}


def done_messages() -> dict[str, str]:
    return {
        "uploaded": _("Het bestand is opgeslagen als nieuwe versie en op persoonsgegevens gescand."),
        "unchanged": _("Dit bestand is gelijk aan een eerdere versie; die is nu de huidige."),
        "metadata": _("De metadata zijn opgeslagen."), "scanned": _("De gegevens zijn opnieuw gescand."),
        "resolved": _("De bevinding is afgehandeld."), "access": _("De toegang is opgeslagen."),
        "published": _("De dataset is gepubliceerd."), "withdrawn": _("De dataset is ingetrokken."),
    }


def kind_label(kind: str) -> str:
    return kind_labels().get(kind) or LABELS.get(kind, kind)
