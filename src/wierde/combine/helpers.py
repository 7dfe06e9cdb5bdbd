"""Helpers that make combining correct (region codes on one map, aligned periods, normalised values).

Each helper is one SQL template. DuckDB gets it as a macro on the engine's connection; for any other engine the
same template is written into the view's SQL (`expand_helpers`), so a view that uses helpers stays portable and
both engines compute exactly the same expression.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import sqlglot
from sqlglot import exp

from wierde.regions.mergers import MERGERS, CodeChange, successors
from wierde.sqltext import quote_literal

PERIODS = ("hour", "day", "week", "month", "year")
MAX_NESTING = 20  # helpers inside helpers are expanded one level per pass; no sane view nests deeper


@dataclass(frozen=True)
class Helper:
    name: str
    params: tuple[str, ...]
    body: str  # DuckDB SQL with a `{param}` placeholder for every use of a parameter
    summary: str

    def sql(self, args: Sequence[str]) -> str:
        """The body with `args` (SQL text, parenthesised by the caller where precedence needs it) in place."""
        return self.body.format(**dict(zip(self.params, args, strict=True)))

    def macro(self) -> str:
        return f"CREATE OR REPLACE TEMP MACRO {self.name}({', '.join(self.params)}) AS ({self.sql(self.params)})"


def region_at_body(changes: Sequence[CodeChange] = MERGERS) -> str:
    """A CASE that moves an old municipality code to the one that holds it in the given year.

    A split municipality goes whole to its largest successor (a scalar has one answer); for share-weighted
    sums use `regions.mergers.map_codes` at ingest instead.
    """
    years = sorted({c.year for c in changes})
    clauses = []
    for code in sorted({c.old_code for c in changes}):
        steps, previous = [], code
        for year in years:
            [successor] = successors(code, year, split="dominant", changes=changes)
            if successor != previous:
                steps.append((year, successor))
                previous = successor
        clauses += [f"WHEN {{code}} = {quote_literal(code)} AND {{year}} >= {year} THEN {quote_literal(new)}"
                    for year, new in reversed(steps)]
    return f"CASE {' '.join(clauses)} ELSE {{code}} END" if clauses else "{code}"


HELPERS: dict[str, Helper] = {
    helper.name: helper
    for helper in (
        Helper("region_at", ("code", "year"), region_at_body(),
               "the municipality code that holds `code` on the map of `year` (GM0017 Haren → GM0014 from 2019)"),
        Helper("period_of", ("ts", "unit"), "date_trunc({unit}, {ts})",
               "the start of the hour, day, week (Monday), month or year that `ts` falls in"),
        Helper("per_capita", ("value", "population", "per"),
               "CAST({value} AS DOUBLE) * {per} / NULLIF(CAST({population} AS DOUBLE), 0)",
               "`value` per `per` inhabitants (NULL where the population is 0 or unknown)"),
        Helper("per_area", ("value", "km2"), "CAST({value} AS DOUBLE) / NULLIF(CAST({km2} AS DOUBLE), 0)",
               "`value` per square kilometre (NULL where the area is 0 or unknown)"),
    )
}


def register_helpers(con: duckdb.DuckDBPyConnection) -> None:
    for helper in HELPERS.values():
        con.execute(helper.macro())


def helper_calls(tree: exp.Expr) -> list[exp.Anonymous]:
    return [node for node in tree.find_all(exp.Anonymous) if node.name.lower() in HELPERS]


def helper_problems(tree: exp.Expr) -> list[str]:
    """What is wrong with the helper calls in a parsed view (wrong number of arguments, an unknown period)."""
    problems = []
    for call in helper_calls(tree):
        helper = HELPERS[call.name.lower()]
        if len(call.expressions) != len(helper.params):
            problems.append(f"{helper.name} takes {len(helper.params)} arguments ({', '.join(helper.params)}), "
                            f"not {len(call.expressions)}")
        elif helper.name == "period_of":
            unit = call.expressions[1]
            if not (isinstance(unit, exp.Literal) and unit.is_string and unit.this.lower() in PERIODS):
                problems.append(f"period_of's second argument must be one of {', '.join(map(repr, PERIODS))}, "
                                f"written as a literal; got {unit.sql(dialect='duckdb')}")
    return problems


ATOMS = (exp.Literal, exp.Column, exp.Paren, exp.Func, exp.Null, exp.Boolean)


def _argument(node: exp.Expr) -> str:
    text = node.sql(dialect="duckdb")
    return text if isinstance(node, ATOMS) else f"({text})"


def _expand(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Anonymous) and node.name.lower() in HELPERS:
        helper = HELPERS[node.name.lower()]
        text = helper.sql([_argument(arg) for arg in node.expressions])
        return exp.Paren(this=sqlglot.parse_one(text, read="duckdb"))
    return node


def expand_helpers(sql: str) -> str:
    """The view's SQL with every helper call replaced by the helper's plain SQL (for engines without the macros)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    for _ in range(MAX_NESTING):
        if not helper_calls(tree):
            break
        tree = tree.transform(_expand)
    return tree.sql(dialect="duckdb")
