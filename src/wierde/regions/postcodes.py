"""Postcodes ("9712 AB", "9712") turned into CBS regions through a postcode table that is itself a dataset.

The table is the current version of the dataset `postcodes`: one row per PC6 with the neighbourhood (`bu_code`),
district (`wk_code`) and municipality (`gm_code`) it lies in, optionally `adressen` (addresses, a weight) and rows
for bare PC4 areas. A PC4 is not a region of its own: it gets the finest region that holds all of its PC6
postcodes, or, where even municipalities differ, the municipality holding most of its addresses.
"""

# ruff: noqa: S608  -- SQL assembled from quoted identifiers and literals only.
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from wierde.errors import InvalidInput, NotFound
from wierde.sqltext import quote_ident, quote_literal
from wierde.store.repository import Store

DATASET = "postcodes"
POSTCODE_COLUMNS = ("postcode", "pc6")
CODE_COLUMNS = ("bu_code", "wk_code", "gm_code")  # finest first
WEIGHT_COLUMN = "adressen"
# PostNL never hands out the letter pairs SA, SD and SS; a PC4 never starts with 0.
_PC6 = re.compile(r"([1-9][0-9]{3}) ?([A-Z]{2})")
_PC4 = re.compile(r"[1-9][0-9]{3}")
_BANNED = ("SA", "SD", "SS")
PC6_SQL_PATTERN = "[1-9][0-9]{3}[A-Z]{2}"
PC4_SQL_PATTERN = "[1-9][0-9]{3}"


def normalize(value: object) -> str | None:
    """A postcode in its compact form ("9712 ab" → "9712AB", " 9712 " → "9712"); None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = value.strip().upper().removeprefix("NL-").replace(" ", "")
    match = _PC6.fullmatch(text)
    if match:
        return None if match.group(2) in _BANNED else match.group(1) + match.group(2)
    return text if _PC4.fullmatch(text) else None


def normalize_sql(expr: str) -> str:
    """SQL for `normalize`: the compact PC6 or PC4, NULL for anything else (numbers are read as PC4)."""
    text = f"replace(upper(trim(CAST({expr} AS VARCHAR))), ' ', '')"
    banned = ", ".join(quote_literal(b) for b in _BANNED)
    return (
        f"CASE WHEN regexp_full_match({text}, '{PC6_SQL_PATTERN}') AND right({text}, 2) NOT IN ({banned}) "
        f"THEN {text} WHEN regexp_full_match({text}, '{PC4_SQL_PATTERN}') THEN {text} END"
    )


@dataclass(frozen=True)
class PostcodeTable:
    """A postcode table in a Parquet file; `pc6_sql` and `pc4_sql` give one finest region code per postcode."""

    path: Path
    postcode_column: str
    code_columns: tuple[str, ...]
    weight_column: str | None = None
    version: int | None = None

    @classmethod
    def open(cls, con: duckdb.DuckDBPyConnection, path: Path, version: int | None = None) -> PostcodeTable:
        """Check that the file has a postcode column and at least one region code column."""
        columns = con.sql(f"SELECT * FROM read_parquet({quote_literal(str(path))})").columns
        postcode = next((c for c in POSTCODE_COLUMNS if c in columns), None)
        codes = tuple(c for c in CODE_COLUMNS if c in columns)
        if postcode is None or not codes:
            raise InvalidInput(
                f"a postcode table needs a column {' or '.join(POSTCODE_COLUMNS)} and at least one of "
                f"{', '.join(CODE_COLUMNS)}; it has {', '.join(columns)}"
            )
        weight = WEIGHT_COLUMN if WEIGHT_COLUMN in columns else None
        return cls(Path(path), postcode, codes, weight, version)

    def _rows_sql(self) -> str:
        """Every row as (pc, code, w, <code columns>): the compact postcode, its finest code and its weight."""
        codes = [f"CAST({quote_ident(c)} AS VARCHAR)" for c in self.code_columns]
        weight = f"coalesce(TRY_CAST({quote_ident(self.weight_column)} AS DOUBLE), 1)" if self.weight_column else "1"
        levels = ", ".join(f"{expr} AS {name}" for expr, name in zip(codes, self.code_columns, strict=True))
        inner = (f"SELECT {normalize_sql(quote_ident(self.postcode_column))} AS pc, coalesce({', '.join(codes)}) "
                 f"AS code, {weight} AS w, {levels} FROM read_parquet({quote_literal(str(self.path))})")
        return f"SELECT * FROM ({inner}) WHERE pc IS NOT NULL AND code IS NOT NULL"

    def pc6_sql(self) -> str:
        """(postcode, code): each PC6 once, with its finest region code (the first listed if it is listed twice)."""
        return (f"SELECT pc AS postcode, first(code ORDER BY code) AS code FROM ({self._rows_sql()}) "
                "WHERE length(pc) = 6 GROUP BY pc")

    def pc4_sql(self) -> str:
        """(postcode, code): each PC4 once. A PC4 row of the table wins; else the finest region holding all of
        its PC6 postcodes; else the municipality with most of its addresses."""
        rows = self._rows_sql()
        unanimous = [
            f"WHEN count(DISTINCT {c}) = 1 AND count({c}) = count(*) THEN any_value({c})" for c in self.code_columns
        ]
        top = ""
        if "gm_code" in self.code_columns:
            top = ("LEFT JOIN (SELECT pc4, first(gm_code ORDER BY w DESC, gm_code) AS top FROM (SELECT left(pc, 4) "
                   f"AS pc4, gm_code, sum(w) AS w FROM ({rows}) WHERE length(pc) = 6 GROUP BY ALL) GROUP BY pc4) "
                   "USING (pc4)")
        fallback = "any_value(top)" if top else "NULL"
        derived = (f"SELECT pc4, CASE {' '.join(unanimous)} ELSE {fallback} END AS code FROM (SELECT left(pc, 4) AS "
                   f"pc4, * FROM ({rows}) WHERE length(pc) = 6) {top} GROUP BY pc4")
        direct = f"SELECT pc AS pc4, first(code ORDER BY code) AS code FROM ({rows}) WHERE length(pc) = 4 GROUP BY pc"
        return (f"SELECT coalesce(d.pc4, p.pc4) AS postcode, coalesce(d.code, p.code) AS code "
                f"FROM ({direct}) AS d FULL OUTER JOIN ({derived}) AS p ON d.pc4 = p.pc4 "
                "WHERE coalesce(d.code, p.code) IS NOT NULL")

    def lookup(self, con: duckdb.DuckDBPyConnection, postcodes: list[str]) -> dict[str, str | None]:
        """The finest region code for each postcode (PC6 first, then its PC4); None where neither is known."""
        wanted = {p: normalize(p) for p in postcodes}
        pc6 = dict(con.sql(self.pc6_sql()).fetchall())
        pc4 = dict(con.sql(self.pc4_sql()).fetchall())
        return {p: (pc6.get(n) or pc4.get(n[:4])) if n else None for p, n in wanted.items()}


def from_store(store: Store, con: duckdb.DuckDBPyConnection) -> PostcodeTable | None:
    """The current version of the `postcodes` dataset as a table; None when the store has none."""
    try:
        version = store.version(DATASET)
    except NotFound:
        return None
    return PostcodeTable.open(con, store.path_of(version), version.number)
