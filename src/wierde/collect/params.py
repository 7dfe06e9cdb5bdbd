"""A source's params are checked before anything is fetched: an unknown or malformed param is refused, so a typo
never silently widens (or narrows) a harvest."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from wierde.errors import InvalidInput

MAX_PAGES = 1000


def refuse_unknown(params: Mapping[str, str], allowed: Sequence[str], connector: str) -> None:
    unknown = sorted(set(params) - set(allowed))
    if unknown:
        raise InvalidInput(f"{connector}: unknown params {unknown}; known: {', '.join(allowed)}")


def whole_number(params: Mapping[str, str], key: str, default: int, connector: str) -> int:
    """A positive whole number param, or its default."""
    text = str(params.get(key) or default).strip()
    if not text.isdigit() or int(text) < 1:
        raise InvalidInput(f"{connector}: {key} must be a positive whole number, not {text!r}")
    return int(text)
