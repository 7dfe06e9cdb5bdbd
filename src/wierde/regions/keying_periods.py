"""The period of each row, read from CBS period codes, ISO periods, dates or years, written as ISO text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from wierde.regions.keying_columns import (
    DATE_HINT_NAMES,
    ISO_PERIOD_RE,
    NUMERIC,
    PERIOD_COLUMN,
    PERIOD_NAMES,
    YEAR_NAMES,
    code_sql,
    plain_name,
)
from wierde.regions.keying_profiles import Profile, mostly
from wierde.sqltext import quote_ident


@dataclass(frozen=True)
class Period:
    """The column a period is read from, how (cbs codes, dates, years), and the SQL turning it into ISO text."""

    column: str
    how: str
    sql: str


def _period_from_text(col: str) -> str:
    code = code_sql(col)
    return (f"CASE WHEN regexp_full_match({code}, '[0-9]{{4}}JJ00') THEN left({code}, 4) "
            f"WHEN regexp_full_match({code}, '[0-9]{{4}}HJ0[12]') THEN left({code}, 4) || '-H' || right({code}, 1) "
            f"WHEN regexp_full_match({code}, '[0-9]{{4}}KW0[1-4]') THEN left({code}, 4) || '-Q' || right({code}, 1) "
            f"WHEN regexp_full_match({code}, '[0-9]{{4}}MM(0[1-9]|1[0-2])') THEN left({code}, 4) || '-' || "
            f"right({code}, 2) WHEN regexp_full_match({code}, '{ISO_PERIOD_RE}') THEN {code} END")


def find_period(profiles: Mapping[str, Profile], schema_types: Mapping[str, str]) -> Period | None:
    """CBS period codes (or ISO periods) first, then a date or timestamp, then a year column."""
    for name, p in profiles.items():
        hinted = bool(PERIOD_NAMES.fullmatch(plain_name(name)) or YEAR_NAMES.fullmatch(plain_name(name)))
        if p.kind == "varchar" and (mostly(p, p.cbs_period, hinted) or (hinted and mostly(p, p.iso_period, True))):
            how = "CBS period codes" if p.cbs_period >= p.iso_period else "ISO periods"
            return Period(name, how, _period_from_text(quote_ident(name)))
    dates = [n for n, p in profiles.items() if p.kind in ("date", "timestamp", "timestamp with time zone",
                                                          "timestamp_s", "timestamp_ms", "timestamp_ns")]
    dates.sort(key=lambda n: not DATE_HINT_NAMES.fullmatch(plain_name(n)))
    if dates:
        col = quote_ident(dates[0])
        zoned = profiles[dates[0]].kind == "timestamp with time zone"
        # a zoned moment is dated as a Dutch calendar day, the day the people in the data lived it
        day = f"CAST(timezone('Europe/Amsterdam', {col}) AS DATE)" if zoned else f"CAST({col} AS DATE)"
        return Period(dates[0], "dates", f"strftime({day}, '%Y-%m-%d')")
    for name, p in profiles.items():
        named = YEAR_NAMES.fullmatch(plain_name(name)) or schema_types.get(name) == "year"
        if named and p.kind in NUMERIC and p.share(p.ranges.get("year", 0)) >= 0.9:
            value = f"CAST({quote_ident(name)} AS DOUBLE)"
            return Period(name, "years", f"CASE WHEN {value} BETWEEN 1000 AND 2999 THEN "
                                         f"CAST(CAST({value} AS INTEGER) AS VARCHAR) END")
    return None


GRANULARITY_SQL = (f"CASE WHEN {PERIOD_COLUMN} IS NULL THEN NULL WHEN length({PERIOD_COLUMN}) = 4 THEN 'year' "
                   f"WHEN {PERIOD_COLUMN} LIKE '%-H%' THEN 'half-year' WHEN {PERIOD_COLUMN} LIKE '%-Q%' THEN 'quarter' "
                   f"WHEN length({PERIOD_COLUMN}) = 7 THEN 'month' ELSE 'day' END")
GRANULARITIES = ("year", "half-year", "quarter", "month", "day")


def granularity_of(counts: Mapping[str, int]) -> str | None:
    """The one granularity among the rows' periods (counted per granularity), or "mixed"."""
    if not counts:
        return None
    return next(iter(counts)) if len(counts) == 1 else "mixed"
