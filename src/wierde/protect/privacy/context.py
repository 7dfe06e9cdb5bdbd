"""Context words in column names and nearby text, which turn an ambiguous number or date into personal data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

NEARBY = 40  # characters before a value in which a context word counts ("BSN: 111222333", "geboren op 3 mei 1950")


@dataclass(frozen=True)
class ContextWords:
    """Words that mark a column or a passage: whole tokens (short, ambiguous words) or parts of compounds."""

    tokens: frozenset[str]  # "tel" must be a whole token: "telling" (a count) is no phone column
    parts: tuple[str, ...] = ()  # Dutch compounds: "geboortedatum_moeder", "telefoonnummer"
    text: tuple[str, ...] = ()  # words that mark a passage of free text

    def matches(self, column: str) -> bool:
        return bool(column) and _matches(self, column)


@lru_cache(maxsize=4096)
def _matches(words: ContextWords, column: str) -> bool:
    """Cached: the scan asks about the same column once per value."""
    lower = column.lower()
    return bool(words.tokens & set(tokens_of(column))) or any(part in lower for part in words.parts)


def tokens_of(column: str) -> list[str]:
    """'GeboorteDatum_moeder' → ['geboorte', 'datum', 'moeder']: split on non-letters and camelCase."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", column)
    return [t for t in re.split(r"[^0-9A-Za-zÀ-ÿ]+", spaced.lower()) if t]


def context_before(text: str, start: int, words: ContextWords) -> bool:
    """Is one of the passage words in the NEARBY characters before `start`?"""
    window = text[max(0, start - NEARBY):start].lower()
    return any(word in window for word in words.text)


BSN_COLUMN = ContextWords(
    frozenset({"bsn", "sofi", "sofinr", "bsnnr", "burgerservicenr"}),
    ("burgerservicenummer", "sofinummer", "sofi_nummer", "bsn_nummer", "persoonsnummer", "citizen_service"),
    ("bsn", "burgerservicenummer", "sofi", "sofinummer", "persoonsnummer"),
)
PHONE_COLUMN = ContextWords(
    frozenset({"tel", "telnr", "phone", "mobiel", "mobile", "gsm", "fax"}),
    ("telefoon", "telephone", "phonenumber", "mobielnummer"),
    ("tel", "telefoon", "bel ", "bellen", "mobiel", "phone", "gsm"),
)
PLATE_COLUMN = ContextWords(
    frozenset({"kenteken", "kentekens", "plate", "licence", "license"}),
    ("kenteken", "license_plate", "licence_plate", "nummerbord"),
    ("kenteken", "nummerbord", "auto ", "voertuig", "bestelbus", "wagen"),
)
BIRTH_COLUMN = ContextWords(
    frozenset({"dob", "geboren", "birth", "birthday", "gebdat", "gebdatum"}),
    ("geboortedatum", "geboorte_datum", "geboortedag", "geb_datum", "gebdatum", "birthdate", "birth_date",
     "date_of_birth", "dateofbirth"),
    ("geboren", "geb.", "geboortedatum", "born", "date of birth", "dob"),
)
GIVEN_COLUMN = ContextWords(
    frozenset({"voornaam", "voornamen", "roepnaam", "firstname", "forename"}),
    ("voornaam", "voornamen", "roepnaam", "first_name", "given_name", "firstname"),
)
FAMILY_COLUMN = ContextWords(
    frozenset({"achternaam", "surname", "lastname", "familienaam", "geslachtsnaam"}),
    ("achternaam", "geslachtsnaam", "familienaam", "last_name", "family_name", "lastname", "surname"),
)
NAME_COLUMN = ContextWords(
    frozenset({
        "naam", "name", "persoon", "bewoner", "eigenaar", "aanvrager", "melder", "huurder", "klant", "client",
        "cliënt", "patient", "patiënt", "leerling", "contact", "contactpersoon", "medewerker", "behandelaar",
        "indiener", "verzoeker", "ondertekenaar",
    }),
    ("voornaam", "achternaam", "contactpersoon", "geslachtsnaam", "volledige_naam", "full_name", "fullname"),
)
HOUSE_NUMBER_COLUMN = ContextWords(
    frozenset({"huisnummer", "huisnr", "nummer", "nr", "housenumber", "huis"}),
    ("huisnummer", "huis_nummer", "housenumber", "house_number"),
)
POSTCODE_COLUMN = ContextWords(frozenset({"postcode", "pc6", "zipcode", "zip"}), ("postcode", "post_code"))
# Columns that say the rows are about people, so a precise point in such a dataset is somebody's home. Not "naam"
# or "contact": bridges and schools have names and a contact too.
PERSON_COLUMNS = ContextWords(
    frozenset({
        "persoon", "bewoner", "bewoners", "eigenaar", "aanvrager", "melder", "huurder", "klant", "client", "cliënt",
        "patient", "patiënt", "leerling", "geslacht", "leeftijd", "gender", "sex", "age", "inkomen", "uitkering",
        "huishouden", "gezin", "bsn", "geboortejaar", "nationaliteit", "beperking", "diagnose", "slachtoffer",
        "verdachte", "voornaam", "achternaam",
    }),
    ("bewoner", "huishoud", "aanvrager", "patient", "patiënt", "clienten", "burger", "voornaam", "achternaam",
     "geslachtsnaam", "geboortedatum", "leeftijd", "melder"),
)
