"""Municipal mergers in Groningen as data, so figures published under old codes can be summed onto today's map.

Every fact below was checked against the sources named in `SOURCES`. Two are easy to get wrong: De Marne is
GM1663 (GM0040 is Slochteren), and Menterwolde went whole into Midden-Groningen; it was not split. Boundary
corrections that change no code are not listed: Slochteren gave its part of Meerstad to Groningen on 1 January 2017
(Kamerstuk 34594-3), so Slochteren's figures before 2017 include addresses that Groningen's later figures hold.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import duckdb

from wierde.errors import InvalidInput
from wierde.regions.codes import validate_code
from wierde.sqltext import quote_ident, quote_literal

SOURCES = {
    "codes": "old codes: CBS municipality list (GM code + name) and the BRP party table (code, start and end date), "
    "found by code search; new codes: CBS/PDOK gebiedsindelingen 2022 and 2025 (shared/data/regions)",
    "oldambt": "Oldambt established 1 January 2010 from Reiderland, Scheemda and Winschoten (Wikipedia nl/de/en)",
    "midden-groningen": "Stb. 2017, 106 (Wet van 8 maart 2017); Kamerstuk 34594-3: outer boundary of the three "
    "municipalities unchanged, so Menterwolde went whole",
    "westerwolde": "Stb. 2017, 105 (Wet van 8 maart 2017): samenvoeging Bellingwedde en Vlagtwedde",
    "groningen": "Kamerstuk 34805-2 art. 2: new Groningen = territory of Groningen, Haren and Ten Boer; 1 January 2019",
    "westerkwartier": "Stb. 2018, 280: Grootegast, Leek, Marum, Zuidhorn and part of Winsum (former Ezinge: "
    "Ezinge, Feerwerd, Garnwerd); 1 January 2019",
    "het-hogeland": "Bedum, De Marne, Eemsmond and Winsum without the Ezinge area (RTV Noord 2017-2018; "
    "herindeling.westerkwartier.nl); 1 January 2019",
    "eemsdelta": "Stb. 2020, 259 (Wet van 8 juli 2020); in force 1 January 2021",
    "winsum-share": "Ezinge, Feerwerd and Garnwerd had 1,581 inhabitants (Dec. 2016, bmwe-gemeenten.nl, RTV Noord) "
    "of Winsum's 13,557 (30 Sep. 2018, CBS via Wikipedia): 11.7 % to Westerkwartier, 88.3 % to Het Hogeland. "
    "The two counts are from different dates, so the share is an estimate by population",
}

# The province's ten municipalities from 2021 on (CBS gebiedsindeling 2022 and 2025 agree for Groningen).
MUNICIPALITIES: dict[str, str] = {
    "GM0014": "Groningen", "GM0037": "Stadskanaal", "GM0047": "Veendam", "GM0765": "Pekela", "GM1895": "Oldambt",
    "GM1950": "Westerwolde", "GM1952": "Midden-Groningen", "GM1966": "Het Hogeland", "GM1969": "Westerkwartier",
    "GM1979": "Eemsdelta",
}
WINSUM_TO_WESTERKWARTIER = 0.117  # see SOURCES["winsum-share"]


@dataclass(frozen=True)
class CodeChange:
    """Part (`share`) of municipality `old_code` belongs to `new_code` from 1 January of `year`."""

    year: int
    old_code: str
    old_name: str
    new_code: str
    new_name: str
    source: str
    share: float = 1.0
    share_basis: str = "whole municipality"


def _merge(year: int, new: tuple[str, str], source: str, *old: tuple[str, str]) -> tuple[CodeChange, ...]:
    return tuple(CodeChange(year, code, name, new[0], new[1], source) for code, name in old)


_WINSUM_BASIS = "population (estimate, see SOURCES['winsum-share'])"
MERGERS: tuple[CodeChange, ...] = (
    *_merge(2010, ("GM1895", "Oldambt"), "oldambt",
            ("GM1661", "Reiderland"), ("GM0039", "Scheemda"), ("GM0052", "Winschoten")),
    *_merge(2018, ("GM1952", "Midden-Groningen"), "midden-groningen",
            ("GM0018", "Hoogezand-Sappemeer"), ("GM1987", "Menterwolde"), ("GM0040", "Slochteren")),
    *_merge(2018, ("GM1950", "Westerwolde"), "westerwolde", ("GM0007", "Bellingwedde"), ("GM0048", "Vlagtwedde")),
    # Groningen too was dissolved and re-instituted under its old code: listing it says its code did not start in 2019
    *_merge(2019, ("GM0014", "Groningen"), "groningen",
            ("GM0014", "Groningen"), ("GM0017", "Haren"), ("GM0009", "Ten Boer")),
    *_merge(2019, ("GM1966", "Het Hogeland"), "het-hogeland",
            ("GM0005", "Bedum"), ("GM1663", "De Marne"), ("GM1651", "Eemsmond")),
    CodeChange(2019, "GM0053", "Winsum", "GM1966", "Het Hogeland", "het-hogeland",
               round(1 - WINSUM_TO_WESTERKWARTIER, 3), _WINSUM_BASIS),
    *_merge(2019, ("GM1969", "Westerkwartier"), "westerkwartier",
            ("GM0015", "Grootegast"), ("GM0022", "Leek"), ("GM0025", "Marum"), ("GM0056", "Zuidhorn")),
    CodeChange(2019, "GM0053", "Winsum", "GM1969", "Westerkwartier", "westerkwartier",
               WINSUM_TO_WESTERKWARTIER, _WINSUM_BASIS),
    *_merge(2021, ("GM1979", "Eemsdelta"), "eemsdelta",
            ("GM0003", "Appingedam"), ("GM0010", "Delfzijl"), ("GM0024", "Loppersum")),
)

Split = Literal["share", "dominant"]


class NonAdditiveError(InvalidInput):
    """A column the caller marked non-additive (a mean, a rate, a median) would have to be summed."""


def successors(
    code: str, target_year: int, *, split: Split = "share", changes: Sequence[CodeChange] = MERGERS
) -> dict[str, float]:
    """Where `code` lies on the map of `target_year`, with the share of it that lies there.

    `split="dominant"` gives a split municipality wholly to the successor with the largest share.
    """
    current: dict[str, float] = {validate_code(code, "GM"): 1.0}
    for year in sorted({c.year for c in changes if c.year <= target_year}):
        moves = defaultdict(list)
        for change in changes:
            if change.year == year:
                moves[change.old_code].append(change)
        following: dict[str, float] = defaultdict(float)
        for old, share in current.items():
            for new, part in _moves(old, moves.get(old, []), split):
                following[new] += share * part
        current = dict(following)
    return current


def _moves(old: str, changes: list[CodeChange], split: Split) -> list[tuple[str, float]]:
    if not changes:
        return [(old, 1.0)]
    if split == "dominant":
        return [(max(changes, key=lambda c: c.share).new_code, 1.0)]
    return [(c.new_code, c.share) for c in changes]


def introduced(code: str, changes: Sequence[CodeChange] = MERGERS) -> int | None:
    """The year a code first appeared through a merger (GM1966: 2019); None for codes that existed before."""
    new = [c.year for c in changes if c.new_code == code]
    old = [c.year for c in changes if c.old_code == code]
    if not new or (old and min(old) <= min(new)):
        return None
    return min(new)


@dataclass(frozen=True)
class CodeMapping:
    """Rows published under `old_code` that now count (for `share`) towards `new_code`, since a merger in `since`."""

    old_code: str
    new_code: str
    share: float
    since: int
    rows: int


@dataclass(frozen=True)
class MappedCodes:
    """The mapped relation, the SQL it runs, which codes moved and which could not be placed on the target map."""

    sql: str
    relation: duckdb.DuckDBPyRelation
    target_year: int
    mapped: tuple[CodeMapping, ...]
    too_new: tuple[str, ...]  # codes that did not exist yet in the target year; their rows are left as they are

    @property
    def rows_mapped(self) -> int:
        """Source rows that moved (a split municipality's row counts once, though it feeds two codes)."""
        return sum({m.old_code: m.rows for m in self.mapped}.values())


_NUMERIC = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
            "FLOAT", "DOUBLE", "DECIMAL")
