"""Opaque keyset cursors: where the last page ended, so the next page is a range scan instead of an OFFSET."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_CURSOR_CHARS = 8192


@dataclass(frozen=True)
class TimestampNs:
    """A TIMESTAMP_NS sort value as nanoseconds since 1970; Python's datetime would cut it to microseconds and
    the next page would then repeat rows that differ only in their last three digits."""

    nanos: int


_VERSION = 1

# Values keep their exact type through the cursor, so `col = ?` on the next page matches the stored value
# bit for bit (a float goes as repr, a decimal as text, times as ISO 8601).
_TAGS: dict[str, Any] = {
    "f": float,
    "d": Decimal,
    "date": dt.date.fromisoformat,
    "dt": dt.datetime.fromisoformat,
    "t": dt.time.fromisoformat,
}


def encode_cursor(sort_spec: str, values: Sequence[Any], row: int) -> str:
    """URL-safe text for the position after a row: its sort values and its row number in the file."""
    payload = {"v": _VERSION, "s": sort_spec, "k": [_tag(v) for v in values], "r": row}
    raw = json.dumps(payload, separators=(",", ":"), ensure_ascii=True).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(token: str, sort_spec: str, n_keys: int) -> tuple[list[Any], int]:
    """The sort values and row number inside `token`; ValueError when it was altered or belongs to another sort."""
    if len(token) > MAX_CURSOR_CHARS:
        raise ValueError("cursor is too long")
    payload = _payload(token)
    if payload.get("v") != _VERSION or not isinstance(payload.get("k"), list):
        raise ValueError("cursor is not one this API made")
    if payload.get("s") != sort_spec:
        raise ValueError("cursor was made for another sort; start again without a cursor")
    row = payload.get("r")
    if not isinstance(row, int) or isinstance(row, bool) or row < 0:
        raise ValueError("cursor has no valid row position")
    keys = payload["k"]
    if len(keys) != n_keys:
        raise ValueError("cursor does not match the sort")
    return [_untag(k) for k in keys], row


def _payload(token: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("cursor is not valid") from None
    if not isinstance(payload, dict):
        raise ValueError("cursor is not valid")
    return payload


def _tag(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}  # repr round-trips exactly, NaN and infinities included
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, dt.datetime):  # before date: a datetime is a date
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"t": value.isoformat()}
    if isinstance(value, TimestampNs):
        return {"ns": str(value.nanos)}
    raise TypeError(f"cannot keep a {type(value).__name__} in a cursor")


def _untag(item: Any) -> Any:
    if item is None or isinstance(item, bool | int | str):
        return item
    if not (isinstance(item, dict) and len(item) == 1):
        raise ValueError("cursor holds a value of unknown kind")
    (tag, text), = item.items()
    if tag == "ns" and isinstance(text, str) and text.lstrip("-").isdigit() and len(text) < 21:
        return TimestampNs(int(text))
    parse = _TAGS.get(tag)
    if parse is None or not isinstance(text, str):
        raise ValueError("cursor holds a value of unknown kind")
    try:
        value = parse(text)
    except (ValueError, InvalidOperation):
        raise ValueError("cursor holds a value that cannot be read") from None
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError("cursor holds a value that cannot be read")
    return value
