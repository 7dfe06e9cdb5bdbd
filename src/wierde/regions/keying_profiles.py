"""What a column holds, told from counts over a sample of its values: codes, postcodes, periods or coordinates."""

# ruff: noqa: S608  -- the SQL is assembled from quoted identifiers and literals only.
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from wierde.regions import postcodes as pc
from wierde.regions.keying_columns import (
    CBS_PERIOD_RE,
    DEPTH,
    GM_NUMBER_NAMES,
    ISO_PERIOD_RE,
    LAT_NAMES,
    LON_NAMES,
    NUMERIC,
    POSTCODE_NAMES,
    RANGES,
    RD_X_NAMES,
    RD_Y_NAMES,
    REGION_CODE_RE,
    YEAR_NAMES,
    plain_name,
)
from wierde.sqltext import quote_ident, quote_literal

SAMPLE_ROWS = 10_000  # enough rows to tell what a column holds; the keying itself reads every row


@dataclass(frozen=True)
class Profile:
    """Counts over a sample of one column: how many values look like codes, postcodes, periods or coordinates."""

    kind: str
    present: int = 0
    region: int = 0
    finest: int = 0  # deepest level among the region codes (DEPTH), 0 if none
    bare: int = 0  # 1-4 digits: a municipality number when the name says so
    pc6: int = 0
    pc4: int = 0
    cbs_period: int = 0
    iso_period: int = 0
    ranges: dict[str, int] = field(default_factory=dict)  # "lat" → values in that range; "year" too

    def share(self, count: int) -> float:
        return count / self.present if self.present else 0.0


def _text_measures(value: str) -> dict[str, str]:
    """Weighted counts over (value, n): distinct trimmed upper-case values with how often each occurs."""
    compact = f"replace({value}, ' ', '')"
    depth = " ".join(f"WHEN {quote_literal(lv)} THEN {d}" for lv, d in DEPTH.items())
    region = f"regexp_full_match({value}, '{REGION_CODE_RE}')"
    checks = {
        "region": region, "bare": f"regexp_full_match({value}, '[0-9]{{1,4}}')",
        "pc6": f"regexp_full_match({compact}, '{pc.PC6_SQL_PATTERN}')",
        "pc4": f"regexp_full_match({compact}, '{pc.PC4_SQL_PATTERN}')",
        "cbs_period": f"regexp_full_match({value}, '{CBS_PERIOD_RE}')",
        "iso_period": f"regexp_full_match({value}, '{ISO_PERIOD_RE}')",
    }
    # Codes, postcodes and periods are at most 10 characters: longer text needs no pattern tried on it.
    measures = {k: f"coalesce(sum(n) FILTER (WHERE length({value}) <= 10 AND {c}), 0)" for k, c in checks.items()}
    measures["finest"] = f"coalesce(max(CASE left({value}, 2) {depth} END) FILTER (WHERE {region}), 0)"
    return {"present": "coalesce(sum(n), 0)", **measures}


def _number_measures(col: str) -> dict[str, str]:
    value = f"CAST({col} AS DOUBLE)"
    measures = {f"range_{name}": f"count(*) FILTER (WHERE {value} BETWEEN {lo} AND {hi})"
                for name, (lo, hi) in RANGES.items()}
    measures["range_year"] = f"count(*) FILTER (WHERE {value} BETWEEN 1000 AND 2999 AND {value} = round({value}))"
    measures["bare"] = f"count(*) FILTER (WHERE {value} BETWEEN 1 AND 9999 AND {value} = round({value}))"
    return {"present": f"count({col})", **measures}


def _named_for_numbers(name: str) -> bool:
    """Number columns matter only when named as coordinates, years, municipality numbers or postcodes."""
    plain = plain_name(name)
    return any(p.fullmatch(plain) for p in (LAT_NAMES, LON_NAMES, RD_X_NAMES, RD_Y_NAMES, YEAR_NAMES, GM_NUMBER_NAMES,
                                            POSTCODE_NAMES))


def profile_columns(con: duckdb.DuckDBPyConnection, table_sql: str, schema_types: Mapping[str, str] | None = None,
                    ) -> dict[str, Profile]:
    """Profiles of the text columns, and of number columns named for what they could hold, over the first
    SAMPLE_ROWS rows, in one query.

    Text columns are profiled over their distinct values (a code column holds few), so each pattern is tried once
    per value rather than once per row.
    """
    relation = con.sql(table_sql)
    kinds = {name: kind.id for name, kind in zip(relation.columns, relation.types, strict=True)}
    texts = [n for n, kind in kinds.items() if kind == "varchar"]
    numbers = [n for n, kind in kinds.items() if kind in NUMERIC
               and (_named_for_numbers(n) or (schema_types or {}).get(n) == "year")]
    if not texts and not numbers:
        return {name: Profile(kind) for name, kind in kinds.items()}
    text_keys, number_keys = list(_text_measures("v")), list(_number_measures("x"))
    width = max(len(text_keys), len(number_keys))  # every part of the UNION answers as many values

    def padded(values: list[str]) -> str:
        return ", ".join(values + ["0"] * (width - len(values)))

    parts = [f"SELECT {i} AS c, {padded(list(_text_measures('v').values()))} FROM (SELECT upper(trim("
             f"{quote_ident(n)})) AS v, count(*) AS n FROM sample WHERE {quote_ident(n)} IS NOT NULL GROUP BY ALL)"
             for i, n in enumerate(texts)]
    parts += [f"SELECT {i} AS c, {padded(list(_number_measures(quote_ident(n)).values()))} FROM sample"
              for i, n in enumerate(numbers, start=len(texts))]
    found = con.sql(f"WITH sample AS MATERIALIZED (SELECT * FROM ({table_sql}) LIMIT {SAMPLE_ROWS}) "
                    f"{' UNION ALL '.join(parts)}").fetchall()
    names = [*texts, *numbers]
    counts: dict[str, dict[str, int]] = {}
    for c, *values in found:
        keys = text_keys if c < len(texts) else number_keys
        counts[names[c]] = {key: int(value or 0) for key, value in zip(keys, values, strict=False)}
    return {name: _profile(kind, counts.get(name, {})) for name, kind in kinds.items()}


def _profile(kind: str, counts: dict[str, int]) -> Profile:
    ranges = {k.removeprefix("range_"): v for k, v in counts.items() if k.startswith("range_")}
    plain = {k: v for k, v in counts.items() if not k.startswith("range_")}
    return Profile(kind, ranges=ranges, **plain)


def mostly(profile: Profile, count: int, hinted: bool) -> bool:
    """Enough of a column's values fit: nearly all, or a fair part when its name says what it is."""
    return count > 0 and profile.share(count) >= (0.3 if hinted else 0.9)