_INTEGER = _NUMERIC[:8]


def map_codes(
    con: duckdb.DuckDBPyConnection,
    relation_sql: str,
    code_column: str,
    value_columns: Sequence[str],
    target_year: int,
    *,
    non_additive: Sequence[str] = (),
    by: Sequence[str] | None = None,
    split: Split = "share",
    changes: Sequence[CodeChange] = MERGERS,
) -> MappedCodes:
    """Rows of `relation_sql` moved from old municipality codes onto the map of `target_year`, counts summed.

    Rows are grouped by the (mapped) code and `by` (default: every other column except the non-additive ones);
    `value_columns` are summed, a split municipality's values multiplied by its share (`split="dominant"` gives
    them whole to the largest successor). Columns in `non_additive` are never summed: they pass through only where
    no two rows meet and no share applies, and otherwise a `NonAdditiveError` names them.
    """
    relation = con.sql(relation_sql)
    types = dict(zip(relation.columns, (str(t).upper() for t in relation.types), strict=True))
    _check_columns(types, code_column, value_columns, non_additive)
    keys = list(by) if by is not None else [
        c for c in relation.columns if c != code_column and c not in value_columns and c not in non_additive
    ]
    counts = _code_counts(con, relation_sql, code_column)
    mapping, too_new = _mapping(counts, target_year, split, changes)
    _check_non_additive(non_additive, mapping, counts)
    sql = _mapped_sql(relation_sql, code_column, keys, value_columns, non_additive, mapping, types)
    records = tuple(
        CodeMapping(old, new, share, min(c.year for c in changes if c.old_code == old), counts[old])
        for old, targets in sorted(mapping.items()) for new, share in sorted(targets.items())
    )
    return MappedCodes(sql, con.sql(sql), target_year, records, tuple(sorted(too_new)))


