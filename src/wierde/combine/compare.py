"""When two engines' results count as the same: one definition, used by `views check` and the engine tests.

Two Parquet results are identical when they have the same columns in the same order and, after both are sorted
by all columns (NULLs last, explicitly), the same rows: integers of any width are equal by value, naive and zoned
timestamps by their UTC reading, and floats (or a float against an integer or decimal) within 1e-9 of the larger
value. The work happens in DuckDB, so millions of rows compare in seconds without loading them into Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from wierde.sqltext import quote_ident, quote_literal
from wierde.store.duck import connect

REL_TOL = 1e-9
SHOWN_CHARS = 60  # values in the message are cut to this length


@dataclass(frozen=True)
class _Column:
    name: str
    kind_a: str
    kind_b: str

    @property
    def approximate(self) -> bool:
        return "float" in (self.kind_a, self.kind_b)


def compare_results(a: Path, b: Path, *, labels: tuple[str, str] = ("a", "b"),
                    rel_tol: float = REL_TOL) -> str | None:
    """None when the two results are identical as defined above, else the first difference in a short sentence."""
    schema_a, schema_b = pq.read_schema(a), pq.read_schema(b)
    problem = _column_difference(schema_a, schema_b, labels)
    if problem:
        return problem
    columns = [_Column(f.name, _kind(f.type), _kind(g.type)) for f, g in zip(schema_a, schema_b, strict=True)]
    problem = _type_difference(columns, labels)
    if problem:
        return problem
    rows_a, rows_b = pq.ParquetFile(a).metadata.num_rows, pq.ParquetFile(b).metadata.num_rows
    if rows_a != rows_b:
        return f"row counts differ: {labels[0]} has {rows_a:,}, {labels[1]} has {rows_b:,}"
    if not columns or not rows_a:
        return None
    return _first_row_difference(a, b, columns, labels, rel_tol)


def _column_difference(schema_a: pa.Schema, schema_b: pa.Schema, labels: tuple[str, str]) -> str | None:
    names_a, names_b = list(schema_a.names), list(schema_b.names)
    if names_a == names_b:
        return None
    only_a = [n for n in names_a if n not in names_b]
    only_b = [n for n in names_b if n not in names_a]
    if not only_a and not only_b:
        return f"the same columns in another order: {labels[0]} {names_a}, {labels[1]} {names_b}"
    parts = [f"only in {label}: {', '.join(names)}" for label, names in zip(labels, (only_a, only_b), strict=True)
             if names]
    return "columns differ: " + "; ".join(parts)


def _kind(arrow_type: pa.DataType) -> str:
    """The comparison class of a column: the flavours within one class compare by value."""
    checks = (
        (pa.types.is_integer, "integer"), (pa.types.is_floating, "float"), (pa.types.is_decimal, "decimal"),
        (pa.types.is_timestamp, "timestamp"), (pa.types.is_date, "date"), (pa.types.is_boolean, "boolean"),
        (pa.types.is_string, "string"), (pa.types.is_large_string, "string"), (pa.types.is_binary, "binary"),
        (pa.types.is_large_binary, "binary"),
    )
    for check, kind in checks:
        if check(arrow_type):
            return kind
    return str(arrow_type)  # nested and rarer types compare only with exactly the same type


NUMBERS = ("integer", "float", "decimal")


def _type_difference(columns: list[_Column], labels: tuple[str, str]) -> str | None:
    for column in columns:
        same = column.kind_a == column.kind_b
        if not same and not (column.kind_a in NUMBERS and column.kind_b in NUMBERS):
            return (f"column {column.name!r} has other types: {column.kind_a} in {labels[0]}, "
                    f"{column.kind_b} in {labels[1]}")
    return None


def _value(column: _Column, index: int, kind: str) -> str:
    """The column as compared: timestamps as naive UTC, numbers as DOUBLE when either side is a float."""
    ref = quote_ident(column.name)
    if kind == "timestamp":
        ref = f"CAST({ref} AS TIMESTAMP)"  # a zoned value reads as UTC: the connection's zone is UTC
    elif column.approximate:
        ref = f"CAST({ref} AS DOUBLE)"
    return f"{ref} AS c{index}"


def _sorted(path: Path, columns: list[_Column], side: int) -> str:
    """The rows numbered in one order that both files share: exact columns first, floats last, NULLs last."""
    values = ", ".join(_value(c, i, c.kind_a if side == 0 else c.kind_b) for i, c in enumerate(columns))
    # Floats go last so that noise in a float can reorder only rows that are equal in everything else.
    order = sorted(range(len(columns)), key=lambda i: columns[i].approximate)
    keys = ", ".join(f"c{i} ASC NULLS LAST" for i in order)
    return (f"SELECT *, row_number() OVER (ORDER BY {keys}) AS _row FROM "  # noqa: S608 - names are quoted
            f"(SELECT {values} FROM read_parquet({quote_literal(str(path))}))")


def _equal(column: _Column, index: int, rel_tol: float) -> str:
    a, b = f"a.c{index}", f"b.c{index}"
    exact = f"{a} IS NOT DISTINCT FROM {b}"
    if not column.approximate:
        return exact
    # Equal infinities and NaNs compare equal first; otherwise the gap relative to the larger magnitude.
    # A NULL on one side makes the arithmetic NULL, which must count as unequal, hence the coalesce.
    return (f"coalesce({exact} OR (isfinite({a}) AND isfinite({b}) "
            f"AND abs({a} - {b}) <= {rel_tol!r} * greatest(abs({a}), abs({b}))), false)")


def _first_row_difference(a: Path, b: Path, columns: list[_Column], labels: tuple[str, str],
                          rel_tol: float) -> str | None:
    first_unequal = " ".join(f"WHEN NOT {_equal(c, i, rel_tol)} THEN {i}" for i, c in enumerate(columns))
    both = ", ".join(f"a.c{i} AS a{i}, b.c{i} AS b{i}" for i in range(len(columns)))
    query = (
        f"SELECT * FROM (SELECT a._row, CASE {first_unequal} END AS _col, {both} "  # noqa: S608 - names quoted
        f"FROM ({_sorted(a, columns, 0)}) a JOIN ({_sorted(b, columns, 1)}) b USING (_row)) "
        "WHERE _col IS NOT NULL ORDER BY _row LIMIT 1"
    )
    con = connect(extensions=())
    try:
        con.execute("SET TimeZone = 'UTC'")
        found = con.execute(query).fetchone()
    except duckdb.Error as error:
        return f"the results could not be compared: {str(error).strip().splitlines()[0]}"
    finally:
        con.close()
    if found is None:
        return None
    row, index = int(found[0]), int(found[1])
    shown = [_shown(found[2 + 2 * index + side]) for side in (0, 1)]
    total = pq.ParquetFile(a).metadata.num_rows
    return (f"column {columns[index].name!r} differs in row {row:,} of {total:,} (both sorted by all columns): "
            f"{labels[0]} has {shown[0]}, {labels[1]} has {shown[1]}")


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"
