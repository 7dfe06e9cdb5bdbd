"""Dutch personal-data recognizers (regex + checksums, no model), one small class per kind, in one registry.

Each recognizer offers a loose RE2 `prefilter` that DuckDB runs over whole columns, so Python only checks the
few values that could match; `find` then checks those exactly (11-proef, mod-97, name lists) and returns hits.
A third party adds a kind the way the built-ins are added: `register(MyRecognizer())`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from stdnum import iban as iban_number
from stdnum.nl import bsn as bsn_number
from stdnum.nl import postcode as nl_postcode

from wierde.protect.privacy import names
from wierde.protect.privacy.context import (
    BIRTH_COLUMN,
    BSN_COLUMN,
    FAMILY_COLUMN,
    GIVEN_COLUMN,
    NAME_COLUMN,
    NEARBY,
    PHONE_COLUMN,
    PLATE_COLUMN,
    context_before,
)

BULLET = "•"
BSN, IBAN, EMAIL, PHONE, ADDRESS, PLATE, BIRTH_DATE, PERSON_NAME, DWELLING = (
    "bsn", "iban", "email", "phone", "postcode_huisnummer", "kenteken", "birth_date", "person_name",
    "dwelling_location",
)
LABELS = {
    BSN: "burgerservicenummer", IBAN: "IBAN", EMAIL: "e-mailadres", PHONE: "telefoonnummer",
    ADDRESS: "postcode + huisnummer", PLATE: "kenteken", BIRTH_DATE: "geboortedatum", PERSON_NAME: "persoonsnaam",
    DWELLING: "woonadres als locatie",
}


@dataclass(frozen=True)
class Hit:
    """One recognised value inside a text: where it is and how sure we are."""

    kind: str
    start: int
    end: int
    confidence: float
    context: bool = True  # a context word was seen (column name or nearby text); bare 9-digit numbers need one


class Recognizer(Protocol):
    kind: str

    def prefilter(self, column: str) -> str | None:
        """An RE2 regex every value with a hit contains (None: this recognizer never applies to the column)."""

    def find(self, text: str, column: str = "") -> list[Hit]: ...

    def mask(self, found: str) -> str:
        """The found text with enough hidden that the value cannot be recovered."""


def mask_chars(text: str, keep: int) -> str:
    """Keep the first `keep` characters; hide every later letter or digit (separators stay, to show the form)."""
    head, tail = text[:keep], text[keep:]
    return head + "".join(BULLET if c.isalnum() else c for c in tail)


_WORD_START = re.compile(r"(?<=\W)\w")


def _word_starts(text: str, pos: int) -> int:
    """The start of the next word after `pos`, so a failed candidate does not hide a name that begins inside it."""
    match = _WORD_START.search(text, pos + 1)
    return match.start() if match else len(text)


# -- numbers with a checksum ------------------------------------------------------------------------------------

class BsnRecognizer:
    """Burgerservicenummer: 9 digits (or 8 when a leading zero was lost) passing the 11-proef."""

    kind = BSN
    pattern = re.compile(r"(?<![\w.])(\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3}|\d{8,9})(?![\w]|[.,]\d)")
    # A bare 9-digit number passes the 11-proef one time in eleven, so without one of these words nearby it is
    # only reported when nearly every number in the column passes (see scan.py).
    context = BSN_COLUMN

    def prefilter(self, column: str) -> str:
        return r"\d{8}|\d{4}\.\d{2}\.\d{3}|\d{3}[ .]\d{3}[ .]\d{3}"

    def find(self, text: str, column: str = "") -> list[Hit]:
        hits = []
        column_context = self.context.matches(column)
        for match in self.pattern.finditer(text):
            digits = re.sub(r"\D", "", match.group(1))
            if len(digits) == 8 and not column_context:  # a lost leading zero is only plausible in a BSN column
                continue
            digits = digits.zfill(9)
            if digits == "000000000" or not bsn_number.is_valid(digits):
                continue
            seen = column_context or context_before(text, match.start(), self.context)
            hits.append(Hit(self.kind, match.start(), match.end(), 0.9 if seen else 0.5, seen))
        return hits

    def mask(self, found: str) -> str:
        return mask_chars(found, 4)


class IbanRecognizer:
    """IBAN of any country, compact or in groups of four, checked with mod-97."""

    kind = IBAN
    pattern = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w])")

    def prefilter(self, column: str) -> str:
        return r"[A-Z]{2}\d{2} ?[A-Z0-9]{4}"

    def find(self, text: str, column: str = "") -> list[Hit]:
        hits = []
        for match in self.pattern.finditer(text.upper() if column and text.isascii() else text):
            end = self._valid_end(match.group(0))
            if end:
                hits.append(Hit(self.kind, match.start(), match.start() + end, 0.95))
        return hits

    @staticmethod
    def _valid_end(candidate: str) -> int:
        """The length of the longest valid IBAN at the start of `candidate` (a following word may have been taken)."""
        parts = candidate.split(" ")
        for n in range(len(parts), 0, -1):
            text = " ".join(parts[:n])
            if len(text.replace(" ", "")) >= 15 and iban_number.is_valid(text):
                return len(text)
        return 0

    def mask(self, found: str) -> str:
        compact = found.replace(" ", "")
        return compact[:8] + BULLET * (len(compact) - 8)


# -- contact details ------------------------------------------------------------------------------------------

ROLE_ADDRESSES = frozenset({
    "info", "data", "noreply", "no-reply", "contact", "secretariaat", "post", "postbus", "servicedesk", "helpdesk",
    "admin", "webmaster", "support", "communicatie", "receptie", "klantenservice", "privacy", "team",
})


class EmailRecognizer:
    kind = EMAIL
    pattern = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w-])")

    def prefilter(self, column: str) -> str:
        return r"[A-Za-z0-9]@[A-Za-z0-9-]+\.[A-Za-z]"

    def find(self, text: str, column: str = "") -> list[Hit]:
        hits = []
        for match in self.pattern.finditer(text):
            local = match.group(0).split("@")[0].lower()
            # info@gemeente.nl names no person; it is still reported, for a steward to accept.
            hits.append(Hit(self.kind, match.start(), match.end(), 0.5 if local in ROLE_ADDRESSES else 0.95))
        return hits

    def mask(self, found: str) -> str:
        local, _, domain = found.partition("@")
        return f"{local[:1]}{BULLET * 3}@{domain}"


class PhoneRecognizer:
    """Dutch numbers: 06-12345678, 06 1234 5678, +31 6 12345678, 0031…, 050-1234567, (050) 123 45 67."""

    kind = PHONE
    pattern = re.compile(
        r"(?<![\w+/.,:-])"
        r"((?:\+|00) ?31[ -]?(?:\(0\)[ -]?)?|\(0|0)"  # country code, or the trunk 0 (perhaps in brackets)
        r"(\d{1,3}\)?(?:[ -]?\d){6,8})"  # area code (or 6) and subscriber number, single separators
        r"(?![\w-]|[.,:]\d)"
    )
    context = PHONE_COLUMN

    def prefilter(self, column: str) -> str:
        return r"(?:\+|00) ?31|(?:^|[^0-9])\(?0[1-9]"

    def find(self, text: str, column: str = "") -> list[Hit]:
        hits = []
        for match in self.pattern.finditer(text):
            confidence = self._confidence(match)
            if confidence:
                if self.context.matches(column) or context_before(text, match.start(), self.context):
                    confidence = max(confidence, 0.9)
                hits.append(Hit(self.kind, match.start(), match.end(), confidence))
        return hits

    @staticmethod
    def _confidence(match: re.Match[str]) -> float:
        """0 unless the digits make a Dutch subscriber number; service numbers (0800, 0900) name no person."""
        national = re.sub(r"\D", "", match.group(2)).removeprefix("0")
        if len(national) != 9:
            return 0.0
        if national[0] == "6":
            return 0.9
        if national[0] in "1234567" or national[:2] in ("85", "88", "91"):
            separated = bool(re.search(r"[ ()-]", match.group(0)))
            return 0.75 if separated else 0.6
        return 0.0

    def mask(self, found: str) -> str:
        return mask_chars(found, 3)


# A house number's addition: 12a, 12A, 12 A, 12-1, 12-bis; never a following word ("12 en").
_ADDITION = r"(?:[a-zA-Z](?![\w])|-\d{1,4}|-[A-Za-z]{1,3}(?![\w])| [A-Z](?![\w]))?"


class AddressRecognizer:
    """Postcode with house number ("9712 AB 12", "9712AB 12a"), or a street and number before the postcode."""

    kind = ADDRESS
    postcode_first = re.compile(
        rf"(?<![\w])(?P<pc>[1-9]\d{{3}} ?[A-Z]{{2}})(?:,? +| *, *)(?P<nr>\d{{1,5}}){_ADDITION}(?![\w])"
    )
    number_first = re.compile(
        rf"(?<![\w])(?P<street>[A-Z][\w'.-]+) +(?P<nr>\d{{1,5}}){_ADDITION},? +"
        r"(?P<pc>[1-9]\d{3} ?[A-Z]{2})(?![\w])"
    )
    lower_case_value = re.compile(r"\s*[1-9]\d{3} ?[a-zA-Z]{2}(?:,? +| *, *)\d{1,5}(?:[ -]?[A-Za-z0-9]{1,4})?\s*")
    NOT_A_HOME = ("postbus", "antwoordnummer")  # an organisation's mailbox, not where somebody lives

    def prefilter(self, column: str) -> str:
        return r"[1-9][0-9]{3} ?[A-Za-z]{2}"

    def find(self, text: str, column: str = "") -> list[Hit]:
        # A value that is only "9712ab 12" may be written in lower case; inside a sentence "2019 en 12" is no address.
        subject = text.upper() if self.lower_case_value.fullmatch(text) else text
        hits: list[Hit] = []
        for pattern in (self.postcode_first, self.number_first):
            for match in pattern.finditer(subject):
                street = (match.groupdict().get("street") or "").lower()
                if street in self.NOT_A_HOME or not nl_postcode.is_valid(match.group("pc")):
                    continue
                if not any(h.start < match.end() and match.start() < h.end for h in hits):
                    hits.append(Hit(self.kind, match.start(), match.end(), 0.85))
        return hits

    def mask(self, found: str) -> str:
        match = re.search(r"[1-9]\d{3}", found)
        start = match.start() if match else 0
        return mask_chars(found[:start], 1) + found[start:start + 4] + mask_chars(found[start + 4:], 0)


# -- vehicles, dates, names ------------------------------------------------------------------------------------

# RDW sidecodes 1-14 (L = letter, D = digit). Since sidecode 4 (1978) plates use consonants only (never C or Q),
# which keeps "AB-123-C"-like article codes out; the oldest three sidecodes still run on classic cars.
SIDECODES = (
    "LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL", "DD-LLL-D", "D-LLL-DD", "LL-DDD-L",
    "L-DDD-LL", "LLL-DD-L", "L-DD-LLL", "D-LL-DDD", "DDD-LL-D",
)
OLD_LETTER, NEW_LETTER = "[A-Z]", "[BDFGHJKLMNPRSTVWXZ]"


def _sidecode_regex(code: str, letter: str, dash: str) -> str:
    return dash.join("".join(letter if c == "L" else r"\d" for c in group) for group in code.split("-"))


def _plates(dash: str) -> str:
    letters = (OLD_LETTER if i < 3 else NEW_LETTER for i in range(len(SIDECODES)))
    return "|".join(_sidecode_regex(code, letter, dash) for code, letter in zip(SIDECODES, letters, strict=True))


class PlateRecognizer:
    """Kenteken in any sidecode; without dashes only in a column named like one (kenteken, license plate)."""

    kind = PLATE
    dashed = re.compile(rf"(?<![\w-])(?:{_plates('-')})(?![\w-])")
    compact = re.compile(rf"\s*(?:{_plates('')})\s*")
    context = PLATE_COLUMN

    def prefilter(self, column: str) -> str:
        dashed = r"[A-Z0-9]{1,3}-[A-Z0-9]{2,3}-[A-Z0-9]{1,3}"
        return rf"(?i:{dashed})|^\s*[A-Za-z0-9]{{6}}\s*$" if self.context.matches(column) else dashed

    def find(self, text: str, column: str = "") -> list[Hit]:
        in_column = self.context.matches(column)
        if in_column:
            text = text.upper()
            if self.compact.fullmatch(text):
                return [Hit(self.kind, 0, len(text), 0.95)]
        return [Hit(self.kind, m.start(), m.end(), 0.95 if in_column or context_before(text, m.start(), self.context)
                    else 0.7) for m in self.dashed.finditer(text)]

    def mask(self, found: str) -> str:
        return mask_chars(found, 1)


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")
BORN_GAP = 12  # characters between "geboren" and the date: " op ", ": ", " op de "
_MONTH = "|".join(MONTHS + tuple(m[:3] + r"\.?" for m in MONTHS))


class BirthDateRecognizer:
    """A date in a column named like geboortedatum, or after "geboren"/"geb." in a text."""

    kind = BIRTH_DATE
    date = re.compile(
        r"(?P<iso>(?P<y1>\d{4})-(?P<m1>\d{1,2})-(?P<d1>\d{1,2}))"
        r"|(?P<dmy>(?P<d2>\d{1,2})[-/.](?P<m2>\d{1,2})[-/.](?P<y2>\d{4}))"
        rf"|(?P<long>(?P<d3>\d{{1,2}}) (?P<m3>{_MONTH}) (?P<y3>\d{{4}}))",
        re.IGNORECASE,
    )
    time_suffix = re.compile(r"(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?\s*")
    context = BIRTH_COLUMN

    def prefilter(self, column: str) -> str:
        if self.context.matches(column):
            return r"\d{1,2}[-/. ]"
        return r"(?i)(?:geboren|geb\.|geboortedatum|born|date of birth|dob)[^0-9]{0,30}\d"

    def find(self, text: str, column: str = "") -> list[Hit]:
        in_column = self.context.matches(column)
        hits = []
        for match in self.date.finditer(text):
            whole = in_column and self.time_suffix.fullmatch(text, match.end()) and not text[:match.start()].strip()
            if not (whole or self._said_born(text, match.start())) or not self._plausible(match):
                continue
            hits.append(Hit(self.kind, match.start(), len(text) if whole else match.end(), 0.9))
        return hits

    def _said_born(self, text: str, start: int) -> bool:
        """"geboren (op)" right before this date: a few characters and no number in between.

        "geboren in Groningen, verhuisd op 12-03-2020" names a birthplace; the date is a move.
        """
        window = text[max(0, start - NEARBY):start].lower()
        ends = [window.rfind(word) + len(word) for word in self.context.text if word in window]
        gap = window[max(ends):] if ends else ""
        return bool(ends) and len(gap) <= BORN_GAP and not re.search(r"\d", gap)

    @staticmethod
    def _plausible(match: re.Match[str]) -> bool:
        """A real calendar date of somebody who may be alive: born 1900 or later, and not in the future."""
        found = {k: v for k, v in match.groupdict().items() if v}
        year = int(found.get("y1") or found.get("y2") or found.get("y3") or 0)
        month_text = (found.get("m1") or found.get("m2") or found.get("m3") or "0").lower().rstrip(".")
        month = int(month_text) if month_text.isdigit() else 1 + [m[:3] for m in MONTHS].index(month_text[:3])
        day = int(found.get("d1") or found.get("d2") or found.get("d3") or 0)
        try:
            born = date(year, month, day)
        except ValueError:
            return False
        return date(1900, 1, 1) <= born <= date.today()

    def mask(self, found: str) -> str:
        year = re.search(r"(?<!\d)(?:19|20)\d{2}(?!\d)", found)
        if year is None:
            return mask_chars(found, 0)
        return mask_chars(found[:year.start()], 0) + year.group(0) + mask_chars(found[year.end():], 0)


_PREFIX = "|".join(re.escape(p).replace(r"\ ", " +") for p in names.PREFIXES)
_TITLE = "|".join(re.escape(t).replace(r"\ ", " +") for t in names.TITLES)
_WORD = r"[A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?"
_INITIALS = r"(?:[A-Z]\. ?){1,4}"
_FAMILY = rf"[A-Z][a-zà-ÿ]+(?:-(?:(?i:{_PREFIX}) +)?[A-Z][a-zà-ÿ]+)?"  # "Maas-Vierdag", "Aarts-van Oudewater"


class PersonNameRecognizer:
    """Given name (or initials, or a title) + optional tussenvoegsel + family name, from Faker's Dutch lists.

    In a column named voornaam or achternaam a lone given or family name counts as well.
    """

    kind = PERSON_NAME
    pattern = re.compile(
        rf"(?<![\w])(?:(?P<title>(?i:{_TITLE}))\.? +)?(?:(?P<given>{_INITIALS}|{_WORD})(?: +(?P<more>{_WORD}))? +)?"
        rf"(?P<prefix>(?:(?i:{_PREFIX}) +){{0,2}})(?P<family>{_FAMILY}|[A-Z][a-zà-ÿ]*'[a-zà-ÿ]+)(?![\w])"
    )
    reversed_form = re.compile(rf" *(?P<family>{_WORD}), *(?P<given>{_INITIALS}|{_WORD})(?: +(?:{_PREFIX}))? *")
    given_column, family_column, name_column = GIVEN_COLUMN, FAMILY_COLUMN, NAME_COLUMN

    def prefilter(self, column: str) -> str:
        if self.given_column.matches(column) or self.family_column.matches(column):
            return r"[A-Za-z]"
        # Two capitalised words with at most a few lower-case ones (tussenvoegsels) between, initials, a title, or
        # "Vries, Jan": loose on purpose, as the name lists are checked in Python. Latin letter ranges, because
        # RE2 takes ten times longer to compile \p{Lu}, and every column's query compiles it again.
        upper, lower = "[A-ZÀ-Þ]", "[a-zß-ÿ]"
        return (rf"{upper}{lower}+(?: +{lower}+'?{lower}*){{0,3}} +{upper}|{upper}{lower}+, *{upper}"
                rf"|{upper}\. ?[A-Za-z]|(?i:\b(?:{_TITLE})\.? +[A-Z])")

    def find(self, text: str, column: str = "") -> list[Hit]:
        lone = self._lone(text, column)
        if lone:
            return [lone]
        hits: list[Hit] = []
        pos = 0
        while (match := self.pattern.search(text, pos)) is not None:
            end, confidence = self._judge(match)
            if confidence:
                hits.append(Hit(self.kind, match.start(), end, confidence))
                pos = end
            else:
                pos = _word_starts(text, match.start())
        return hits

    def _lone(self, text: str, column: str) -> Hit | None:
        """A whole value that is only a given name, only a family name, or "Vries, Jan de"."""
        value = text.strip()
        if self.given_column.matches(column) and all(names.is_given(w) for w in re.split(r"[ -]+", value) if w):
            return Hit(self.kind, 0, len(text), 0.8)
        core = re.sub(rf"^(?i:(?:{_PREFIX}) +)+", "", value)
        if self.family_column.matches(column) and core and names.is_family(core.split()[-1]):
            return Hit(self.kind, 0, len(text), 0.8)
        reversed_ = self.reversed_form.fullmatch(text)
        if reversed_ and names.is_family(reversed_.group("family")) and self._is_given(reversed_.group("given")):
            return Hit(self.kind, 0, len(text), 0.8)
        return None

    @staticmethod
    def _is_given(word: str) -> bool:
        return "." in word or names.is_given(word)

    def _judge(self, match: re.Match[str]) -> tuple[int, float]:
        """Where the name ends and how sure we are (0: not a name, e.g. "Willem de Zwijgerlaan", "Station Zuid")."""
        given, more, family = match.group("given"), match.group("more"), match.group("family")
        prefix, title = match.group("prefix").strip(), match.group("title")
        if names.is_place_word(family) and not names.is_family(family):
            return match.end(), 0.0
        if title:
            return match.end(), 0.85
        if not given or not self._is_given(given):
            return match.end(), 0.0
        if more and not prefix and names.is_family(more) and not names.is_family(family):
            return match.end("more"), 0.8  # "Piet Jansen Groningen": the name ends at Jansen
        if more and not (names.is_given(more) or "." in given):
            return match.end(), 0.0
        if names.is_family(family):
            return match.end(), 0.85
        return match.end(), 0.6 if prefix else 0.0

    def mask(self, found: str) -> str:
        return re.sub(r"(?<=\w)\w", BULLET, found)


def register(recognizer: Recognizer) -> None:
    """Add (or replace) the recognizer for its kind; the scan and redaction then use it like a built-in."""
    _REGISTRY[recognizer.kind] = recognizer


def recognizers() -> list[Recognizer]:
    return list(_REGISTRY.values())


def recognizer(kind: str) -> Recognizer | None:
    return _REGISTRY.get(kind)


def find_all(text: str, column: str = "") -> list[Hit]:
    """Every hit of every recognizer in `text`, earliest first; overlapping hits keep the surest one."""
    hits = sorted((h for r in _REGISTRY.values() for h in r.find(text, column)),
                  key=lambda h: (h.start, -h.confidence, -(h.end - h.start)))
    kept: list[Hit] = []
    for hit in hits:
        if not kept or hit.start >= kept[-1].end:
            kept.append(hit)
    return kept


_REGISTRY: dict[str, Recognizer] = {}


for _builtin in (BsnRecognizer(), IbanRecognizer(), EmailRecognizer(), PhoneRecognizer(), AddressRecognizer(),
                 PlateRecognizer(), BirthDateRecognizer(), PersonNameRecognizer()):
    register(_builtin)
