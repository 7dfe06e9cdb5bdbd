"""Aggregates over a version without HTTP: group by columns, sum/avg/min/max/count, with the row API's filters."""
# ruff: noqa: S608  -- identifiers are checked against the version's schema and quoted; values are bound.

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from wierde.publish import rows
from wierde.publish.row_values import json_value
from wierde.sqltext import quote_ident

FUNCTIONS = ("sum", "avg", "min", "max")
NUMERIC = frozenset({"integer", "number"})
ORDERED = NUMERIC | {"date", "datetime", "string", "year"}
MAX_GROUPS = 10000
OWN_PARAMETERS = ("groupBy", *FUNCTIONS, "format", "lang")


@dataclass(frozen=True)
class Aggregation:
    group_by: tuple[str, ...]
    measures: tuple[tuple[str, str], ...]  # (function, column)
    filters: rows.RowQuery


def parse_aggregation(params: Iterable[tuple[str, str]], columns: Sequence[rows.Column]) -> Aggregation:
    """`groupBy=a,b&sum=x&avg=y` plus any row filters; every name and function is checked."""
    by_name = {c.name: c for c in columns}
    pairs = list(params)
    own = {k: v for k, v in pairs if k in OWN_PARAMETERS}
    group_by = tuple(n.strip() for n in own.get("groupBy", "").split(",") if n.strip())
    for name in group_by:
        if name not in by_name or by_name[name].type == "geometry":
            raise rows.QueryError("groupBy", f"{name!r} is not a column to group by; columns: {sorted(by_name)}")
    measures = []
    for function in FUNCTIONS:
        for name in (n.strip() for n in own.get(function, "").split(",") if n.strip()):
            column = by_name.get(name)
            allowed = NUMERIC if function in ("sum", "avg") else ORDERED
            if column is None or column.type not in allowed:
                raise rows.QueryError(function, f"{name!r} is not a column {function} can use")
            measures.append((function, name))
    filters = rows.parse_query([(k, v) for k, v in pairs if k not in OWN_PARAMETERS], columns)
    return Aggregation(group_by, tuple(measures), filters)


def run_aggregation(con: duckdb.DuckDBPyConnection, parquet_path: Path, columns: Sequence[rows.Column],
                    aggregation: Aggregation) -> list[dict[str, Any]]:
    where, params = rows.filter_sql(aggregation.filters, columns)
    keys = [quote_ident(n) for n in aggregation.group_by]
    measures = [f"{fn}({quote_ident(col)}) AS {quote_ident(f'{fn}_{col}')}" for fn, col in aggregation.measures]
    select = ", ".join([*keys, *measures, "count(*) AS count"])
    sql = f"SELECT {select} FROM read_parquet(?){where}"
    if keys:
        sql += f" GROUP BY {', '.join(keys)} ORDER BY {', '.join(keys)} LIMIT {MAX_GROUPS + 1}"
    table = con.execute(sql, [str(parquet_path), *params]).to_arrow_table()
    if table.num_rows > MAX_GROUPS:
        raise rows.QueryError("groupBy", f"more than {MAX_GROUPS} groups; filter first or group by fewer columns")
    return [{k: json_value(v) for k, v in row.items()} for row in table.to_pylist()]
