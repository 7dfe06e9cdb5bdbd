"""Query-string pairs to a validated RowQuery: every column, operator and value is checked before SQL exists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from wierde.publish.row_cursor import TimestampNs, decode_cursor
from wierde.publish.row_model import OPERATORS, RESERVED, Column, Filter, QueryError, RowQuery, SortKey
from wierde.publish.row_values import SCALAR_TYPES, TEXT_TYPES, parse_value

MAX_IN_VALUES = 1000
_ORDERED_TYPES = SCALAR_TYPES - {"boolean"}


def parse_query(
    params: Iterable[tuple[str, str]],
    columns: Sequence[Column],
    *,
    default_limit: int = 100,
    max_limit: int = 10000,
) -> RowQuery:
    """Turn query-string pairs into a validated RowQuery; anything unknown or malformed is a QueryError."""
    by_name = {c.name: c for c in columns}
    reserved: dict[str, str] = {}
    filters: list[Filter] = []
    for key, text in params:
        if key in RESERVED:
            if key in reserved:
                raise QueryError(key, "given more than once")
            reserved[key] = text
        else:
            filters.append(_filter(key, text, by_name))
    query = RowQuery(
        filters=tuple(filters),
        sort=_sort(reserved.get("sort"), by_name),
        fields=_fields(reserved.get("fields"), by_name),
        limit=_limit(reserved.get("limit"), default_limit, max_limit),
        cursor=reserved.get("cursor") or None,
    )
    cursor_position(query, columns)  # a bad cursor fails here, before any SQL runs
    return query


def _filter(key: str, text: str, by_name: dict[str, Column]) -> Filter:
    column, op = _split_key(key, by_name)
    return Filter(column, op, _filter_value(key, by_name[column], op, text))


def _split_key(key: str, by_name: dict[str, Column]) -> tuple[str, str]:
    # The whole key wins, so a column whose name contains "__" is still reachable; `name__eq` reaches a
    # column that shares its name with a reserved parameter such as `limit`.
    if key in by_name:
        return key, "eq"
    name, sep, op = key.rpartition("__")
    if sep and name in by_name:
        if op in OPERATORS:
            return name, op
        raise QueryError(key, f"unknown operator __{op}; use one of " + ", ".join(f"__{o}" for o in OPERATORS))
    names = ", ".join(by_name) or "(none)"
    raise QueryError(
        key, f"unknown parameter; filter on a column ({names}) or use one of {', '.join(RESERVED)}"
    )


def _filter_value(key: str, column: Column, op: str, text: str) -> Any:
    if op == "isnull":
        return _typed(key, Column(column.name, "boolean"), text)
    if column.type not in SCALAR_TYPES:
        raise QueryError(key, f"column {column.name!r} ({column.type}) can only be filtered with __isnull")
    if op == "contains":
        if column.type not in TEXT_TYPES:
            raise QueryError(key, "__contains only works on text columns")
        return text
    if op in ("gt", "gte", "lt", "lte") and column.type not in _ORDERED_TYPES:
        raise QueryError(key, f"__{op} does not work on {column.type} columns")
    if op == "in":
        items = text.split(",")
        if len(items) > MAX_IN_VALUES:
            raise QueryError(key, f"__in takes at most {MAX_IN_VALUES} values")
        return tuple(_typed(key, column, item) for item in items)
    return _typed(key, column, text)


def _typed(key: str, column: Column, text: str) -> Any:
    try:
        value = parse_value(column.type, text)
    except ValueError as exc:
        raise QueryError(key, str(exc)) from None
    if isinstance(value, int) and not isinstance(value, bool) and not -(2**63) <= value < 2**64:
        raise QueryError(key, f"{text!r} is out of range for a 64-bit integer")
    return value


def _sort(text: str | None, by_name: dict[str, Column]) -> tuple[SortKey, ...]:
    if not text:
        return ()
    keys: list[SortKey] = []
    for item in (part.strip() for part in text.split(",")):
        name = item[1:] if item.startswith("-") else item
        if name not in by_name:
            raise QueryError("sort", f"unknown column {name!r}; sort on one of: {', '.join(by_name)}")
        if by_name[name].type not in SCALAR_TYPES:
            raise QueryError("sort", f"cannot sort on {by_name[name].type} column {name!r}")
        if any(k.column == name for k in keys):
            raise QueryError("sort", f"column {name!r} is named twice")
        keys.append(SortKey(name, item.startswith("-")))
    return tuple(keys)


def _fields(text: str | None, by_name: dict[str, Column]) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(part.strip() for part in text.split(","))
    for name in names:
        if name not in by_name:
            raise QueryError("fields", f"unknown column {name!r}; choose from: {', '.join(by_name)}")
    if len(set(names)) != len(names):
        raise QueryError("fields", "a column is named twice")
    return names


def _limit(text: str | None, default: int, maximum: int) -> int:
    if text is None:
        return default
    try:
        limit = int(text)
    except ValueError:
        raise QueryError("limit", f"{text!r} is not a whole number") from None
    if not 1 <= limit <= maximum:
        raise QueryError("limit", f"must be between 1 and {maximum}")
    return limit


# What a sort value read back from a cursor may be, per column type, so a forged cursor cannot make DuckDB
# compare a date column with a string.
_CURSOR_TYPES: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "year": (int,),
    "number": (int, float, Decimal),
    "string": (str,),
    "yearmonth": (str,),
    "boolean": (bool,),
    "date": (dt.date,),  # a datetime is a date too; DuckDB compares DATE with TIMESTAMP fine
    "datetime": (dt.date, TimestampNs),
    "time": (dt.time,),
}


def cursor_position(query: RowQuery, columns: Sequence[Column]) -> tuple[list[Any], int] | None:
    """The sort values and row number the query's cursor points after, or None on the first page."""
    if query.cursor is None:
        return None
    by_name = {c.name: c for c in columns}
    try:
        values, row = decode_cursor(query.cursor, query.sort_spec, len(query.sort))
    except ValueError as exc:
        raise QueryError("cursor", str(exc)) from None
    for key, value in zip(query.sort, values, strict=True):
        if value is not None and not _fits(by_name[key.column].type, value):
            raise QueryError("cursor", "cursor does not match the sorted columns")
    return values, row


def _fits(field_type: str, value: Any) -> bool:
    allowed = _CURSOR_TYPES.get(field_type, ())
    if isinstance(value, bool) and bool not in allowed:
        return False  # bool is an int in Python, not in DuckDB
    return isinstance(value, allowed)
