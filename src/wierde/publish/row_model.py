"""The row API's plain data: what a client asked for (RowQuery), what it gets back (Page), and why it failed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wierde.errors import InvalidInput

OPERATORS = ("eq", "ne", "gt", "gte", "lt", "lte", "in", "contains", "isnull")
RESERVED = ("sort", "fields", "limit", "cursor", "format")


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Frictionless field type, plus "geometry"


@dataclass(frozen=True)
class Filter:
    column: str
    op: str  # one of OPERATORS
    value: Any  # typed as the column; a tuple for "in", a bool for "isnull"


@dataclass(frozen=True)
class SortKey:
    column: str
    descending: bool = False


@dataclass(frozen=True)
class RowQuery:
    filters: tuple[Filter, ...] = ()
    sort: tuple[SortKey, ...] = ()
    fields: tuple[str, ...] | None = None
    limit: int = 100
    cursor: str | None = None

    @property
    def sort_spec(self) -> str:
        """The sort as the client wrote it; a cursor remembers it so it cannot be replayed under another sort."""
        return ",".join(("-" if key.descending else "") + key.column for key in self.sort)


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None
    columns: list[Column]


class QueryError(InvalidInput):
    """A query parameter the row API cannot honour; `parameter` names it, `reason` says why."""

    def __init__(self, parameter: str, reason: str) -> None:
        super().__init__(
            f"query parameter {parameter!r}: {reason}",
            invalidParams=[{"in": "query", "name": parameter, "reason": reason}],
        )
        self.parameter = parameter
        self.reason = reason