def _check_columns(
    types: dict[str, str], code_column: str, value_columns: Sequence[str], non_additive: Sequence[str]
) -> None:
    for column in (code_column, *value_columns, *non_additive):
        if column not in types:
            raise InvalidInput(f"no column {column!r}; the relation has {', '.join(types)}", column=column)
    for column in value_columns:
        if column in non_additive:
            raise NonAdditiveError(f"column {column!r} is marked non-additive and cannot be summed", column=column)
        if not types[column].startswith(_NUMERIC):
            raise InvalidInput(f"column {column!r} is {types[column]}, not a number to sum", column=column)


def _code_counts(con: duckdb.DuckDBPyConnection, relation_sql: str, code_column: str) -> dict[str, int]:
    code = f"trim(CAST({quote_ident(code_column)} AS VARCHAR))"
    rows = con.sql(f"SELECT {code}, count(*) FROM ({relation_sql}) GROUP BY 1").fetchall()  # noqa: S608
    return {str(c): int(n) for c, n in rows if c is not None}


def _mapping(
    counts: dict[str, int], target_year: int, split: Split, changes: Sequence[CodeChange]
) -> tuple[dict[str, dict[str, float]], set[str]]:
    mapping, too_new = {}, set()
    for code in counts:
        if not code.startswith("GM"):
            continue  # only municipalities merge in this table; other levels pass through unchanged
        first = introduced(code, changes)
        if first is not None and first > target_year:
            too_new.add(code)
            continue
        targets = successors(code, target_year, split=split, changes=changes)
        if targets != {code: 1.0}:
            mapping[code] = targets
    return mapping, too_new


def _check_non_additive(
    non_additive: Sequence[str], mapping: dict[str, dict[str, float]], counts: dict[str, int]
) -> None:
    """Refuse when a non-additive value would be split or meet another row of the same target code."""
    if not non_additive:
        return
    sources: dict[str, set[str]] = defaultdict(set)
    for code in counts:
        for new in mapping.get(code, {code: 1.0}):
            sources[new].add(code)
    split = sorted(old for old, targets in mapping.items() if any(share < 1 for share in targets.values()))
    merged = sorted(new for new, olds in sources.items() if len(olds) > 1)
    if split or merged:
        where = "; ".join(filter(None, [
            f"split: {', '.join(split)}" if split else "",
            f"combined into: {', '.join(merged)}" if merged else "",
        ]))
        raise NonAdditiveError(
            f"non-additive column(s) {', '.join(non_additive)} cannot be carried onto the new map ({where}); "
            "recompute them from additive counts after mapping",
            columns=list(non_additive),
        )


def _mapped_sql(
    relation_sql: str,
    code_column: str,
    keys: Sequence[str],
    value_columns: Sequence[str],
    non_additive: Sequence[str],
    mapping: dict[str, dict[str, float]],
    types: dict[str, str],
) -> str:
    code = quote_ident(code_column)
    values = [f"({quote_literal(old)}, {quote_literal(new)}, {share!r})"
              for old, targets in sorted(mapping.items()) for new, share in sorted(targets.items())]
    table = (f"(VALUES {', '.join(values)}) AS m(old_code, new_code, share)" if values
             else "(SELECT NULL::VARCHAR AS old_code, NULL::VARCHAR AS new_code, NULL::DOUBLE AS share "
                  "WHERE false) AS m")
    shared = any(share < 1 for targets in mapping.values() for share in targets.values())
    select = [f"coalesce(m.new_code, trim(CAST(s.{code} AS VARCHAR))) AS {code}"]
    select += [f"s.{quote_ident(k)}" for k in keys]
    for column in value_columns:
        name = quote_ident(column)
        if shared:
            select.append(f"sum(s.{name} * coalesce(m.share, 1.0)) AS {name}")
        elif types[column].startswith(_INTEGER):
            select.append(f"CAST(sum(s.{name}) AS BIGINT) AS {name}")  # sum() of integers is HUGEINT; keep BIGINT
        else:
            select.append(f"sum(s.{name}) AS {name}")
    select += [f"any_value(s.{quote_ident(c)}) AS {quote_ident(c)}" for c in non_additive]
    group = ", ".join(str(i + 1) for i in range(1 + len(keys)))
    return (
        f"SELECT {', '.join(select)} FROM ({relation_sql}) AS s "  # noqa: S608 - identifiers and literals quoted
        f"LEFT JOIN {table} ON trim(CAST(s.{code} AS VARCHAR)) = m.old_code "
        f"GROUP BY {group} ORDER BY {group}"
    )
