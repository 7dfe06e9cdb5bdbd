"""Typed values in and out of the row API: query-string text to Python values, DuckDB values to JSON values."""

from __future__ import annotations

import base64
import datetime as dt
import math
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

# Frictionless field types whose values can be compared with =, <, IN ...; every other type only allows __isnull.
TEXT_TYPES = frozenset({"string", "yearmonth"})
SCALAR_TYPES = TEXT_TYPES | {"integer", "year", "number", "boolean", "date", "datetime", "time"}
GEOMETRY = "geometry"

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def _integer(text: str) -> int:
    return int(text.strip())


def _number(text: str) -> Decimal | float:
    # Decimal keeps what the user typed exactly (0.1 stays 0.1 against a DECIMAL column); DuckDB binds it as
    # DECIMAL and falls back to DOUBLE when it has too many digits.
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"{text!r} is not a number") from None
    return value if value.is_finite() else float(value)


def _boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{text!r} is not a boolean (use true or false)")


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(text.strip())


def _datetime(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.strip())


def _time(text: str) -> dt.time:
    return dt.time.fromisoformat(text.strip())


_PARSERS: dict[str, Callable[[str], Any]] = {
    "string": str,
    "yearmonth": str,
    "integer": _integer,
    "year": _integer,
    "number": _number,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "time": _time,
}

_EXPECTED = {
    "integer": "a whole number",
    "year": "a year such as 2024",
    "number": "a number such as -2.3",
    "boolean": "true or false",
    "date": "an ISO 8601 date such as 2024-01-31",
    "datetime": "an ISO 8601 date-time such as 2024-01-31T12:00:00Z",
    "time": "an ISO 8601 time such as 13:45:00",
}


def parse_value(field_type: str, text: str) -> Any:
    """The Python value for `text` typed as the column is, or ValueError saying what was expected."""
    parser = _PARSERS.get(field_type)
    if parser is None:
        raise ValueError(f"columns of type {field_type} cannot be compared with a value")
    try:
        return parser(text)
    except ValueError:
        raise ValueError(f"{text!r} is not {_EXPECTED.get(field_type, field_type)}") from None


def json_value(value: Any) -> Any:
    """A value json.dumps accepts and a JSON client reads naturally: ISO 8601 text for time, numbers for decimals."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # JSON has no NaN or Infinity; null is the honest "no number here"
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return _decimal(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        # one spelling for every zone: UTC with Z, as the downloads write it (sqltext.iso_timestamptz)
        return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _duration(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    if hasattr(value, "nanoseconds"):
        return _interval(value)
    if isinstance(value, list | tuple):
        return [json_value(v) for v in value]
    return str(value)


# Arrow writes a microsecond timestamp as "2024-01-31 12:00:00.000000" (plus "Z" in UTC); isoformat() drops a zero
# fraction and puts a "T" between date and time.
_ARROW_TIMESTAMP = r"^(\S+) (\d\d:\d\d:\d\d)(?:\.000000)?(\.\d{6})?(Z?)$"


def json_column(array: pa.ChunkedArray) -> list[Any]:
    """`[json_value(v) for v in array.to_pylist()]`, with the common types converted by Arrow in one go.

    A page's rows are built column by column; converting timestamps cell by cell in Python was the largest cost
    of a small filtered page after the query itself.
    """
    kind = array.type
    if pa.types.is_integer(kind) or pa.types.is_string(kind) or pa.types.is_large_string(kind) \
            or pa.types.is_boolean(kind):
        return array.to_pylist()
    if pa.types.is_floating(kind):
        values = array.to_pylist()
        finite = pc.all(pc.is_finite(array)).as_py()
        return values if finite in (True, None) else [json_value(v) for v in values]
    if pa.types.is_timestamp(kind):
        unit = pa.timestamp("us", "UTC" if kind.tz else None)
        text = array.cast(unit, safe=False).cast(pa.string())
        return pc.replace_substring_regex(text, _ARROW_TIMESTAMP, r"\1T\2\3\4").to_pylist()
    if pa.types.is_date32(kind):
        return array.cast(pa.string()).to_pylist()
    if pa.types.is_time64(kind) and kind.unit == "ns":  # Python's time stops at microseconds
        array = array.cast(pa.time64("us"), safe=False)
    return [json_value(v) for v in array.to_pylist()]


def _decimal(value: Decimal) -> int | float | None:
    if not value.is_finite():
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:  # HUGEINT and DECIMAL(p, 0) stay whole numbers
        return int(value)
    return float(value)


def _duration(value: dt.timedelta) -> str:
    return f"P{value.days}DT{value.seconds + value.microseconds / 1_000_000:g}S"


def _interval(value: Any) -> str:
    # Arrow's MonthDayNano (a DuckDB INTERVAL) is a named tuple; an ISO 8601 duration says what it means
    return f"P{value.months}M{value.days}DT{value.nanoseconds / 1_000_000_000:g}S"
