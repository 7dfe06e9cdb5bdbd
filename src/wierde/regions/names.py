"""Region names as people type them ("Midden Groningen", "Hogeland", "Hoogezand-Sappemeer") turned into CBS codes."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from wierde.errors import InvalidInput, NotFound
from wierde.regions.codes import LEVEL_NAMES, PROVINCES, Level
from wierde.regions.hierarchy import RegionSet
from wierde.regions.mergers import MERGERS, MUNICIPALITIES, CodeChange, introduced, successors

# Words that say which level a name means: "gemeente Groningen", "Groningen (provincie)", "Groningen (PV)".
_LEVEL_WORDS: dict[str, Level] = {
    "gemeente": "GM", "gem": "GM", "municipality": "GM", "provincie": "PV", "prov": "PV", "province": "PV",
    "pv": "PV", "gm": "GM", "wijk": "WK", "wk": "WK", "district": "WK", "buurt": "BU", "bu": "BU",
    "neighbourhood": "BU",
}
# Only these may stand before a name: "Wijk 10" or "Buurt Noord" can be a neighbourhood's own name.
_PREFIXES = ("gemeente", "gem", "municipality", "provincie", "prov", "province")
_BRACKETED = re.compile(r"(.*?)\(([^()]*)\)\s*")
_ARTICLES = ("het ", "de ", "t ", "s ")  # "Het Hogeland" is also typed "Hogeland"; 's-/'t- lose the apostrophe


class UnknownNameError(NotFound):
    """No region has this name."""


class AmbiguousNameError(InvalidInput):
    """More than one region has this name; the message lists them so the caller can pass a level."""


@dataclass(frozen=True)
class Resolved:
    """What a name resolved to, and how: directly, or through a merger (`former_code` joined `code` in `since`)."""

    code: str
    name: str
    level: Level
    matched: str
    former_code: str | None = None
    since: int | None = None
    share: float = 1.0


@dataclass(frozen=True)
class _Entry:
    code: str
    name: str
    level: Level
    until: int | None = None  # the year from which this code no longer exists (merged away)


def normalize(name: str) -> str:
    """Case, accents, hyphens, apostrophes and extra spaces removed: "'s-Hertogenbosch" → "s hertogenbosch"."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = re.sub(r"[\u2018\u2019'`´.]", "", text)
    text = re.sub(r"[^0-9a-z]+", " ", text)
    return " ".join(text.split())


def _keys(name: str) -> set[str]:
    key = normalize(name)
    keys = {key}
    for article in _ARTICLES:
        if key.startswith(article) and len(key) > len(article) + 2:
            keys.add(key[len(article):])
    return keys


def _hint(name: str) -> tuple[str, Level | None]:
    """The name without a level word around it, and the level that word names."""
    bracketed = _BRACKETED.fullmatch(name.strip())
    if bracketed and normalize(bracketed.group(2)) in _LEVEL_WORDS:
        return normalize(bracketed.group(1)), _LEVEL_WORDS[normalize(bracketed.group(2))]
    words = normalize(name).split()
    if len(words) > 1 and words[0] in _PREFIXES:
        return " ".join(words[1:]), _LEVEL_WORDS[words[0]]
    return " ".join(words), None


def _builtin_entries() -> list[_Entry]:
    entries = [_Entry(code, name, "PV") for code, name in PROVINCES.items()]
    entries += [_Entry(code, name, "GM") for code, name in MUNICIPALITIES.items()]
    seen: set[str] = set()
    for change in MERGERS:
        if change.old_code not in seen and change.old_code != change.new_code:
            seen.add(change.old_code)
            entries.append(_Entry(change.old_code, change.old_name, "GM", until=change.year))
    return entries


def _entries(regions: RegionSet | None) -> list[_Entry]:
    entries = _builtin_entries()
    if regions is not None:
        known = {e.code for e in entries}
        entries += [_Entry(r.code, r.name, r.level) for r in regions if r.code not in known]
    return entries


def _index(entries: Iterable[_Entry]) -> dict[str, list[_Entry]]:
    index: dict[str, list[_Entry]] = {}
    for entry in entries:
        for key in _keys(entry.name):
            index.setdefault(key, []).append(entry)
    return index


def _present(entry: _Entry, year: int | None, matched: str) -> Resolved | None:
    """The entry as it stands in `year` (None: today): itself, or the successor that absorbed it."""
    first = introduced(entry.code)
    if year is not None and first is not None and year < first:
        return None  # the code did not exist yet
    if entry.until is None or (year is not None and year < entry.until):
        return Resolved(entry.code, entry.name, entry.level, matched)
    targets = successors(entry.code, year if year is not None else 9999)
    code, share = max(targets.items(), key=lambda item: item[1])  # a split municipality: its dominant successor
    change = _change(entry.code, code)
    return Resolved(code, change.new_name if change else code, "GM", matched, entry.code, entry.until, share)


def _change(old: str, new: str) -> CodeChange | None:
    return next((c for c in MERGERS if c.old_code == old and c.new_code == new), None)


def explain(
    name: str, level: Level | None = None, *, year: int | None = None, regions: RegionSet | None = None
) -> Resolved:
    """How `name` resolves (see `resolve`), with the merger it went through, if any."""
    text, hinted = _hint(name)
    wanted = level or hinted
    index = _index(_entries(regions))
    candidates = [e for key in _keys(text) for e in index.get(key, []) if wanted is None or e.level == wanted]
    found: dict[str, Resolved] = {}
    for entry in candidates:
        resolved = _present(entry, year, entry.name)
        if resolved is not None:
            found.setdefault(resolved.code, resolved)
    if len(found) == 1:
        return next(iter(found.values()))
    if found:
        listed = "; ".join(f"{r.code} {r.name} ({LEVEL_NAMES[r.level]})" for r in sorted(found.values(),
                                                                                       key=lambda r: r.code))
        raise AmbiguousNameError(
            f"{name!r} names more than one region: {listed}. Pass a level to choose",
            candidates=sorted(found),
        )
    close = difflib.get_close_matches(normalize(text), list(index), n=3, cutoff=0.75)
    hint = f"; did you mean {', '.join(repr(index[c][0].name) for c in close)}?" if close else ""
    where = f" at level {wanted}" if wanted else ""
    raise UnknownNameError(f"no region is called {name!r}{where}{hint}", name=name)


def resolve(
    name: str, level: Level | None = None, *, year: int | None = None, regions: RegionSet | None = None
) -> str:
    """The CBS code for a region name; a former municipality gives its successor on the map of `year` (today).

    Without `regions` the built-in names are known: the province, its municipalities and the former ones from
    `MERGERS`. With `regions`, their districts and neighbourhoods too. A name shared by several regions
    ("Groningen": PV20 and GM0014) needs `level`, or a level word ("gemeente Groningen").
    """
    return explain(name, level, year=year, regions=regions).code

