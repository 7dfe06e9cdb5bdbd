"""CBS region codes checked in one place, so a typo such as `GM14` fails where it enters, naming the code."""

from __future__ import annotations

import re
from typing import Literal, cast

from wierde.errors import InvalidInput

Level = Literal["PV", "GM", "WK", "BU"]
# Coarse to fine: province, municipality (gemeente), district (wijk), neighbourhood (buurt).
LEVELS: tuple[Level, ...] = ("PV", "GM", "WK", "BU")
LEVEL_NAMES: dict[Level, str] = {"PV": "province", "GM": "municipality", "WK": "district", "BU": "neighbourhood"}
# CBS builds district and neighbourhood codes on the municipality's digits: WK + 4 + 2 digits, BU + 6 + 2 digits.
_DIGITS: dict[Level, int] = {"PV": 2, "GM": 4, "WK": 6, "BU": 8}
_EXAMPLES: dict[Level, str] = {"PV": "PV20", "GM": "GM0014", "WK": "WK001400", "BU": "BU00140000"}
_PATTERN = re.compile(r"(PV|GM|WK|BU)(\d+)")
# Province names by CBS code, for provinces that data refer to without a province file of their own. Only the
# province this project serves is listed; the shared sample data (cbs_odata) spell it "PV20" (Groningen).
PROVINCES: dict[str, str] = {"PV20": "Groningen"}


class RegionCodeError(InvalidInput):
    """A value that is not a CBS region code of the expected form."""


def _expected(level: Level) -> str:
    return f"a {LEVEL_NAMES[level]} code is {level} and {_DIGITS[level]} digits, like {_EXAMPLES[level]}"


def validate_code(code: object, level: Level | None = None) -> str:
    """The code trimmed and upper-cased (CBS OData pads codes: 'PV20  '); a clear error naming anything else."""
    text = str(code).strip().upper() if isinstance(code, str) else ""
    match = _PATTERN.fullmatch(text)
    if not match:
        forms = "; ".join(_expected(lv) for lv in LEVELS)
        raise RegionCodeError(f"{code!r} is not a CBS region code ({forms})", code=code)
    found = cast(Level, match.group(1))
    if len(match.group(2)) != _DIGITS[found]:
        raise RegionCodeError(f"{code!r} is not a CBS region code: {_expected(found)}", code=code)
    if level is not None and found != level:
        raise RegionCodeError(
            f"{code!r} is a {LEVEL_NAMES[found]} code where a {LEVEL_NAMES[level]} code was expected "
            f"({_expected(level)})",
            code=code,
        )
    return text


def level_of(code: str) -> Level:
    """The level a (valid) code belongs to, from its prefix."""
    return cast(Level, validate_code(code)[:2])


def parent_by_code(code: str) -> str | None:
    """The district of a neighbourhood and the municipality of a district, read from the code's digits.

    A municipality's province is not in its code (GM0014 says nothing about PV20), so that link must come from data.
    """
    valid = validate_code(code)
    level = valid[:2]
    if level == "BU":
        return "WK" + valid[2:8]
    if level == "WK":
        return "GM" + valid[2:6]
    return None


def parent_level(level: Level) -> Level | None:
    index = LEVELS.index(level)
    return LEVELS[index - 1] if index else None
