"""Periods as ISO text (2024, 2024-H1, 2024-Q3, 2024-05, 2024-W19, 2024-05-06): cut to a granularity, ordered, named.

Ingest keys every dataset's time as ISO text in `period`, so an indicator can count per year from daily data by
cutting the text; the same text orders, labels and dates a period here.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from babel.dates import format_date

GRANULARITIES = ("year", "half-year", "quarter", "month", "week", "day")
# How long after a period's end its figure is normally known (CBS publishes a year's figures months later);
# beyond this the data is older than its expected frequency.
EXPECTED_DELAY_DAYS = {"year": 548, "half-year": 274, "quarter": 183, "month": 62, "week": 21, "day": 7}

_YEAR = re.compile(r"(\d{4})")
_HALF = re.compile(r"(\d{4})-H([12])")
_QUARTER = re.compile(r"(\d{4})-Q([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def cut_sql(text: str, granularity: str) -> str:
    """SQL turning ISO period text (or a date or timestamp cast to text) into the period of `granularity`.

    A period coarser than the granularity (a year, asked for months) gives NULL: it cannot be split.
    """
    day = f"regexp_matches({text}, '^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}')"
    month = f"regexp_matches({text}, '^[0-9]{{4}}-[0-9]{{2}}')"
    number = f"CAST(substr({text}, 6, 2) AS INTEGER)"
    if granularity == "year":
        return f"CASE WHEN regexp_matches({text}, '^[0-9]{{4}}($|-)') THEN left({text}, 4) END"
    if granularity == "half-year":
        return (f"CASE WHEN regexp_full_match({text}, '[0-9]{{4}}-H[12]') THEN {text} "
                f"WHEN regexp_full_match({text}, '[0-9]{{4}}-Q[1-4]') THEN left({text}, 4) || '-H' || "
                f"CAST((CAST(right({text}, 1) AS INTEGER) + 1) // 2 AS VARCHAR) "
                f"WHEN {month} THEN left({text}, 4) || CASE WHEN {number} <= 6 THEN '-H1' ELSE '-H2' END END")
    if granularity == "quarter":
        return (f"CASE WHEN regexp_full_match({text}, '[0-9]{{4}}-Q[1-4]') THEN {text} "
                f"WHEN {month} THEN left({text}, 4) || '-Q' || CAST(({number} - 1) // 3 + 1 AS VARCHAR) END")
    if granularity == "month":
        return f"CASE WHEN {month} THEN left({text}, 7) END"
    if granularity == "week":
        return f"CASE WHEN {day} THEN strftime(CAST(left({text}, 10) AS DATE), '%G-W%V') END"
    if granularity == "day":
        return f"CASE WHEN {day} THEN left({text}, 10) END"
    raise ValueError(f"unknown granularity {granularity!r}")


def year_of(period: str) -> int:
    return int(period[:4])


def index_of(period: str, granularity: str) -> int:
    """A number per period that grows by one from each period to the next, for slopes over time."""
    year = year_of(period)
    if granularity == "year":
        return year
    if granularity == "half-year":
        return year * 2 + int(period[-1]) - 1
    if granularity == "quarter":
        return year * 4 + int(period[-1]) - 1
    if granularity == "month":
        return year * 12 + int(period[5:7]) - 1
    return start_of(period).toordinal() // (7 if granularity == "week" else 1)


def start_of(period: str) -> date:
    if m := _DAY.fullmatch(period):
        return date(int(m[1]), int(m[2]), int(m[3]))
    if m := _WEEK.fullmatch(period):
        return date.fromisocalendar(int(m[1]), int(m[2]), 1)
    if m := _MONTH.fullmatch(period):
        return date(int(m[1]), int(m[2]), 1)
    if m := _QUARTER.fullmatch(period):
        return date(int(m[1]), 3 * int(m[2]) - 2, 1)
    if m := _HALF.fullmatch(period):
        return date(int(m[1]), 1 if m[2] == "1" else 7, 1)
    return date(year_of(period), 1, 1)


def end_of(period: str) -> date:
    """The last day of the period."""
    if _DAY.fullmatch(period):
        return start_of(period)
    if _WEEK.fullmatch(period):
        return start_of(period) + timedelta(days=6)
    months = 1 if _MONTH.fullmatch(period) else 3 if _QUARTER.fullmatch(period) else 6 if _HALF.fullmatch(
        period) else 12
    start = start_of(period)
    later = start.month - 1 + months
    return date(start.year + later // 12, later % 12 + 1, 1) - timedelta(days=1)


HALF_NAMES = {"nl": ("1e halfjaar", "2e halfjaar"), "en": ("first half", "second half")}
QUARTER_NAMES = {"nl": "{n}e kwartaal {year}", "en": "Q{n} {year}"}
WEEK_NAMES = {"nl": "week {n} van {year}", "en": "week {n} of {year}"}


def label(period: str, lang: str = "nl") -> str:
    """The period as a reader says it: '2024', 'mei 2024' / 'May 2024', '3e kwartaal 2024' / 'Q3 2024'."""
    lang = lang if lang in ("nl", "en") else "nl"
    if _DAY.fullmatch(period):
        return format_date(start_of(period), format="long", locale=lang)
    if m := _WEEK.fullmatch(period):
        return WEEK_NAMES[lang].format(n=int(m[2]), year=m[1])
    if _MONTH.fullmatch(period):
        return format_date(start_of(period), format="MMMM y", locale=lang)
    if m := _QUARTER.fullmatch(period):
        return QUARTER_NAMES[lang].format(n=m[2], year=m[1])
    if m := _HALF.fullmatch(period):
        return f"{HALF_NAMES[lang][int(m[2]) - 1]} {m[1]}"
    return period


def short_label(period: str) -> str:
    """A compact label for chart axes: 2024, 2024-Q3, 05-2024."""
    if _MONTH.fullmatch(period):
        return f"{period[5:7]}-{period[:4]}"
    return period
