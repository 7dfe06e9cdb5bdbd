"""Dutch person names as word lists (Faker's nl_NL and nl_BE data, no model), so names are found offline."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

# Common in Groningen and among older residents, but missing from Faker's lists (which follow recent baby names).
EXTRA_GIVEN = (
    "Aaltje", "Annemarie", "Bauke", "Douwe", "Egbert", "Eltjo", "Geesje", "Grietje", "Harm", "Hendrika", "Hennie",
    "Hilje", "Hindrik", "Jaap", "Jacoba", "Jannes", "Jantje", "Kees", "Lammert", "Popke", "Roelof", "Sietse",
    "Sjoukje", "Tjeerd", "Truus", "Wiebe", "Wilma",
)
EXTRA_FAMILY = (
    "Boersma", "Bosma", "Dijkstra", "Haan", "Hoekstra", "Huizinga", "Kuipers", "Mulder", "Nijdam", "Oosterhuis",
    "Postma", "Smid", "Tuinstra", "Veenstra", "Wieringa", "Wiersma", "Zijlstra", "Zuidema",
)
# Family names of the north often end like this; a capitalised word with such an ending after a given name is one.
FAMILY_ENDINGS = ("stra", "sma", "ema", "inga", "enga")
# Tussenvoegsels, longest first so "van der" wins over "van".
PREFIXES = (
    "van de", "van der", "van den", "van het", "van 't", "in 't", "in het", "op de", "op den", "op 't", "uit de",
    "uit den", "aan de", "aan den", "bij de", "de la", "van", "de", "den", "der", "ter", "ten", "te", "het", "'t",
    "la", "le", "du", "da", "von", "d'",
)
TITLES = ("dhr", "mevr", "mw", "mr", "dr", "ir", "drs", "prof", "de heer", "mevrouw", "meneer", "familie", "fam")
# A "family name" with one of these endings is a street, square or place named after a person, not the person
# (unless the lists know it as a family name: Oosterhuis, Van der Wal). Endings common in surnames (-huis, -veld,
# -kamp) are left out.
PLACE_ENDINGS = (
    "straat", "laan", "weg", "plein", "kade", "singel", "gracht", "dijk", "dreef", "park", "hof", "pad", "steeg",
    "markt", "brug", "plantsoen", "school", "college", "lyceum", "gymnasium", "kerk", "ziekenhuis", "stichting",
    "fonds", "prijs", "zaal", "centrum", "station", "haven", "tunnel", "sluis", "boulevard", "wal", "buurt", "wijk",
    "kwartier",
)


@dataclass(frozen=True)
class NameLists:
    given: frozenset[str]  # lower-case given names
    family: frozenset[str]  # lower-case family names without their tussenvoegsel ("vries" for "de Vries")


def _family_core(name: str) -> str:
    """'de Vries' → 'vries', 'Bourgondië, van' → 'bourgondië'; the prefix is matched separately."""
    name = name.split(",")[0].strip().lower()
    for prefix in PREFIXES:
        if name.startswith(prefix + " "):
            return name[len(prefix) + 1:].strip()
    return name


@cache
def name_lists() -> NameLists:
    """Built on first use (not at import), from the Faker data installed with the package."""
    from faker.providers.person.nl_BE import Provider as Flemish
    from faker.providers.person.nl_NL import Provider as Dutch

    given = {*Dutch.first_names_male, *Dutch.first_names_female, *Flemish.first_names, *EXTRA_GIVEN}
    family = {*Dutch.last_names, *Flemish.last_names, *EXTRA_FAMILY}
    cores = {_family_core(n) for n in family}
    # Faker's historical entries ("Aelftrud van Wessex") add words like "wessex" only; one-letter cores are noise.
    return NameLists(frozenset(n.lower() for n in given), frozenset(c for c in cores if len(c) > 1))


def is_given(word: str) -> bool:
    return word.lower() in name_lists().given


def is_family(word: str) -> bool:
    """A family name from the lists, or a word with a typical northern family-name ending (Dijkstra, Wiersma)."""
    lists = name_lists()
    for part in word.lower().split("-"):  # a double name counts when either half is a family name
        core = _family_core(part)
        if core in lists.family or (len(core) > 5 and core.endswith(FAMILY_ENDINGS) and not is_place_word(core)):
            return True
    return False


def is_place_word(word: str) -> bool:
    lower = word.lower()  # a compound only: "Zeedijk" is a place, "van Dijk" a family
    return any(lower.endswith(ending) and len(lower) > len(ending) for ending in PLACE_ENDINGS)
